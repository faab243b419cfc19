// A log tree's Merkle nodes of level UpperNodes::kLowestLevel and up, in memory: one per 32
// records at the lowest of them (docs/performance.md, "Proofs"). A proof's path climbs through one
// node per level; kept here, the levels that would each cost a random read cost none, and a
// proof reads only the ≤ 16 leaves its lowest levels are hashed from (one or two data blocks).
//
// The nodes of the tree as it stood at open are read from the store by Load, on a thread of its
// own, so that a start does not wait for them; Find misses those Load has not read yet (it reads
// each level from index 0 up, the highest level first), and callers read them from the store.
// Nodes that committed groups complete are added as they commit. Thread-safe.
#ifndef CREDIT_SERVICE_CHANGELOG_UPPER_NODES_H_
#define CREDIT_SERVICE_CHANGELOG_UPPER_NODES_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/crypto/sha256.h"
#include "service/storage/store.h"

namespace credit {

class UpperNodes {
 public:
  static constexpr int kLowestLevel = kLowestStoredUpperTreeLevel;

  struct Node {
    int level = 0;
    uint64_t index = 0;
    Hash256 hash{};
  };

  // For a tree whose first `stored_size` leaves' nodes are in the store.
  explicit UpperNodes(uint64_t stored_size);

  UpperNodes(const UpperNodes&) = delete;
  UpperNodes& operator=(const UpperNodes&) = delete;

  // The node (level, index) if it is in memory. A node, once complete, never changes.
  std::optional<Hash256> Find(int level, uint64_t index) const;

  // Nodes that a committed group completed, in the order the appends completed them (each
  // level's in index order, following those of the groups before).
  void AddCommitted(const std::vector<Node>& nodes);

  // Reads the nodes of the tree of `stored_size` leaves from `store`, highest level first, in
  // chunks; returns early, OK, once `stop` is set. DATA_LOSS naming the node when one is missing
  // or not 32 bytes (that level stays unloaded: Find keeps missing there).
  absl::Status Load(Store& store, Tree tree, const std::atomic<bool>& stop);

  // Nodes held, and whether Load has finished every level.
  uint64_t NodeCount() const;
  bool Loaded() const;

 private:
  static constexpr int kLevels = 64;
  struct Level {
    uint64_t stored = 0;          // nodes the store held at open
    std::vector<Hash256> loaded;  // nodes [0, loaded.size()), read by Load
    std::vector<Hash256> added;   // nodes [stored, stored + added.size()), added by commits
  };

  mutable absl::Mutex mu_;
  std::array<Level, kLevels> levels_ ABSL_GUARDED_BY(mu_);
};

}  // namespace credit

#endif  // CREDIT_SERVICE_CHANGELOG_UPPER_NODES_H_
