#include "tests/support/fault_file_system.h"

#include <unistd.h>

namespace credit::testing {
namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

class FaultWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWritableFile(std::unique_ptr<rocksdb::FSWritableFile> target, FaultFileSystem* fs,
                    std::string name)
      : FSWritableFileOwnerWrapper(std::move(target)), fs_(fs), name_(std::move(name)) {}

  IOStatus Append(const Slice& data, const IOOptions& options, IODebugContext* dbg) override {
    if (IOStatus s = fs_->CheckWrite(); !s.ok()) return s;
    IOStatus s = target()->Append(data, options, dbg);
    if (s.ok()) fs_->Appended(name_, data.size());
    return s;
  }
  IOStatus Append(const Slice& data, const IOOptions& options, const rocksdb::DataVerificationInfo&,
                  IODebugContext* dbg) override {
    return Append(data, options, dbg);
  }
  IOStatus PositionedAppend(const Slice&, uint64_t, const IOOptions&, IODebugContext*) override {
    return IOStatus::NotSupported("positioned appends (direct I/O) are not modelled");
  }
  IOStatus PositionedAppend(const Slice&, uint64_t, const IOOptions&,
                            const rocksdb::DataVerificationInfo&, IODebugContext*) override {
    return IOStatus::NotSupported("positioned appends (direct I/O) are not modelled");
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    if (IOStatus s = fs_->CheckSync(); !s.ok()) return s;
    IOStatus s = target()->Sync(options, dbg);
    if (s.ok()) fs_->Synced(name_);
    return s;
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    if (IOStatus s = fs_->CheckSync(); !s.ok()) return s;
    IOStatus s = target()->Fsync(options, dbg);
    if (s.ok()) fs_->Synced(name_);
    return s;
  }
  IOStatus Truncate(uint64_t size, const IOOptions& options, IODebugContext* dbg) override {
    if (IOStatus s = fs_->CheckPower(); !s.ok()) return s;
    return target()->Truncate(size, options, dbg);
  }

 private:
  FaultFileSystem* fs_;
  std::string name_;
};

}  // namespace

FaultFileSystem::FaultFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

std::shared_ptr<rocksdb::Env> FaultFileSystem::NewEnv() {
  std::shared_ptr<rocksdb::FileSystem> self(this, [](rocksdb::FileSystem*) {});
  return rocksdb::NewCompositeEnv(self);
}

void FaultFileSystem::CutPower() {
  std::lock_guard lock(mu_);
  power_off_ = true;
}

void FaultFileSystem::CutPowerAtSync(int n) {
  std::lock_guard lock(mu_);
  syncs_until_cut_ = n;
}

void FaultFileSystem::SetNoSpace(bool on) {
  std::lock_guard lock(mu_);
  no_space_ = on;
}

void FaultFileSystem::SetReadOnly(bool on) {
  std::lock_guard lock(mu_);
  read_only_ = on;
}

uint64_t FaultFileSystem::DropUnsyncedData() {
  std::lock_guard lock(mu_);
  uint64_t dropped = 0;
  for (auto& [name, state] : files_) {
    if (state.size > state.synced && truncate(name.c_str(), state.synced) == 0) {
      dropped += state.size - state.synced;
      state.size = state.synced;
    }
  }
  return dropped;
}

IOStatus FaultFileSystem::CheckPower() const {
  std::lock_guard lock(mu_);
  return power_off_ ? IOStatus::IOError("the power is off") : IOStatus::OK();
}

IOStatus FaultFileSystem::CheckSync() {
  std::lock_guard lock(mu_);
  if (syncs_until_cut_ > 0 && --syncs_until_cut_ == 0) power_off_ = true;
  return power_off_ ? IOStatus::IOError("the power is off") : IOStatus::OK();
}

IOStatus FaultFileSystem::CheckWrite() const {
  std::lock_guard lock(mu_);
  if (power_off_) return IOStatus::IOError("the power is off");
  if (no_space_) return IOStatus::NoSpace("the disk is full");
  if (read_only_) return IOStatus::IOError("read-only file system");
  return IOStatus::OK();
}

void FaultFileSystem::Appended(const std::string& name, uint64_t bytes) {
  std::lock_guard lock(mu_);
  files_[name].size += bytes;
}

void FaultFileSystem::Synced(const std::string& name) {
  std::lock_guard lock(mu_);
  FileState& state = files_[name];
  state.synced = state.size;
}

IOStatus FaultFileSystem::Wrap(const std::string& name, uint64_t size, IOStatus status,
                               std::unique_ptr<rocksdb::FSWritableFile>* result) {
  if (!status.ok()) return status;
  {
    std::lock_guard lock(mu_);
    files_[name] = FileState{size, size};
  }
  *result = std::make_unique<FaultWritableFile>(std::move(*result), this, name);
  return status;
}

IOStatus FaultFileSystem::NewWritableFile(const std::string& name,
                                          const rocksdb::FileOptions& options,
                                          std::unique_ptr<rocksdb::FSWritableFile>* result,
                                          IODebugContext* dbg) {
  if (IOStatus s = CheckPower(); !s.ok()) return s;
  return Wrap(name, 0, target()->NewWritableFile(name, options, result, dbg), result);
}

IOStatus FaultFileSystem::ReopenWritableFile(const std::string& name,
                                             const rocksdb::FileOptions& options,
                                             std::unique_ptr<rocksdb::FSWritableFile>* result,
                                             IODebugContext* dbg) {
  if (IOStatus s = CheckPower(); !s.ok()) return s;
  uint64_t size = 0;
  target()->GetFileSize(name, IOOptions(), &size, dbg).PermitUncheckedError();
  return Wrap(name, size, target()->ReopenWritableFile(name, options, result, dbg), result);
}

IOStatus FaultFileSystem::RenameFile(const std::string& from, const std::string& to,
                                     const IOOptions& options, IODebugContext* dbg) {
  if (IOStatus s = CheckPower(); !s.ok()) return s;
  IOStatus s = target()->RenameFile(from, to, options, dbg);
  if (s.ok()) {
    std::lock_guard lock(mu_);
    auto it = files_.find(from);
    if (it != files_.end()) {
      files_[to] = it->second;
      files_.erase(it);
    }
  }
  return s;
}

IOStatus FaultFileSystem::DeleteFile(const std::string& name, const IOOptions& options,
                                     IODebugContext* dbg) {
  if (IOStatus s = CheckPower(); !s.ok()) return s;
  IOStatus s = target()->DeleteFile(name, options, dbg);
  if (s.ok()) {
    std::lock_guard lock(mu_);
    files_.erase(name);
  }
  return s;
}

}  // namespace credit::testing
