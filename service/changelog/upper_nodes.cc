#include "service/changelog/upper_nodes.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

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

absl::Status UpperNodes::Load(Store& store, Tree tree, const std::atomic<bool>& stop) {
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
    // Nodes go into memory a chunk at a time, so lookups of the level wait for a chunk at most.
    uint64_t next = 0;
    absl::Status level_status = absl::OkStatus();
    bool stopped = false;
    auto publish = [&] {
      absl::MutexLock lock(&mu_);
      levels_[level].loaded.insert(levels_[level].loaded.end(), chunk.begin(), chunk.end());
      next += chunk.size();
      chunk.clear();
    };
    chunk.clear();
    if (stop.load(std::memory_order_relaxed)) return absl::OkStatus();
    absl::Status scanned =
        store.ScanTreeLevel(tree, level, [&](uint64_t index, absl::string_view value) {
          if (index != next + chunk.size()) {
            level_status = NodeLoss(level, next + chunk.size(), "is missing");
            return false;
          }
          if (value.size() != sizeof(Hash256)) {
            level_status = NodeLoss(level, index, "is not 32 bytes long");
            return false;
          }
          std::memcpy(chunk.emplace_back().data(), value.data(), sizeof(Hash256));
          if (next + chunk.size() == stored) return false;
          if (chunk.size() == kChunkNodes) {
            publish();
            if (stop.load(std::memory_order_relaxed)) {
              stopped = true;
              return false;
            }
          }
          return true;
        });
    if (stopped) return absl::OkStatus();
    publish();
    if (level_status.ok() && !scanned.ok()) level_status = scanned;
    if (level_status.ok() && next < stored) level_status = NodeLoss(level, next, "is missing");
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
