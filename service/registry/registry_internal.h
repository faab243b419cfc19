// Helpers shared by the files that define Registry (registry*.cc). Not part of any API.
#ifndef CREDIT_SERVICE_REGISTRY_REGISTRY_INTERNAL_H_
#define CREDIT_SERVICE_REGISTRY_REGISTRY_INTERNAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "credit/registry/v1/resources.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

namespace credit::registry_internal {

namespace v1 = ::credit::registry::v1;

// A point-in-time answer reads at most this many of its subject's changes (and so builds at most
// this many inclusion proofs): one call of any role must not read a subject's whole history.
inline constexpr int kMaxPointInTimeChanges = 1000;

google::protobuf::Timestamp ToTimestamp(absl::Time t);
// In force by its state (procedure::StateInForce), and `date` within [effective_date,
// expiry_date].
bool InForce(const v1::Entry& entry, absl::string_view date);
// The decision `entry` holds (Store::DecisionRow).
std::string DecisionRowOf(const v1::Entry& entry);
// `status` with "list_field[index]" and `separator` put before its message.
absl::Status InPlace(absl::Status status, absl::string_view list_field, int index,
                     absl::string_view separator = ".");
// Copies the input fields of `in` over `out` (inferring the subject kind), leaving out's
// output-only fields.
void CopyInputFields(const v1::Entry& in, v1::Entry* out);
absl::StatusOr<v1::Entry> ParseEntry(absl::string_view bytes, uint64_t id);
// What a BASIC status answer needs of `entry`, as deterministic Entry bytes: list, status,
// effective and expiry dates, measure codes. The subjects family keeps this per entry whose state
// puts it in force (ACTIVE, or OBJECTED keeping its measures).
std::string StatusPart(const v1::Entry& entry);
// A status part as a BASIC answer reads it: in place, the texts pointing into the part's bytes,
// no Entry built (parsing each into an Entry was a quarter of the CPU a batch spends on its
// answers).
struct StatusPartView {
  uint64_t id = 0;
  v1::ListKind list = v1::LIST_KIND_UNSPECIFIED;
  v1::EntryStatus status = v1::ENTRY_STATUS_UNSPECIFIED;
  absl::string_view effective_date;
  absl::string_view expiry_date;
  absl::InlinedVector<absl::string_view, 4> measure_codes;
};
// Reads the part of entry `id` as protobuf reads an Entry from the same bytes: the last value of
// a field given twice wins, measure codes accumulate, a text that is not UTF-8 is refused. Fields
// a part never holds are skipped, not parsed. DATA_LOSS as ParseEntry's when the bytes do not
// parse. `*part` points into `bytes`.
absl::Status ReadStatusPart(absl::string_view bytes, uint64_t id, StatusPartView* part);
bool InForce(const StatusPartView& part, absl::string_view date);
// Whether a status part in `status` is in force between its dates: ACTIVE, or OBJECTED (a part
// is kept for an objected entry only while its objection keeps the measures).
inline bool PartStateInForce(v1::EntryStatus status) {
  return status == v1::ENTRY_STATUS_ACTIVE || status == v1::ENTRY_STATUS_OBJECTED;
}
absl::Status NoSuchEntry(uint64_t id);
// The distinct strings of `items`, in the order they first appear (views into `items`).
std::vector<absl::string_view> Distinct(const std::vector<std::string>& items);
// A page-token position holding a big-endian integer (empty: 0).
absl::StatusOr<uint64_t> PositionAsU64(absl::string_view position);

}  // namespace credit::registry_internal

#endif  // CREDIT_SERVICE_REGISTRY_REGISTRY_INTERNAL_H_
