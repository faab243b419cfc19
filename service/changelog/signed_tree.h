// SignedTree: one verifiable log's RFC 6962 tree as the Store keeps it (Tree::kChanges or
// Tree::kQueries), read: signed heads of any size (the stored one where a write ended, otherwise
// signed afresh from the stored nodes), Merkle nodes (the upper levels from memory when kept, the
// lowest hashed from their leaves), inclusion and consistency proofs, and the frontier at a size.
// The change log and the query log each hold one; appending nodes and heads stays with the log
// that writes them, in its own batches.
//
// Thread-safe.
#ifndef CREDIT_SERVICE_CHANGELOG_SIGNED_TREE_H_
#define CREDIT_SERVICE_CHANGELOG_SIGNED_TREE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/sha256.h"
#include "common/merkle/merkle.h"
#include "common/merkle/tree_head.h"
#include "credit/registry/v1/registry.pb.h"
#include "service/changelog/upper_nodes.h"
#include "service/storage/store.h"

namespace credit {

namespace v1 = ::credit::registry::v1;

class SignedTree {
 public:
  struct Options {
    Tree tree = Tree::kChanges;
    merkle::HeadDomain domain = merkle::HeadDomain::kChangeLog;
    // Whether the levels from UpperNodes::kLowestLevel up are held in memory (read after open by
    // StartLoading, then kept by AddCommitted). Without, proofs read them from the store: the
    // query log's tree, which grows with every answer and is proven rarely.
    bool keep_upper_nodes = true;
    // The time of record `sequence` as `snapshot` holds it, NOT_FOUND when there is none: the
    // timestamp of a head signed afresh.
    std::function<absl::StatusOr<int64_t>(uint64_t sequence, const StoreSnapshot* snapshot)>
        record_time;
  };

  // `store` must outlive the tree.
  SignedTree(Store* store, SigningKey signing_key, Options options);
  // Stops loading the upper levels: it must end before the store closes.
  ~SignedTree();
  SignedTree(const SignedTree&) = delete;
  SignedTree& operator=(const SignedTree&) = delete;

  // The tree's right edge over the `size` records stored, read from the stored nodes (no replay),
  // after checking that leaf size - 1 is `last_leaf`; DATA_LOSS otherwise. Call once, first.
  absl::StatusOr<merkle::CompactRange> Resume(uint64_t size, const Hash256& last_leaf);
  // Reads the upper levels stored at Resume into memory on a thread of its own (when kept).
  void StartLoading();
  // Nodes of levels UpperNodes::kLowestLevel and up that a durable write completed (when kept).
  void AddCommitted(const std::vector<UpperNodes::Node>& nodes);
  // Whether the upper levels are all in memory (false when they are not kept).
  bool Loaded() const;

  v1::SignedTreeHead Sign(uint64_t size, int64_t timestamp_micros, const Hash256& root) const;
  const Hash256& key_id() const { return key_id_; }

  // The head of `size`: `latest` when it is of that size, the stored one where a write ended
  // there, otherwise signed afresh (Ed25519 is deterministic: the same bytes every time).
  // NOT_FOUND when the log never had `size` records.
  absl::StatusOr<v1::SignedTreeHead> HeadAt(uint64_t size, const v1::SignedTreeHead* latest,
                                            const StoreSnapshot* snapshot) const;
  // The head of the largest size with a stored head (size 0 when there is none).
  absl::StatusOr<v1::SignedTreeHead> LatestHead(const StoreSnapshot* snapshot) const;

  // The proofs, for sizes the caller checked against `latest`, the head `snapshot` holds.
  absl::StatusOr<v1::GetInclusionProofResponse> InclusionProof(uint64_t sequence, uint64_t size,
                                                               const v1::SignedTreeHead& latest,
                                                               const StoreSnapshot* snapshot) const;
  absl::StatusOr<v1::GetConsistencyProofResponse> ConsistencyProof(
      uint64_t from, uint64_t to, const v1::SignedTreeHead& latest,
      const StoreSnapshot* snapshot) const;
  // The audit path of record `sequence` in the tree of `size`.
  absl::StatusOr<std::vector<Hash256>> AuditPath(uint64_t sequence, uint64_t size,
                                                 const StoreSnapshot* snapshot) const;
  // The roots of the perfect subtrees covering the first `size` records, largest first
  // (merkle::CompactRange).
  absl::StatusOr<std::vector<Hash256>> Frontier(uint64_t size, const StoreSnapshot* snapshot) const;

 private:
  using NodeId = std::pair<int, uint64_t>;  // (level, index)
  using NodeMap = absl::flat_hash_map<NodeId, Hash256>;

  absl::StatusOr<std::optional<v1::SignedTreeHead>> StoredHead(uint64_t size,
                                                               const StoreSnapshot* snapshot) const;
  absl::StatusOr<int64_t> HeadTime(uint64_t size, const StoreSnapshot* snapshot) const;
  // The Merkle nodes `ids`, read together: upper levels from memory, the rest with one MultiGet.
  absl::StatusOr<NodeMap> ReadNodes(const std::vector<NodeId>& ids,
                                    const StoreSnapshot* snapshot) const;
  // Runs `compute` with every Merkle node it reads fetched in one ReadNodes.
  template <typename T>
  absl::StatusOr<T> WithNodes(
      const StoreSnapshot* snapshot,
      absl::FunctionRef<absl::StatusOr<T>(merkle::NodeReader)> compute) const;

  Store* store_;
  const SigningKey signing_key_;
  const Hash256 key_id_;
  const Options options_;
  // Levels UpperNodes::kLowestLevel and up, when kept (Options::keep_upper_nodes).
  std::unique_ptr<UpperNodes> upper_nodes_;
  std::atomic<bool> stopping_{false};
  std::thread loader_;
  // Nodes below this level are hashed from their leaves (at most 16 of them, in one or two data
  // blocks) rather than read: with the levels above in memory, a proof reads one or two blocks.
  static constexpr int kHashedNodeLevels = UpperNodes::kLowestLevel;
};

}  // namespace credit

#endif  // CREDIT_SERVICE_CHANGELOG_SIGNED_TREE_H_
