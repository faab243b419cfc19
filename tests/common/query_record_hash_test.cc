#include "common/querylog/query_record_hash.h"

#include <cstdint>
#include <limits>
#include <string>

#include "common/proto/deterministic.h"
#include "gtest/gtest.h"

namespace credit {
namespace {

namespace v1 = ::credit::registry::v1;

// Fields 2 to 6: what an answering thread serialises.
v1::QueryRecord Body(int subjects) {
  v1::QueryRecord record;
  record.mutable_time()->set_seconds(1795870000);
  record.mutable_time()->set_nanos(123000);
  record.mutable_actor()->set_identity("tax-bureau-01");
  record.mutable_actor()->set_department("税务局");
  record.set_rpc("BatchGetCreditStatus");
  record.set_purpose("招投标资格审查");
  for (int i = 0; i < subjects; ++i) {
    Hash256 hash = Sha256({"salt", std::to_string(i)});
    record.add_subject_hashes(std::string(AsBytes(hash)));
  }
  return record;
}

std::string Joined(const QueryRecordPieces& pieces) {
  auto [a, b, c, d] = pieces.Bytes();
  return std::string(a) + std::string(b) + std::string(c) + std::string(d);
}

TEST(QueryRecordPiecesTest, AreTheWholeRecordsBytesAndHash) {
  Hash256 previous = Sha256({"the record before"});
  for (int subjects : {0, 1, 1000}) {
    for (uint64_t sequence : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{300},
                              uint64_t{1} << 32, std::numeric_limits<uint64_t>::max()}) {
      SCOPED_TRACE(testing::Message() << subjects << " subjects, sequence " << sequence);
      v1::QueryRecord whole = Body(subjects);
      std::string body = SerializeDeterministic(whole);
      whole.set_sequence(sequence);
      whole.set_previous_hash(std::string(AsBytes(previous)));

      QueryRecordPieces pieces(sequence, body, previous, false);
      EXPECT_EQ(Joined(pieces), SerializeDeterministic(whole));
      EXPECT_EQ(pieces.Hash(), QueryRecordHash(whole));
      whole.set_unmasked(true);
      QueryRecordPieces unmasked(sequence, body, previous, true);
      EXPECT_EQ(Joined(unmasked), SerializeDeterministic(whole));
      EXPECT_EQ(unmasked.Hash(), QueryRecordHash(whole));
      whole.clear_unmasked();
      v1::QueryRecord parsed;
      ASSERT_TRUE(parsed.ParseFromString(Joined(pieces)));
      EXPECT_EQ(parsed.sequence(), sequence);
      EXPECT_EQ(parsed.previous_hash(), AsBytes(previous));
      EXPECT_EQ(parsed.subject_hashes_size(), subjects);
    }
  }
}

TEST(QueryRecordPiecesTest, SequenceZeroIsLeftOutLikeProtobufDoes) {
  Hash256 previous{};
  QueryRecordPieces pieces(0, "", previous, false);
  std::string expected = std::string("\x3a\x20", 2) + std::string(32, '\0');
  EXPECT_EQ(Joined(pieces), expected);
  QueryRecordPieces one(1, "", previous, false);
  EXPECT_EQ(Joined(one), std::string("\x08\x01", 2) + expected);
}

TEST(QueryRecordHashTest, LeavesTheHashFieldOut) {
  v1::QueryRecord record = Body(2);
  record.set_sequence(7);
  Hash256 without = QueryRecordHash(record);
  EXPECT_EQ(without, Sha256({std::string(1, '\0'), SerializeDeterministic(record)}));
  record.set_hash(std::string(32, 'x'));
  EXPECT_EQ(QueryRecordHash(record), without);
}

}  // namespace
}  // namespace credit
