// Backups of the registry database with RocksDB's BackupEngine: made from a checkpoint (a
// consistent, hard-linked copy of the live database), checksummed file by file, each carrying
// the latest signed tree head it contains; restored only after its checksums verify, and then
// verified like a live store.
#ifndef CREDIT_SERVICE_BACKUP_BACKUP_H_
#define CREDIT_SERVICE_BACKUP_BACKUP_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "credit/registry/v1/resources.pb.h"

namespace credit {

namespace v1 = ::credit::registry::v1;

// Backs up the database in `checkpoint_dir` (a checkpoint, not a live database) into
// `backup_dir`, recording `head` (the latest head in the checkpoint) and the public key.
absl::StatusOr<v1::Backup> BackupCheckpoint(const std::string& checkpoint_dir,
                                            const std::string& backup_dir,
                                            const v1::SignedTreeHead& head,
                                            const std::string& public_key_pem);

// The good backups in `backup_dir`, oldest first. NOT_FOUND when there is no backup folder.
absl::StatusOr<std::vector<v1::Backup>> ListBackups(const std::string& backup_dir);

// Restores backup `backup_id` (0: the latest) into `data_dir`, which must not exist or be empty.
// Checks every file's checksum first (DATA_LOSS naming the damage), then verifies the restored
// database (offline verifier) and that its latest head is the backup's. Returns the backup.
absl::StatusOr<v1::Backup> RestoreBackup(const std::string& backup_dir, uint32_t backup_id,
                                         const std::string& data_dir,
                                         const std::string& public_key);

}  // namespace credit

#endif  // CREDIT_SERVICE_BACKUP_BACKUP_H_
