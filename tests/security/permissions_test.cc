// Every role x RPC cell, over the wire: a role that may call an RPC gets its answer, any other
// role gets PERMISSION_DENIED, and an identity missing from the configuration is refused for all.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "absl/time/clock.h"
#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kOrg[] = "91440300MA5FXXXX0U";

v1::Entry Entry() {
  v1::Entry e;
  e.mutable_subject()->set_code(kOrg);
  e.mutable_subject()->set_name("某某公司");
  e.set_list(v1::LIST_KIND_BLACK);
  e.set_category("tax");
  e.set_facts("f");
  e.set_legal_basis("b");
  e.set_authority("市税务局");
  static std::atomic<int> documents{0};  // each entry its own decision
  e.set_document_number("税〔2026〕" + std::to_string(++documents) + "号");
  e.set_severity(v1::SEVERITY_MINOR);  // repairable at once
  e.set_decision_date("2026-01-01");
  e.set_effective_date("2026-01-01");
  e.set_expiry_date("2099-01-01");
  e.add_measure_codes("P-PROCUREMENT");
  return e;
}

// The dev configuration with approval but no notice period, on a test clock: every step of the
// procedure can be reached at once, SetTime included.
std::string ConfigWithoutNotice() {
  std::string path = DevPki().dir + "/permissions-test.yaml";
  std::ifstream in(DevPki().dir + "/creditd.yaml");
  std::ostringstream text;
  text << in.rdbuf() << "procedure:\n  rules:\n    - notice_days: 0\n";
  std::ofstream(path) << text.str();
  return path;
}

class PermissionsTest : public ::testing::Test {
 protected:
  // Records a fresh entry as the recorder and returns its id and revision: PROPOSED.
  std::pair<uint64_t, uint64_t> FreshEntry() {
    v1::RecordEntryRequest request;
    *request.mutable_entry() = Entry();
    absl::StatusOr<v1::RecordEntryResponse> r = server_.ClientAs("recorder")->RecordEntry(request);
    EXPECT_TRUE(r.ok()) << r.status();
    return {r->entry().id(), r->entry().revision()};
  }
  // A fresh entry approved: ACTIVE (no notice period here).
  uint64_t ActiveEntry() {
    v1::ApproveEntryRequest approve;
    approve.set_entry_id(FreshEntry().first);
    EXPECT_TRUE(server_.ClientAs("approver")->ApproveEntry(approve).ok());
    return approve.entry_id();
  }
  uint64_t ObjectedEntry() {
    v1::FileObjectionRequest object;
    object.set_entry_id(ActiveEntry());
    object.set_grounds("异议理由");
    EXPECT_TRUE(server_.ClientAs("recorder")->FileObjection(object).ok());
    return object.entry_id();
  }
  uint64_t RepairPendingEntry() {
    v1::ApplyForRepairRequest apply;
    apply.set_entry_id(ActiveEntry());
    apply.set_evidence("已缴清税款");
    apply.set_commitment("信用承诺书");
    EXPECT_TRUE(server_.ClientAs("recorder")->ApplyForRepair(apply).ok());
    return apply.entry_id();
  }

  // Calls `rpc` as `client`, with a request that succeeds for a permitted role.
  absl::Status Call(const std::string& rpc, Client& client) {
    if (rpc == "RecordEntry") {
      v1::RecordEntryRequest r;
      *r.mutable_entry() = Entry();
      return client.RecordEntry(r).status();
    }
    if (rpc == "UpdateEntry") {
      auto [id, revision] = FreshEntry();
      v1::UpdateEntryRequest r;
      *r.mutable_entry() = Entry();
      r.mutable_entry()->set_id(id);
      r.mutable_entry()->set_revision(revision);
      r.set_reason("更正");
      return client.UpdateEntry(r).status();
    }
    if (rpc == "RemoveEntry") {
      v1::RemoveEntryRequest r;
      r.set_entry_id(FreshEntry().first);
      r.set_kind(v1::REMOVAL_KIND_REVOKE);
      r.set_reason("撤销");
      r.set_revoking_document("税复〔2026〕1号");
      return client.RemoveEntry(r).status();
    }
    if (rpc == "ApproveEntry") {
      v1::ApproveEntryRequest r;
      r.set_entry_id(FreshEntry().first);
      return client.ApproveEntry(r).status();
    }
    if (rpc == "RejectEntry") {
      v1::RejectEntryRequest r;
      r.set_entry_id(FreshEntry().first);
      r.set_reason("事实不清");
      return client.RejectEntry(r).status();
    }
    if (rpc == "FileObjection") {
      v1::FileObjectionRequest r;
      r.set_entry_id(ActiveEntry());
      r.set_grounds("异议理由");
      return client.FileObjection(r).status();
    }
    if (rpc == "ResolveObjection") {
      v1::ResolveObjectionRequest r;
      r.set_entry_id(ObjectedEntry());
      r.set_resolution(v1::ResolveObjectionRequest::RESOLUTION_DISMISS);
      r.set_reason("异议不成立");
      return client.ResolveObjection(r).status();
    }
    if (rpc == "ApplyForRepair") {
      v1::ApplyForRepairRequest r;
      r.set_entry_id(ActiveEntry());
      r.set_evidence("已缴清税款");
      r.set_commitment("信用承诺书");
      return client.ApplyForRepair(r).status();
    }
    if (rpc == "ApproveRepair") {
      v1::ApproveRepairRequest r;
      r.set_entry_id(RepairPendingEntry());
      return client.ApproveRepair(r).status();
    }
    if (rpc == "RejectRepair") {
      v1::RejectRepairRequest r;
      r.set_entry_id(RepairPendingEntry());
      r.set_reason("证明材料不足");
      return client.RejectRepair(r).status();
    }
    if (rpc == "SetTime") {
      v1::SetTimeRequest r;
      r.mutable_time()->set_seconds(absl::ToUnixSeconds(absl::Now() + absl::Minutes(1)));
      return client.SetTime(r).status();
    }
    if (rpc == "GetEntry") {
      v1::GetEntryRequest r;
      r.set_entry_id(FreshEntry().first);
      return client.GetEntry(r).status();
    }
    if (rpc == "ListEntries") return client.ListEntries({}).status();
    if (rpc == "GetCreditStatus") {
      v1::GetCreditStatusRequest r;
      r.set_purpose("政府采购资格审查");
      r.set_subject_code(kOrg);
      return client.GetCreditStatus(r).status();
    }
    if (rpc == "BatchGetCreditStatus") {
      v1::BatchGetCreditStatusRequest r;
      r.set_purpose("政府采购资格审查");
      r.add_subject_codes(kOrg);
      return client.BatchGetCreditStatus(r).status();
    }
    if (rpc == "ListMeasures") return client.ListMeasures({}).status();
    if (rpc == "PutMeasure") {
      v1::PutMeasureRequest r;
      v1::Measure* m = r.mutable_measure();
      m->set_code("P-TEST");
      m->set_name("测试措施");
      m->set_kind(v1::MEASURE_KIND_PUNISHMENT);
      m->add_departments("市财政局");
      m->set_legal_basis("b");
      return client.PutMeasure(r).status();
    }
    if (rpc == "ListChanges") return client.ListChanges({}).status();
    if (rpc == "GetTreeHead") return client.GetTreeHead({}).status();
    if (rpc == "GetInclusionProof") {
      v1::GetInclusionProofRequest r;
      r.set_sequence(0);
      return client.GetInclusionProof(r).status();
    }
    if (rpc == "GetConsistencyProof") {
      v1::GetConsistencyProofRequest r;
      r.set_from_size(1);
      return client.GetConsistencyProof(r).status();
    }
    if (rpc == "GetSigningKey") return client.GetSigningKey().status();
    if (rpc == "GetCreditStatusAt") {
      v1::GetCreditStatusAtRequest r;
      r.set_subject_code(kOrg);
      r.set_purpose("复核");
      r.set_tree_size(1);
      return client.GetCreditStatusAt(r).status();
    }
    if (rpc == "ListQueries") return client.ListQueries({}).status();
    if (rpc == "RecordFeedback") {
      v1::RecordFeedbackRequest r;
      v1::Feedback* f = r.mutable_feedback();
      f->set_entry_id(ActiveEntry());
      f->set_measure_code("P-PROCUREMENT");
      f->set_result(v1::Feedback::RESULT_APPLIED);
      f->set_action("取消投标资格");
      f->set_action_date("2026-01-01");
      f->set_document_number("财采〔2026〕1号");
      return client.RecordFeedback(r).status();
    }
    // The auditor comes last: by then the query log holds many answers' records.
    if (rpc == "GetQueryTreeHead") return client.GetQueryTreeHead({}).status();
    if (rpc == "GetQueryInclusionProof") {
      v1::GetQueryInclusionProofRequest r;
      r.set_sequence(0);
      return client.GetQueryInclusionProof(r).status();
    }
    if (rpc == "GetQueryConsistencyProof") {
      v1::GetQueryConsistencyProofRequest r;
      r.set_from_size(1);
      return client.GetQueryConsistencyProof(r).status();
    }
    if (rpc == "SearchSubjects") {
      v1::SearchSubjectsRequest r;
      r.set_name("某某公司");
      return client.SearchSubjects(r).status();
    }
    if (rpc == "WatchChanges") {
      return client.WatchChanges(
          0, [](const v1::WatchChangesResponse&) { return false; }, absl::Seconds(30));
    }
    if (rpc == "GetStatistics") {
      v1::GetStatisticsRequest r;
      r.set_from_date("2026-01-01");
      r.set_to_date("2026-12-31");
      return client.GetStatistics(r).status();
    }
    if (rpc == "CreateBackup") return client.CreateBackup().status();
    if (rpc == "ListBackups") return client.ListBackups().status();
    ADD_FAILURE() << "unknown rpc " << rpc;
    return absl::InternalError("unknown rpc");
  }

  TestServer server_{{}, ConfigWithoutNotice(), /*test_clock=*/true};
};

const std::map<std::string, std::set<std::string>>& Allowed() {
  static const auto* table = new std::map<std::string, std::set<std::string>>{
      {"RecordEntry", {"recorder"}},
      {"UpdateEntry", {"recorder"}},
      {"RemoveEntry", {"recorder"}},
      {"GetEntry", {"recorder", "approver", "auditor"}},
      {"ListEntries", {"recorder", "approver", "auditor"}},
      {"GetCreditStatus", {"admin", "recorder", "approver", "querier", "auditor"}},
      {"BatchGetCreditStatus", {"admin", "recorder", "approver", "querier", "auditor"}},
      {"ListMeasures", {"admin", "recorder", "approver", "querier", "auditor"}},
      {"PutMeasure", {"admin"}},
      {"ListChanges", {"auditor"}},
      {"GetTreeHead", {"admin", "recorder", "approver", "querier", "auditor"}},
      {"GetInclusionProof", {"admin", "recorder", "approver", "querier", "auditor"}},
      {"GetConsistencyProof", {"admin", "recorder", "approver", "querier", "auditor"}},
      {"GetSigningKey", {"admin", "recorder", "approver", "querier", "auditor"}},
      {"GetCreditStatusAt", {"admin", "recorder", "approver", "querier", "auditor"}},
      {"ListQueries", {"auditor"}},
      {"CreateBackup", {"admin"}},
      {"ListBackups", {"admin"}},
      {"ApproveEntry", {"approver"}},
      {"RejectEntry", {"approver"}},
      {"FileObjection", {"recorder"}},
      {"ResolveObjection", {"approver"}},
      {"ApplyForRepair", {"recorder"}},
      {"ApproveRepair", {"approver"}},
      {"RejectRepair", {"approver"}},
      {"SetTime", {"admin"}},
      {"RecordFeedback", {"querier"}},
      {"GetStatistics", {"admin", "recorder", "approver", "querier", "auditor"}},
      {"WatchChanges", {"admin", "recorder", "approver", "querier", "auditor"}},
      {"SearchSubjects", {"recorder", "approver", "auditor"}},
      {"GetQueryTreeHead", {"auditor"}},
      {"GetQueryInclusionProof", {"auditor"}},
      {"GetQueryConsistencyProof", {"auditor"}},
  };
  return *table;
}

TEST_F(PermissionsTest, EveryRoleAndRpcCell) {
  for (const std::string identity : {"admin", "recorder", "approver", "querier", "auditor"}) {
    std::unique_ptr<Client> client = server_.ClientAs(identity);
    for (const auto& [rpc, allowed] : Allowed()) {
      absl::Status status = Call(rpc, *client);
      if (allowed.contains(identity)) {
        EXPECT_TRUE(status.ok()) << identity << " " << rpc << ": " << status;
      } else {
        EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << identity << " " << rpc;
        EXPECT_THAT(status.message(), HasSubstr("may not call " + rpc)) << identity;
      }
    }
  }
}

TEST_F(PermissionsTest, DeniedMutationsAppendNothing) {
  std::unique_ptr<Client> auditor = server_.ClientAs("auditor");
  absl::StatusOr<v1::ListChangesResponse> before = auditor->ListChanges({});
  ASSERT_TRUE(before.ok());
  for (const std::string identity : {"admin", "approver", "querier", "auditor"}) {
    std::unique_ptr<Client> client = server_.ClientAs(identity);
    EXPECT_EQ(Call("RecordEntry", *client).code(), absl::StatusCode::kPermissionDenied);
  }
  absl::StatusOr<v1::ListChangesResponse> after = auditor->ListChanges({});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->changes_size(), before->changes_size());
}

TEST_F(PermissionsTest, AnIdentityMissingFromTheConfigurationIsRefusedEverywhere) {
  std::unique_ptr<Client> stranger = server_.ClientAs("stranger");
  for (const auto& [rpc, allowed] : Allowed()) {
    absl::Status status = Call(rpc, *stranger);
    EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << rpc;
    EXPECT_EQ(status.message(), "identity stranger is not configured on this server") << rpc;
  }
}

}  // namespace
}  // namespace credit::testing
