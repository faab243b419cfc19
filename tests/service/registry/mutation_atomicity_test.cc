// A mutation is one write: its object, its indexes, its change record and its idempotency
// answer are all stored, or none of them.
#include <gtest/gtest.h>

#include "tests/service/registry/registry_fixture.h"

namespace credit::testing {
namespace {

// A mutation writes its object, its indexes, its change record and its idempotency key in one
// batch: all are there after success, none after a rejected request.
class MutationAtomicityTest : public RegistryFixture {};

TEST_F(MutationAtomicityTest, RecordWritesEntryIndexesRecordAndRequestTogether) {
  ASSERT_FALSE(Record(BlackEntry("91440300MA5FXXXX0X"), "bad").ok());
  ASSERT_TRUE(Record(BlackEntry(), "good").ok());
  uint64_t sequence = kSeeded;
  registry_.reset();
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
  ASSERT_TRUE(store.ok());
  Store& s = **store;
  EXPECT_TRUE(s.GetEntry(1, nullptr)->has_value());
  EXPECT_TRUE(*s.HasSubjectEntry(kOrgCode, 1));
  EXPECT_TRUE(s.GetChange(sequence, nullptr)->has_value());
  std::vector<uint64_t> indexed;
  ASSERT_TRUE(s.ScanSubjectChanges(kOrgCode, 0, nullptr, [&](uint64_t seq) {
                 indexed.push_back(seq);
                 return true;
               }).ok());
  EXPECT_EQ(indexed, std::vector<uint64_t>{sequence});
  EXPECT_TRUE(s.GetRow(Store::RequestRow("recorder", "good"))->has_value());
  // Nothing of the rejected request.
  EXPECT_FALSE(s.GetRow(Store::RequestRow("recorder", "bad"))->has_value());
  EXPECT_FALSE(s.GetChange(sequence + 1, nullptr)->has_value());
  EXPECT_FALSE(s.GetEntry(2, nullptr)->has_value());
}

}  // namespace
}  // namespace credit::testing
