#include "service/changelog/signed_tree.h"

#include <algorithm>
#include <cstring>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status/status_macros.h"
#include "service/events/event_log.h"

namespace credit {

namespace {

std::vector<std::string> AsBytesList(const std::vector<Hash256>& hashes) {
  std::vector<std::string> out;
  out.reserve(hashes.size());
  for (const Hash256& h : hashes) out.emplace_back(AsBytes(h));
  return out;
}

absl::Status MissingNode(int level, uint64_t index) {
  return absl::DataLossError(
      absl::StrCat("Merkle tree node (level ", level, ", index ", index, ") is missing"));
}

}  // namespace

SignedTree::SignedTree(Store* store, SigningKey signing_key, Options options)
    : store_(store),
      signing_key_(std::move(signing_key)),
      key_id_(merkle::KeyId(signing_key_.PublicKey())),
      options_(std::move(options)) {}

SignedTree::~SignedTree() {
  stopping_ = true;
  if (loader_.joinable()) loader_.join();
}

absl::StatusOr<merkle::CompactRange> SignedTree::Resume(uint64_t size, const Hash256& last_leaf) {
  if (options_.keep_upper_nodes) upper_nodes_ = std::make_unique<UpperNodes>(size);
  ASSIGN_OR_RETURN(merkle::CompactRange edge,
                   WithNodes<merkle::CompactRange>(nullptr, [&](merkle::NodeReader read) {
                     return merkle::CompactRange::Load(size, read);
                   }));
  if (size > 0) {
    ASSIGN_OR_RETURN(NodeMap leaf, ReadNodes({NodeId(0, size - 1)}, nullptr));
    if (leaf.begin()->second != last_leaf) {
      return absl::DataLossError(
          absl::StrCat(options_.tree == Tree::kChanges ? "change " : "query ", size - 1,
                       ": its tree leaf differs from the record's hash"));
    }
  }
  return edge;
}

void SignedTree::StartLoading() {
  if (upper_nodes_ == nullptr) return;
  loader_ = std::thread([this] {
    absl::Time start = absl::Now();
    absl::Status loaded = upper_nodes_->Load(*store_, options_.tree, stopping_);
    if (!loaded.ok()) {
      // Proofs still read what is missing from the store, and report it there.
      LogEvent(EventLevel::kError, "tree_nodes_not_loaded",
               absl::StrCat("Merkle tree nodes not loaded: ", loaded.ToString()));
    } else if (uint64_t count = upper_nodes_->NodeCount(); count > 0 && upper_nodes_->Loaded()) {
      LogEvent(
          EventLevel::kInfo, "tree_nodes_loaded",
          absl::StrCat("Merkle tree nodes of levels ", UpperNodes::kLowestLevel,
                       " and up in memory: ", count, " (", count * sizeof(Hash256) / 1024,
                       " KiB), read in ", absl::ToInt64Milliseconds(absl::Now() - start), " ms"));
    }
  });
}

void SignedTree::AddCommitted(const std::vector<UpperNodes::Node>& nodes) {
  if (upper_nodes_ != nullptr) upper_nodes_->AddCommitted(nodes);
}

bool SignedTree::Loaded() const { return upper_nodes_ != nullptr && upper_nodes_->Loaded(); }

v1::SignedTreeHead SignedTree::Sign(uint64_t size, int64_t timestamp_micros,
                                    const Hash256& root) const {
  merkle::TreeHead head{size, timestamp_micros, root, key_id_};
  v1::SignedTreeHead signed_head;
  signed_head.set_tree_size(size);
  signed_head.set_timestamp_micros(timestamp_micros);
  signed_head.set_root_hash(std::string(AsBytes(root)));
  signed_head.set_key_id(std::string(AsBytes(key_id_)));
  signed_head.set_signature(signing_key_.Sign(merkle::TreeHeadSigningInput(head, options_.domain)));
  return signed_head;
}

// What a proof reads depends on sizes and indexes only, never on hash values: a first run with
// placeholder hashes lists the nodes, ReadNodes reads them all, a second run computes with them.
template <typename T>
absl::StatusOr<T> SignedTree::WithNodes(
    const StoreSnapshot* snapshot,
    absl::FunctionRef<absl::StatusOr<T>(merkle::NodeReader)> compute) const {
  std::vector<NodeId> wanted;
  auto note = [&](int level, uint64_t index) -> absl::StatusOr<Hash256> {
    wanted.emplace_back(level, index);
    return Hash256{};
  };
  RETURN_IF_ERROR(compute(note).status());
  ASSIGN_OR_RETURN(NodeMap nodes, ReadNodes(wanted, snapshot));
  auto read = [&](int level, uint64_t index) -> absl::StatusOr<Hash256> {
    auto it = nodes.find(NodeId(level, index));
    if (it == nodes.end()) return MissingNode(level, index);
    return it->second;
  };
  return compute(read);
}

absl::StatusOr<SignedTree::NodeMap> SignedTree::ReadNodes(const std::vector<NodeId>& ids,
                                                          const StoreSnapshot* snapshot) const {
  NodeMap nodes;
  std::vector<NodeId> to_read;  // nodes of levels kHashedNodeLevels and up not in memory
  std::vector<NodeId> to_hash;  // nodes below, hashed from their leaves
  std::vector<uint64_t> leaves;
  for (const NodeId& id : ids) {
    if (nodes.contains(id)) continue;
    const auto& [level, index] = id;
    if (level >= kHashedNodeLevels) {
      std::optional<Hash256> held;
      if (upper_nodes_ != nullptr) held = upper_nodes_->Find(level, index);
      nodes.emplace(id, held.value_or(Hash256{}));
      if (!held.has_value()) to_read.push_back(id);
      continue;
    }
    nodes.emplace(id, Hash256{});
    to_hash.push_back(id);
    for (uint64_t leaf = index << level; leaf < (index + 1) << level; ++leaf) {
      leaves.push_back(leaf);
    }
  }
  std::sort(leaves.begin(), leaves.end());
  leaves.erase(std::unique(leaves.begin(), leaves.end()), leaves.end());
  if (to_read.empty() && leaves.empty()) return nodes;

  std::vector<NodeId> stored = to_read;
  stored.reserve(to_read.size() + leaves.size());
  for (uint64_t leaf : leaves) stored.emplace_back(0, leaf);
  ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> values,
                   store_->MultiGetTreeNodes(options_.tree, stored, snapshot));
  std::vector<Hash256> hashes(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!values[i].has_value() || values[i]->size() != hashes[i].size()) {
      return i < to_read.size() ? MissingNode(to_read[i].first, to_read[i].second)
                                : MissingNode(0, leaves[i - to_read.size()]);
    }
    std::memcpy(hashes[i].data(), values[i]->data(), hashes[i].size());
  }
  for (size_t i = 0; i < to_read.size(); ++i) nodes[to_read[i]] = hashes[i];
  for (const auto& [level, index] : to_hash) {
    // The node's leaves are consecutive in `leaves`: the root of the tree of just them.
    size_t first = std::lower_bound(leaves.begin(), leaves.end(), index << level) - leaves.begin();
    merkle::CompactRange subtree;
    for (size_t i = 0; i < (size_t{1} << level); ++i) {
      subtree.Append(hashes[to_read.size() + first + i], [](int, uint64_t, const Hash256&) {});
    }
    nodes[NodeId(level, index)] = subtree.Root();
  }
  return nodes;
}

absl::StatusOr<std::optional<v1::SignedTreeHead>> SignedTree::StoredHead(
    uint64_t size, const StoreSnapshot* snapshot) const {
  ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                   store_->GetHead(options_.tree, size, snapshot));
  if (!bytes.has_value()) return std::nullopt;
  v1::SignedTreeHead head;
  if (!head.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat("tree head ", size, ": stored bytes do not parse"));
  }
  return head;
}

absl::StatusOr<int64_t> SignedTree::HeadTime(uint64_t size, const StoreSnapshot* snapshot) const {
  absl::StatusOr<int64_t> time = options_.record_time(size - 1, snapshot);
  if (time.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(absl::StrCat("tree_size: the log never had ", size, " records"));
  }
  return time;
}

absl::StatusOr<v1::SignedTreeHead> SignedTree::HeadAt(uint64_t size,
                                                      const v1::SignedTreeHead* latest,
                                                      const StoreSnapshot* snapshot) const {
  if (latest != nullptr && size == latest->tree_size()) return *latest;
  if (size == 0) return Sign(0, 0, merkle::EmptyRoot());
  ASSIGN_OR_RETURN(std::optional<v1::SignedTreeHead> stored, StoredHead(size, snapshot));
  if (stored.has_value()) return *std::move(stored);
  // Inside a write: the head that write would have had if it had ended here.
  ASSIGN_OR_RETURN(int64_t time, HeadTime(size, snapshot));
  ASSIGN_OR_RETURN(merkle::CompactRange range,
                   WithNodes<merkle::CompactRange>(snapshot, [&](merkle::NodeReader read) {
                     return merkle::CompactRange::Load(size, read);
                   }));
  return Sign(size, time, range.Root());
}

absl::StatusOr<v1::SignedTreeHead> SignedTree::LatestHead(const StoreSnapshot* snapshot) const {
  ASSIGN_OR_RETURN(uint64_t size, store_->LastHeadSize(options_.tree, snapshot));
  return HeadAt(size, nullptr, snapshot);
}

absl::StatusOr<v1::GetInclusionProofResponse> SignedTree::InclusionProof(
    uint64_t sequence, uint64_t size, const v1::SignedTreeHead& latest,
    const StoreSnapshot* snapshot) const {
  // The path and, last, the leaf itself.
  ASSIGN_OR_RETURN(
      std::vector<Hash256> proof,
      WithNodes<std::vector<Hash256>>(
          snapshot, [&](merkle::NodeReader read) -> absl::StatusOr<std::vector<Hash256>> {
            ASSIGN_OR_RETURN(std::vector<Hash256> path,
                             merkle::InclusionProof(sequence, size, read));
            ASSIGN_OR_RETURN(path.emplace_back(), read(0, sequence));
            return path;
          }));
  v1::GetInclusionProofResponse response;
  response.set_leaf_hash(std::string(AsBytes(proof.back())));
  proof.pop_back();
  for (std::string& p : AsBytesList(proof)) response.add_proof(std::move(p));
  ASSIGN_OR_RETURN(*response.mutable_tree_head(), HeadAt(size, &latest, snapshot));
  return response;
}

absl::StatusOr<v1::GetConsistencyProofResponse> SignedTree::ConsistencyProof(
    uint64_t from, uint64_t to, const v1::SignedTreeHead& latest,
    const StoreSnapshot* snapshot) const {
  ASSIGN_OR_RETURN(std::optional<v1::SignedTreeHead> from_head, StoredHead(from, snapshot));
  // Where no write ended at `from`, its head is made afresh, and its root needs the tree's edge
  // at that size: those nodes lie where the proof's own lie, so one read serves both.
  Hash256 from_root;
  ASSIGN_OR_RETURN(
      std::vector<Hash256> proof,
      WithNodes<std::vector<Hash256>>(
          snapshot, [&](merkle::NodeReader read) -> absl::StatusOr<std::vector<Hash256>> {
            if (!from_head.has_value()) {
              ASSIGN_OR_RETURN(merkle::CompactRange edge, merkle::CompactRange::Load(from, read));
              from_root = edge.Root();
            }
            return merkle::ConsistencyProof(from, to, read);
          }));
  if (!from_head.has_value()) {
    ASSIGN_OR_RETURN(int64_t time, HeadTime(from, snapshot));
    from_head = Sign(from, time, from_root);
  }
  v1::GetConsistencyProofResponse response;
  for (std::string& p : AsBytesList(proof)) response.add_proof(std::move(p));
  *response.mutable_from_head() = *std::move(from_head);
  ASSIGN_OR_RETURN(*response.mutable_to_head(), HeadAt(to, &latest, snapshot));
  return response;
}

absl::StatusOr<std::vector<Hash256>> SignedTree::AuditPath(uint64_t sequence, uint64_t size,
                                                           const StoreSnapshot* snapshot) const {
  return WithNodes<std::vector<Hash256>>(snapshot, [&](merkle::NodeReader read) {
    return merkle::InclusionProof(sequence, size, read);
  });
}

absl::StatusOr<std::vector<Hash256>> SignedTree::Frontier(uint64_t size,
                                                          const StoreSnapshot* snapshot) const {
  return WithNodes<std::vector<Hash256>>(
      snapshot, [&](merkle::NodeReader read) -> absl::StatusOr<std::vector<Hash256>> {
        ASSIGN_OR_RETURN(merkle::CompactRange range, merkle::CompactRange::Load(size, read));
        return range.roots();
      });
}

}  // namespace credit
