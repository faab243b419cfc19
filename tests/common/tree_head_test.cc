#include "common/merkle/tree_head.h"

#include <gtest/gtest.h>

#include "common/crypto/ed25519.h"
#include "common/merkle/merkle.h"

namespace credit::merkle {
namespace {

TreeHead HeadOf(const SigningKey& key) {
  TreeHead head;
  head.tree_size = 0x0102030405060708;
  head.timestamp_micros = 1765000000000000;
  head.root_hash = EmptyRoot();
  head.key_id = KeyId(key.PublicKey());
  return head;
}

TEST(TreeHeadTest, EachLogSignsUnderItsOwnLabelThenTheSameFields) {
  SigningKey key = *SigningKey::Generate();
  const TreeHead head = HeadOf(key);
  const std::string changes = TreeHeadSigningInput(head, HeadDomain::kChangeLog);
  const std::string queries = TreeHeadSigningInput(head, HeadDomain::kQueryLog);
  const std::string label_changes("credit-registry/tree-head/v1\0", 29);
  const std::string label_queries("credit-registry/query-head/v1\0", 30);
  ASSERT_EQ(changes.size(), 29u + 80u);
  ASSERT_EQ(queries.size(), 30u + 80u);
  EXPECT_EQ(changes.substr(0, 29), label_changes);
  EXPECT_EQ(queries.substr(0, 30), label_queries);
  EXPECT_EQ(changes.substr(29), queries.substr(30));
  EXPECT_EQ(changes.substr(29, 8), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  // The default is the change log's, as every head before the query log's was.
  EXPECT_EQ(TreeHeadSigningInput(head), changes);
}

TEST(TreeHeadTest, AHeadOfOneLogDoesNotVerifyAsTheOther) {
  SigningKey key = *SigningKey::Generate();
  const TreeHead head = HeadOf(key);
  const std::string query_signature = key.Sign(TreeHeadSigningInput(head, HeadDomain::kQueryLog));
  EXPECT_TRUE(
      VerifyTreeHeadSignature(head, query_signature, key.PublicKey(), HeadDomain::kQueryLog).ok());
  absl::Status as_change =
      VerifyTreeHeadSignature(head, query_signature, key.PublicKey(), HeadDomain::kChangeLog);
  EXPECT_EQ(as_change.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(as_change.message(), "tree head: the signature does not verify");
  const std::string change_signature = key.Sign(TreeHeadSigningInput(head));
  EXPECT_EQ(VerifyTreeHeadSignature(head, change_signature, key.PublicKey(), HeadDomain::kQueryLog)
                .message(),
            "tree head: the signature does not verify");
}

}  // namespace
}  // namespace credit::merkle
