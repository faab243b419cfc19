#include "common/merkle/merkle.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace credit::merkle {
namespace {

// The largest power of two strictly below n (n >= 2).
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

// RFC 9162 §2.1.3.2 step 4.b (and §2.1.4.2 step 6.b): "right-shift both fn and sn equally until
// either LSB(fn) is set or fn is 0". Called when LSB(fn) is clear and fn is not 0.
void SkipLeftEdge(uint64_t& fn, uint64_t& sn) {
  do {
    fn >>= 1;
    sn >>= 1;
  } while (!(fn & 1) && fn != 0);
}

absl::Status ProofError(absl::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat("proof does not verify: ", why));
}

absl::Status Path(uint64_t index, uint64_t begin, uint64_t end, NodeReader read,
                  std::vector<Hash256>* out) {
  if (end - begin <= 1) return absl::OkStatus();
  uint64_t k = SplitPoint(end - begin);
  if (index < begin + k) {
    RETURN_IF_ERROR(Path(index, begin, begin + k, read, out));
    ASSIGN_OR_RETURN(Hash256 sibling, RangeRoot(begin + k, end, read));
    out->push_back(sibling);
  } else {
    RETURN_IF_ERROR(Path(index, begin + k, end, read, out));
    ASSIGN_OR_RETURN(Hash256 sibling, RangeRoot(begin, begin + k, read));
    out->push_back(sibling);
  }
  return absl::OkStatus();
}

// SUBPROOF(m, D[begin:end], whole) of RFC 6962 §2.1.2, m counted from begin.
absl::Status SubProof(uint64_t m, uint64_t begin, uint64_t end, bool whole, NodeReader read,
                      std::vector<Hash256>* out) {
  uint64_t n = end - begin;
  if (m == n) {
    if (!whole) {
      ASSIGN_OR_RETURN(Hash256 root, RangeRoot(begin, end, read));
      out->push_back(root);
    }
    return absl::OkStatus();
  }
  uint64_t k = SplitPoint(n);
  if (m <= k) {
    RETURN_IF_ERROR(SubProof(m, begin, begin + k, whole, read, out));
    ASSIGN_OR_RETURN(Hash256 right, RangeRoot(begin + k, end, read));
    out->push_back(right);
  } else {
    RETURN_IF_ERROR(SubProof(m - k, begin + k, end, false, read, out));
    ASSIGN_OR_RETURN(Hash256 left, RangeRoot(begin, begin + k, read));
    out->push_back(left);
  }
  return absl::OkStatus();
}

}  // namespace

Hash256 LeafHash(absl::string_view leaf) {
  static constexpr char kPrefix = 0x00;
  return Sha256({absl::string_view(&kPrefix, 1), leaf});
}

Hash256 NodeHash(const Hash256& left, const Hash256& right) {
  static constexpr char kPrefix = 0x01;
  return Sha256({absl::string_view(&kPrefix, 1), AsBytes(left), AsBytes(right)});
}

Hash256 EmptyRoot() { return Sha256({}); }

absl::StatusOr<Hash256> ToHash(absl::string_view bytes, absl::string_view what) {
  if (bytes.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": got ", bytes.size(), " bytes, want a 32-byte SHA-256 hash"));
  }
  Hash256 hash;
  std::memcpy(hash.data(), bytes.data(), 32);
  return hash;
}

absl::StatusOr<CompactRange> CompactRange::Load(uint64_t size, NodeReader read) {
  CompactRange range;
  range.size_ = size;
  uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    uint64_t width = uint64_t{1} << level;
    if ((size & width) == 0) continue;
    ASSIGN_OR_RETURN(Hash256 root, read(level, begin >> level));
    range.roots_.push_back(root);
    begin += width;
  }
  return range;
}

absl::StatusOr<CompactRange> CompactRange::FromRoots(uint64_t size, std::vector<Hash256> roots) {
  if (roots.size() != static_cast<size_t>(std::popcount(size))) {
    return absl::InvalidArgumentError(absl::StrCat("a tree of ", size, " leaves has ",
                                                   std::popcount(size), " subtree roots, got ",
                                                   roots.size()));
  }
  CompactRange range;
  range.size_ = size;
  range.roots_ = std::move(roots);
  return range;
}

void CompactRange::Append(const Hash256& leaf_hash, NodeWriter write) {
  Hash256 hash = leaf_hash;
  uint64_t index = size_;
  int level = 0;
  write(0, index, hash);
  // Like a binary counter's carry: each trailing one bit of size_ merges two subtrees.
  while ((size_ >> level) & 1) {
    hash = NodeHash(roots_.back(), hash);
    roots_.pop_back();
    ++level;
    index >>= 1;
    write(level, index, hash);
  }
  roots_.push_back(hash);
  ++size_;
}

Hash256 CompactRange::Root() const {
  if (roots_.empty()) return EmptyRoot();
  Hash256 root = roots_.back();
  for (auto it = roots_.rbegin() + 1; it != roots_.rend(); ++it) root = NodeHash(*it, root);
  return root;
}

absl::StatusOr<Hash256> RangeRoot(uint64_t begin, uint64_t end, NodeReader read) {
  uint64_t n = end - begin;
  if (end <= begin) {
    return absl::InvalidArgumentError(absl::StrCat("empty range [", begin, ", ", end, ")"));
  }
  if (std::has_single_bit(n)) {
    if (begin % n != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("range [", begin, ", ", end, ") is not a subtree"));
    }
    return read(std::countr_zero(n), begin / n);
  }
  uint64_t k = SplitPoint(n);
  ASSIGN_OR_RETURN(Hash256 left, RangeRoot(begin, begin + k, read));
  ASSIGN_OR_RETURN(Hash256 right, RangeRoot(begin + k, end, read));
  return NodeHash(left, right);
}

absl::StatusOr<std::vector<Hash256>> InclusionProof(uint64_t index, uint64_t size,
                                                    NodeReader read) {
  if (index >= size) {
    return absl::InvalidArgumentError(
        absl::StrCat("sequence: got ", index, ", want less than tree_size ", size));
  }
  std::vector<Hash256> proof;
  RETURN_IF_ERROR(Path(index, 0, size, read, &proof));
  return proof;
}

absl::StatusOr<std::vector<Hash256>> ConsistencyProof(uint64_t size1, uint64_t size2,
                                                      NodeReader read) {
  if (size1 == 0 || size1 > size2) {
    return absl::InvalidArgumentError(
        absl::StrCat("from_size: got ", size1, ", want 1 to ", size2, " (to_size)"));
  }
  std::vector<Hash256> proof;
  RETURN_IF_ERROR(SubProof(size1, 0, size2, true, read, &proof));
  return proof;
}

absl::Status VerifyInclusion(uint64_t index, uint64_t size, const Hash256& leaf_hash,
                             const std::vector<std::string>& proof, const Hash256& root) {
  if (index >= size) return ProofError(absl::StrCat("index ", index, " >= tree size ", size));
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash256 r = leaf_hash;
  for (size_t i = 0; i < proof.size(); ++i) {
    ASSIGN_OR_RETURN(Hash256 p, ToHash(proof[i], absl::StrCat("proof[", i, "]")));
    if (sn == 0) return ProofError("longer than the tree is deep");
    if ((fn & 1) || fn == sn) {
      r = NodeHash(p, r);
      if (!(fn & 1)) SkipLeftEdge(fn, sn);
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return ProofError("shorter than the tree is deep");
  if (r != root) return ProofError("the computed root differs from the tree head's");
  return absl::OkStatus();
}

absl::Status VerifyConsistency(uint64_t size1, uint64_t size2, const Hash256& root1,
                               const Hash256& root2, const std::vector<std::string>& proof) {
  if (size1 > size2) return ProofError(absl::StrCat("size ", size1, " > size ", size2));
  if (size1 == size2) {
    if (!proof.empty()) return ProofError("a proof between equal sizes must be empty");
    if (root1 != root2) return ProofError("equal sizes with different roots");
    return absl::OkStatus();
  }
  if (size1 == 0) {
    // Every tree extends the empty tree; nothing to prove.
    if (!proof.empty()) return ProofError("a proof from the empty tree must be empty");
    return absl::OkStatus();
  }
  if (proof.empty()) return ProofError("empty proof between different sizes");
  std::vector<Hash256> path;
  if (std::has_single_bit(size1)) path.push_back(root1);
  for (size_t i = 0; i < proof.size(); ++i) {
    ASSIGN_OR_RETURN(Hash256 p, ToHash(proof[i], absl::StrCat("proof[", i, "]")));
    path.push_back(p);
  }
  uint64_t fn = size1 - 1;
  uint64_t sn = size2 - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash256 fr = path[0];
  Hash256 sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash256& c = path[i];
    if (sn == 0) return ProofError("longer than the trees are deep");
    if ((fn & 1) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if (!(fn & 1)) SkipLeftEdge(fn, sn);
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return ProofError("shorter than the trees are deep");
  if (fr != root1) return ProofError("the computed old root differs from the old tree head's");
  if (sr != root2) return ProofError("the computed new root differs from the new tree head's");
  return absl::OkStatus();
}

}  // namespace credit::merkle
