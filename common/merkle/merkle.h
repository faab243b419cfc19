// The Merkle tree of RFC 6962 / RFC 9162 §2.1 over the change log: hashing, the compact range
// that appends leaves, proof generation from stored perfect-subtree hashes, and the verifiers.
//
// A "node" (level L, index I) is the root of the perfect subtree over leaves
// [I * 2^L, (I + 1) * 2^L); level 0 nodes are leaf hashes. Every range the RFC's recursion
// visits decomposes into such nodes, so storing them as they complete is all proofs need.
// Pure functions and value types; thread-compatible.
#ifndef CREDIT_COMMON_MERKLE_MERKLE_H_
#define CREDIT_COMMON_MERKLE_MERKLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/sha256.h"

namespace credit::merkle {

// SHA-256(0x00 || leaf).
Hash256 LeafHash(absl::string_view leaf);
// SHA-256(0x01 || left || right).
Hash256 NodeHash(const Hash256& left, const Hash256& right);
// The root of the empty tree: SHA-256 of nothing.
Hash256 EmptyRoot();

// Reads the node (level, index); NOT_FOUND or DATA_LOSS when it is not stored.
using NodeReader = absl::FunctionRef<absl::StatusOr<Hash256>(int level, uint64_t index)>;
// Told of each node that an append completes.
using NodeWriter = absl::FunctionRef<void(int level, uint64_t index, const Hash256& hash)>;

// The roots of the perfect subtrees that cover leaves [0, size), largest first: enough to
// append and to compute the root, in O(log size) memory.
class CompactRange {
 public:
  CompactRange() = default;

  // Loads the range of a tree of `size` leaves from its stored nodes.
  static absl::StatusOr<CompactRange> Load(uint64_t size, NodeReader read);
  // The range of a tree of `size` leaves from its subtree roots (roots() of such a range).
  // INVALID_ARGUMENT unless there is one root per set bit of `size`.
  static absl::StatusOr<CompactRange> FromRoots(uint64_t size, std::vector<Hash256> roots);

  // Appends one leaf; `write` is told of the leaf node and of every node it completes.
  void Append(const Hash256& leaf_hash, NodeWriter write);

  // MTH of the whole tree (EmptyRoot() for size 0).
  Hash256 Root() const;
  uint64_t size() const { return size_; }
  const std::vector<Hash256>& roots() const { return roots_; }

 private:
  uint64_t size_ = 0;
  std::vector<Hash256> roots_;  // one per set bit of size_, highest bit first
};

// MTH(D[begin:end]) for a range the RFC's recursion visits (begin aligned to the largest power of
// two not above end - begin). INVALID_ARGUMENT for any other range.
absl::StatusOr<Hash256> RangeRoot(uint64_t begin, uint64_t end, NodeReader read);

// PATH(index, D[0:size]) of RFC 6962 §2.1.1. INVALID_ARGUMENT unless index < size.
absl::StatusOr<std::vector<Hash256>> InclusionProof(uint64_t index, uint64_t size, NodeReader read);

// PROOF(size1, D[0:size2]) of RFC 6962 §2.1.2. INVALID_ARGUMENT unless 0 < size1 <= size2.
absl::StatusOr<std::vector<Hash256>> ConsistencyProof(uint64_t size1, uint64_t size2,
                                                      NodeReader read);

// RFC 9162 §2.1.3.2. OK when `proof` proves the leaf with `leaf_hash` is leaf `index` of the tree
// of `size` leaves with `root`; otherwise FAILED_PRECONDITION saying why. Each proof element must
// be 32 bytes.
absl::Status VerifyInclusion(uint64_t index, uint64_t size, const Hash256& leaf_hash,
                             const std::vector<std::string>& proof, const Hash256& root);

// RFC 9162 §2.1.4.2. OK when `proof` proves the tree of size1 leaves with root1 is a prefix of
// the tree of size2 leaves with root2; otherwise FAILED_PRECONDITION saying why.
absl::Status VerifyConsistency(uint64_t size1, uint64_t size2, const Hash256& root1,
                               const Hash256& root2, const std::vector<std::string>& proof);

// The 32 bytes of `bytes` as a hash; INVALID_ARGUMENT naming `what` when not 32 bytes long.
absl::StatusOr<Hash256> ToHash(absl::string_view bytes, absl::string_view what);

}  // namespace credit::merkle

#endif  // CREDIT_COMMON_MERKLE_MERKLE_H_
