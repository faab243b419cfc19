// The status index saved at a clean stop and loaded at the next start (status_index.h).
//
// The file, integers in the machine's byte order (little-endian):
//   "CRSTIX02"
//   u64 the store's last sequence number, u64 tree size, 32 bytes root hash   (the stamp)
//   u64 shards, u64 chunks, u64 bytes used in the last chunk, u64 live bytes, u64 dead bytes
//   u64 measure codes, then each: u32 length, the code
//   u64 codes read from storage, then each: u32 length, the code
//   each shard: u64 slots, u64 used slots, the slots as they lie in memory (16 bytes each)
//   the chunks (each whole but the last, which has its used bytes)
//   32 bytes: SHA-256 of everything above
#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"
#include "service/events/event_log.h"
#include "service/registry/status_index.h"

namespace credit {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the status index file is written in the machine's byte order");

constexpr absl::string_view kMagic = "CRSTIX02";
// Reads and writes go by this much at most (the hash runs over what the kernel just copied).
constexpr size_t kPieceBytes = size_t{8} << 20;

std::string ErrnoText() { return std::strerror(errno); }

// Writes through a buffer, hashing everything written.
class Writer {
 public:
  Writer(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  void Bytes(const void* data, size_t size) {
    if (!status_.ok()) return;
    const auto* p = static_cast<const char*>(data);
    hash_.Update(absl::string_view(p, size));
    while (size > 0) {
      const ssize_t n = write(fd_, p, std::min(size, kPieceBytes));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        status_ = absl::InternalError(absl::StrCat("cannot write ", path_, ": ", ErrnoText()));
        return;
      }
      p += n;
      size -= static_cast<size_t>(n);
    }
  }
  void U64(uint64_t v) { Bytes(&v, sizeof v); }
  void Text(absl::string_view text) {
    const auto length = static_cast<uint32_t>(text.size());
    Bytes(&length, sizeof length);
    Bytes(text.data(), text.size());
  }
  void Finish() {
    const Hash256 hash = hash_.Finish();
    Bytes(hash.data(), hash.size());
  }
  const absl::Status& status() const { return status_; }

 private:
  int fd_;
  std::string path_;
  Sha256Stream hash_;
  absl::Status status_;
};

// Reads exactly what is asked, hashing it; a short file is DATA_LOSS.
class Reader {
 public:
  Reader(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  bool Bytes(void* data, size_t size) {
    if (!status_.ok()) return false;
    auto* p = static_cast<char*>(data);
    while (size > 0) {
      const ssize_t n = read(fd_, p, std::min(size, kPieceBytes));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status_ = absl::InternalError(absl::StrCat("cannot read ", path_, ": ", ErrnoText()));
        return false;
      }
      if (n == 0) return Damaged("it ends early");
      hash_.Update(absl::string_view(p, static_cast<size_t>(n)));
      p += n;
      size -= static_cast<size_t>(n);
    }
    return true;
  }
  bool U64(uint64_t* v) { return Bytes(v, sizeof *v); }
  // A count of things of at least `least_bytes` each: no more than the file could hold.
  bool Count(uint64_t* v, uint64_t least_bytes, uint64_t file_bytes) {
    return U64(v) && (*v <= file_bytes / least_bytes || Damaged("a count exceeds the file"));
  }
  bool Text(std::string* text) {
    uint32_t length = 0;
    if (!Bytes(&length, sizeof length)) return false;
    if (length > 4096) return Damaged("a code is too long");
    text->resize(length);
    return Bytes(text->data(), length);
  }
  // Whether the hash stored next matches what was read, and nothing follows it.
  bool CheckHash() {
    const Hash256 computed = hash_.Finish();
    Hash256 stored{};
    if (!Bytes(stored.data(), stored.size())) return false;
    if (stored != computed) return Damaged("its SHA-256 does not match its contents");
    char extra;
    if (read(fd_, &extra, 1) != 0) return Damaged("bytes follow its hash");
    return true;
  }
  bool Damaged(absl::string_view why) {
    if (status_.ok()) status_ = absl::DataLossError(absl::StrCat(path_, " is damaged: ", why));
    return false;
  }
  const absl::Status& status() const { return status_; }

 private:
  int fd_;
  std::string path_;
  Sha256Stream hash_;
  absl::Status status_;
};

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

absl::Status StatusIndex::Save(const std::string& path, uint64_t sequence) const {
  absl::ReaderMutexLock lock(&mu_);
  if (!ready_) return absl::FailedPreconditionError("the status index is not filled");
  const std::string tmp = path + ".tmp";
  Fd file{open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
  if (file.fd < 0) {
    return absl::InternalError(absl::StrCat("cannot write ", tmp, ": ", ErrnoText()));
  }
  Writer out(file.fd, tmp);
  out.Bytes(kMagic.data(), kMagic.size());
  out.U64(sequence);
  out.U64(view_->head.tree_size());
  std::string root = view_->head.root_hash();
  root.resize(32);
  out.Bytes(root.data(), root.size());
  out.U64(shards_.size());
  out.U64(chunks_.size());
  out.U64(chunk_end_);
  out.U64(live_bytes_);
  out.U64(dead_bytes_);
  out.U64(measure_codes_.size());
  for (const std::string& code : measure_codes_) out.Text(code);
  out.U64(unpacked_codes_.size());
  for (const std::string& code : unpacked_codes_) out.Text(code);
  for (const Shard& shard : shards_) {
    out.U64(shard.size);
    out.U64(shard.used);
    out.Bytes(shard.slots(), shard.size * sizeof(Slot));
  }
  for (size_t i = 0; i < chunks_.size(); ++i) {
    out.Bytes(chunks_[i].data(), i + 1 == chunks_.size() ? chunk_end_ : kChunkBytes);
  }
  out.Finish();
  absl::Status status = out.status();
  if (status.ok() && fsync(file.fd) != 0) {
    status = absl::InternalError(absl::StrCat("cannot sync ", tmp, ": ", ErrnoText()));
  }
  if (status.ok() && rename(tmp.c_str(), path.c_str()) != 0) {
    status = absl::InternalError(absl::StrCat("cannot rename ", tmp, ": ", ErrnoText()));
  }
  if (!status.ok()) {
    unlink(tmp.c_str());
    return status;
  }
  // The rename itself reaches the disk with the folder.
  const std::string folder = std::filesystem::path(path).parent_path().string();
  Fd dir{open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0 || fsync(dir.fd) != 0) {
    return absl::InternalError(absl::StrCat("cannot sync ", folder, ": ", ErrnoText()));
  }
  return absl::OkStatus();
}

absl::Status StatusIndex::Load(const std::string& path, uint64_t sequence,
                               std::shared_ptr<const ReadView> view) {
  const absl::Time start = absl::Now();
  Fd file{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no ", path));
    return absl::InternalError(absl::StrCat("cannot read ", path, ": ", ErrnoText()));
  }
  const off_t file_bytes = lseek(file.fd, 0, SEEK_END);
  if (file_bytes < 0 || lseek(file.fd, 0, SEEK_SET) != 0) {
    return absl::InternalError(absl::StrCat("cannot read ", path, ": ", ErrnoText()));
  }
  const auto size = static_cast<uint64_t>(file_bytes);
  Reader in(file.fd, path);
  char magic[kMagic.size()];
  if (in.Bytes(magic, sizeof magic) && absl::string_view(magic, sizeof magic) != kMagic) {
    return absl::DataLossError(absl::StrCat(path, " is not a status index of this version"));
  }
  uint64_t saved_sequence = 0;
  uint64_t tree_size = 0;
  std::string root(32, '\0');
  if (in.U64(&saved_sequence) && in.U64(&tree_size) && in.Bytes(root.data(), root.size()) &&
      (saved_sequence != sequence || tree_size != view->head.tree_size() ||
       root != view->head.root_hash())) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " was saved at write ", saved_sequence, " with the log at size ", tree_size,
        "; the database is at write ", sequence, " with the log at size ", view->head.tree_size()));
  }

  absl::MutexLock lock(&mu_);
  static_assert(sizeof(Slot) == 16, "slots are written as they lie in memory");
  uint64_t shards = 0;
  uint64_t chunks = 0;
  uint64_t chunk_end = 0;
  uint64_t measures = 0;
  uint64_t unpacked = 0;
  bool ok = in.U64(&shards) && in.Count(&chunks, 1, size) && in.U64(&chunk_end) &&
            in.U64(&live_bytes_) && in.U64(&dead_bytes_) && in.Count(&measures, 4, size);
  ok = ok && (shards == kShards || in.Damaged("its number of shards is not this version's")) &&
       (chunks <= kMaxChunks || in.Damaged("too many chunks")) &&
       (chunk_end <= kChunkBytes || in.Damaged("a chunk's end lies past it"));
  for (uint64_t i = 0; ok && i < measures; ++i) {
    std::string code;
    ok = in.Text(&code);
    if (ok) {
      measure_numbers_.emplace(code, measure_codes_.size());
      measure_codes_.push_back(std::move(code));
    }
  }
  ok = ok && in.Count(&unpacked, 4, size);
  for (uint64_t i = 0; ok && i < unpacked; ++i) {
    std::string code;
    ok = in.Text(&code) && unpacked_codes_.insert(std::move(code)).second;
  }
  for (Shard& shard : shards_) {
    uint64_t slots = 0;
    ok = ok && in.Count(&slots, sizeof(Slot), size) && in.U64(&shard.used);
    if (!ok) break;
    shard.memory = PageMemory(slots * sizeof(Slot));
    shard.size = slots;
    ok = in.Bytes(shard.slots(), slots * sizeof(Slot));
  }
  for (uint64_t i = 0; ok && i < chunks; ++i) {
    chunks_.emplace_back(kChunkBytes);
    ok = in.Bytes(chunks_.back().data(), i + 1 == chunks ? chunk_end : kChunkBytes);
  }
  chunk_end_ = static_cast<uint32_t>(chunk_end);
  ok = ok && in.CheckHash();
  // Every reference lies inside the arena and every shard has the used slots it says and an
  // empty one, where a probe for a code it lacks ends (cheap, and the reads below trust it).
  for (const Shard& shard : shards_) {
    uint64_t used = 0;
    for (size_t i = 0; ok && i < shard.size; ++i) {
      const uint32_t ref = shard.slots()[i].ref;
      if (ref == kEmpty) continue;
      ++used;
      if (ref == kFromStorage) continue;
      const uint64_t chunk = ref >> kChunkBits;
      const uint64_t end = chunk + 1 == chunks ? chunk_end : kChunkBytes;
      ok = (chunk < chunks && (ref & (kChunkBytes - 1)) < end) ||
           in.Damaged("a slot points outside");
    }
    ok = ok && ((used == shard.used && used < shard.size) ||
                in.Damaged("a shard's count of used slots is wrong"));
    if (!ok) break;
  }
  if (!ok) {
    Clear();
    return in.status();
  }
  view_ = std::move(view);
  loaded_ = true;
  ready_ = true;
  CountMemory();
  LogEvent(EventLevel::kInfo, "status_index_ready",
           absl::StrCat("in-memory status index loaded from ", path, ": ", UsedSlots(),
                        " subjects, ", memory_bytes_.load() >> 20, " MiB, in ",
                        absl::FormatDuration(absl::Now() - start)));
  return absl::OkStatus();
}

void StatusIndex::Clear() {
  chunks_.clear();
  chunk_end_ = 0;
  live_bytes_ = 0;
  dead_bytes_ = 0;
  unpacked_codes_.clear();
  measure_codes_.clear();
  measure_numbers_.clear();
  ResetShards(kLeastShardSlots);
}

}  // namespace credit
