// The real creditd over mTLS on 127.0.0.1, driven through credit::Client.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "common/status/error_details.h"
#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

using ::testing::ElementsAre;

constexpr char kOrg[] = "91440300MA5FXXXX0U";
constexpr char kOrg2[] = "91350200MA2Y9J3T80";
constexpr char kPerson[] = "440524198001010013";

// A decision of its own (its own document number) unless `document` names one.
v1::Entry BlackEntry(const std::string& code, const std::string& document = "") {
  static std::atomic<int> documents{0};
  v1::Entry e = SampleEntry(code);
  e.set_document_number(document.empty() ? "深税〔2026〕" + std::to_string(++documents) + "号"
                                         : document);
  e.add_measure_codes("P-PROCUREMENT");
  e.add_measure_codes("P-BIDDING");
  e.add_measure_codes("P-SUBSIDY");
  return e;
}

class RegistryServerTest : public ::testing::Test {
 protected:
  RegistryServerTest()
      : recorder_(server_.ClientAs("recorder")),
        querier_(server_.ClientAs("querier")),
        auditor_(server_.ClientAs("auditor")),
        admin_(server_.ClientAs("admin")) {}

  v1::RecordEntryResponse Record(const std::string& code, const std::string& request_id = "") {
    v1::RecordEntryRequest request;
    // A retry (same request id) is the same decision.
    *request.mutable_entry() = BlackEntry(code, request_id);
    request.set_request_id(request_id);
    absl::StatusOr<v1::RecordEntryResponse> r = recorder_->RecordEntry(request);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::RecordEntryResponse();
  }

  std::vector<v1::Change> Changes() {
    v1::ListChangesRequest request;
    request.set_page_size(1000);
    absl::StatusOr<v1::ListChangesResponse> r = auditor_->ListChanges(request);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::vector<v1::Change>(r->changes().begin(), r->changes().end())
                  : std::vector<v1::Change>();
  }

  int seeded() {
    absl::StatusOr<v1::ListMeasuresResponse> r = querier_->ListMeasures({});
    EXPECT_TRUE(r.ok());
    return r->measures_size();
  }

  TestServer server_;
  std::unique_ptr<Client> recorder_, querier_, auditor_, admin_;
};

TEST_F(RegistryServerTest, RecordThenAnotherDepartmentSeesItsMeasures) {
  v1::RecordEntryResponse recorded = Record(kOrg);
  EXPECT_EQ(recorded.entry().id(), 1u);
  EXPECT_EQ(recorded.entry().recorded_by().identity(), "recorder");
  EXPECT_EQ(recorded.entry().recorded_by().department(), "市中小企业局");

  v1::GetCreditStatusRequest request;

  request.set_purpose("政府采购资格审查");
  request.set_subject_code(kOrg);
  absl::StatusOr<v1::GetCreditStatusResponse> status = querier_->GetCreditStatus(request);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->status().on_black_list());
  std::vector<std::string> codes;
  for (const auto& m : status->status().measures()) codes.push_back(m.measure().code());
  // 市财政局 implements procurement and subsidy restrictions, not bidding.
  EXPECT_THAT(codes, ElementsAre("P-PROCUREMENT", "P-SUBSIDY"));
  EXPECT_EQ(status->status().measures(0).measure().legal_basis(),
            "《中华人民共和国政府采购法》第二十二条、第七十七条");
}

TEST_F(RegistryServerTest, EveryRoleMayAskForStatusAndPersonsAreMaskedForTheQuerier) {
  Record(kPerson);
  v1::GetCreditStatusRequest request;
  request.set_purpose("政府采购资格审查");
  request.set_subject_code(kPerson);
  absl::StatusOr<v1::GetCreditStatusResponse> masked = querier_->GetCreditStatus(request);
  ASSERT_TRUE(masked.ok());
  EXPECT_EQ(masked->status().subject().code(), "440524********0013");
  EXPECT_EQ(masked->status().entries(0).subject().code(), "440524********0013");
  absl::StatusOr<v1::GetCreditStatusResponse> clear = auditor_->GetCreditStatus(request);
  ASSERT_TRUE(clear.ok());
  EXPECT_EQ(clear->status().subject().code(), kPerson);
  // The admin has no unmask right in the dev configuration.
  absl::StatusOr<v1::GetCreditStatusResponse> admin = admin_->GetCreditStatus(request);
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->status().subject().code(), "440524********0013");
}

TEST_F(RegistryServerTest, BatchAnswersListedUnlistedAndInvalidSubjects) {
  Record(kOrg);
  v1::BatchGetCreditStatusRequest request;
  request.set_purpose("政府采购资格审查");
  request.add_subject_codes(kOrg);
  request.add_subject_codes(kOrg2);
  request.add_subject_codes("not-a-code");
  absl::StatusOr<v1::BatchGetCreditStatusResponse> r = querier_->BatchGetCreditStatus(request);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->results_size(), 3);
  EXPECT_TRUE(r->results(0).status().on_black_list());
  EXPECT_EQ(r->results(0).status().measures_size(), 2);
  EXPECT_FALSE(r->results(1).status().on_black_list());
  EXPECT_EQ(r->results(2).error().code(), static_cast<int>(grpc::INVALID_ARGUMENT));
  EXPECT_EQ(r->results(2).error().message(),
            "subject_codes[2]: unified social credit code must be 18 characters, got 10");
}

// credit::Client hands the server's details back in the absl::Status it returns.
TEST_F(RegistryServerTest, TheClientReturnsTheErrorDetails) {
  v1::GetCreditStatusRequest request;
  request.set_subject_code("91440300MA5FXXXX0X");
  absl::Status refused = querier_->GetCreditStatus(request).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.message(),
            "subject_code: unified social credit code check character is 'X', want 'U' (and 1 "
            "more field: see the details)");
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(refused);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "CHECK_CHARACTER_MISMATCH");
  EXPECT_EQ(info->domain(), "credit.registry.v1");
  EXPECT_EQ(info->metadata().at("want"), "U");
  std::vector<std::string> fields;
  for (const auto& violation : FieldViolationsOf(refused)) fields.push_back(violation.field());
  EXPECT_THAT(fields, ::testing::ElementsAre("subject_code", "purpose"));

  v1::GetEntryRequest missing;
  missing.set_entry_id(404);
  absl::Status not_found = admin_->GetEntry(missing).status();
  EXPECT_EQ(not_found.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorInfoOf(not_found)->reason(), "ROLE_NOT_PERMITTED");
  EXPECT_EQ(ErrorInfoOf(not_found)->metadata().at("method"), "GetEntry");
}

TEST_F(RegistryServerTest, BasicViewAnswersFlagsAndMeasureCodesAndAnUnknownViewIsRefused) {
  Record(kOrg);
  v1::BatchGetCreditStatusRequest request;
  request.set_purpose("政府采购资格审查");
  request.add_subject_codes(kOrg);
  request.add_subject_codes(kOrg2);
  request.set_view(v1::STATUS_VIEW_BASIC);
  absl::StatusOr<v1::BatchGetCreditStatusResponse> r = querier_->BatchGetCreditStatus(request);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->results_size(), 2);
  const v1::CreditStatus& listed = r->results(0).status();
  EXPECT_TRUE(listed.on_black_list());
  EXPECT_EQ(listed.subject().name(), "");
  EXPECT_TRUE(listed.entries().empty());
  ASSERT_EQ(listed.measures_size(), 2);
  EXPECT_EQ(listed.measures(0).measure().ShortDebugString(), "code: \"P-PROCUREMENT\"");
  EXPECT_THAT(listed.measures(0).entry_ids(), ElementsAre(1u));
  EXPECT_EQ(listed.measures(1).measure().ShortDebugString(), "code: \"P-SUBSIDY\"");
  EXPECT_FALSE(r->results(1).status().on_black_list());
  EXPECT_TRUE(r->results(1).status().measures().empty());

  request.set_view(static_cast<v1::StatusView>(5));
  r = querier_->BatchGetCreditStatus(request);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "view: got 5, want BASIC or FULL (or unset: FULL)");
}

// A string that is not UTF-8 never reaches a handler: the request does not parse. That is the
// caller's mistake, INVALID_ARGUMENT, and nothing is recorded.
TEST_F(RegistryServerTest, ARequestThatIsNotUtf8IsInvalidArgument) {
  v1::RecordEntryRequest record;
  *record.mutable_entry() = BlackEntry(kOrg);
  record.mutable_entry()->set_facts("bad \xC0\xAF");
  absl::Status s = recorder_->RecordEntry(record).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "request: does not parse as the request of /credit.registry.v1.CreditRegistryService/"
            "RecordEntry (a string field that is not valid UTF-8, or malformed protobuf)");
  v1::GetCreditStatusRequest status;
  status.set_subject_code("\xFF");
  status.set_purpose("资格审查");
  EXPECT_EQ(querier_->GetCreditStatus(status).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Changes().size(), static_cast<size_t>(seeded()));
}

TEST_F(RegistryServerTest, InvalidEntryIsInvalidArgumentNamingTheField) {
  v1::RecordEntryRequest request;
  *request.mutable_entry() = BlackEntry(kOrg);
  request.mutable_entry()->set_effective_date("2026-13-01");
  absl::StatusOr<v1::RecordEntryResponse> r = recorder_->RecordEntry(request);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "entry.effective_date: got \"2026-13-01\", which is not a day of the calendar "
            "(1900-9999)");
  EXPECT_EQ(Changes().size(), static_cast<size_t>(seeded()));
}

TEST_F(RegistryServerTest, ImportRecordsEachEntryWithItsOwnChangeAndOnlyRecordersMayImport) {
  v1::ImportEntriesRequest request;
  *request.add_entries() = BlackEntry(kOrg);
  *request.add_entries() = BlackEntry(kPerson);
  absl::StatusOr<v1::ImportEntriesResponse> r = recorder_->ImportEntries(request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->count(), 2u);
  EXPECT_EQ(r->first_entry_id(), 1u);
  EXPECT_EQ(r->change_sequence(), r->first_change_sequence() + 1);
  EXPECT_EQ(r->tree_head().tree_size(), r->change_sequence() + 1);
  std::vector<v1::Change> changes = Changes();
  ASSERT_EQ(changes.size(), static_cast<size_t>(seeded() + 2));
  EXPECT_EQ(changes.back().entry_after().subject().code(), kPerson);

  absl::StatusOr<v1::ImportEntriesResponse> denied = querier_->ImportEntries(request);
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.status().message(),
            "role querier of identity querier may not call ImportEntries (needs recorder)");
  EXPECT_EQ(Changes().size(), static_cast<size_t>(seeded() + 2));
}

TEST_F(RegistryServerTest, RetryWithTheSameRequestIdAppendsNothing) {
  v1::RecordEntryResponse first = Record(kOrg, "walkthrough-1");
  v1::RecordEntryResponse again = Record(kOrg, "walkthrough-1");
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(Changes().size(), static_cast<size_t>(seeded() + 1));
}

TEST_F(RegistryServerTest, UpdateGetListAndStaleRevision) {
  Record(kOrg);
  v1::GetEntryRequest get;
  get.set_entry_id(1);
  absl::StatusOr<v1::GetEntryResponse> read = recorder_->GetEntry(get);
  ASSERT_TRUE(read.ok());
  v1::UpdateEntryRequest update;
  *update.mutable_entry() = read->entry();
  update.mutable_entry()->set_facts("逃避缴纳税款（更正金额）");
  update.set_reason("更正违法事实");
  absl::StatusOr<v1::UpdateEntryResponse> updated = recorder_->UpdateEntry(update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->entry().revision(), 2u);
  update.set_request_id("");  // a new request from the same stale read
  absl::StatusOr<v1::UpdateEntryResponse> stale = recorder_->UpdateEntry(update);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);

  v1::ListEntriesRequest list;
  list.set_subject_code(kOrg);
  absl::StatusOr<v1::ListEntriesResponse> entries = auditor_->ListEntries(list);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->entries_size(), 1);
  EXPECT_EQ(entries->entries(0).facts(), "逃避缴纳税款（更正金额）");
}

TEST_F(RegistryServerTest, RemoveThenStatusIsCleanAndTheLogTellsTheStory) {
  Record(kOrg);
  v1::RemoveEntryRequest remove;
  remove.set_entry_id(1);
  remove.set_kind(v1::REMOVAL_KIND_REVOKE);
  remove.set_reason("行政复议撤销");
  remove.set_revoking_document("深税复〔2026〕3号");
  absl::StatusOr<v1::RemoveEntryResponse> removed = recorder_->RemoveEntry(remove);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->entry().status(), v1::ENTRY_STATUS_REVOKED);

  v1::GetCreditStatusRequest request;

  request.set_purpose("政府采购资格审查");
  request.set_subject_code(kOrg);
  absl::StatusOr<v1::GetCreditStatusResponse> status = querier_->GetCreditStatus(request);
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE(status->status().on_black_list());

  v1::ListChangesRequest by_subject;
  by_subject.set_subject_code(kOrg);
  absl::StatusOr<v1::ListChangesResponse> log = auditor_->ListChanges(by_subject);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->changes_size(), 2);
  EXPECT_EQ(log->changes(0).operation(), v1::OPERATION_ENTRY_RECORDED);
  EXPECT_EQ(log->changes(1).operation(), v1::OPERATION_ENTRY_REVOKED);
  EXPECT_EQ(log->changes(1).actor().identity(), "recorder");
  EXPECT_EQ(log->changes(1).reason(), "行政复议撤销");
  EXPECT_EQ(log->changes(1).previous_hash(), log->changes(0).hash());
}

TEST_F(RegistryServerTest, AdminPutsAMeasureThatRecordersCanUse) {
  v1::PutMeasureRequest put;
  v1::Measure* m = put.mutable_measure();
  m->set_code("P-TRAVEL");
  m->set_name("限制乘坐飞机、列车软卧");
  m->set_kind(v1::MEASURE_KIND_PUNISHMENT);
  m->add_departments("市财政局");
  m->set_legal_basis("最高人民法院限制高消费规定第三条");
  absl::StatusOr<v1::PutMeasureResponse> r = admin_->PutMeasure(put);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->measure().revision(), 1u);
  v1::RecordEntryRequest request;
  *request.mutable_entry() = BlackEntry(kOrg);
  request.mutable_entry()->add_measure_codes("P-TRAVEL");
  ASSERT_TRUE(recorder_->RecordEntry(request).ok());
  v1::GetCreditStatusRequest status;
  status.set_purpose("政府采购资格审查");
  status.set_subject_code(kOrg);
  EXPECT_EQ(querier_->GetCreditStatus(status)->status().measures_size(), 3);
  EXPECT_EQ(Changes().back().operation(), v1::OPERATION_ENTRY_RECORDED);
  EXPECT_EQ(Changes()[Changes().size() - 2].actor().identity(), "admin");
}

TEST_F(RegistryServerTest, RestartInTheMiddleKeepsEverythingAndTheChainContinues) {
  Record(kOrg, "before-restart");
  std::vector<v1::Change> before = Changes();
  server_.Restart();
  // New port: new clients.
  recorder_ = server_.ClientAs("recorder");
  querier_ = server_.ClientAs("querier");
  auditor_ = server_.ClientAs("auditor");

  v1::GetCreditStatusRequest request;

  request.set_purpose("政府采购资格审查");
  request.set_subject_code(kOrg);
  absl::StatusOr<v1::GetCreditStatusResponse> status = querier_->GetCreditStatus(request);
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->status().on_black_list());
  // The retry of a request answered before the restart is still recognised.
  v1::RecordEntryResponse retried = Record(kOrg, "before-restart");
  EXPECT_EQ(retried.entry().id(), 1u);

  v1::RecordEntryResponse second = Record(kOrg2);
  EXPECT_EQ(second.entry().id(), 2u);
  std::vector<v1::Change> after = Changes();
  ASSERT_EQ(after.size(), before.size() + 1);
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(after[i].hash(), before[i].hash()) << i;
  }
  EXPECT_EQ(after.back().previous_hash(), before.back().hash());
  EXPECT_EQ(after.back().sequence(), before.size());
}

}  // namespace
}  // namespace credit::testing
