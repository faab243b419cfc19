// ChangeLog's reads: signed heads of any size, the tree's nodes (upper levels from memory, the
// lowest hashed from their leaves), inclusion and consistency proofs.
#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/merkle/tree_head.h"
#include "service/changelog/change_log.h"
#include "service/registry/validation.h"

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

v1::SignedTreeHead ChangeLog::SignHead(uint64_t size, int64_t timestamp_micros,
                                       const Hash256& root) const {
  merkle::TreeHead head{size, timestamp_micros, root, key_id_};
  v1::SignedTreeHead signed_head;
  signed_head.set_tree_size(size);
  signed_head.set_timestamp_micros(timestamp_micros);
  signed_head.set_root_hash(std::string(AsBytes(root)));
  signed_head.set_key_id(std::string(AsBytes(key_id_)));
  signed_head.set_signature(signing_key_.Sign(merkle::TreeHeadSigningInput(head)));
  return signed_head;
}

absl::StatusOr<Hash256> ChangeLog::ReadNode(int level, uint64_t index,
                                            const StoreSnapshot* snapshot) const {
  ASSIGN_OR_RETURN(NodeMap nodes, ReadNodes({NodeId(level, index)}, snapshot));
  return nodes.begin()->second;
}

// What a proof reads depends on sizes and indexes only, never on hash values: a first run with
// placeholder hashes lists the nodes, ReadNodes reads them all, a second run computes with them.
template <typename T>
absl::StatusOr<T> ChangeLog::WithNodes(
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

absl::StatusOr<ChangeLog::NodeMap> ChangeLog::ReadNodes(const std::vector<NodeId>& ids,
                                                        const StoreSnapshot* snapshot) const {
  NodeMap nodes;
  std::vector<NodeId> to_read;  // nodes of levels kHashedNodeLevels and up not yet in memory
  std::vector<NodeId> to_hash;  // nodes below, hashed from their leaves
  std::vector<uint64_t> leaves;
  for (const NodeId& id : ids) {
    if (nodes.contains(id)) continue;
    const auto& [level, index] = id;
    if (level >= kHashedNodeLevels) {
      std::optional<Hash256> held = upper_nodes_->Find(level, index);
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
                   store_->MultiGetTreeNodes(stored, snapshot));
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

absl::StatusOr<int64_t> ChangeLog::ChangeTime(uint64_t sequence,
                                              const StoreSnapshot* snapshot) const {
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, store_->GetChange(sequence, snapshot));
  if (!bytes.has_value()) {
    return absl::NotFoundError(absl::StrCat("change ", sequence, " does not exist"));
  }
  ASSIGN_OR_RETURN(ChangeRecord record, DecodeChangeRecord(*bytes));
  return record.time_micros;
}

absl::StatusOr<std::optional<v1::SignedTreeHead>> ChangeLog::StoredHead(
    uint64_t size, const StoreSnapshot* snapshot) const {
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, store_->GetHead(size, snapshot));
  if (!bytes.has_value()) return std::nullopt;
  v1::SignedTreeHead head;
  if (!head.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat("tree head ", size, ": stored bytes do not parse"));
  }
  return head;
}

absl::StatusOr<int64_t> ChangeLog::HeadTime(uint64_t size, const StoreSnapshot* snapshot) const {
  absl::StatusOr<int64_t> time = ChangeTime(size - 1, snapshot);
  if (time.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(absl::StrCat("tree_size: the log never had ", size, " records"));
  }
  return time;
}

absl::StatusOr<v1::SignedTreeHead> ChangeLog::HeadAt(uint64_t size,
                                                     const StoreSnapshot* snapshot) const {
  if (size == 0) return SignHead(0, 0, merkle::EmptyRoot());
  ASSIGN_OR_RETURN(std::optional<v1::SignedTreeHead> stored, StoredHead(size, snapshot));
  if (stored.has_value()) return *std::move(stored);
  // Inside a commit group: the head that group would have had if it had ended here.
  ASSIGN_OR_RETURN(int64_t time, HeadTime(size, snapshot));
  ASSIGN_OR_RETURN(merkle::CompactRange range,
                   WithNodes<merkle::CompactRange>(snapshot, [&](merkle::NodeReader read) {
                     return merkle::CompactRange::Load(size, read);
                   }));
  return SignHead(size, time, range.Root());
}

absl::StatusOr<v1::SignedTreeHead> ChangeLog::HeadAt(uint64_t size, const ReadView& view) const {
  if (size == view.head.tree_size()) return view.head;
  return HeadAt(size, view.snapshot.get());
}

absl::StatusOr<v1::SignedTreeHead> ChangeLog::LatestHead(const StoreSnapshot* snapshot) const {
  ASSIGN_OR_RETURN(uint64_t size, store_->LastHeadSize(snapshot));
  return HeadAt(size, snapshot);
}

absl::StatusOr<v1::GetTreeHeadResponse> ChangeLog::TreeHead(
    const v1::GetTreeHeadRequest& request) const {
  std::shared_ptr<const ReadView> view = CurrentView();
  v1::GetTreeHeadResponse response;
  if (request.tree_size() == 0) {
    *response.mutable_tree_head() = view->head;
  } else {
    ASSIGN_OR_RETURN(*response.mutable_tree_head(), HeadAt(request.tree_size(), *view));
  }
  return response;
}

absl::StatusOr<v1::GetInclusionProofResponse> ChangeLog::InclusionProof(
    const v1::GetInclusionProofRequest& request) const {
  std::shared_ptr<const ReadView> view = CurrentView();
  const StoreSnapshot* snapshot = view->snapshot.get();
  const v1::SignedTreeHead& latest = view->head;
  RETURN_IF_ERROR(ValidateGetInclusionProofRequest(request, latest.tree_size()));
  const uint64_t size = request.tree_size() == 0 ? latest.tree_size() : request.tree_size();
  // The path and, last, the leaf itself.
  ASSIGN_OR_RETURN(
      std::vector<Hash256> proof,
      WithNodes<std::vector<Hash256>>(
          snapshot, [&](merkle::NodeReader read) -> absl::StatusOr<std::vector<Hash256>> {
            ASSIGN_OR_RETURN(std::vector<Hash256> path,
                             merkle::InclusionProof(request.sequence(), size, read));
            ASSIGN_OR_RETURN(path.emplace_back(), read(0, request.sequence()));
            return path;
          }));
  v1::GetInclusionProofResponse response;
  response.set_leaf_hash(std::string(AsBytes(proof.back())));
  proof.pop_back();
  for (std::string& p : AsBytesList(proof)) response.add_proof(std::move(p));
  ASSIGN_OR_RETURN(*response.mutable_tree_head(), HeadAt(size, *view));
  return response;
}

absl::StatusOr<v1::GetConsistencyProofResponse> ChangeLog::ConsistencyProof(
    const v1::GetConsistencyProofRequest& request) const {
  std::shared_ptr<const ReadView> view = CurrentView();
  const StoreSnapshot* snapshot = view->snapshot.get();
  const v1::SignedTreeHead& latest = view->head;
  RETURN_IF_ERROR(ValidateGetConsistencyProofRequest(request, latest.tree_size()));
  const uint64_t to = request.to_size() == 0 ? latest.tree_size() : request.to_size();
  const uint64_t from = request.from_size();
  ASSIGN_OR_RETURN(std::optional<v1::SignedTreeHead> from_head, StoredHead(from, snapshot));
  // Where no group ended at `from`, its head is made afresh, and its root needs the tree's edge
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
    from_head = SignHead(from, time, from_root);
  }
  v1::GetConsistencyProofResponse response;
  for (std::string& p : AsBytesList(proof)) response.add_proof(std::move(p));
  *response.mutable_from_head() = *std::move(from_head);
  ASSIGN_OR_RETURN(*response.mutable_to_head(), HeadAt(to, *view));
  return response;
}

v1::GetSigningKeyResponse ChangeLog::SigningKeyInfo() const {
  v1::GetSigningKeyResponse response;
  response.set_public_key(signing_key_.PublicKey());
  response.set_public_key_pem(signing_key_.PublicPem());
  response.set_key_id(std::string(AsBytes(key_id_)));
  return response;
}

absl::StatusOr<std::vector<Hash256>> ChangeLog::AuditPath(uint64_t sequence, uint64_t size,
                                                          const StoreSnapshot* snapshot) const {
  return WithNodes<std::vector<Hash256>>(snapshot, [&](merkle::NodeReader read) {
    return merkle::InclusionProof(sequence, size, read);
  });
}

absl::StatusOr<std::vector<Hash256>> ChangeLog::Frontier(uint64_t size,
                                                         const StoreSnapshot* snapshot) const {
  return WithNodes<std::vector<Hash256>>(
      snapshot, [&](merkle::NodeReader read) -> absl::StatusOr<std::vector<Hash256>> {
        ASSIGN_OR_RETURN(merkle::CompactRange range, merkle::CompactRange::Load(size, read));
        return range.roots();
      });
}

}  // namespace credit
