// The hash of a query-log record: SHA-256(0x00 || the record serialised deterministically with
// its `hash` field cleared). Each record's previous_hash is its predecessor's hash, so the
// server's writer, the offline verifier and `creditctl querylog verify` all use this one
// definition. Thread-safe.
#ifndef CREDIT_COMMON_QUERYLOG_QUERY_RECORD_HASH_H_
#define CREDIT_COMMON_QUERYLOG_QUERY_RECORD_HASH_H_

#include <array>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "common/crypto/sha256.h"
#include "credit/registry/v1/resources.pb.h"

namespace credit {

Hash256 QueryRecordHash(const registry::v1::QueryRecord& record);

// A record put together from the part its answer's handler serialised and the two fields only
// the log's writer knows, so that the writer chains records without parsing or serialising them
// again. `body` is a QueryRecord holding fields 2 to 6 (time to subject_hashes) serialised
// deterministically; the record is that plus `sequence` (field 1), `previous_hash` (field 7) and
// `unmasked` (field 9, when true). Deterministic serialisation writes fields in the order of
// their numbers, so the sequence's bytes, the body's, the previous hash's and the flag's, one
// after the other, are exactly the whole record's serialisation, and their hash is
// QueryRecordHash's. `body` must outlive this.
class QueryRecordPieces {
 public:
  QueryRecordPieces(uint64_t sequence, absl::string_view body, const Hash256& previous_hash,
                    bool unmasked);

  // The record's bytes, in four pieces (the last empty unless unmasked).
  std::array<absl::string_view, 4> Bytes() const;
  // QueryRecordHash of the record.
  Hash256 Hash() const;

 private:
  char sequence_[11];  // the tag (1 byte) and the varint (up to 10); nothing for 0, like protobuf
  size_t sequence_size_ = 0;
  absl::string_view body_;
  char previous_hash_[34];  // the tag, the length (32) and the hash
  bool unmasked_;
};

}  // namespace credit

#endif  // CREDIT_COMMON_QUERYLOG_QUERY_RECORD_HASH_H_
