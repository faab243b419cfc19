// Subjects by name: the index every recorded entry adds to, searched in any width or script.
#include <gtest/gtest.h>

#include "tests/service/registry/registry_fixture.h"

namespace credit::testing {
namespace {

class SearchTest : public RegistryFixture {
 protected:
  absl::StatusOr<v1::SearchSubjectsResponse> Search(const std::string& name, const Caller& caller,
                                                    int page_size = 0,
                                                    const std::string& token = "") {
    v1::SearchSubjectsRequest request;
    request.set_name(name);
    request.set_page_size(page_size);
    request.set_page_token(token);
    return registry_->SearchSubjects(caller, request);
  }
  Caller approver_{"approver", "市中小企业局", static_cast<uint32_t>(Role::kApprover), false};
};

TEST_F(SearchTest, TraditionalAndFullWidthNamesFindTheSubject) {
  v1::Entry entry = BlackEntry(kOrgCode, 1);
  entry.mutable_subject()->set_name("广东某某发展有限公司");
  ASSERT_TRUE(Record(entry, "r1").ok());
  v1::Entry person = BlackEntry(kPersonCode, 2);
  person.mutable_subject()->set_name("张三");
  ASSERT_TRUE(Record(person, "r2").ok());

  for (const std::string& name : {"广东某某发展有限公司", "廣東某某發展有限公司",
                                  "广东 某某（发展）有限公司", "廣東某某發展有限公司。"}) {
    absl::StatusOr<v1::SearchSubjectsResponse> found = Search(name, auditor_);
    ASSERT_TRUE(found.ok()) << found.status();
    ASSERT_EQ(found->subjects_size(), 1) << name;
    EXPECT_EQ(found->subjects(0).code(), kOrgCode);
    EXPECT_EQ(found->subjects(0).kind(), v1::SUBJECT_KIND_ORGANIZATION);
    EXPECT_EQ(found->subjects(0).name(), "广东某某发展有限公司");
  }
  EXPECT_EQ(Search("广东某某", auditor_)->subjects_size(), 0);  // whole names only

  // A person's code is masked for a caller without the unmask right.
  absl::StatusOr<v1::SearchSubjectsResponse> masked = Search("张 三", approver_);
  ASSERT_TRUE(masked.ok());
  ASSERT_EQ(masked->subjects_size(), 1);
  EXPECT_EQ(masked->subjects(0).code(), kMaskedPersonCode);
  EXPECT_EQ(masked->subjects(0).kind(), v1::SUBJECT_KIND_PERSON);

  // Every search is in the query log, under the subjects it found.
  ASSERT_TRUE(registry_->FlushQueryLog().ok());
  v1::ListQueriesRequest queries;
  queries.set_subject_code(kPersonCode);
  absl::StatusOr<v1::ListQueriesResponse> logged = registry_->ListQueries(queries);
  ASSERT_TRUE(logged.ok());
  ASSERT_EQ(logged->queries_size(), 1);
  EXPECT_EQ(logged->queries(0).rpc(), "SearchSubjects");
  EXPECT_EQ(logged->queries(0).actor().identity(), "approver");
}

TEST_F(SearchTest, ACorrectedNameIsFoundUnderBothAndPagesRunInCodeOrder) {
  v1::Entry first = BlackEntry(kOrgCode2, 1);
  first.mutable_subject()->set_name("某某公司");
  ASSERT_TRUE(Record(first, "r1").ok());
  v1::Entry second = BlackEntry(kOrgCode, 2);
  second.mutable_subject()->set_name("某某公司");
  absl::StatusOr<v1::RecordEntryResponse> recorded = Record(second, "r2");
  ASSERT_TRUE(recorded.ok());
  absl::StatusOr<v1::SearchSubjectsResponse> page = Search("某某公司", auditor_, 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->subjects_size(), 1);
  EXPECT_EQ(page->subjects(0).code(), kOrgCode2);  // "913502..." before "914403..."
  absl::StatusOr<v1::SearchSubjectsResponse> next =
      Search("某某公司", auditor_, 1, page->next_page_token());
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_EQ(next->subjects_size(), 1);
  EXPECT_EQ(next->subjects(0).code(), kOrgCode);
  EXPECT_EQ(next->next_page_token(), "");

  v1::UpdateEntryRequest update;
  *update.mutable_entry() = recorded->entry();
  update.mutable_entry()->mutable_subject()->set_name("某某新名称公司");
  update.set_reason("企业名称变更");
  update.set_request_id("u1");
  ASSERT_TRUE(registry_->UpdateEntry(recorder_, update).ok());
  EXPECT_EQ(Search("某某新名称公司", auditor_)->subjects_size(), 1);
  EXPECT_EQ(Search("某某公司", auditor_)->subjects_size(), 2);  // the former name stays
}

TEST_F(SearchTest, ANameOfNothingButPunctuationIsRefused) {
  absl::Status s = Search("（）", auditor_).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "name: got \"（）\", want a name with more than white space and punctuation");
  EXPECT_EQ(Search("", auditor_).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SearchTest, AFolderFromBeforeNameSearchIsIndexedAtOpen) {
  v1::Entry entry = BlackEntry(kOrgCode, 1);
  ASSERT_TRUE(Record(entry, "r1").ok());
  registry_.reset();
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
    ASSERT_TRUE(store.ok());
    rocksdb::WriteBatch batch;
    batch.DeleteRange((*store)->Handle(Family::kNames), "", "\xff");
    batch.Delete((*store)->Handle(Family::kMeta), "name_index_built");
    ASSERT_TRUE((*store)->Write(&batch).ok());
  }
  Open();
  absl::StatusOr<v1::SearchSubjectsResponse> found = Search("深圳某某科技有限公司", auditor_);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->subjects_size(), 1);
  EXPECT_EQ(found->subjects(0).code(), kOrgCode);
}

}  // namespace
}  // namespace credit::testing
