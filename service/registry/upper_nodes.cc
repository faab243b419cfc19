#include "service/registry/upper_nodes.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "service/storage/keys.h"

namespace credit {

namespace {

// Nodes read per chunk (512 KB): the lock is held only to copy one in.
constexpr uint64_t kChunkNodes = 16384;

absl::Status NodeLoss(int level, uint64_t index, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("Merkle tree node (level ", level, ", index ", index, ") ", what));
}

}  // namespace

// Nothing is allocated here: at 10 M the levels take 22 MB, whose page faults would lengthen
// the start by a tenth of a second; Load allocates them on its own thread.
UpperNodes::UpperNodes(uint64_t stored_size) {
  for (int level = kLowestLevel; level < kLevels; ++level) {
    levels_[level].stored = stored_size >> level;
  }
}

std::optional<Hash256> UpperNodes::Find(int level, uint64_t index) const {
  if (level < kLowestLevel || level >= kLevels) return std::nullopt;
  absl::ReaderMutexLock lock(&mu_);
  const Level& l = levels_[level];
  if (index < l.loaded.size()) return l.loaded[index];
  if (index >= l.stored && index - l.stored < l.added.size()) return l.added[index - l.stored];
  return std::nullopt;
}

void UpperNodes::AddCommitted(const std::vector<Node>& nodes) {
  if (nodes.empty()) return;
  absl::MutexLock lock(&mu_);
  for (const Node& node : nodes) {
    if (node.level < kLowestLevel || node.level >= kLevels) continue;
    Level& l = levels_[node.level];
    // Appends complete each level's nodes in index order; anything else would be a gap, and a
    // node missing here is only read from the store.
    if (node.index == l.stored + l.added.size()) l.added.push_back(node.hash);
  }
}

absl::Status UpperNodes::Load(Store& store, const std::atomic<bool>& stop) {
  absl::Status result = absl::OkStatus();
  std::vector<Hash256> chunk;
  for (int level = kLevels - 1; level >= kLowestLevel; --level) {
    uint64_t stored;
    {
      absl::MutexLock lock(&mu_);
      stored = levels_[level].stored;
      // Whole from the start: no chunk makes it move (and copy what it holds) under the lock.
      levels_[level].loaded.reserve(stored);
    }
    if (stored == 0) continue;
    std::unique_ptr<rocksdb::Iterator> it = store.NewScanIterator(Family::kTreeNodes);
    uint64_t next = 0;
    it->Seek(keys::TreeNode(level, 0));
    absl::Status level_status = absl::OkStatus();
    while (next < stored && level_status.ok()) {
      if (stop.load(std::memory_order_relaxed)) return absl::OkStatus();
      chunk.clear();
      uint64_t end = std::min(stored, next + kChunkNodes);
      for (uint64_t index = next; index < end; ++index, it->Next()) {
        if (!it->Valid() || it->key() != keys::TreeNode(level, index)) {
          level_status = it->status().ok()
                             ? NodeLoss(level, index, "is missing")
                             : FromRocksStatus(it->status(), "reading Merkle tree nodes");
          break;
        }
        if (it->value().size() != sizeof(Hash256)) {
          level_status = NodeLoss(level, index, "is not 32 bytes long");
          break;
        }
        std::memcpy(chunk.emplace_back().data(), it->value().data(), sizeof(Hash256));
      }
      absl::MutexLock lock(&mu_);
      levels_[level].loaded.insert(levels_[level].loaded.end(), chunk.begin(), chunk.end());
      next += chunk.size();
    }
    if (!level_status.ok() && result.ok()) result = level_status;
  }
  return result;
}

uint64_t UpperNodes::NodeCount() const {
  absl::ReaderMutexLock lock(&mu_);
  uint64_t count = 0;
  for (const Level& l : levels_) count += l.loaded.size() + l.added.size();
  return count;
}

bool UpperNodes::Loaded() const {
  absl::ReaderMutexLock lock(&mu_);
  for (const Level& l : levels_) {
    if (l.loaded.size() != l.stored) return false;
  }
  return true;
}

}  // namespace credit
