// Departments' feedback on the measures an entry triggered, and the statistics over entries and
// feedback, against a known data set.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/service/registry/registry_fixture.h"

namespace credit::testing {
namespace {

using ::testing::HasSubstr;

class FeedbackTest : public RegistryFixture {
 protected:
  // Records `entry` (in force at once under the fixture's rules) and returns its id.
  uint64_t Listed(const v1::Entry& entry, const std::string& request_id) {
    absl::StatusOr<v1::RecordEntryResponse> r = Record(entry, request_id);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->entry().id() : 0;
  }

  static v1::RecordFeedbackRequest Report(uint64_t entry_id, const std::string& measure,
                                          const std::string& request_id) {
    v1::RecordFeedbackRequest request;
    v1::Feedback* f = request.mutable_feedback();
    f->set_entry_id(entry_id);
    f->set_measure_code(measure);
    f->set_result(v1::Feedback::RESULT_APPLIED);
    f->set_action("取消其参加政府采购项目 2026-031 的投标资格");
    f->set_action_date("2026-03-01");
    f->set_document_number("深财采〔2026〕7号");
    request.set_request_id(request_id);
    return request;
  }

  v1::GetStatisticsResponse Statistics(const std::string& from, const std::string& to) {
    v1::GetStatisticsRequest request;
    request.set_from_date(from);
    request.set_to_date(to);
    absl::StatusOr<v1::GetStatisticsResponse> response = registry_->GetStatistics(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : v1::GetStatisticsResponse();
  }
};

TEST_F(FeedbackTest, TheImplementingDepartmentReportsAndTheReportIsAChangeRecord) {
  uint64_t id = Listed(BlackEntry(), "r1");
  uint64_t before = registry_->ChangeCount();
  absl::StatusOr<v1::RecordFeedbackResponse> r =
      registry_->RecordFeedback(querier_, Report(id, "P-PROCUREMENT", "f1"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->feedback().department(), "市财政局");
  EXPECT_EQ(r->feedback().reported_by().identity(), "querier");
  EXPECT_EQ(r->feedback().revision(), 1u);
  EXPECT_EQ(r->feedback().first_report_time().seconds(), r->feedback().report_time().seconds());
  EXPECT_EQ(r->change_sequence(), before);
  EXPECT_EQ(registry_->ChangeCount(), before + 1);
  std::vector<v1::Change> changes = AllChanges();
  const v1::Change& change = changes.back();
  EXPECT_EQ(change.operation(), v1::OPERATION_FEEDBACK_RECORDED);
  EXPECT_FALSE(change.has_feedback_before());
  EXPECT_EQ(change.feedback_after().SerializeAsString(), r->feedback().SerializeAsString());
  EXPECT_EQ(change.actor().department(), "市财政局");
  EXPECT_FALSE(change.has_entry_after());

  // A later report replaces the first, keeping when the department first reported.
  clock_.Advance(absl::Hours(1));
  v1::RecordFeedbackRequest again = Report(id, "P-PROCUREMENT", "f2");
  again.mutable_feedback()->set_result(v1::Feedback::RESULT_FAILED);
  absl::StatusOr<v1::RecordFeedbackResponse> second = registry_->RecordFeedback(querier_, again);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->feedback().revision(), 2u);
  EXPECT_EQ(second->feedback().first_report_time().seconds(),
            r->feedback().report_time().seconds());
  EXPECT_EQ(second->feedback().report_time().seconds(),
            r->feedback().report_time().seconds() + 3600);
  EXPECT_EQ(AllChanges().back().feedback_before().SerializeAsString(),
            r->feedback().SerializeAsString());

  // A retry appends nothing.
  uint64_t count = registry_->ChangeCount();
  ASSERT_TRUE(registry_->RecordFeedback(querier_, again).ok());
  EXPECT_EQ(registry_->ChangeCount(), count);
  registry_.reset();
  absl::StatusOr<VerifyReport> verified = Verify();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->changes, count);
}

TEST_F(FeedbackTest, OnlyTheDepartmentsAMeasureNamesReportOnIt) {
  uint64_t id = Listed(BlackEntry(), "r1");
  uint64_t before = registry_->ChangeCount();
  // P-BIDDING names 市住房和城乡建设局 only.
  absl::Status other = registry_->RecordFeedback(querier_, Report(id, "P-BIDDING", "f1")).status();
  EXPECT_EQ(other.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(other.message(),
            "measure P-BIDDING is implemented by 市住房和城乡建设局; department 市财政局 may "
            "not report feedback on it");
  EXPECT_TRUE(registry_->RecordFeedback(builder_, Report(id, "P-BIDDING", "f2")).ok());
  // A measure the entry does not carry, even one the department implements.
  absl::Status absent = registry_->RecordFeedback(querier_, Report(id, "P-SUBSIDY", "f3")).status();
  EXPECT_EQ(absent.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(absent.message(),
            "feedback.measure_code: entry 1 does not carry measure P-SUBSIDY, want one of "
            "P-PROCUREMENT, P-BIDDING");
  EXPECT_EQ(registry_->RecordFeedback(querier_, Report(99, "P-PROCUREMENT", "f4")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->ChangeCount(), before + 1);
}

TEST_F(FeedbackTest, BadReportsAreRefusedAndChangeNothing) {
  uint64_t id = Listed(BlackEntry(), "r1");
  uint64_t before = registry_->ChangeCount();
  v1::RecordFeedbackRequest future = Report(id, "P-PROCUREMENT", "f1");
  future.mutable_feedback()->set_action_date("2026-03-02");
  absl::Status s = registry_->RecordFeedback(querier_, future).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "feedback.action_date: got 2026-03-02, want a date from the entry's effective date "
            "2026-01-15 to today 2026-03-01");
  v1::RecordFeedbackRequest no_result = Report(id, "P-PROCUREMENT", "f2");
  no_result.mutable_feedback()->clear_result();
  EXPECT_EQ(registry_->RecordFeedback(querier_, no_result).status().message(),
            "feedback.result: got 0, want APPLIED, NOT_APPLICABLE or FAILED");
  v1::RecordFeedbackRequest no_document = Report(id, "P-PROCUREMENT", "f3");
  no_document.mutable_feedback()->clear_document_number();
  EXPECT_THAT(registry_->RecordFeedback(querier_, no_document).status().message(),
              HasSubstr("feedback.document_number: "));
  v1::RecordFeedbackRequest output_only = Report(id, "P-PROCUREMENT", "f4");
  output_only.mutable_feedback()->set_department("市财政局");
  EXPECT_EQ(registry_->RecordFeedback(querier_, output_only).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->ChangeCount(), before);
}

TEST_F(FeedbackTest, AnEntryNotInForceTakesNoFeedback) {
  uint64_t id = Listed(BlackEntry(), "r1");
  ASSERT_TRUE(Remove(id, v1::REMOVAL_KIND_REVOKE, "rm").ok());
  absl::Status s = registry_->RecordFeedback(querier_, Report(id, "P-PROCUREMENT", "f1")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "entry 1 is REVOKED: feedback is reported on entries in force");
}

TEST_F(FeedbackTest, StatisticsCountAKnownDataSet) {
  // Three entries decided in January and February, one in March (outside the range asked).
  v1::Entry tax = BlackEntry(kOrgCode, 1);
  uint64_t a = Listed(tax, "r1");
  v1::Entry safety = BlackEntry(kOrgCode2, 2);
  safety.set_category("safe-production");
  safety.set_severity(v1::SEVERITY_SERIOUS);
  safety.set_decision_date("2026-02-03");
  safety.set_effective_date("2026-02-03");
  safety.clear_measure_codes();
  safety.add_measure_codes("P-SUBSIDY");
  uint64_t b = Listed(safety, "r2");
  v1::Entry red = BlackEntry(kOrgCode2, 3);
  red.set_list(v1::LIST_KIND_RED);
  red.clear_severity();
  red.set_authority("市中小企业局");
  red.clear_measure_codes();
  red.add_measure_codes("I-FUNDING-PRIORITY");
  Listed(red, "r3");
  v1::Entry later = BlackEntry(kOrgCode, 4);
  later.set_decision_date("2026-03-01");
  later.set_effective_date("2026-03-01");
  Listed(later, "r4");
  ASSERT_TRUE(Remove(b, v1::REMOVAL_KIND_REVOKE, "rm").ok());
  // The entries came into force on 2026-03-01 (recorded then); feedback two and five days on.
  clock_.Advance(absl::Hours(24 * 2));
  ASSERT_TRUE(registry_->RecordFeedback(querier_, Report(a, "P-PROCUREMENT", "f1")).ok());
  clock_.Advance(absl::Hours(24 * 3));
  ASSERT_TRUE(registry_->RecordFeedback(builder_, Report(a, "P-BIDDING", "f2")).ok());

  v1::GetStatisticsResponse stats = Statistics("2026-01-01", "2026-02-28");
  EXPECT_EQ(stats.entries(), 3u);
  EXPECT_EQ(stats.as_of_date(), "2026-03-06");
  auto counts = [](const google::protobuf::RepeatedPtrField<v1::Count>& in) {
    std::vector<std::pair<std::string, uint64_t>> out;
    for (const v1::Count& c : in) out.emplace_back(c.key(), c.entries());
    return out;
  };
  using Counts = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(counts(stats.by_list()), (Counts{{"BLACK", 2}, {"RED", 1}}));
  EXPECT_EQ(counts(stats.by_category()), (Counts{{"safe-production", 1}, {"tax", 2}}));
  EXPECT_EQ(counts(stats.by_severity()), (Counts{{"GENERAL", 1}, {"SERIOUS", 1}}));
  EXPECT_EQ(counts(stats.by_authority()), (Counts{{"市中小企业局", 1}, {"市税务局", 2}}));
  EXPECT_EQ(counts(stats.by_state()), (Counts{{"ACTIVE", 2}, {"REVOKED", 1}}));
  EXPECT_EQ(counts(stats.by_month()), (Counts{{"2026-01", 2}, {"2026-02", 1}}));
  // Triggered: entry a's P-PROCUREMENT (财政局) and P-BIDDING (住建局), the red entry's
  // I-FUNDING-PRIORITY (财政局), and the revoked entry's P-SUBSIDY (财政局, 中小企业局): it was
  // in force from its recording until its revocation.
  ASSERT_EQ(stats.departments_size(), 3);
  EXPECT_EQ(stats.departments(0).department(), "市中小企业局");
  EXPECT_EQ(stats.departments(0).measures_triggered(), 1u);
  EXPECT_EQ(stats.departments(0).feedback_received(), 0u);
  EXPECT_EQ(stats.departments(0).feedback_rate(), 0.0);
  EXPECT_FALSE(stats.departments(0).has_median_days_to_feedback());
  EXPECT_EQ(stats.departments(1).department(), "市住房和城乡建设局");
  EXPECT_EQ(stats.departments(1).measures_triggered(), 1u);
  EXPECT_EQ(stats.departments(1).feedback_received(), 1u);
  EXPECT_EQ(stats.departments(1).feedback_rate(), 1.0);
  EXPECT_EQ(stats.departments(1).median_days_to_feedback(), 5.0);
  EXPECT_EQ(stats.departments(2).department(), "市财政局");
  EXPECT_EQ(stats.departments(2).measures_triggered(), 3u);
  EXPECT_EQ(stats.departments(2).feedback_received(), 1u);
  EXPECT_DOUBLE_EQ(stats.departments(2).feedback_rate(), 1.0 / 3);
  EXPECT_EQ(stats.departments(2).median_days_to_feedback(), 2.0);

  EXPECT_EQ(Statistics("2026-03-01", "2026-03-01").entries(), 1u);
  v1::GetStatisticsRequest backwards;
  backwards.set_from_date("2026-03-01");
  backwards.set_to_date("2026-02-01");
  EXPECT_EQ(registry_->GetStatistics(backwards).status().message(),
            "to_date: got 2026-02-01, want a date on or after from_date 2026-03-01");
}

TEST_F(FeedbackTest, EntriesNotYetInForceTriggerNothing) {
  rules_ = ProcedureRules();  // approval and notice
  Reopen();
  Listed(BlackEntry(), "r1");  // PROPOSED
  v1::GetStatisticsResponse stats = Statistics("2026-01-01", "2026-12-31");
  EXPECT_EQ(stats.entries(), 1u);
  EXPECT_EQ(stats.by_state(0).key(), "PROPOSED");
  EXPECT_EQ(stats.departments_size(), 0);
}

}  // namespace
}  // namespace credit::testing
