// Registry's change stream: the change log from a sequence on, then live, in batches that each
// end with a signed head.
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "service/registry/presentation.h"
#include "service/registry/registry.h"

namespace credit {
namespace {

constexpr int kMaxBatchChanges = 1000;
constexpr size_t kMaxBatchBytes = 1 << 20;
// How often a stream waiting for changes looks whether it should stop.
constexpr absl::Duration kStopCheck = absl::Seconds(1);

}  // namespace

absl::Status Registry::WatchChanges(const Caller& caller, const v1::WatchChangesRequest& request,
                                    absl::FunctionRef<bool(const v1::WatchChangesResponse&)> send,
                                    absl::FunctionRef<bool()> stopped) {
  uint64_t next = request.from_sequence();
  v1::WatchChangesResponse batch;
  {
    std::shared_ptr<const ReadView> view = CurrentView();
    const uint64_t size = view->head.tree_size();
    if (next > size) {
      return absl::InvalidArgumentError(
          absl::StrCat("from_sequence: got ", next, ", want at most the log's size ", size));
    }
    if (next > 0) {
      ASSIGN_OR_RETURN(std::vector<Hash256> frontier, log_->Frontier(next, view->snapshot.get()));
      for (const Hash256& root : frontier) batch.add_start_frontier(std::string(AsBytes(root)));
      ASSIGN_OR_RETURN(*batch.mutable_start_head(), log_->HeadAt(next, *view));
    }
  }
  // The stream carries persons' numbers in clear to a caller who may unmask.
  query_log_->Append(caller, "WatchChanges", "", {}, caller.can_unmask);
  const bool whole = MayReadFacts(caller);
  while (!stopped()) {
    std::shared_ptr<const ReadView> view = CurrentView();
    const uint64_t size = view->head.tree_size();
    if (next >= size) {
      log_->AwaitGrowth(size, kStopCheck);
      continue;
    }
    size_t bytes = 0;
    absl::Status status;
    RETURN_IF_ERROR(store_->ScanChanges(
        next, view->snapshot.get(), [&](uint64_t sequence, absl::string_view stored) {
          if (sequence >= size || batch.changes_size() == kMaxBatchChanges ||
              bytes >= kMaxBatchBytes) {
            return false;
          }
          if (sequence != next + batch.changes_size()) {
            status = absl::DataLossError(
                absl::StrCat("change ", next + batch.changes_size(), " is not stored"));
            return false;
          }
          absl::StatusOr<v1::Change> change = ChangeFromRecord(sequence, stored);
          if (!change.ok()) {
            status = change.status();
            return false;
          }
          if (!whole) ReduceToStatusLevel(&*change);
          RedactChange(caller, &*change);
          bytes += change->ByteSizeLong();
          *batch.add_changes() = *std::move(change);
          return true;
        }));
    RETURN_IF_ERROR(status);
    if (batch.changes_size() == 0) {
      return absl::DataLossError(absl::StrCat("change ", next, " is not stored"));
    }
    next += batch.changes_size();
    ASSIGN_OR_RETURN(*batch.mutable_tree_head(), log_->HeadAt(next, *view));
    if (!send(batch)) return absl::OkStatus();  // the consumer went away
    batch.Clear();
  }
  return absl::OkStatus();
}

}  // namespace credit
