#include "service/storage/backup_engine.h"

#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "rocksdb/utilities/backup_engine.h"
#include "service/storage/store.h"

namespace credit {
namespace {

StoredBackup FromInfo(const rocksdb::BackupInfo& info) {
  return StoredBackup{info.backup_id, info.timestamp, info.size, info.app_metadata};
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

absl::StatusOr<StoredBackup> BackUpCheckpoint(const std::string& checkpoint_dir,
                                              const std::string& backup_dir,
                                              const std::string& metadata) {
  ASSIGN_OR_RETURN(std::unique_ptr<Store> checkpoint, Store::Open(checkpoint_dir));
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::BackupEngineOptions options(backup_dir);
  options.sync = true;
  RETURN_IF_ERROR(
      FromRocksStatus(rocksdb::BackupEngine::Open(options, rocksdb::Env::Default(), &raw),
                      "opening the backup folder"));
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  rocksdb::CreateBackupOptions create;
  create.flush_before_backup = true;
  rocksdb::BackupID id = 0;
  RETURN_IF_ERROR(FromRocksStatus(
      engine->CreateNewBackupWithMetadata(create, checkpoint->db_.get(), metadata, &id),
      "creating the backup"));
  rocksdb::BackupInfo info;
  RETURN_IF_ERROR(FromRocksStatus(engine->GetBackupInfo(id, &info), "reading the backup"));
  return FromInfo(info);
}

absl::StatusOr<std::vector<StoredBackup>> ListStoredBackups(const std::string& backup_dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::BackupEngineReadOnly> engine,
                   OpenForReading(backup_dir));
  std::vector<rocksdb::BackupInfo> infos;
  engine->GetBackupInfo(&infos);
  std::vector<StoredBackup> out;
  for (const rocksdb::BackupInfo& info : infos) out.push_back(FromInfo(info));
  return out;
}

absl::StatusOr<StoredBackup> RestoreStoredBackup(const std::string& backup_dir, uint32_t id,
                                                 const std::string& data_dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::BackupEngineReadOnly> engine,
                   OpenForReading(backup_dir));
  rocksdb::BackupInfo info;
  rocksdb::Status found =
      id == 0 ? engine->GetLatestBackupInfo(&info) : engine->GetBackupInfo(id, &info);
  if (!found.ok()) {
    return absl::NotFoundError(
        absl::StrCat("backup ", id == 0 ? "latest" : absl::StrCat(id), ": ", found.ToString()));
  }
  rocksdb::IOStatus verified = engine->VerifyBackup(info.backup_id, /*verify_with_checksum=*/true);
  if (!verified.ok()) {
    return absl::DataLossError(
        absl::StrCat("backup ", info.backup_id, " is damaged: ", verified.ToString()));
  }
  RETURN_IF_ERROR(FromRocksStatus(
      engine->RestoreDBFromBackup(rocksdb::RestoreOptions(), info.backup_id, data_dir, data_dir),
      "restoring"));
  return FromInfo(info);
}

}  // namespace credit
