#include "service/backup/backup.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "service/storage/backup_engine.h"
#include "service/storage/store.h"
#include "service/verify/store_verifier.h"

namespace credit {
namespace {

v1::Backup FromStored(const StoredBackup& stored) {
  v1::Backup backup;
  // The metadata is our own serialised Backup (head and key); the engine knows the rest.
  backup.ParseFromString(stored.metadata);
  backup.set_backup_id(stored.id);
  *backup.mutable_create_time() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(stored.created_seconds);
  backup.set_size_bytes(stored.size_bytes);
  return backup;
}

}  // namespace

absl::StatusOr<v1::Backup> BackupCheckpoint(const std::string& checkpoint_dir,
                                            const std::string& backup_dir,
                                            const v1::SignedTreeHead& head,
                                            const std::string& public_key_pem) {
  v1::Backup metadata;
  *metadata.mutable_tree_head() = head;
  metadata.set_signing_public_key_pem(public_key_pem);
  ASSIGN_OR_RETURN(StoredBackup stored,
                   BackUpCheckpoint(checkpoint_dir, backup_dir, metadata.SerializeAsString()));
  return FromStored(stored);
}

absl::StatusOr<std::vector<v1::Backup>> ListBackups(const std::string& backup_dir) {
  ASSIGN_OR_RETURN(std::vector<StoredBackup> stored, ListStoredBackups(backup_dir));
  std::vector<v1::Backup> out;
  for (const StoredBackup& b : stored) out.push_back(FromStored(b));
  return out;
}

absl::StatusOr<v1::Backup> RestoreBackup(const std::string& backup_dir, uint32_t backup_id,
                                         const std::string& data_dir,
                                         const std::string& public_key) {
  std::error_code error;
  if (std::filesystem::exists(data_dir) && !std::filesystem::is_empty(data_dir, error)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--data-dir: ", data_dir, " is not empty; want a new folder (a restore never overwrites)"));
  }
  ASSIGN_OR_RETURN(StoredBackup stored, RestoreStoredBackup(backup_dir, backup_id, data_dir));
  v1::Backup backup = FromStored(stored);

  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::OpenReadOnly(data_dir));
  absl::StatusOr<VerifyReport> report = VerifyStore(*store, public_key);
  if (!report.ok()) {
    return absl::DataLossError(
        absl::StrCat("the restored database does not verify: ", report.status().message()));
  }
  if (report->changes != backup.tree_head().tree_size() ||
      absl::string_view(reinterpret_cast<const char*>(report->root.data()), 32) !=
          backup.tree_head().root_hash()) {
    return absl::DataLossError(absl::StrCat("the restored log has ", report->changes,
                                            " changes, the backup's head says ",
                                            backup.tree_head().tree_size(), " (or another root)"));
  }
  return backup;
}

}  // namespace credit
