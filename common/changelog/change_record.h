// The change record: one per change (an import makes one per entry), laid out as record_format.md
// says.
// Records are hash-chained: each carries the hash of the one before it, and a record's hash is
// SHA-256(0x00 || record bytes), the RFC 6962 leaf hash of those bytes.
// Plain value types and pure functions; thread-safe.
#ifndef CREDIT_COMMON_CHANGELOG_CHANGE_RECORD_H_
#define CREDIT_COMMON_CHANGELOG_CHANGE_RECORD_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/sha256.h"

namespace credit {

// The version new records are written in; readers accept every version up to it.
inline constexpr uint8_t kChangeRecordVersion = 2;
// Version 1: no nonce.
inline constexpr uint8_t kChangeRecordVersionWithoutNonce = 1;

// 128 random bits in every record of version 2, so that a record's hash reveals nothing of the
// record to whoever lacks its bytes: a person's ID number cannot be found by hashing guesses.
using RecordNonce = std::array<uint8_t, 16>;
// A fresh random nonce (OpenSSL's RAND_bytes); aborts if the generator fails.
RecordNonce NewRecordNonce();

// What the record's before/after bytes hold.
enum class ObjectType : uint8_t {
  kEntry = 1,     // credit.registry.v1.Entry
  kMeasure = 2,   // credit.registry.v1.Measure
  kFeedback = 3,  // credit.registry.v1.Feedback
};

// One change record. `Bytes` is std::string for a record that owns its fields (ChangeRecord),
// absl::string_view for one read in place from its encoded bytes, which must outlive it
// (ChangeRecordView: for readers that walk the whole log and keep nothing).
template <typename Bytes>
struct BasicChangeRecord {
  // The layout the record is encoded in: kChangeRecordVersion for every new record; a record read
  // from storage keeps the version it was written in, so it encodes to the same bytes.
  uint8_t version = kChangeRecordVersion;
  uint64_t sequence = 0;
  // Microseconds since 1970-01-01T00:00:00Z.
  int64_t time_micros = 0;
  // A credit.registry.v1.Operation value.
  uint8_t operation = 0;
  ObjectType object_type = ObjectType::kEntry;
  Hash256 previous_hash{};
  // Version 2 only (all zero in version 1).
  RecordNonce nonce{};
  Bytes actor_identity;
  Bytes actor_department;
  Bytes reason;
  Bytes request_id;
  // Deterministic protobuf serialisations; empty when the object did not exist before/after.
  Bytes before;
  Bytes after;

  bool operator==(const BasicChangeRecord&) const = default;
};
using ChangeRecord = BasicChangeRecord<std::string>;
using ChangeRecordView = BasicChangeRecord<absl::string_view>;

// The canonical bytes of `record`.
std::string EncodeChangeRecord(const ChangeRecord& record);

// Parses canonical bytes. DATA_LOSS, naming what is wrong, when the bytes are not exactly one
// well-formed record of a known version (trailing bytes are an error).
absl::StatusOr<ChangeRecord> DecodeChangeRecord(absl::string_view bytes);
absl::StatusOr<ChangeRecordView> DecodeChangeRecordView(absl::string_view bytes);

// SHA-256(0x00 || encoded): the record's hash, which the next record carries.
Hash256 ChangeRecordHash(absl::string_view encoded);

}  // namespace credit

#endif  // CREDIT_COMMON_CHANGELOG_CHANGE_RECORD_H_
