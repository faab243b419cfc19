// FaultFileSystem: a RocksDB FileSystem over the real one that can cut the power, fill the disk
// or make it read-only, for the power-cut and disk-failure tests.
//
// The model of a power cut: after CutPower() nothing more reaches the disk (every write, sync,
// rename or delete fails), and DropUnsyncedData() then truncates each file written through this
// file system to the length it had at its last Sync/Fsync — what a disk keeps of a file whose
// later bytes were still in the page cache. (Directory entries are taken to be durable once made;
// RocksDB syncs its directories too, so the model only errs on the side of keeping a file.)
// Thread-safe.
#ifndef CREDIT_TESTS_SUPPORT_FAULT_FILE_SYSTEM_H_
#define CREDIT_TESTS_SUPPORT_FAULT_FILE_SYSTEM_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace credit::testing {

class FaultFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultFileSystem();
  const char* Name() const override { return "FaultFileSystem"; }

  // An Env that does all its file work through this file system.
  std::shared_ptr<rocksdb::Env> NewEnv();

  void CutPower();
  // Cuts the power when the `n`th Sync or Fsync from now (n >= 1) is asked for: that sync fails,
  // so the bytes appended before it are never synced — the moment a synced write is most exposed.
  void CutPowerAtSync(int n);
  // Truncates every file to its last synced length. Call after CutPower() and closing the DB.
  // Returns how many bytes were dropped.
  uint64_t DropUnsyncedData();
  // While set, appends fail with NoSpace (disk full) / IOError (read-only disk).
  void SetNoSpace(bool on);
  void SetReadOnly(bool on);

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& from, const std::string& to,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& name, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;

  // Called by the files: whether a write may happen now (and why not).
  rocksdb::IOStatus CheckWrite() const;
  rocksdb::IOStatus CheckPower() const;
  // CheckPower() for a Sync or Fsync, which may be the one CutPowerAtSync() waits for.
  rocksdb::IOStatus CheckSync();
  void Appended(const std::string& name, uint64_t bytes);
  void Synced(const std::string& name);

 private:
  struct FileState {
    uint64_t size = 0;
    uint64_t synced = 0;
  };
  rocksdb::IOStatus Wrap(const std::string& name, uint64_t size, rocksdb::IOStatus status,
                         std::unique_ptr<rocksdb::FSWritableFile>* result);

  mutable std::mutex mu_;
  std::map<std::string, FileState> files_;
  bool power_off_ = false;
  int syncs_until_cut_ = 0;  // 0: no cut pending
  bool no_space_ = false;
  bool read_only_ = false;
};

}  // namespace credit::testing

#endif  // CREDIT_TESTS_SUPPORT_FAULT_FILE_SYSTEM_H_
