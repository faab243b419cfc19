// The value of the subjects family: everything a BASIC status answer needs about one subject, so
// that a lookup is one point read (and a subject on no list, a Bloom-filter miss). Kept in step
// with the entries by the same write batch that records each change.
//
// Layout: big-endian u64 (1 + sequence of the last change naming the subject; 0 for none), then
// per ACTIVE entry, in ascending id order: big-endian u64 id, varint32 length, the entry's status
// part (registry_internal::StatusPart: list, status, dates and measure codes; ~60 bytes where the
// whole entry is ~700). Inactive entries (revoked, repaired) are not kept here. A FULL answer
// reads the entries in force from the entries family by these ids.
#ifndef CREDIT_SERVICE_STORAGE_SUBJECT_RECORD_H_
#define CREDIT_SERVICE_STORAGE_SUBJECT_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace credit {

struct SubjectRecord {
  struct Item {
    uint64_t id = 0;
    std::string entry;  // the entry's status part: a credit.registry.v1.Entry
  };
  std::optional<uint64_t> last_change;
  std::vector<Item> active;  // ascending id

  // Puts `entry_bytes` (a status part) as entry `id` (replacing it), or removes `id` when
  // `entry_bytes` is null.
  void Set(uint64_t id, const std::string* entry_bytes);
  std::string Encode() const;
};

// A decoded view into the stored bytes (which must outlive it).
struct SubjectRecordView {
  struct Item {
    uint64_t id = 0;
    absl::string_view entry;
  };
  std::optional<uint64_t> last_change;
  std::vector<Item> active;
};

absl::StatusOr<SubjectRecordView> DecodeSubjectRecord(absl::string_view bytes);
absl::StatusOr<SubjectRecord> ParseSubjectRecord(absl::string_view bytes);

}  // namespace credit

#endif  // CREDIT_SERVICE_STORAGE_SUBJECT_RECORD_H_
