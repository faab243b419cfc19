#include "service/storage/store.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "absl/strings/str_format.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/table_properties.h"
#include "rocksdb/write_batch.h"
#include "service/storage/keys.h"
#include "tests/support/test_server.h"

namespace credit {

// Reaches the database under a Store, for the tests of its options.
class StoreTestPeer {
 public:
  static rocksdb::DB* db(Store& store) { return store.db_.get(); }
};

}  // namespace credit

namespace credit::testing {
namespace {

constexpr char kOrgCode[] = "91440300MA5FXXXX0U";

TEST(StoreTest, BatchIsVisibleAcrossFamiliesAndSurvivesReopen) {
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status();
    rocksdb::WriteBatch batch;
    batch.Put((*store)->Handle(Family::kEntries), keys::U64(1), "entry");
    batch.Put((*store)->Handle(Family::kChanges), keys::U64(0), "record");
    ASSERT_TRUE((*store)->Write(&batch).ok());
  }
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->Get(Family::kEntries, keys::U64(1)), std::optional<std::string>("entry"));
  EXPECT_EQ(*(*store)->Get(Family::kChanges, keys::U64(0)), std::optional<std::string>("record"));
  EXPECT_EQ(*(*store)->Get(Family::kEntries, keys::U64(2)), std::nullopt);
}

TEST(StoreTest, SecondOpenOfTheSameFolderIsUnavailable) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Store>> first = Store::Open(dir.path());
  ASSERT_TRUE(first.ok());
  absl::StatusOr<std::unique_ptr<Store>> second = Store::Open(dir.path());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(StoreTest, UnknownFormatVersionIsFailedPrecondition) {
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.path());
    ASSERT_TRUE(store.ok());
    rocksdb::WriteBatch batch;
    batch.Put((*store)->Handle(Family::kMeta), "format_version", "99");
    ASSERT_TRUE((*store)->Write(&batch).ok());
  }
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.path());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store.status().message(),
            dir.path() + ": database format version 99, this creditd reads 1");
}

TEST(StoreTest, MultiGetAnswersInOrderWithGaps) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  rocksdb::WriteBatch batch;
  batch.Put((*store)->Handle(Family::kEntries), keys::U64(3), "three");
  ASSERT_TRUE((*store)->Write(&batch).ok());
  auto values = (*store)->MultiGet(Family::kEntries,
                                   std::vector<std::string>{keys::U64(2), keys::U64(3)}, nullptr);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ((*values)[0], std::nullopt);
  EXPECT_EQ((*values)[1], std::optional<std::string>("three"));
}

// The subjects family (one ~100-byte record per status lookup) is written in blocks of 1 KB; the
// other families keep RocksDB's 4 KB. 100 records of 18 + 100 bytes are ~11.8 KB: at least nine
// blocks of 1 KB (three of 4 KB), and at most one more per record that overflows a block.
TEST(StoreTest, SubjectsFamilyIsWrittenInBlocksOfOneKilobyte) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  Store& s = **store;
  auto block_size = [&s](Family family) {
    return StoreTestPeer::db(s)
        ->GetOptions(s.Handle(family))
        .table_factory->GetOptions<rocksdb::BlockBasedTableOptions>()
        ->block_size;
  };
  EXPECT_EQ(block_size(Family::kSubjects), 1024u);
  EXPECT_EQ(block_size(Family::kEntries), 4096u);
  EXPECT_EQ(block_size(Family::kChanges), 4096u);

  auto code = [](int i) { return absl::StrFormat("91110000%010d", i); };
  auto record = [](int i) { return std::string(100, static_cast<char>('a' + i % 26)); };
  rocksdb::WriteBatch batch;
  for (int i = 0; i < 100; ++i) batch.Put(s.Handle(Family::kSubjects), code(i), record(i));
  ASSERT_TRUE(s.Write(&batch).ok());
  ASSERT_TRUE(StoreTestPeer::db(s)->Flush({}, s.Handle(Family::kSubjects)).ok());
  rocksdb::TablePropertiesCollection tables;
  ASSERT_TRUE(
      StoreTestPeer::db(s)->GetPropertiesOfAllTables(s.Handle(Family::kSubjects), &tables).ok());
  ASSERT_EQ(tables.size(), 1u);
  const rocksdb::TableProperties& table = *tables.begin()->second;
  EXPECT_EQ(table.num_entries, 100u);
  EXPECT_GE(table.num_data_blocks, 9u);
  EXPECT_LE(table.num_data_blocks, 13u);
  for (int i : {0, 57, 99}) {
    EXPECT_EQ(*s.Get(Family::kSubjects, code(i)), std::optional<std::string>(record(i)));
  }
}

// Folders written before the append-mostly families and the subject indexes moved to universal
// compaction hold their files in levels, as leveled compaction left them. Such a folder opens,
// keeps every value, and compacts its new writes under the new style.
TEST(StoreTest, FolderWrittenUnderLeveledCompactionOpensAndKeepsItsData) {
  TempDir dir;
  {
    // The store creates its families and format version; everything after is written leveled.
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status();
  }
  {
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies({}, dir.path(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& name : names)
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open({}, dir.path(), families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    auto position = [&names](const char* name) {
      return static_cast<size_t>(std::find(names.begin(), names.end(), name) - names.begin());
    };
    const size_t kEntries = position("entries"), kChanges = position("changes"),
                 kIndex = position("subject_changes");
    ASSERT_LT(kEntries, names.size());
    ASSERT_LT(kChanges, names.size());
    ASSERT_LT(kIndex, names.size());
    // Keys 0-99 pushed down to the last level, then 100-199 and a new value for key 5 in level 0.
    for (int k = 0; k < 200; ++k) {
      ASSERT_TRUE(db->Put({}, handles[kChanges], keys::U64(k), "record " + std::to_string(k)).ok());
      ASSERT_TRUE(db->Put({}, handles[kEntries], keys::U64(k), "entry " + std::to_string(k)).ok());
      ASSERT_TRUE(db->Put({}, handles[kIndex], keys::SubjectItem(kOrgCode, k), "").ok());
      if (k == 99) {
        for (size_t f : {kEntries, kChanges, kIndex}) {
          ASSERT_TRUE(db->Flush({}, handles[f]).ok());
          rocksdb::CompactRangeOptions compact;
          compact.change_level = true;
          compact.target_level = 6;
          ASSERT_TRUE(db->CompactRange(compact, handles[f], nullptr, nullptr).ok());
        }
      }
    }
    ASSERT_TRUE(db->Put({}, handles[kEntries], keys::U64(5), "entry 5, corrected").ok());
    ASSERT_TRUE(db->Flush({}, {handles[kEntries], handles[kChanges], handles[kIndex]}).ok());
    std::string files;
    ASSERT_TRUE(db->GetProperty(handles[kEntries], "rocksdb.num-files-at-level6", &files));
    EXPECT_EQ(files, "1");
    ASSERT_TRUE(db->GetProperty(handles[kEntries], "rocksdb.num-files-at-level0", &files));
    EXPECT_EQ(files, "1");
    for (rocksdb::ColumnFamilyHandle* handle : handles)
      ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
  }
  // Every value, with key 5 corrected before the switch and key 7 after it.
  auto expect_values = [](Store& store, bool seven_corrected) {
    for (int k = 0; k < 200; ++k) {
      EXPECT_EQ(*store.Get(Family::kChanges, keys::U64(k)),
                std::optional<std::string>("record " + std::to_string(k)));
      std::string entry = "entry " + std::to_string(k);
      if (k == 5 || (k == 7 && seven_corrected)) entry += ", corrected";
      EXPECT_EQ(*store.Get(Family::kEntries, keys::U64(k)), std::optional<std::string>(entry));
      EXPECT_EQ(*store.Get(Family::kSubjectChanges, keys::SubjectItem(kOrgCode, k)),
                std::optional<std::string>(""));
    }
  };
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status();
    Store& s = **store;
    for (Family f : {Family::kEntries, Family::kChanges, Family::kSubjectChanges}) {
      EXPECT_EQ(StoreTestPeer::db(s)->GetOptions(s.Handle(f)).compaction_style,
                rocksdb::kCompactionStyleUniversal);
    }
    expect_values(s, false);
    // New writes, then every run of the two families compacted together.
    rocksdb::WriteBatch batch;
    batch.Put(s.Handle(Family::kEntries), keys::U64(7), "entry 7, corrected");
    batch.Put(s.Handle(Family::kChanges), keys::U64(200), "record 200");
    batch.Put(s.Handle(Family::kSubjectChanges), keys::SubjectItem(kOrgCode, 200), "");
    ASSERT_TRUE(s.Write(&batch).ok());
    for (Family f : {Family::kEntries, Family::kChanges, Family::kSubjectChanges}) {
      ASSERT_TRUE(StoreTestPeer::db(s)->Flush({}, s.Handle(f)).ok());
      ASSERT_TRUE(StoreTestPeer::db(s)->CompactRange({}, s.Handle(f), nullptr, nullptr).ok());
    }
    expect_values(s, true);
  }
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  expect_values(**store, true);
  EXPECT_EQ(*(*store)->Get(Family::kChanges, keys::U64(200)),
            std::optional<std::string>("record 200"));
}

// The writes of a batch as "family key=value" or "family key deleted", in the batch's order.
std::vector<std::string> BatchContents(const Store& store, const rocksdb::WriteBatch& batch) {
  struct Lister : rocksdb::WriteBatch::Handler {
    std::string Name(uint32_t id) {
      for (int f = 0; f < static_cast<int>(Family::kCount); ++f) {
        if (store->Handle(static_cast<Family>(f))->GetID() == id) {
          return store->Handle(static_cast<Family>(f))->GetName();
        }
      }
      return "?";
    }
    rocksdb::Status PutCF(uint32_t id, const rocksdb::Slice& key,
                          const rocksdb::Slice& value) override {
      writes.push_back(Name(id) + " " + key.ToString() + "=" + value.ToString());
      return rocksdb::Status::OK();
    }
    rocksdb::Status DeleteCF(uint32_t id, const rocksdb::Slice& key) override {
      writes.push_back(Name(id) + " " + key.ToString() + " deleted");
      return rocksdb::Status::OK();
    }
    const Store* store;
    std::vector<std::string> writes;
  } lister;
  lister.store = &store;
  EXPECT_TRUE(batch.Iterate(&lister).ok());
  return lister.writes;
}

// A store of its own for each test.
class StoreSortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

// Sorted writes follow what the batch already holds, family by family and in key order; writes
// to one key keep their order, so the last one wins.
TEST_F(StoreSortTest, SortedWritesFollowTheBatchInFamilyAndKeyOrder) {
  Store& s = *store_;
  rocksdb::WriteBatch batch;
  batch.Put(s.Handle(Family::kEntries), "2", "two");
  SortedWrites sorted;
  sorted.Put(Family::kSubjects, "b", "1");
  sorted.Put(Family::kSubjectEntries, "z", "");
  sorted.Put(Family::kSubjects, "a", "x");
  sorted.Delete(Family::kSubjects, "b");
  sorted.Put(Family::kSubjects, "b", "3");
  sorted.Delete(Family::kSubjects, "c");
  EXPECT_EQ(sorted.size(), 6u);
  ASSERT_TRUE(sorted.MoveSortedTo(s, &batch).ok());
  EXPECT_EQ(sorted.size(), 0u);
  EXPECT_EQ(BatchContents(s, batch),
            (std::vector<std::string>{"entries 2=two", "subject_entries z=", "subjects a=x",
                                      "subjects b=1", "subjects b deleted", "subjects b=3",
                                      "subjects c deleted"}));
  ASSERT_TRUE(s.Write(&batch).ok());
  EXPECT_EQ(*s.Get(Family::kSubjects, "b"), std::optional<std::string>("3"));
  EXPECT_EQ(*s.Get(Family::kSubjects, "c"), std::nullopt);
  EXPECT_EQ(*s.Get(Family::kSubjectEntries, "z"), std::optional<std::string>(""));
}

// A failed mutation's writes are dropped back to a mark; those before it stay, bytes and all.
TEST_F(StoreSortTest, SortedWritesTruncateToAMark) {
  Store& s = *store_;
  SortedWrites sorted;
  sorted.Put(Family::kSubjects, "k", "kept");
  size_t mark = sorted.size();
  sorted.Put(Family::kSubjects, "a", "dropped");
  sorted.Delete(Family::kSubjects, "k");
  sorted.Truncate(mark);
  sorted.Truncate(mark + 5);  // past the end: nothing to drop
  sorted.Put(Family::kSubjects, "m", "after");
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(sorted.MoveSortedTo(s, &batch).ok());
  EXPECT_EQ(BatchContents(s, batch),
            (std::vector<std::string>{"subjects k=kept", "subjects m=after"}));
}

TEST(KeysTest, BigEndianKeysSortNumerically) {
  EXPECT_LT(keys::U64(255), keys::U64(256));
  EXPECT_EQ(keys::U64(0x0102), std::string("\0\0\0\0\0\0\x01\x02", 8));
  EXPECT_EQ(keys::ReadU64(keys::U64(123456789)), 123456789u);
  EXPECT_EQ(keys::SubjectItemId(keys::SubjectItem(kOrgCode, 42)), 42u);
  EXPECT_EQ(keys::Request("recorder", "r1"), std::string("recorder\0r1", 11));
}

}  // namespace
}  // namespace credit::testing
