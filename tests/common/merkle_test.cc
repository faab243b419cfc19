#include "common/merkle/merkle.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace credit::merkle {
namespace {

using google::protobuf::Value;

std::string Unhex(const std::string& hex) { return absl::HexStringToBytes(hex); }
Hash256 HashOf(const std::string& hex) { return *ToHash(Unhex(hex), "hex"); }

// ../shared/testdata/rfc6962_vectors.json, parsed once.
const google::protobuf::Struct& Vectors() {
  static const google::protobuf::Struct* vectors = [] {
    std::ifstream in(RFC6962_VECTORS);
    EXPECT_TRUE(in.good()) << "cannot read " << RFC6962_VECTORS;
    std::stringstream text;
    text << in.rdbuf();
    auto* parsed = new google::protobuf::Struct();
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(text.str(), parsed).ok());
    return parsed;
  }();
  return *vectors;
}

const Value& Field(const Value& v, const std::string& name) {
  return v.struct_value().fields().at(name);
}
const Value& Field(const std::string& name) { return Vectors().fields().at(name); }

std::vector<std::string> HexList(const Value& list) {
  std::vector<std::string> out;
  for (const Value& v : list.list_value().values()) out.push_back(Unhex(v.string_value()));
  return out;
}

// A tree held in memory: every node the appends complete.
class MemoryTree {
 public:
  void Append(absl::string_view leaf) {
    range_.Append(LeafHash(leaf), [&](int level, uint64_t index, const Hash256& hash) {
      nodes_[{level, index}] = hash;
    });
  }
  absl::StatusOr<Hash256> Read(int level, uint64_t index) const {
    auto it = nodes_.find({level, index});
    if (it == nodes_.end()) return absl::NotFoundError("no node");
    return it->second;
  }
  std::function<absl::StatusOr<Hash256>(int, uint64_t)> reader() const {
    return [this](int level, uint64_t index) { return Read(level, index); };
  }
  Hash256 Root() const { return range_.Root(); }
  uint64_t size() const { return range_.size(); }

 private:
  CompactRange range_;
  std::map<std::pair<int, uint64_t>, Hash256> nodes_;
};

MemoryTree ReferenceTree(size_t n) {
  MemoryTree tree;
  std::vector<std::string> leaves = HexList(Field("leaves_hex"));
  for (size_t i = 0; i < n; ++i) tree.Append(leaves[i]);
  return tree;
}

std::vector<std::string> AsStrings(const std::vector<Hash256>& hashes) {
  std::vector<std::string> out;
  for (const Hash256& h : hashes) out.emplace_back(AsBytes(h));
  return out;
}

// The RFC's MTH, straight from its definition, to check the stored-node machinery against.
Hash256 NaiveRoot(const std::vector<std::string>& leaves, size_t begin, size_t end) {
  if (end - begin == 1) return LeafHash(leaves[begin]);
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return NodeHash(NaiveRoot(leaves, begin, begin + k), NaiveRoot(leaves, begin + k, end));
}

TEST(MerkleTest, EmptyTreeRoot) {
  EXPECT_EQ(EmptyRoot(), HashOf(Field("empty_tree_root").string_value()));
  EXPECT_EQ(CompactRange().Root(), EmptyRoot());
}

TEST(MerkleTest, ReproducesTheReferenceRoots) {
  const auto& roots = Field("roots").struct_value().fields();
  ASSERT_EQ(roots.size(), 8u);
  for (const auto& [size, hex] : roots) {
    MemoryTree tree = ReferenceTree(std::stoul(size));
    EXPECT_EQ(ToHex(AsBytes(tree.Root())), hex.string_value()) << "size " << size;
    absl::StatusOr<Hash256> range = RangeRoot(0, tree.size(), tree.reader());
    ASSERT_TRUE(range.ok());
    EXPECT_EQ(*range, tree.Root());
  }
}

TEST(MerkleTest, ReproducesTheReferenceInclusionProofs) {
  const auto& cases = Field("inclusion").list_value().values();
  ASSERT_FALSE(cases.empty());
  for (const Value& c : cases) {
    uint64_t index = Field(c, "leaf_index").number_value();
    uint64_t size = Field(c, "tree_size").number_value();
    std::vector<std::string> want = HexList(Field(c, "path"));
    MemoryTree tree = ReferenceTree(size);
    absl::StatusOr<std::vector<Hash256>> proof = InclusionProof(index, size, tree.reader());
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_EQ(AsStrings(*proof), want) << index << " in " << size;
    Hash256 leaf = LeafHash(HexList(Field("leaves_hex"))[index]);
    EXPECT_TRUE(VerifyInclusion(index, size, leaf, want, tree.Root()).ok()) << index << "/" << size;
  }
}

TEST(MerkleTest, ReproducesTheReferenceConsistencyProofs) {
  const auto& cases = Field("consistency").list_value().values();
  ASSERT_FALSE(cases.empty());
  for (const Value& c : cases) {
    uint64_t first = Field(c, "first").number_value();
    uint64_t second = Field(c, "second").number_value();
    std::vector<std::string> want = HexList(Field(c, "proof"));
    MemoryTree tree = ReferenceTree(second);
    absl::StatusOr<std::vector<Hash256>> proof = ConsistencyProof(first, second, tree.reader());
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_EQ(AsStrings(*proof), want) << first << " -> " << second;
    EXPECT_TRUE(
        VerifyConsistency(first, second, ReferenceTree(first).Root(), tree.Root(), want).ok())
        << first << " -> " << second;
  }
}

TEST(MerkleTest, StoredNodesAgreeWithTheDefinitionForManySizes) {
  std::vector<std::string> leaves;
  MemoryTree tree;
  for (int i = 0; i < 70; ++i) {
    leaves.push_back("leaf " + std::to_string(i));
    tree.Append(leaves.back());
    ASSERT_EQ(tree.Root(), NaiveRoot(leaves, 0, leaves.size())) << leaves.size();
    absl::StatusOr<CompactRange> loaded = CompactRange::Load(tree.size(), tree.reader());
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded->Root(), tree.Root());
  }
  for (uint64_t size = 1; size <= 70; ++size) {
    Hash256 root = NaiveRoot(leaves, 0, size);
    for (uint64_t index = 0; index < size; ++index) {
      auto proof = InclusionProof(index, size, tree.reader());
      ASSERT_TRUE(proof.ok());
      EXPECT_TRUE(
          VerifyInclusion(index, size, LeafHash(leaves[index]), AsStrings(*proof), root).ok())
          << index << "/" << size;
    }
    for (uint64_t first = 1; first <= size; ++first) {
      auto proof = ConsistencyProof(first, size, tree.reader());
      ASSERT_TRUE(proof.ok());
      EXPECT_TRUE(
          VerifyConsistency(first, size, NaiveRoot(leaves, 0, first), root, AsStrings(*proof)).ok())
          << first << " -> " << size;
    }
  }
}

TEST(MerkleTest, ProofRequestsOutOfRangeAreInvalidArgument) {
  MemoryTree tree = ReferenceTree(8);
  EXPECT_EQ(InclusionProof(8, 8, tree.reader()).status().message(),
            "sequence: got 8, want less than tree_size 8");
  EXPECT_EQ(ConsistencyProof(0, 8, tree.reader()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(5, 4, tree.reader()).status().message(),
            "from_size: got 5, want 1 to 4 (to_size)");
}

// Every way of damaging a valid proof must be caught.
std::vector<std::vector<std::string>> Corruptions(const std::vector<std::string>& proof) {
  std::vector<std::vector<std::string>> out;
  for (size_t i = 0; i < proof.size(); ++i) {
    auto removed = proof;
    removed.erase(removed.begin() + i);
    out.push_back(removed);
    auto inserted = proof;
    inserted.insert(inserted.begin() + i, std::string(32, '\x5a'));
    out.push_back(inserted);
    for (size_t bit = 0; bit < 256; ++bit) {
      auto flipped = proof;
      flipped[i][bit / 8] ^= static_cast<char>(1 << (bit % 8));
      out.push_back(flipped);
    }
    if (i + 1 < proof.size() && proof[i] != proof[i + 1]) {
      auto swapped = proof;
      std::swap(swapped[i], swapped[i + 1]);
      out.push_back(swapped);
    }
    auto garbage_before = proof;
    garbage_before[i] = "xx" + garbage_before[i];
    out.push_back(garbage_before);
  }
  auto appended = proof;
  appended.push_back(std::string(32, '\x01'));
  out.push_back(appended);
  auto prepended = proof;
  prepended.insert(prepended.begin(), std::string(32, '\x01'));
  out.push_back(prepended);
  auto garbage_after = proof;
  if (!garbage_after.empty()) garbage_after.back() += "zz";
  out.push_back(garbage_after);
  return out;
}

// A refused proof: FAILED_PRECONDITION saying which check failed, or, for a hash of the wrong
// length, INVALID_ARGUMENT naming it.
void ExpectRefused(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    EXPECT_TRUE(absl::StartsWith(status.message(), "proof[")) << status;
    EXPECT_TRUE(absl::EndsWith(status.message(), " bytes, want a 32-byte SHA-256 hash")) << status;
    return;
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_TRUE(absl::StartsWith(status.message(), "proof does not verify: ")) << status;
}

constexpr char kRootDiffers[] =
    "proof does not verify: the computed root differs from the tree head's";

TEST(MerkleTest, EveryCorruptedInclusionProofIsRejected) {
  std::vector<std::string> leaves = HexList(Field("leaves_hex"));
  for (const Value& c : Field("inclusion").list_value().values()) {
    uint64_t index = Field(c, "leaf_index").number_value();
    uint64_t size = Field(c, "tree_size").number_value();
    std::vector<std::string> proof = HexList(Field(c, "path"));
    Hash256 root = ReferenceTree(size).Root();
    Hash256 leaf = LeafHash(leaves[index]);
    for (const auto& bad : Corruptions(proof)) {
      if (bad == proof) continue;
      SCOPED_TRACE(absl::StrCat(index, "/", size));
      ExpectRefused(VerifyInclusion(index, size, leaf, bad, root));
    }
    if (size > 1) {
      ExpectRefused(VerifyInclusion(index + 1, size, leaf, proof, root));
      if (index > 0) {
        ExpectRefused(VerifyInclusion(index - 1, size, leaf, proof, root));
      }
    }
    ExpectRefused(VerifyInclusion(index, size * 2, leaf, proof, root));
    if (size / 2 > index && size > 1) {
      ExpectRefused(VerifyInclusion(index, size / 2, leaf, proof, root));
    }
    Hash256 wrong_root = root;
    wrong_root[0] ^= 1;
    EXPECT_EQ(VerifyInclusion(index, size, leaf, proof, wrong_root).message(), kRootDiffers);
    Hash256 wrong_leaf = leaf;
    wrong_leaf[31] ^= 0x80;
    EXPECT_EQ(VerifyInclusion(index, size, wrong_leaf, proof, root).message(), kRootDiffers);
  }
}

TEST(MerkleTest, EveryCorruptedConsistencyProofIsRejected) {
  for (const Value& c : Field("consistency").list_value().values()) {
    uint64_t first = Field(c, "first").number_value();
    uint64_t second = Field(c, "second").number_value();
    std::vector<std::string> proof = HexList(Field(c, "proof"));
    Hash256 root1 = ReferenceTree(first).Root();
    Hash256 root2 = ReferenceTree(second).Root();
    for (const auto& bad : Corruptions(proof)) {
      if (bad == proof) continue;
      SCOPED_TRACE(absl::StrCat(first, " -> ", second));
      ExpectRefused(VerifyConsistency(first, second, root1, root2, bad));
    }
    if (first == second) continue;
    ExpectRefused(VerifyConsistency(first, second * 2, root1, root2, proof));
    ExpectRefused(VerifyConsistency(first + 1, second, root1, root2, proof));
    if (first > 1) {
      ExpectRefused(VerifyConsistency(first - 1, second, root1, root2, proof));
    }
    Hash256 wrong = root1;
    wrong[5] ^= 4;
    ExpectRefused(VerifyConsistency(first, second, wrong, root2, proof));
    wrong = root2;
    wrong[5] ^= 4;
    ExpectRefused(VerifyConsistency(first, second, root1, wrong, proof));
  }
}

}  // namespace
}  // namespace credit::merkle
