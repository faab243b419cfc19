// The contract of Store's typed tables, as the change log, the registry and the verifier use
// them: what a committed WriteSet holds is read back by every read, scan and walk; a rollback
// drops what came after its mark; snapshots do not see later commits.
#include <gtest/gtest.h>

#include <vector>

#include "service/storage/store.h"
#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

constexpr char kA[] = "91440300MA5FXXXX0U";
constexpr char kB[] = "91350200MA2Y9J3T80";

class TablesTest : public ::testing::Test {
 protected:
  TablesTest() { store_ = *Store::Open(dir_.path()); }

  // Changes 0..2 (two of subject A, one of B), heads 1 and 3, entries 1 (A) and 2 (B), the
  // subject records, a measure, a request's answer, the leaves and a level-5 node.
  void CommitSample() {
    WriteSet w(*store_);
    for (uint64_t n = 0; n < 3; ++n) {
      w.PutChange(n, "change " + std::to_string(n));
      w.PutTreeNode(0, n, std::string(32, static_cast<char>('a' + n)));
      w.AddSubjectChange(n == 1 ? kB : kA, n);
    }
    w.PutTreeNode(1, 0, std::string(32, 'x'));  // a level between: not stored
    w.PutTreeNode(5, 0, std::string(32, 'u'));
    w.PutHead(1, "head 1");
    w.PutHead(3, "head 3");
    w.PutEntry(1, "entry 1");
    w.PutEntry(2, "entry 2");
    w.AddSubjectEntry(kA, 1);
    w.AddSubjectEntry(kB, 2);
    w.PutSubjectRecord(kA, "record A");
    w.PutMeasure("P-X", "measure");
    w.PutRequestAnswer(Store::RequestRow("recorder", "r1"), "answer");
    ASSERT_TRUE(store_->Commit(&w).ok());
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(TablesTest, AnEmptyStoreHasNothingLast) {
  EXPECT_EQ(*store_->LastChange(), std::nullopt);
  EXPECT_EQ(*store_->LastEntryId(), 0u);
  EXPECT_EQ(*store_->LastHeadSize(Tree::kChanges, nullptr), 0u);
  EXPECT_EQ(*store_->LastQuery(), std::nullopt);
}

TEST_F(TablesTest, WhatACommitHoldsIsReadBack) {
  CommitSample();
  EXPECT_EQ(**store_->GetChange(2, nullptr), "change 2");
  EXPECT_EQ(*store_->LastChange(), std::make_pair(uint64_t{2}, std::string("change 2")));
  EXPECT_EQ(*store_->LastHeadSize(Tree::kChanges, nullptr), 3u);
  EXPECT_EQ(**store_->GetHead(Tree::kChanges, 1, nullptr), "head 1");
  EXPECT_EQ(*store_->GetHead(Tree::kChanges, 2, nullptr), std::nullopt);
  EXPECT_EQ(*store_->LastEntryId(), 2u);
  EXPECT_EQ(**store_->GetEntry(2, nullptr), "entry 2");
  EXPECT_EQ(*store_->MultiGetEntries({2, 7, 1}, nullptr),
            (std::vector<std::optional<std::string>>{"entry 2", std::nullopt, "entry 1"}));
  EXPECT_EQ(**store_->GetSubjectRecord(kA, nullptr), "record A");
  EXPECT_EQ(*store_->MultiGetSubjectRecords({kB, kA}, nullptr),
            (std::vector<std::optional<std::string>>{std::nullopt, "record A"}));
  EXPECT_TRUE(*store_->HasSubjectEntry(kA, 1));
  EXPECT_FALSE(*store_->HasSubjectEntry(kA, 2));
  EXPECT_EQ(*store_->MultiGetTreeNodes(Tree::kChanges, {{0, 1}, {1, 0}, {5, 0}}, nullptr),
            (std::vector<std::optional<std::string>>{std::string(32, 'b'), std::nullopt,
                                                     std::string(32, 'u')}));
  // Rows of different tables, in the order asked.
  EXPECT_EQ(
      *store_->MultiGetRows({Store::SubjectRecordRow(kA), Store::EntryRow(1),
                             Store::RequestRow("recorder", "r1"), Store::EntryRow(9)}),
      (std::vector<std::optional<std::string>>{"record A", "entry 1", "answer", std::nullopt}));
  std::vector<std::string> measures;
  ASSERT_TRUE(store_
                  ->ScanMeasures([&](absl::string_view code, absl::string_view bytes) {
                    measures.push_back(absl::StrCat(code, "=", bytes));
                  })
                  .ok());
  EXPECT_EQ(measures, std::vector<std::string>{"P-X=measure"});
}

TEST_F(TablesTest, ScansStartWhereAskedAndStopWhenTold) {
  CommitSample();
  std::vector<uint64_t> seen;
  ASSERT_TRUE(store_
                  ->ScanSubjectChanges(kA, 1, nullptr,
                                       [&](uint64_t n) {
                                         seen.push_back(n);
                                         return true;
                                       })
                  .ok());
  EXPECT_EQ(seen, std::vector<uint64_t>{2});
  seen.clear();
  ASSERT_TRUE(store_
                  ->ScanChanges(0, nullptr,
                                [&](uint64_t n, absl::string_view) {
                                  seen.push_back(n);
                                  return n < 1;
                                })
                  .ok());
  EXPECT_EQ(seen, (std::vector<uint64_t>{0, 1}));
  seen.clear();
  ASSERT_TRUE(store_
                  ->ScanSubjectEntries(kB, 0, nullptr,
                                       [&](uint64_t id) {
                                         seen.push_back(id);
                                         return true;
                                       })
                  .ok());
  EXPECT_EQ(seen, std::vector<uint64_t>{2});
  std::vector<std::string> index;
  ASSERT_TRUE(store_
                  ->ScanSubjectEntryIndex([&](absl::string_view code, uint64_t id) {
                    index.push_back(absl::StrCat(code, "/", id));
                    return true;
                  })
                  .ok());
  EXPECT_EQ(index, (std::vector<std::string>{absl::StrCat(kB, "/2"), absl::StrCat(kA, "/1")}));
}

TEST_F(TablesTest, WalksGoOverOneTableOrOneLevel) {
  CommitSample();
  std::vector<uint64_t> heads;
  for (auto walk = store_->Walk(TableWalk::Table::kHeads); walk->Valid(); walk->Next()) {
    heads.push_back(walk->number());
  }
  EXPECT_EQ(heads, (std::vector<uint64_t>{1, 3}));
  std::vector<uint64_t> leaves;
  for (auto walk = store_->WalkTreeLevel(Tree::kChanges, 0, 1); walk->Valid(); walk->Next()) {
    leaves.push_back(walk->number());
  }
  EXPECT_EQ(leaves, (std::vector<uint64_t>{1, 2}));  // and not the level-5 node after them
}

TEST_F(TablesTest, ARollbackDropsWhatCameAfterItsMark) {
  WriteSet w(*store_);
  w.PutEntry(1, "kept");
  w.PutSubjectRecord(kA, "kept");
  WriteSet::Mark mark = w.SetMark();
  w.PutEntry(2, "dropped");
  w.PutSubjectRecord(kB, "dropped");
  w.RollbackTo(mark);
  ASSERT_TRUE(store_->Commit(&w).ok());
  EXPECT_EQ(**store_->GetEntry(1, nullptr), "kept");
  EXPECT_EQ(*store_->GetEntry(2, nullptr), std::nullopt);
  EXPECT_EQ(*store_->GetSubjectRecord(kB, nullptr), std::nullopt);
}

TEST_F(TablesTest, ASnapshotDoesNotSeeLaterCommits) {
  CommitSample();
  std::shared_ptr<const StoreSnapshot> before = store_->Snapshot();
  WriteSet w(*store_);
  w.PutEntry(3, "later");
  w.PutHead(4, "head 4");
  ASSERT_TRUE(store_->Commit(&w).ok());
  EXPECT_EQ(*store_->GetEntry(3, before.get()), std::nullopt);
  EXPECT_EQ(*store_->LastHeadSize(Tree::kChanges, before.get()), 3u);
  EXPECT_EQ(**store_->GetEntry(3, nullptr), "later");
}

TEST_F(TablesTest, QueryRecordsAreAppendedInPiecesAndScannedInOrder) {
  QueryBatch batch = store_->NewQueryBatch();
  batch.Add(0, {"a", "b", "c", ""});
  batch.Add(1, {"d", "", "e", "f"});
  ASSERT_TRUE(store_->WriteQueries(&batch).ok());
  EXPECT_EQ(**store_->LastQuery(), "def");
  std::vector<std::string> seen;
  ASSERT_TRUE(store_
                  ->ScanQueries(0,
                                [&](uint64_t n, absl::string_view bytes) {
                                  seen.push_back(absl::StrCat(n, ":", bytes));
                                  return true;
                                })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"0:abc", "1:def"}));
}

TEST_F(TablesTest, TheQueryTreeKeepsItsNodesAndHeadsApartFromTheChangeLogs) {
  const std::string leaf(32, 'q');
  QueryBatch batch = store_->NewQueryBatch();
  batch.PutTreeNode(0, 0, leaf);
  batch.PutTreeNode(1, 0, std::string(32, 'r'));  // a hashed level: not stored
  batch.PutHead(2, "query head 2");
  ASSERT_TRUE(store_->WriteQueries(&batch).ok());
  EXPECT_EQ(*store_->LastHeadSize(Tree::kQueries, nullptr), 2u);
  EXPECT_EQ(**store_->GetHead(Tree::kQueries, 2, nullptr), "query head 2");
  EXPECT_EQ(*store_->LastHeadSize(Tree::kChanges, nullptr), 0u);
  EXPECT_EQ(*store_->MultiGetTreeNodes(Tree::kQueries, {{0, 0}, {1, 0}}, nullptr),
            (std::vector<std::optional<std::string>>{leaf, std::nullopt}));
  EXPECT_EQ(*store_->MultiGetTreeNodes(Tree::kChanges, {{0, 0}}, nullptr),
            (std::vector<std::optional<std::string>>{std::nullopt}));
}

}  // namespace
}  // namespace credit::testing
