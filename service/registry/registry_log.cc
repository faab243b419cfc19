// Registry's verifiable log: signed tree heads, inclusion and consistency proofs, point-in-time
// status with its evidence, and the query log.
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/changelog/change_record.h"
#include "common/merkle/tree_head.h"
#include "common/status/status_macros.h"
#include "common/text/date.h"
#include "google/protobuf/util/time_util.h"
#include "service/backup/backup.h"
#include "service/registry/presentation.h"
#include "service/registry/registry.h"
#include "service/registry/registry_internal.h"

namespace credit {

using registry_internal::ParseEntry;

namespace {

absl::Status BackupsOff() {
  return absl::FailedPreconditionError(
      "backups are off: the server configuration names no backup_dir");
}

}  // namespace

absl::StatusOr<v1::GetTreeHeadResponse> Registry::GetTreeHead(
    const v1::GetTreeHeadRequest& request) {
  return log_->TreeHead(request);
}

absl::StatusOr<v1::GetInclusionProofResponse> Registry::GetInclusionProof(
    const v1::GetInclusionProofRequest& request) {
  return log_->InclusionProof(request);
}

absl::StatusOr<v1::GetConsistencyProofResponse> Registry::GetConsistencyProof(
    const v1::GetConsistencyProofRequest& request) {
  return log_->ConsistencyProof(request);
}

v1::GetSigningKeyResponse Registry::GetSigningKey() const { return log_->SigningKeyInfo(); }

absl::StatusOr<v1::GetCreditStatusAtResponse> Registry::GetCreditStatusAt(
    const Caller& caller, const v1::GetCreditStatusAtRequest& request) {
  std::shared_ptr<const ReadView> view = CurrentView();
  const StoreSnapshot* snapshot = view->snapshot.get();
  const v1::SignedTreeHead& latest = view->head;
  ASSIGN_OR_RETURN(v1::SubjectKind kind,
                   ValidateGetCreditStatusAtRequest(request, latest.tree_size()));

  // The tree size the answer stands on, and the moment whose date judges what was in force.
  uint64_t size = 0;
  int64_t moment_micros = 0;
  if (request.at_case() == v1::GetCreditStatusAtRequest::kTreeSize) {
    size = request.tree_size();
    ASSIGN_OR_RETURN(v1::SignedTreeHead head, log_->HeadAt(size, *view));
    moment_micros = head.timestamp_micros();
  } else {
    moment_micros = google::protobuf::util::TimeUtil::TimestampToMicroseconds(request.time());
    // A head is timestamped with its last record and record times never go backwards:
    // binary search for the largest size whose last record is not later than the moment.
    uint64_t low = 0, high = latest.tree_size();
    while (low < high) {
      uint64_t mid = low + (high - low + 1) / 2;
      ASSIGN_OR_RETURN(int64_t time, log_->ChangeTime(mid - 1, snapshot));
      if (time <= moment_micros) {
        low = mid;
      } else {
        high = mid - 1;
      }
    }
    size = low;
  }

  // The last change of each of the subject's entries within the first `size` records.
  std::map<uint64_t, std::pair<uint64_t, v1::Change>> last_change;  // entry id -> (seq, change)
  {
    // The subject's changes within the tree, read first: the bound applies before any record.
    std::vector<uint64_t> sequences;
    bool over = false;
    RETURN_IF_ERROR(
        store_->ScanSubjectChanges(request.subject_code(), 0, snapshot, [&](uint64_t sequence) {
          if (sequence >= size) return false;
          if (sequences.size() == registry_internal::kMaxPointInTimeChanges) {
            over = true;
            return false;
          }
          sequences.push_back(sequence);
          return true;
        }));
    if (over) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "subject_code: the subject has more than ", registry_internal::kMaxPointInTimeChanges,
          " changes in the tree of size ", size,
          ", more than a point-in-time answer reads; an auditor reads them with ListChanges"));
    }
    for (uint64_t sequence : sequences) {
      ASSIGN_OR_RETURN(std::optional<std::string> bytes, store_->GetChange(sequence, snapshot));
      if (!bytes.has_value()) {
        return absl::DataLossError(
            absl::StrCat("subject index names change ", sequence, ", which is not stored"));
      }
      ASSIGN_OR_RETURN(v1::Change change, ChangeFromRecord(sequence, *bytes));
      // A correction that moved the entry to another subject ends its story here. The id is
      // read before the change is moved into the map.
      const uint64_t entry_id = change.entry_after().id();
      last_change.insert_or_assign(entry_id, std::make_pair(sequence, std::move(change)));
    }
  }

  v1::GetCreditStatusAtResponse response;
  // Evidence shows a caller no more of an entry than GetEntry would.
  const bool may_read_entries = Authorize(caller, Rpc::kGetEntry).ok();
  std::vector<v1::Entry> entries;
  for (auto& [id, item] : last_change) {
    uint64_t sequence = item.first;
    v1::Change& change = item.second;
    if (change.entry_after().subject().code() == request.subject_code()) {
      entries.push_back(change.entry_after());
    }
    v1::Evidence* evidence = response.add_evidence();
    ASSIGN_OR_RETURN(std::vector<Hash256> proof, log_->AuditPath(sequence, size, snapshot));
    for (const Hash256& p : proof) evidence->add_inclusion_proof(std::string(AsBytes(p)));
    if (!may_read_entries) ReduceToStatusLevel(&change);
    RedactChange(caller, &change);
    *evidence->mutable_change() = std::move(change);
  }
  std::string date = FormatDate(absl::ToCivilDay(absl::FromUnixMicros(moment_micros), time_zone_));
  BuildStatus(caller, kind, request.subject_code(), std::move(entries), date,
              response.mutable_status());
  ASSIGN_OR_RETURN(*response.mutable_tree_head(), log_->HeadAt(size, *view));
  query_log_->Append(caller, "GetCreditStatusAt", request.purpose(), {request.subject_code()});
  return response;
}

absl::StatusOr<v1::ListQueriesResponse> Registry::ListQueries(
    const v1::ListQueriesRequest& request) {
  return query_log_->List(request);
}

absl::Status Registry::FlushQueryLog() { return query_log_->Flush(); }

absl::StatusOr<v1::CreateBackupResponse> Registry::CreateBackup() {
  if (backup_dir_.empty()) {
    return BackupsOff();
  }
  std::lock_guard backup_lock(backup_mu_);
  std::error_code error;
  std::filesystem::create_directories(backup_dir_, error);
  std::string checkpoint_dir = absl::StrCat(backup_dir_, "/.checkpoint-", getpid());
  std::filesystem::remove_all(checkpoint_dir, error);
  // No mutation between reading the head and linking the checkpoint: the backup holds exactly
  // the log that head signs. Reads go on meanwhile.
  v1::SignedTreeHead head;
  RETURN_IF_ERROR(log_->WithWritesPaused([&](const v1::SignedTreeHead& latest) {
    head = latest;
    return store_->Checkpoint(checkpoint_dir);
  }));
  absl::StatusOr<v1::Backup> backup =
      BackupCheckpoint(checkpoint_dir, backup_dir_, head, log_->PublicKeyPem());
  std::filesystem::remove_all(checkpoint_dir, error);
  if (!backup.ok()) return backup.status();
  v1::CreateBackupResponse response;
  *response.mutable_backup() = *std::move(backup);
  return response;
}

absl::StatusOr<v1::ListBackupsResponse> Registry::ListBackups() {
  if (backup_dir_.empty()) {
    return BackupsOff();
  }
  v1::ListBackupsResponse response;
  absl::StatusOr<std::vector<v1::Backup>> backups = credit::ListBackups(backup_dir_);
  if (backups.status().code() == absl::StatusCode::kNotFound) return response;  // none yet
  if (!backups.ok()) return backups.status();
  for (v1::Backup& b : *backups) *response.add_backups() = std::move(b);
  return response;
}

}  // namespace credit
