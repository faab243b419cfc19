#include "service/backup/backup.h"

#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "rocksdb/utilities/backup_engine.h"
#include "service/storage/keys.h"
#include "service/storage/store.h"
#include "service/verify/store_verifier.h"

namespace credit {
namespace {

v1::Backup FromInfo(const rocksdb::BackupInfo& info) {
  v1::Backup backup;
  // The metadata is our own serialised Backup (head and key); the engine knows the rest.
  backup.ParseFromString(info.app_metadata);
  backup.set_backup_id(info.backup_id);
  *backup.mutable_create_time() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(info.timestamp);
  backup.set_size_bytes(info.size);
  return backup;
}

absl::StatusOr<std::unique_ptr<rocksdb::BackupEngineReadOnly>> OpenForReading(
    const std::string& backup_dir) {
  if (!std::filesystem::exists(backup_dir)) {
    return absl::NotFoundError(absl::StrCat(backup_dir, ": no backup folder"));
  }
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  RETURN_IF_ERROR(
      FromRocksStatus(rocksdb::BackupEngineReadOnly::Open(rocksdb::BackupEngineOptions(backup_dir),
                                                          rocksdb::Env::Default(), &raw),
                      "opening the backup folder"));
  return std::unique_ptr<rocksdb::BackupEngineReadOnly>(raw);
}

}  // namespace

absl::StatusOr<v1::Backup> BackupCheckpoint(const std::string& checkpoint_dir,
                                            const std::string& backup_dir,
                                            const v1::SignedTreeHead& head,
                                            const std::string& public_key_pem) {
  ASSIGN_OR_RETURN(std::unique_ptr<Store> checkpoint, Store::Open(checkpoint_dir));
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::BackupEngineOptions options(backup_dir);
  options.sync = true;
  RETURN_IF_ERROR(
      FromRocksStatus(rocksdb::BackupEngine::Open(options, rocksdb::Env::Default(), &raw),
                      "opening the backup folder"));
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  v1::Backup metadata;
  *metadata.mutable_tree_head() = head;
  metadata.set_signing_public_key_pem(public_key_pem);
  rocksdb::CreateBackupOptions create;
  create.flush_before_backup = true;
  rocksdb::BackupID id = 0;
  RETURN_IF_ERROR(FromRocksStatus(engine->CreateNewBackupWithMetadata(
                                      create, checkpoint->db(), metadata.SerializeAsString(), &id),
                                  "creating the backup"));
  rocksdb::BackupInfo info;
  RETURN_IF_ERROR(FromRocksStatus(engine->GetBackupInfo(id, &info), "reading the backup"));
  return FromInfo(info);
}

absl::StatusOr<std::vector<v1::Backup>> ListBackups(const std::string& backup_dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::BackupEngineReadOnly> engine,
                   OpenForReading(backup_dir));
  std::vector<rocksdb::BackupInfo> infos;
  engine->GetBackupInfo(&infos);
  std::vector<v1::Backup> out;
  for (const rocksdb::BackupInfo& info : infos) out.push_back(FromInfo(info));
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
  ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::BackupEngineReadOnly> engine,
                   OpenForReading(backup_dir));
  rocksdb::BackupInfo info;
  rocksdb::Status found =
      backup_id == 0 ? engine->GetLatestBackupInfo(&info) : engine->GetBackupInfo(backup_id, &info);
  if (!found.ok()) {
    return absl::NotFoundError(absl::StrCat(
        "backup ", backup_id == 0 ? "latest" : absl::StrCat(backup_id), ": ", found.ToString()));
  }
  rocksdb::IOStatus verified = engine->VerifyBackup(info.backup_id, /*verify_with_checksum=*/true);
  if (!verified.ok()) {
    return absl::DataLossError(
        absl::StrCat("backup ", info.backup_id, " is damaged: ", verified.ToString()));
  }
  RETURN_IF_ERROR(FromRocksStatus(
      engine->RestoreDBFromBackup(rocksdb::RestoreOptions(), info.backup_id, data_dir, data_dir),
      "restoring"));
  v1::Backup backup = FromInfo(info);

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
