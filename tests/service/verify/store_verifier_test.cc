// The offline verifier against a database someone changed behind the server's back.
#include "service/verify/store_verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "common/merkle/merkle.h"
#include "common/merkle/tree_head.h"
#include "common/querylog/query_record_hash.h"
#include "rocksdb/write_batch.h"
#include "service/storage/keys.h"
#include "tests/service/registry/registry_fixture.h"

namespace credit::testing {
namespace {

using ::testing::StartsWith;

class StoreVerifierTest : public RegistryFixture {
 protected:
  // 5 seeded measures + 4 entries + 1 removal: changes 0..9.
  void SetUp() override {
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(
          Record(BlackEntry(i % 2 ? kOrgCode : kPersonCode, i), "r" + std::to_string(i)).ok());
    }
    ASSERT_TRUE(Remove(2, v1::REMOVAL_KIND_REVOKE, "d1").ok());
    StatusFor(kOrgCode, querier_);
    ASSERT_TRUE(registry_->FlushQueryLog().ok());
    registry_.reset();
  }

  std::unique_ptr<Store> OpenStore() {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
    EXPECT_TRUE(store.ok()) << store.status();
    return *std::move(store);
  }

  void Put(Family family, const std::string& key, const std::string& value) {
    std::unique_ptr<Store> store = OpenStore();
    rocksdb::WriteBatch batch;
    batch.Put(store->Handle(family), key, value);
    ASSERT_TRUE(store->Write(&batch).ok());
  }

  std::string Get(Family family, const std::string& key) {
    std::unique_ptr<Store> store = OpenStore();
    return **store->Get(family, key);
  }

  // Three query-log writes, one record each: signed heads of sizes 1, 2 and 3.
  void AddTwoQueries() {
    Open();
    for (const char* code : {kOrgCode2, kPersonCode}) {
      StatusFor(code, querier_);
      ASSERT_TRUE(registry_->FlushQueryLog().ok());
    }
    registry_.reset();
  }

  // Why the registry does not open on the folder (OK when it does).
  absl::Status OpenStatus() {
    RegistryOptions options;
    options.data_dir = dir_.path();
    options.procedure = rules_;
    options.sweep_periodically = false;
    return Registry::Open(options, signing_key_, &clock_).status();
  }
};

TEST_F(StoreVerifierTest, AnUntouchedStoreVerifies) {
  absl::StatusOr<VerifyReport> report = Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->changes, 10u);
  EXPECT_EQ(report->heads_checked, 10u);
  EXPECT_EQ(report->entries, 4u);
  EXPECT_EQ(report->queries, 1u);
}

TEST_F(StoreVerifierTest, OneChangedByteNamesItsRecord) {
  std::string record = Get(Family::kChanges, keys::U64(7));
  record[record.size() - 3] ^= 0x01;  // inside the entry bytes: still decodes
  Put(Family::kChanges, keys::U64(7), record);
  absl::StatusOr<VerifyReport> report = Verify();
  EXPECT_EQ(report.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(report.status().message()), StartsWith("change 7: "));
}

TEST_F(StoreVerifierTest, ChangingTheLastRecordIsCaughtByItsSignedHead) {
  std::string record = Get(Family::kChanges, keys::U64(9));
  record[record.size() - 1] ^= 0x40;
  Put(Family::kChanges, keys::U64(9), record);
  EXPECT_THAT(std::string(Verify().status().message()), StartsWith("change 9: "));
}

TEST_F(StoreVerifierTest, ADeletedRecordIsNamed) {
  {
    std::unique_ptr<Store> store = OpenStore();
    rocksdb::WriteBatch batch;
    batch.Delete(store->Handle(Family::kChanges), keys::U64(4));
    ASSERT_TRUE(store->Write(&batch).ok());
  }
  EXPECT_EQ(Verify().status().message(), "change 4: missing (the next stored record is 5)");
}

TEST_F(StoreVerifierTest, DeletingTheLastRecordIsNamed) {
  {
    std::unique_ptr<Store> store = OpenStore();
    rocksdb::WriteBatch batch;
    batch.Delete(store->Handle(Family::kChanges), keys::U64(9));
    ASSERT_TRUE(store->Write(&batch).ok());
  }
  EXPECT_EQ(Verify().status().message(), "change 9: missing: a signed tree head of size 10 exists");
}

TEST_F(StoreVerifierTest, TwoSwappedRecordsAreNamed) {
  std::string a = Get(Family::kChanges, keys::U64(5));
  std::string b = Get(Family::kChanges, keys::U64(6));
  Put(Family::kChanges, keys::U64(5), b);
  Put(Family::kChanges, keys::U64(6), a);
  EXPECT_EQ(Verify().status().message(), "change 5: the record says it is change 6");
}

TEST_F(StoreVerifierTest, AHeadSignedByAnotherKeyIsRejected) {
  SigningKey other = *SigningKey::Generate();
  v1::SignedTreeHead head;
  ASSERT_TRUE(head.ParseFromString(Get(Family::kHeads, keys::U64(8))));
  merkle::TreeHead parsed{head.tree_size(), head.timestamp_micros(),
                          *merkle::ToHash(head.root_hash(), "r"), merkle::KeyId(other.PublicKey())};
  head.set_key_id(std::string(AsBytes(parsed.key_id)));
  head.set_signature(other.Sign(merkle::TreeHeadSigningInput(parsed)));
  Put(Family::kHeads, keys::U64(8), head.SerializeAsString());
  EXPECT_EQ(Verify().status().message(),
            "change 7: tree head 8: tree head: signed by another key than the one trusted (key "
            "id differs)");
}

TEST_F(StoreVerifierTest, AnEntryMissingFromItsIndexIsNamed) {
  {
    std::unique_ptr<Store> store = OpenStore();
    rocksdb::WriteBatch batch;
    batch.Delete(store->Handle(Family::kSubjectEntries), keys::SubjectItem(kOrgCode, 2));
    ASSERT_TRUE(store->Write(&batch).ok());
  }
  EXPECT_EQ(Verify().status().message(), "entry 2: missing from the subject index");
}

TEST_F(StoreVerifierTest, AnEntryThatDoesNotParseIsNamed) {
  std::string entry = Get(Family::kEntries, keys::U64(3));
  Put(Family::kEntries, keys::U64(3), entry.substr(0, entry.size() - 1));
  EXPECT_EQ(Verify().status().message(), "entry 3: stored bytes do not parse");
}

TEST_F(StoreVerifierTest, AnEntryStatingAnotherIdIsNamed) {
  v1::Entry entry;
  ASSERT_TRUE(entry.ParseFromString(Get(Family::kEntries, keys::U64(3))));
  entry.set_id(4);
  Put(Family::kEntries, keys::U64(3), entry.SerializeAsString());
  EXPECT_EQ(Verify().status().message(), "entry 3: the entry says it is another id");
}

TEST_F(StoreVerifierTest, AnEntryMovedToAnotherSubjectIsNamed) {
  v1::Entry entry;
  ASSERT_TRUE(entry.ParseFromString(Get(Family::kEntries, keys::U64(2))));
  ASSERT_EQ(entry.subject().code(), kOrgCode);
  entry.mutable_subject()->set_code(kOrgCode2);
  Put(Family::kEntries, keys::U64(2), entry.SerializeAsString());
  EXPECT_EQ(Verify().status().message(), "entry 2: missing from the subject index");
}

TEST_F(StoreVerifierTest, AChangedQueryRecordIsNamed) {
  Open();  // a second query record after the one SetUp made
  StatusFor(kOrgCode2, builder_);
  ASSERT_TRUE(registry_->FlushQueryLog().ok());
  registry_.reset();
  v1::QueryRecord record;
  ASSERT_TRUE(record.ParseFromString(Get(Family::kQueries, keys::U64(0))));
  record.set_purpose("改写过的用途");
  Put(Family::kQueries, keys::U64(0), record.SerializeAsString());
  // Its leaf in the query tree is the first thing that no longer matches.
  EXPECT_EQ(Verify().status().message(),
            "query 0: the stored Merkle node (level 0, index 0) does not match the records");
}

TEST_F(StoreVerifierTest, TheQueryLogHasASignedHeadForEveryWrite) {
  AddTwoQueries();
  absl::StatusOr<VerifyReport> report = Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->queries, 3u);
  EXPECT_EQ(report->query_heads_checked, 3u);
}

TEST_F(StoreVerifierTest, TruncatingTheQueryLogIsCaughtByItsSignedHead) {
  AddTwoQueries();
  {
    std::unique_ptr<Store> store = OpenStore();
    rocksdb::WriteBatch batch;
    batch.Delete(store->Handle(Family::kQueries), keys::U64(2));
    ASSERT_TRUE(store->Write(&batch).ok());
  }
  EXPECT_EQ(Verify().status().message(), "query 2: missing: a signed tree head of size 3 exists");
  // And creditd will not start on it either.
  EXPECT_THAT(
      std::string(OpenStatus().message()),
      StartsWith("query log: a signed tree head of size 3 exists, the log holds 2 records"));
}

// Rewrites the query log as someone with write access to the folder but not the key would: record
// 0 changed, every later record rechained, every node recomputed, every head re-signed with
// `key`.
void RewriteQueryLog(Store& store, const SigningKey& key) {
  std::vector<v1::QueryRecord> records;
  ASSERT_TRUE(store
                  .ScanQueries(0,
                               [&](uint64_t, absl::string_view bytes) {
                                 records.emplace_back().ParseFromString(std::string(bytes));
                                 return true;
                               })
                  .ok());
  rocksdb::WriteBatch batch;
  Hash256 previous{};
  merkle::CompactRange tree;
  records[0].set_purpose("改写过的用途");
  for (v1::QueryRecord& record : records) {
    record.set_previous_hash(std::string(AsBytes(previous)));
    batch.Put(store.Handle(Family::kQueries), keys::U64(record.sequence()),
              record.SerializeAsString());
    previous = QueryRecordHash(record);
    tree.Append(previous, [&](int level, uint64_t index, const Hash256& node) {
      if (keys::IsStoredTreeLevel(level)) {
        batch.Put(store.Handle(Family::kQueryNodes), keys::TreeNode(level, index),
                  std::string(AsBytes(node)));
      }
    });
    merkle::TreeHead head{tree.size(), 1, tree.Root(), merkle::KeyId(key.PublicKey())};
    v1::SignedTreeHead signed_head;
    signed_head.set_tree_size(head.tree_size);
    signed_head.set_timestamp_micros(head.timestamp_micros);
    signed_head.set_root_hash(std::string(AsBytes(head.root_hash)));
    signed_head.set_key_id(std::string(AsBytes(head.key_id)));
    signed_head.set_signature(
        key.Sign(merkle::TreeHeadSigningInput(head, merkle::HeadDomain::kQueryLog)));
    batch.Put(store.Handle(Family::kQueryHeads), keys::U64(head.tree_size),
              signed_head.SerializeAsString());
  }
  ASSERT_TRUE(store.Write(&batch).ok());
}

TEST_F(StoreVerifierTest, AQueryLogRewrittenEndToEndFailsOnTheKey) {
  AddTwoQueries();
  RewriteQueryLog(*OpenStore(), *SigningKey::Generate());
  EXPECT_EQ(Verify().status().message(),
            "query 0: tree head 1: tree head: signed by another key than the one trusted (key id "
            "differs)");
}

TEST_F(StoreVerifierTest, AQueryLogHeadSignedAsAChangeLogHeadIsRejected) {
  AddTwoQueries();
  {
    std::unique_ptr<Store> store = OpenStore();
    v1::SignedTreeHead head;
    ASSERT_TRUE(head.ParseFromString(**store->Get(Family::kQueryHeads, keys::U64(2))));
    merkle::TreeHead parsed{head.tree_size(), head.timestamp_micros(),
                            *merkle::ToHash(head.root_hash(), "r"),
                            *merkle::ToHash(head.key_id(), "k")};
    head.set_signature(signing_key_.Sign(merkle::TreeHeadSigningInput(parsed)));
    rocksdb::WriteBatch batch;
    batch.Put(store->Handle(Family::kQueryHeads), keys::U64(2), head.SerializeAsString());
    ASSERT_TRUE(store->Write(&batch).ok());
  }
  EXPECT_EQ(Verify().status().message(),
            "query 1: tree head 2: tree head: the signature does not verify");
}

// ReadEntryKey against protobuf's own parse of the same bytes.
struct EntryKey {
  bool ok = false;
  uint64_t id = 0;
  std::string code;
  bool operator==(const EntryKey&) const = default;
};

EntryKey Read(const std::string& bytes) {
  EntryKey key;
  absl::string_view code;
  key.ok = ReadEntryKey(bytes, &key.id, &code);
  key.code = std::string(code);
  return key;
}

EntryKey Parsed(const std::string& bytes) {
  v1::Entry entry;
  EntryKey key;
  key.ok = entry.ParseFromString(bytes);
  key.id = entry.id();
  key.code = entry.subject().code();
  return key;
}

TEST(ReadEntryKeyTest, ReadsTheIdAndSubjectCodeOfAWholeEntry) {
  v1::Entry entry = BlackEntry(kOrgCode);
  entry.set_id(300);  // two varint bytes
  entry.mutable_subject()->set_name("深圳市某某科技有限公司");
  std::string bytes = entry.SerializeAsString();
  EXPECT_EQ(Read(bytes), (EntryKey{true, 300, kOrgCode}));
  EXPECT_EQ(Read(bytes), Parsed(bytes));
}

TEST(ReadEntryKeyTest, TakesTheLastIdAndMergesSubjectsAsProtobufDoes) {
  v1::Entry first = BlackEntry(kOrgCode);
  first.set_id(7);
  v1::Entry second;  // a later id, and a subject with a name but no code
  second.set_id(9);
  second.mutable_subject()->set_name("某某");
  v1::Entry third;  // a subject with another code
  third.mutable_subject()->set_code(kOrgCode2);
  std::string a = first.SerializeAsString(), b = second.SerializeAsString(),
              c = third.SerializeAsString();
  EXPECT_EQ(Read(a + b), (EntryKey{true, 9, kOrgCode}));
  EXPECT_EQ(Read(a + b), Parsed(a + b));
  EXPECT_EQ(Read(a + b + c), (EntryKey{true, 9, kOrgCode2}));
  EXPECT_EQ(Read(a + b + c), Parsed(a + b + c));
  EXPECT_EQ(Read(""), (EntryKey{true, 0, ""}));
  EXPECT_EQ(Read(""), Parsed(""));
}

TEST(ReadEntryKeyTest, SkipsFieldsOfEveryWireType) {
  v1::Entry entry = BlackEntry(kOrgCode);
  entry.set_id(5);
  // Unknown fields: 99 varint, 100 fixed64, 101 group holding a varint, 102 fixed32; and
  // field 1 with a wire type other than the id's, which protobuf keeps aside as unknown.
  std::string extra = std::string("\x98\x06\x7f", 3) + "\xa1\x06" + std::string(8, '\x01') +
                      std::string("\xab\x06\x08\x01\xac\x06", 6) + "\xb5\x06" +
                      std::string(4, '\x02') + "\x0d" + std::string(4, '\x03');
  std::string bytes = entry.SerializeAsString() + extra;
  EXPECT_EQ(Read(bytes), (EntryKey{true, 5, kOrgCode}));
  EXPECT_EQ(Read(bytes), Parsed(bytes));
}

TEST(ReadEntryKeyTest, RefusesMalformedWireBytesAsProtobufDoes) {
  v1::Entry entry = BlackEntry(kOrgCode);
  entry.set_id(5);
  std::string bytes = entry.SerializeAsString();
  std::string subject = entry.subject().SerializeAsString();
  for (const std::string& bad : {
           bytes.substr(0, bytes.size() - 1),  // truncated
           bytes + std::string(1, '\0'),       // a zero tag
           std::string("\x08\xff", 2),         // an unfinished varint
           // a subject whose own last field is cut short, in a well-formed length
           std::string("\x12") + static_cast<char>(subject.size() - 1) +
               subject.substr(0, subject.size() - 1),
           std::string("\x12\x05\x12\x02"
                       "ab",
                       6),  // a subject claiming more bytes than follow
       }) {
    EXPECT_FALSE(Parsed(bad).ok) << absl::CEscape(bad);
    EXPECT_FALSE(Read(bad).ok) << absl::CEscape(bad);
  }
}

TEST(ReadEntryKeyTest, DoesNotLookInsideTheOtherFields) {
  v1::Entry entry = BlackEntry(kOrgCode);
  entry.set_id(5);
  // facts (field 5) given again, not UTF-8: protobuf's parse refuses the entry
  std::string bytes = entry.SerializeAsString() + "\x2a\x02\xff\xfe";
  EXPECT_FALSE(Parsed(bytes).ok);
  EXPECT_EQ(Read(bytes), (EntryKey{true, 5, kOrgCode}));
}

// The verifier reads records on one thread and checks the tree on another, handing hashes over
// in chunks of 4096: problems past the first chunks are named as exactly as in the first.
class LongLogVerifierTest : public RegistryFixture {
 protected:
  // 5 seeded measures + 10,000 imported entries: changes 0..10004.
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ImportThousands(10));
    registry_.reset();
  }

  void Change(Family family, const std::string& key, int byte_from_end, char mask) {
    std::unique_ptr<Store> store = *Store::Open(dir_.path());
    std::string value = **store->Get(family, key);
    value[value.size() - byte_from_end] ^= mask;
    rocksdb::WriteBatch batch;
    batch.Put(store->Handle(family), key, value);
    ASSERT_TRUE(store->Write(&batch).ok());
  }
};

TEST_F(LongLogVerifierTest, AnUntouchedLongLogVerifies) {
  absl::StatusOr<VerifyReport> report = Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->changes, 10005u);
  EXPECT_EQ(report->heads_checked, 15u);  // one per seeded measure, one per import
  EXPECT_EQ(report->entries, 10000u);
}

TEST_F(LongLogVerifierTest, AChangedRecordInTheThirdChunkIsNamed) {
  Change(Family::kChanges, keys::U64(9000), 3, 0x01);
  EXPECT_EQ(Verify().status().message(),
            "change 9000: the stored Merkle node (level 0, index 9000) does not match the "
            "records");
}

TEST_F(LongLogVerifierTest, AChangedMerkleNodeInTheSecondChunkIsNamed) {
  // Node (5, 250) covers records 8000..8031 and is completed by record 8031.
  Change(Family::kTreeNodes, keys::TreeNode(5, 250), 1, 0x01);
  EXPECT_EQ(Verify().status().message(),
            "change 8031: the stored Merkle node (level 5, index 250) does not match the "
            "records");
}

}  // namespace
}  // namespace credit::testing
