// Registry's audit side: the change log and its proofs, the query log, backups.
#include <algorithm>
#include <filesystem>
#include <limits>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/encoding/big_endian.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "service/backup/backup.h"
#include "service/registry/page_limits.h"
#include "service/registry/page_token.h"
#include "service/registry/presentation.h"
#include "service/registry/registry.h"
#include "service/registry/registry_internal.h"

namespace credit {

using registry_internal::Distinct;
using registry_internal::PositionAsU64;

namespace {

absl::Status BackupsOff() {
  return absl::FailedPreconditionError(
      "backups are off: the server configuration names no backup_dir");
}

}  // namespace

absl::StatusOr<v1::ListChangesResponse> Registry::ListChanges(
    const Caller& caller, const v1::ListChangesRequest& request) {
  RETURN_IF_ERROR(ValidateListChangesRequest(request));
  const int page_size = PageSizeOf(request.page_size());
  const std::string& subject = request.subject_code();
  int64_t start_micros = std::numeric_limits<int64_t>::min();
  int64_t end_micros = std::numeric_limits<int64_t>::max();
  if (request.has_start_time()) {
    start_micros = google::protobuf::util::TimeUtil::TimestampToMicroseconds(request.start_time());
  }
  if (request.has_end_time()) {
    end_micros = google::protobuf::util::TimeUtil::TimestampToMicroseconds(request.end_time());
  }
  uint64_t fingerprint = FilterFingerprint(request);
  ASSIGN_OR_RETURN(std::string position, page_tokens_->Decode(request.page_token(), fingerprint));
  ASSIGN_OR_RETURN(uint64_t next, PositionAsU64(position));
  next = std::max(next, request.from_sequence());

  auto snapshot = store_->Snapshot();
  v1::ListChangesResponse response;
  PageLimits limits(page_size);
  absl::Status status;
  std::vector<std::string> codes;  // the subjects of the changes taken
  // Takes change `sequence` (its bytes when the scan has them) into the page; false when the
  // page ends.
  auto take = [&](uint64_t sequence, std::optional<absl::string_view> stored) {
    if (!limits.Examine(response.changes_size())) {
      response.set_next_page_token(page_tokens_->Encode(fingerprint, BigEndian64(sequence)));
      return false;
    }
    absl::StatusOr<v1::Change> change = [&]() -> absl::StatusOr<v1::Change> {
      if (stored.has_value()) return ChangeFromRecord(sequence, *stored);
      ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                       store_->GetChange(sequence, snapshot.get()));
      if (!bytes.has_value()) {
        return absl::DataLossError(
            absl::StrCat("subject index names change ", sequence, ", which is not stored"));
      }
      return ChangeFromRecord(sequence, *bytes);
    }();
    if (!change.ok()) {
      status = change.status();
      return false;
    }
    int64_t micros = google::protobuf::util::TimeUtil::TimestampToMicroseconds(change->time());
    if ((!request.actor_identity().empty() &&
         change->actor().identity() != request.actor_identity()) ||
        micros < start_micros || micros >= end_micros) {
      return true;
    }
    std::vector<std::string> named;  // before masking: the query log hashes them
    if (change->has_entry_after()) named.push_back(change->entry_after().subject().code());
    if (change->has_entry_before()) named.push_back(change->entry_before().subject().code());
    RedactChange(caller, &*change);
    if (!limits.Fits(response.changes_size(), change->ByteSizeLong())) {
      response.set_next_page_token(page_tokens_->Encode(fingerprint, BigEndian64(sequence)));
      return false;
    }
    *response.add_changes() = *std::move(change);
    for (std::string& code : named) codes.push_back(std::move(code));
    return true;
  };
  RETURN_IF_ERROR(
      subject.empty()
          ? store_->ScanChanges(
                next, snapshot.get(),
                [&](uint64_t sequence, absl::string_view bytes) { return take(sequence, bytes); })
          : store_->ScanSubjectChanges(subject, next, snapshot.get(), [&](uint64_t sequence) {
              return take(sequence, std::nullopt);
            }));
  RETURN_IF_ERROR(status);
  std::vector<absl::string_view> seen = Distinct(codes);
  query_log_->Append(caller, "ListChanges", "", seen, ShowsPersonInClear(caller, seen));
  return response;
}

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

absl::StatusOr<v1::ListQueriesResponse> Registry::ListQueries(
    const v1::ListQueriesRequest& request) {
  return query_log_->List(request);
}

absl::StatusOr<v1::GetQueryTreeHeadResponse> Registry::GetQueryTreeHead(
    const v1::GetQueryTreeHeadRequest& request) const {
  return query_log_->TreeHead(request);
}

absl::StatusOr<v1::GetQueryInclusionProofResponse> Registry::GetQueryInclusionProof(
    const v1::GetQueryInclusionProofRequest& request) const {
  return query_log_->InclusionProof(request);
}

absl::StatusOr<v1::GetQueryConsistencyProofResponse> Registry::GetQueryConsistencyProof(
    const v1::GetQueryConsistencyProofRequest& request) const {
  return query_log_->ConsistencyProof(request);
}

absl::Status Registry::FlushQueryLog() { return query_log_->Flush(); }

uint64_t Registry::QueryLogBacklog() const { return query_log_->Backlog(); }

Store::Figures Registry::StoreFigures() const { return store_->ReadFigures(); }

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
