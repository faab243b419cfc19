// The Merkle tree's upper levels in memory: what Load reads from the store, what commits add,
// and what neither knows yet (a miss, so that callers read the store).
#include "service/changelog/upper_nodes.h"

#include <gtest/gtest.h>

#include <map>

#include "common/merkle/merkle.h"
#include "rocksdb/write_batch.h"
#include "service/storage/keys.h"
#include "tests/service/registry/registry_fixture.h"

namespace credit::testing {
namespace {

using NodeKey = std::pair<int, uint64_t>;

Hash256 Leaf(uint64_t i) { return merkle::LeafHash("record " + std::to_string(i)); }

class UpperNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // Appends leaves [range_.size(), end): their nodes go to the store when `store` is set, and
  // to `tree_` in any case; returns the nodes of the upper levels they complete.
  std::vector<UpperNodes::Node> Append(uint64_t end, bool store) {
    std::vector<UpperNodes::Node> upper;
    rocksdb::WriteBatch batch;
    while (range_.size() < end) {
      range_.Append(Leaf(range_.size()), [&](int level, uint64_t index, const Hash256& hash) {
        tree_[{level, index}] = hash;
        if (store) {
          batch.Put(store_->Handle(Family::kTreeNodes), keys::TreeNode(level, index),
                    ToSlice(AsBytes(hash)));
        }
        if (level >= UpperNodes::kLowestLevel) upper.push_back({level, index, hash});
      });
    }
    if (store) {
      EXPECT_TRUE(store_->Write(&batch).ok());
    }
    return upper;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  merkle::CompactRange range_;
  std::map<NodeKey, Hash256> tree_;
};

TEST_F(UpperNodesTest, LoadReadsEveryStoredNodeOfTheUpperLevelsAndCommitsAddTheirs) {
  Append(5000, /*store=*/true);
  UpperNodes nodes(5000);
  std::atomic<bool> stop{false};
  // Before the load: nothing of the stored tree.
  EXPECT_EQ(nodes.Find(5, 0), std::nullopt);
  EXPECT_EQ(nodes.Find(12, 0), std::nullopt);
  EXPECT_EQ(nodes.NodeCount(), 0u);
  EXPECT_FALSE(nodes.Loaded());

  // A commit beyond the stored tree, during the load: found at once.
  std::vector<UpperNodes::Node> committed = Append(5100, /*store=*/false);
  // Leaves 5000-5099 complete (5, 156), (5, 157), (5, 158) and (6, 78).
  ASSERT_EQ(committed.size(), 4u);
  nodes.AddCommitted(committed);
  EXPECT_EQ(nodes.Find(5, 156), tree_.at({5, 156}));
  EXPECT_EQ(nodes.Find(6, 78), tree_.at({6, 78}));
  EXPECT_EQ(nodes.Find(5, 155), std::nullopt);  // stored, not loaded yet

  ASSERT_TRUE(nodes.Load(*store_, Tree::kChanges, stop).ok());
  EXPECT_TRUE(nodes.Loaded());
  uint64_t upper = 0;
  for (const auto& [key, hash] : tree_) {
    const auto& [level, index] = key;
    if (level < UpperNodes::kLowestLevel) {
      EXPECT_EQ(nodes.Find(level, index), std::nullopt) << level << "/" << index;
      continue;
    }
    ++upper;
    EXPECT_EQ(nodes.Find(level, index), hash) << level << "/" << index;
  }
  // 5100 leaves: 159 + 79 + 39 + 19 + 9 + 4 + 2 + 1 nodes of levels 5 to 12.
  EXPECT_EQ(upper, 312u);
  EXPECT_EQ(nodes.NodeCount(), 312u);
  EXPECT_EQ(nodes.Find(5, 159), std::nullopt);  // not complete
  EXPECT_EQ(nodes.Find(13, 0), std::nullopt);
  EXPECT_EQ(nodes.Find(64, 0), std::nullopt);
  EXPECT_EQ(nodes.Find(-1, 0), std::nullopt);
}

TEST_F(UpperNodesTest, ACommitThatWouldLeaveAGapIsNotKept) {
  Append(64, /*store=*/false);
  UpperNodes nodes(0);
  Append(128, /*store=*/false);
  std::vector<UpperNodes::Node> later = Append(192, /*store=*/false);
  nodes.AddCommitted(later);  // (5, 4) without (5, 0) to (5, 3) before it
  EXPECT_EQ(nodes.Find(5, 4), std::nullopt);
  EXPECT_EQ(nodes.Find(6, 2), std::nullopt);
  EXPECT_EQ(nodes.NodeCount(), 0u);
}

TEST_F(UpperNodesTest, AMissingStoredNodeIsDataLossAndLeavesItsLevelUnloaded) {
  Append(4096, /*store=*/true);
  rocksdb::WriteBatch batch;
  batch.Delete(store_->Handle(Family::kTreeNodes), keys::TreeNode(5, 70));
  ASSERT_TRUE(store_->Write(&batch).ok());
  UpperNodes nodes(4096);
  std::atomic<bool> stop{false};
  absl::Status loaded = nodes.Load(*store_, Tree::kChanges, stop);
  EXPECT_EQ(loaded.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(loaded.message(), "Merkle tree node (level 5, index 70) is missing");
  EXPECT_FALSE(nodes.Loaded());
  EXPECT_EQ(nodes.Find(5, 69), tree_.at({5, 69}));  // read before the gap
  EXPECT_EQ(nodes.Find(5, 70), std::nullopt);
  EXPECT_EQ(nodes.Find(5, 71), std::nullopt);
  EXPECT_EQ(nodes.Find(6, 35), tree_.at({6, 35}));  // other levels load
  EXPECT_EQ(nodes.Find(12, 0), tree_.at({12, 0}));
}

TEST_F(UpperNodesTest, AWrongSizedStoredNodeIsDataLoss) {
  Append(1024, /*store=*/true);
  rocksdb::WriteBatch batch;
  batch.Put(store_->Handle(Family::kTreeNodes), keys::TreeNode(7, 3), "short");
  ASSERT_TRUE(store_->Write(&batch).ok());
  UpperNodes nodes(1024);
  std::atomic<bool> stop{false};
  absl::Status loaded = nodes.Load(*store_, Tree::kChanges, stop);
  EXPECT_EQ(loaded.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(loaded.message(), "Merkle tree node (level 7, index 3) is not 32 bytes long");
  EXPECT_EQ(nodes.Find(7, 3), std::nullopt);
  EXPECT_EQ(nodes.Find(7, 2), tree_.at({7, 2}));
}

TEST_F(UpperNodesTest, LoadStopsWhenTold) {
  Append(2048, /*store=*/true);
  UpperNodes nodes(2048);
  std::atomic<bool> stop{true};
  EXPECT_TRUE(nodes.Load(*store_, Tree::kChanges, stop).ok());
  EXPECT_FALSE(nodes.Loaded());
  EXPECT_EQ(nodes.NodeCount(), 0u);
  EXPECT_EQ(nodes.Find(11, 0), std::nullopt);
}

}  // namespace
}  // namespace credit::testing
