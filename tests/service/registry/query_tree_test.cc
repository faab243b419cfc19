// The query log's own signed tree: heads in the query domain over the records' hashes, proofs,
// and the tree built at open over records stored without it.
#include <gtest/gtest.h>

#include "common/merkle/merkle.h"
#include "common/merkle/tree_head.h"
#include "rocksdb/write_batch.h"
#include "service/storage/keys.h"
#include "tests/service/registry/registry_fixture.h"

namespace credit::testing {
namespace {

class QueryTreeTest : public RegistryFixture {
 protected:
  // `count` status answers, each written (and signed) on its own.
  void Ask(int count) {
    for (int i = 0; i < count; ++i) {
      StatusFor(i % 2 ? kOrgCode : kPersonCode, querier_);
      ASSERT_TRUE(registry_->FlushQueryLog().ok());
    }
  }

  v1::SignedTreeHead QueryHead(uint64_t size = 0) {
    v1::GetQueryTreeHeadRequest request;
    request.set_tree_size(size);
    absl::StatusOr<v1::GetQueryTreeHeadResponse> response = registry_->GetQueryTreeHead(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->tree_head() : v1::SignedTreeHead();
  }

  absl::Status VerifyQuerySignature(const v1::SignedTreeHead& head) {
    merkle::TreeHead parsed{head.tree_size(), head.timestamp_micros(),
                            *merkle::ToHash(head.root_hash(), "root"),
                            *merkle::ToHash(head.key_id(), "key id")};
    return merkle::VerifyTreeHeadSignature(parsed, head.signature(), signing_key_.PublicKey(),
                                           merkle::HeadDomain::kQueryLog);
  }

  // The root of the first `size` records as ListQueries shows them.
  Hash256 RootOfListed(uint64_t size) {
    absl::StatusOr<v1::ListQueriesResponse> all = registry_->ListQueries({});
    EXPECT_TRUE(all.ok()) << all.status();
    merkle::CompactRange tree;
    for (uint64_t i = 0; i < size; ++i) {
      tree.Append(*merkle::ToHash(all->queries(i).hash(), "hash"),
                  [](int, uint64_t, const Hash256&) {});
    }
    return tree.Root();
  }
};

TEST_F(QueryTreeTest, TheHeadSignsTheRootOfTheRecordsInTheQueryDomain) {
  Ask(3);
  v1::SignedTreeHead head = QueryHead();
  EXPECT_EQ(head.tree_size(), 3u);
  EXPECT_EQ(head.root_hash(), AsBytes(RootOfListed(3)));
  EXPECT_TRUE(VerifyQuerySignature(head).ok());
  // Not a change-log head: that domain's check refuses it.
  EXPECT_EQ(VerifySignature(head).message(), "tree head: the signature does not verify");
  // A smaller size: the head its write stored, the same bytes each time.
  v1::SignedTreeHead two = QueryHead(2);
  EXPECT_EQ(two.tree_size(), 2u);
  EXPECT_EQ(two.root_hash(), AsBytes(RootOfListed(2)));
  EXPECT_TRUE(VerifyQuerySignature(two).ok());
  EXPECT_EQ(QueryHead(2).SerializeAsString(), two.SerializeAsString());
}

TEST_F(QueryTreeTest, ASizeTheLogNeverHadIsNotFound) {
  Ask(1);
  v1::GetQueryTreeHeadRequest request;
  request.set_tree_size(2);
  absl::Status status = registry_->GetQueryTreeHead(request).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "tree_size: the query log never had 2 records; it has 1");
}

TEST_F(QueryTreeTest, InclusionAndConsistencyProofsVerify) {
  Ask(5);
  absl::StatusOr<v1::ListQueriesResponse> all = registry_->ListQueries({});
  ASSERT_TRUE(all.ok());
  v1::GetQueryInclusionProofRequest inclusion;
  inclusion.set_sequence(2);
  absl::StatusOr<v1::GetQueryInclusionProofResponse> proof =
      registry_->GetQueryInclusionProof(inclusion);
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_EQ(proof->leaf_hash(), all->queries(2).hash());
  EXPECT_EQ(proof->tree_head().tree_size(), 5u);
  std::vector<std::string> path(proof->proof().begin(), proof->proof().end());
  EXPECT_TRUE(merkle::VerifyInclusion(2, 5, *merkle::ToHash(proof->leaf_hash(), "leaf"), path,
                                      RootOfListed(5))
                  .ok());

  v1::GetQueryConsistencyProofRequest consistency;
  consistency.set_from_size(3);
  absl::StatusOr<v1::GetQueryConsistencyProofResponse> between =
      registry_->GetQueryConsistencyProof(consistency);
  ASSERT_TRUE(between.ok()) << between.status();
  EXPECT_EQ(between->from_head().tree_size(), 3u);
  EXPECT_EQ(between->to_head().tree_size(), 5u);
  EXPECT_TRUE(VerifyQuerySignature(between->from_head()).ok());
  std::vector<std::string> steps(between->proof().begin(), between->proof().end());
  EXPECT_TRUE(merkle::VerifyConsistency(3, 5, RootOfListed(3), RootOfListed(5), steps).ok());
}

TEST_F(QueryTreeTest, ProofSizesOutsideTheLogAreInvalidArgument) {
  Ask(2);
  v1::GetQueryInclusionProofRequest inclusion;
  inclusion.set_sequence(2);
  absl::Status status = registry_->GetQueryInclusionProof(inclusion).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "sequence, tree_size: got 2, 2; want sequence < tree_size <= 2 (the current size)");
  v1::GetQueryConsistencyProofRequest consistency;
  consistency.set_from_size(0);
  status = registry_->GetQueryConsistencyProof(consistency).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "from_size, to_size: got 0, 2; want 1 <= from_size <= to_size <= 2 (the current size)");
}

TEST_F(QueryTreeTest, ATreeResumesAfterRestart) {
  Ask(2);
  v1::SignedTreeHead before = QueryHead();
  Reopen();
  EXPECT_EQ(QueryHead().SerializeAsString(), before.SerializeAsString());
  Ask(1);
  EXPECT_EQ(QueryHead().tree_size(), 3u);
  const Hash256 root = RootOfListed(3);
  EXPECT_EQ(QueryHead().root_hash(), AsBytes(root));
  registry_.reset();
  absl::StatusOr<VerifyReport> report = Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->queries, 3u);
  EXPECT_EQ(report->query_root, root);
}

TEST_F(QueryTreeTest, RecordsStoredWithoutATreeGetOneAtOpen) {
  Ask(40);  // past 32 leaves: a stored upper node too
  const Hash256 root = RootOfListed(40);
  registry_.reset();
  {
    // As a version before the query tree left the folder: records only.
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
    ASSERT_TRUE(store.ok());
    rocksdb::WriteBatch batch;
    for (Family family : {Family::kQueryNodes, Family::kQueryHeads}) {
      batch.DeleteRange((*store)->Handle(family), std::string(1, '\0'), std::string(9, '\xff'));
    }
    ASSERT_TRUE((*store)->Write(&batch).ok());
    ASSERT_EQ(*(*store)->LastHeadSize(Tree::kQueries, nullptr), 0u);
  }
  Open();
  v1::SignedTreeHead head = QueryHead();
  EXPECT_EQ(head.tree_size(), 40u);
  EXPECT_EQ(head.root_hash(), AsBytes(root));
  EXPECT_TRUE(VerifyQuerySignature(head).ok());
  Ask(1);
  registry_.reset();
  absl::StatusOr<VerifyReport> report = Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->queries, 41u);
  EXPECT_EQ(report->query_heads_checked, 2u);
}

}  // namespace
}  // namespace credit::testing
