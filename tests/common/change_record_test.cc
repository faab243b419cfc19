#include "common/changelog/change_record.h"

#include <gtest/gtest.h>

namespace credit {
namespace {

ChangeRecord Sample() {
  ChangeRecord r;
  r.sequence = 0x0102030405060708ULL;
  r.time_micros = 1700000000123456;
  r.operation = 3;
  r.object_type = ObjectType::kEntry;
  r.previous_hash.fill(0xAB);
  r.nonce.fill(0xCD);
  r.actor_identity = "recorder";
  r.actor_department = "市中小企业局";
  r.reason = "撤销";
  r.request_id = "req-1";
  r.before = std::string("\x08\x01", 2);
  r.after = std::string("\x08\x02", 2);
  return r;
}

TEST(ChangeRecordTest, EncodesTheDocumentedLayout) {
  std::string bytes = EncodeChangeRecord(Sample());
  ASSERT_GE(bytes.size(), 67u);
  EXPECT_EQ(bytes[0], 2);  // version
  EXPECT_EQ(bytes.substr(1, 8), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(bytes[17], 3);  // operation
  EXPECT_EQ(bytes[18], 1);  // object type: entry
  EXPECT_EQ(bytes.substr(19, 32), std::string(32, '\xAB'));
  EXPECT_EQ(bytes.substr(51, 16), std::string(16, '\xCD'));  // nonce
  EXPECT_EQ(bytes.substr(67, 4), std::string("\x00\x00\x00\x08", 4));
  EXPECT_EQ(bytes.substr(71, 8), "recorder");
  // 67 fixed + 6 length prefixes + field bytes.
  EXPECT_EQ(bytes.size(), 67u + 24u + 8u + 18u + 6u + 5u + 2u + 2u);
}

// Records written before the nonce keep decoding, and encode back to their very bytes.
TEST(ChangeRecordTest, Version1RecordsAreReadAndReencodedUnchanged) {
  ChangeRecord r = Sample();
  r.version = kChangeRecordVersionWithoutNonce;
  r.nonce = {};
  std::string bytes = EncodeChangeRecord(r);
  EXPECT_EQ(bytes[0], 1);
  EXPECT_EQ(bytes.substr(51, 4), std::string("\x00\x00\x00\x08", 4));
  EXPECT_EQ(bytes.size(), 51u + 24u + 8u + 18u + 6u + 5u + 2u + 2u);
  absl::StatusOr<ChangeRecord> decoded = DecodeChangeRecord(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->version, 1);
  EXPECT_EQ(*decoded, r);
  EXPECT_EQ(EncodeChangeRecord(*decoded), bytes);
}

// Two records alike in every field but the nonce hash differently: without the nonce, the hash
// cannot be reproduced from guesses of the rest.
TEST(ChangeRecordTest, TheNonceHidesTheRecordFromItsHash) {
  ChangeRecord a = Sample();
  ChangeRecord b = Sample();
  b.nonce[0] ^= 1;
  EXPECT_NE(ChangeRecordHash(EncodeChangeRecord(a)), ChangeRecordHash(EncodeChangeRecord(b)));
  EXPECT_NE(NewRecordNonce(), NewRecordNonce());
}

TEST(ChangeRecordTest, RoundTrips) {
  ChangeRecord r = Sample();
  absl::StatusOr<ChangeRecord> decoded = DecodeChangeRecord(EncodeChangeRecord(r));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, r);
}

TEST(ChangeRecordTest, HashIsTheRfc6962LeafHash) {
  // RFC 6962 leaf hash of the empty input, as in the reference vectors (root of the 1-leaf tree).
  EXPECT_EQ(ToHex(AsBytes(ChangeRecordHash(""))),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

TEST(ChangeRecordTest, HashCoversThePreviousHash) {
  ChangeRecord a = Sample();
  ChangeRecord b = Sample();
  b.previous_hash[31] ^= 1;
  EXPECT_NE(ChangeRecordHash(EncodeChangeRecord(a)), ChangeRecordHash(EncodeChangeRecord(b)));
}

TEST(ChangeRecordTest, DecodeRejectsTrailingBytes) {
  absl::StatusOr<ChangeRecord> r = DecodeChangeRecord(EncodeChangeRecord(Sample()) + "x");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(), "change record: trailing bytes");
}

TEST(ChangeRecordTest, DecodeRejectsEveryTruncation) {
  std::string bytes = EncodeChangeRecord(Sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(DecodeChangeRecord(bytes.substr(0, n)).status().code(), absl::StatusCode::kDataLoss)
        << n;
  }
}

TEST(ChangeRecordTest, DecodeRejectsUnknownVersionAndObjectType) {
  std::string bytes = EncodeChangeRecord(Sample());
  std::string v3 = bytes;
  v3[0] = 3;
  EXPECT_EQ(DecodeChangeRecord(v3).status().message(), "change record: version 3, want 1 or 2");
  std::string object = bytes;
  object[18] = 9;
  EXPECT_EQ(DecodeChangeRecord(object).status().message(),
            "change record: object type 9, want 1, 2 or 3");
}

}  // namespace
}  // namespace credit
