// ChangeChain and QueryChain: the checks every whole-log walk shares, with their exact messages.
#include "credit/chains.h"

#include <gtest/gtest.h>

#include "common/changelog/change_record.h"
#include "common/querylog/query_record_hash.h"

namespace credit {
namespace {

// Three well-chained change records.
std::vector<std::string> Records() {
  std::vector<std::string> out;
  Hash256 previous{};
  for (uint64_t n = 0; n < 3; ++n) {
    ChangeRecord r;
    r.sequence = n;
    r.previous_hash = previous;
    r.actor_identity = "recorder";
    r.after = "entry " + std::to_string(n);
    out.push_back(EncodeChangeRecord(r));
    previous = ChangeRecordHash(out.back());
  }
  return out;
}

TEST(ChangeChainTest, AWellChainedLogBuildsItsTree) {
  ChangeChain chain;
  merkle::CompactRange expected;
  for (const std::string& r : Records()) {
    ASSERT_TRUE(chain.Add(r).ok());
    expected.Append(ChangeRecordHash(r), [](int, uint64_t, const Hash256&) {});
    EXPECT_EQ(chain.last_hash(), ChangeRecordHash(r));
  }
  EXPECT_EQ(chain.size(), 3u);
  EXPECT_EQ(chain.Root(), expected.Root());
}

TEST(ChangeChainTest, ABrokenLinkNamesTheRecordBefore) {
  std::vector<std::string> records = Records();
  ChangeChain chain;
  ASSERT_TRUE(chain.Add(records[0]).ok());
  records[1][20] ^= 1;  // inside its previous_hash
  absl::Status s = chain.Add(records[1]);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "change 0: its successor records a different hash for it");
}

TEST(ChangeChainTest, AMissingOrUnreadableRecordIsNamed) {
  std::vector<std::string> records = Records();
  ChangeChain chain;
  ASSERT_TRUE(chain.Add(records[0]).ok());
  EXPECT_EQ(chain.Add(records[2]).message(), "change 1: the record says it is change 2");
  EXPECT_EQ(chain.Add("x").message(), "change 1: change record: version 120, want 1 or 2");
  EXPECT_EQ(chain.size(), 1u);
}

TEST(QueryChainTest, ChecksSequenceAndLinks) {
  QueryChain chain;
  v1::QueryRecord first;
  first.set_sequence(0);
  first.set_previous_hash(std::string(32, '\0'));
  absl::StatusOr<Hash256> hash = chain.Add(first);
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_EQ(*hash, QueryRecordHash(first));
  v1::QueryRecord second;
  second.set_sequence(1);
  second.set_previous_hash(std::string(32, 'x'));
  EXPECT_EQ(chain.Add(second).status().message(),
            "query 0: its hash is not the one query 1 recorded for it");
  second.set_sequence(2);
  EXPECT_EQ(chain.Add(second).status().message(),
            "query 1: the record says it is another sequence");
}

}  // namespace
}  // namespace credit
