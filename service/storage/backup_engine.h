// Backups of the database at the storage level: RocksDB's BackupEngine over a checkpoint (a
// consistent, hard-linked copy of the live database), every file checksummed; what a backup
// means for the registry (its head, its key, its verification) is service/backup's.
// Free functions; each opens the backup folder for the call. Two calls on one backup folder at
// once must not both write (CreateBackup serialises them).
#ifndef CREDIT_SERVICE_STORAGE_BACKUP_ENGINE_H_
#define CREDIT_SERVICE_STORAGE_BACKUP_ENGINE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace credit {

// One backup in a backup folder.
struct StoredBackup {
  uint32_t id = 0;
  int64_t created_seconds = 0;  // since 1970-01-01T00:00:00Z
  uint64_t size_bytes = 0;
  std::string metadata;  // what the caller gave when it was made
};

// Backs up the database in `checkpoint_dir` (a checkpoint made by Store::Checkpoint, not a live
// database) into `backup_dir` (created when absent), with `metadata`; synced.
absl::StatusOr<StoredBackup> BackUpCheckpoint(const std::string& checkpoint_dir,
                                              const std::string& backup_dir,
                                              const std::string& metadata);

// The good backups in `backup_dir`, oldest first. NOT_FOUND when there is no backup folder.
absl::StatusOr<std::vector<StoredBackup>> ListStoredBackups(const std::string& backup_dir);

// Restores backup `id` (0: the latest) into `data_dir` after checking every file's checksum:
// NOT_FOUND when there is no such backup, DATA_LOSS naming the damage. `data_dir` must not hold
// anything (the caller checks).
absl::StatusOr<StoredBackup> RestoreStoredBackup(const std::string& backup_dir, uint32_t id,
                                                 const std::string& data_dir);

}  // namespace credit

#endif  // CREDIT_SERVICE_STORAGE_BACKUP_ENGINE_H_
