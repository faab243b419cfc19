// Schema migrations run at open, before the service answers: a folder written by an earlier
// version is brought to this version's layout of its derived families. The change log and the
// entries are never rewritten. Each migration is marked done in the meta family in the same
// write as its last step, and starts over after a crash that interrupted it.
// Not thread-safe: run them before anything else uses the store.
#ifndef CREDIT_SERVICE_STORAGE_MIGRATIONS_H_
#define CREDIT_SERVICE_STORAGE_MIGRATIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/storage/store.h"

namespace credit {

// What the subject record keeps of one stored entry: its subject code and status part, or
// nullopt for an entry no record keeps (not ACTIVE). DATA_LOSS when the entry does not parse.
using StatusPartOf =
    absl::FunctionRef<absl::StatusOr<std::optional<std::pair<std::string, std::string>>>(
        uint64_t id, absl::string_view entry)>;

// Builds the subjects family afresh from the entries and the subject change index when it is not
// marked as built in the current format (subject_record.h), in chunks of about `chunk_bytes` so
// that memory stays bounded at any size.
absl::Status BuildSubjectRecords(Store& store, size_t chunk_bytes, StatusPartOf status_part);

// What the procedure's indexes keep of one stored entry: the day its next time-driven transition
// falls due (empty: none), and the decision row it holds (empty: none, the entry has ended).
struct ProcedureIndexing {
  std::string due_date;
  Row decision;
};
using ProcedureIndexingOf =
    absl::FunctionRef<absl::StatusOr<ProcedureIndexing>(uint64_t id, absl::string_view entry)>;

// Builds the deadline and decision indexes from the entries when they are not marked as built
// (folders from before the listing procedure), in writes of about `chunk_bytes`. Where two
// entries hold one decision, the first keeps it.
absl::Status BuildProcedureIndexes(Store& store, size_t chunk_bytes, ProcedureIndexingOf of);

// The name index's row of one stored entry: its subject's folded name, code and name as
// recorded; nullopt when it has no name to index.
struct NameRow {
  std::string folded;
  std::string code;
  std::string name;
};
using NameRowOf =
    absl::FunctionRef<absl::StatusOr<std::optional<NameRow>>(uint64_t id, absl::string_view entry)>;

// Builds the name index from the entries when it is not marked as built (folders from before
// name search), in writes of about `chunk_bytes`.
absl::Status BuildNameIndex(Store& store, size_t chunk_bytes, NameRowOf of);

// Drops the Merkle nodes a folder holds between the leaves and kLowestStoredUpperTreeLevel
// (stored by versions that kept every level; nothing reads them), with one range deletion.
absl::Status DropHashedTreeLevels(Store& store);

}  // namespace credit

#endif  // CREDIT_SERVICE_STORAGE_MIGRATIONS_H_
