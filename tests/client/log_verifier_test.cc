#include "credit/log_verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "common/crypto/ed25519.h"
#include "common/merkle/merkle.h"
#include "common/merkle/tree_head.h"

namespace credit {
namespace {

using ::testing::HasSubstr;

// A log held in memory that signs heads like creditd does: a stand-in for an honest server, or
// for one that rewrites its history.
class FakeLog {
 public:
  explicit FakeLog(const SigningKey& key) : key_(key) {}

  void Append(const std::string& record) {
    records_.push_back(record);
    range_.Append(merkle::LeafHash(record), [&](int level, uint64_t index, const Hash256& h) {
      nodes_[{level, index}] = h;
    });
  }

  v1::SignedTreeHead Head() const {
    merkle::TreeHead head{range_.size(), 1700000000000000 + static_cast<int64_t>(range_.size()),
                          range_.Root(), merkle::KeyId(key_.PublicKey())};
    v1::SignedTreeHead signed_head;
    signed_head.set_tree_size(head.tree_size);
    signed_head.set_timestamp_micros(head.timestamp_micros);
    signed_head.set_root_hash(std::string(AsBytes(head.root_hash)));
    signed_head.set_key_id(std::string(AsBytes(head.key_id)));
    signed_head.set_signature(key_.Sign(merkle::TreeHeadSigningInput(head)));
    return signed_head;
  }

  std::vector<std::string> Consistency(uint64_t from, uint64_t to) const {
    return Strings(*merkle::ConsistencyProof(from, to, Reader()));
  }
  std::vector<std::string> Inclusion(uint64_t index) const {
    return Strings(*merkle::InclusionProof(index, range_.size(), Reader()));
  }

 private:
  std::function<absl::StatusOr<Hash256>(int, uint64_t)> Reader() const {
    return [this](int level, uint64_t index) -> absl::StatusOr<Hash256> {
      return nodes_.at({level, index});
    };
  }
  static std::vector<std::string> Strings(const std::vector<Hash256>& hashes) {
    std::vector<std::string> out;
    for (const Hash256& h : hashes) out.emplace_back(AsBytes(h));
    return out;
  }

  const SigningKey& key_;
  std::vector<std::string> records_;
  merkle::CompactRange range_;
  std::map<std::pair<int, uint64_t>, Hash256> nodes_;
};

class LogVerifierTest : public ::testing::Test {
 protected:
  LogVerifierTest() : key_(*SigningKey::Generate()), log_(key_), verifier_(key_.PublicKey()) {
    for (int i = 0; i < 5; ++i) log_.Append("record " + std::to_string(i));
  }

  SigningKey key_;
  FakeLog log_;
  LogVerifier verifier_;
};

TEST_F(LogVerifierTest, TrustsTheFirstSignedHeadThenAdvancesOnConsistentOnes) {
  v1::SignedTreeHead first = log_.Head();
  ASSERT_TRUE(verifier_.Observe(first, {}).ok());
  EXPECT_EQ(verifier_.trusted()->tree_size(), 5u);
  for (int i = 5; i < 12; ++i) log_.Append("record " + std::to_string(i));
  absl::Status s = verifier_.Observe(log_.Head(), log_.Consistency(5, 12));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(verifier_.trusted()->tree_size(), 12u);
  // An older head of the same history is accepted and does not move trust back.
  EXPECT_TRUE(verifier_.Observe(first, log_.Consistency(5, 12)).ok());
  EXPECT_EQ(verifier_.trusted()->tree_size(), 12u);
}

// A signed head of size 0 claims the empty tree: any root but the empty tree's is refused, even
// with a valid signature (else it would be trusted as a start and any history proven against it).
TEST_F(LogVerifierTest, RefusesAnEmptyTreeHeadWithARoot) {
  auto sign = [&](const Hash256& root) {
    merkle::TreeHead head{0, 1700000000000000, root, merkle::KeyId(key_.PublicKey())};
    v1::SignedTreeHead signed_head;
    signed_head.set_tree_size(0);
    signed_head.set_timestamp_micros(head.timestamp_micros);
    signed_head.set_root_hash(std::string(AsBytes(root)));
    signed_head.set_key_id(std::string(AsBytes(head.key_id)));
    signed_head.set_signature(key_.Sign(merkle::TreeHeadSigningInput(head)));
    return signed_head;
  };
  EXPECT_TRUE(verifier_.VerifyHead(sign(merkle::EmptyRoot())).ok());
  Hash256 other = merkle::LeafHash("record 0");
  absl::Status s = verifier_.VerifyHead(sign(other));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "tree_head: size 0 with root " + ToHex(AsBytes(other)) +
                             ", want the empty tree's root " + ToHex(AsBytes(merkle::EmptyRoot())));
  EXPECT_EQ(verifier_.Observe(sign(other), {}).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(verifier_.trusted().has_value());
}

TEST_F(LogVerifierTest, RefusesAHeadFromARewrittenHistory) {
  ASSERT_TRUE(verifier_.Observe(log_.Head(), {}).ok());
  // The same key signs a log whose record 2 was changed, then grown.
  FakeLog forked(key_);
  for (int i = 0; i < 8; ++i) forked.Append(i == 2 ? "rewritten" : "record " + std::to_string(i));
  absl::Status s = verifier_.Observe(forked.Head(), forked.Consistency(5, 8));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("is not consistent with the trusted head of size 5"));
  EXPECT_EQ(verifier_.trusted()->tree_size(), 5u);
}

TEST_F(LogVerifierTest, RefusesAHeadSignedByAnotherKey) {
  SigningKey other = *SigningKey::Generate();
  FakeLog impostor(other);
  impostor.Append("record 0");
  absl::Status s = verifier_.Observe(impostor.Head(), {});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "tree head: signed by another key than the one trusted (key id differs)");
  // Claiming our key id does not help: the signature does not verify.
  v1::SignedTreeHead forged = impostor.Head();
  forged.set_key_id(std::string(AsBytes(merkle::KeyId(key_.PublicKey()))));
  EXPECT_EQ(verifier_.VerifyHead(forged).message(), "tree head: the signature does not verify");
  EXPECT_FALSE(verifier_.trusted().has_value());
}

TEST_F(LogVerifierTest, RefusesATamperedHead) {
  v1::SignedTreeHead head = log_.Head();
  head.set_tree_size(6);
  EXPECT_EQ(verifier_.VerifyHead(head).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(verifier_.VerifyHead(head).message(), "tree head: the signature does not verify");
  head = log_.Head();
  head.set_root_hash("short");
  EXPECT_EQ(verifier_.VerifyHead(head).message(),
            "tree_head.root_hash: got 5 bytes, want a 32-byte SHA-256 hash");
}

TEST_F(LogVerifierTest, ChecksThatARecordIsInTheTree) {
  v1::SignedTreeHead head = log_.Head();
  EXPECT_TRUE(verifier_.VerifyRecordInclusion(3, "record 3", log_.Inclusion(3), head).ok());
  for (const absl::Status& refused :
       {verifier_.VerifyRecordInclusion(3, "record 4", log_.Inclusion(3), head),
        verifier_.VerifyRecordInclusion(2, "record 3", log_.Inclusion(3), head)}) {
    EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(refused.message(),
              "proof does not verify: the computed root differs from the tree head's");
  }
}

TEST_F(LogVerifierTest, TheTrustedHeadPersists) {
  std::string path =
      (std::filesystem::temp_directory_path() / ("trusted-head-" + std::to_string(getpid())))
          .string();
  EXPECT_EQ(verifier_.SaveTrusted(path).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(verifier_.Observe(log_.Head(), {}).ok());
  ASSERT_TRUE(verifier_.SaveTrusted(path).ok());
  LogVerifier restarted(key_.PublicKey());
  ASSERT_TRUE(restarted.LoadTrusted(path).ok());
  EXPECT_EQ(restarted.trusted()->SerializeAsString(), log_.Head().SerializeAsString());
  // A verifier pinned to another key does not take it.
  LogVerifier other((*SigningKey::Generate()).PublicKey());
  EXPECT_EQ(other.LoadTrusted(path).code(), absl::StatusCode::kFailedPrecondition);
  std::filesystem::remove(path);
  EXPECT_EQ(restarted.LoadTrusted(path).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace credit
