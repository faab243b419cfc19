// Every role x RPC cell, over the wire: a role that may call an RPC gets its answer, any other
// role gets PERMISSION_DENIED, and an identity missing from the configuration is refused for all.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kOrg[] = "91440300MA5FXXXX0U";

v1::Entry Entry() {
  v1::Entry e;
  e.mutable_subject()->set_code(kOrg);
  e.mutable_subject()->set_name("某某公司");
  e.set_list(v1::BLACK);
  e.set_category("tax");
  e.set_facts("f");
  e.set_legal_basis("b");
  e.set_authority("市税务局");
  e.set_document_number("税〔2026〕1号");
  e.set_decision_date("2026-01-01");
  e.set_effective_date("2026-01-01");
  e.set_expiry_date("2099-01-01");
  e.add_measure_codes("P-PROCUREMENT");
  return e;
}

class PermissionsTest : public ::testing::Test {
 protected:
  // Records a fresh entry as the recorder and returns its id and revision.
  std::pair<uint64_t, uint64_t> FreshEntry() {
    v1::RecordEntryRequest request;
    *request.mutable_entry() = Entry();
    absl::StatusOr<v1::RecordEntryResponse> r = server_.ClientAs("recorder")->RecordEntry(request);
    EXPECT_TRUE(r.ok()) << r.status();
    return {r->entry().id(), r->entry().revision()};
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
      r.set_kind(v1::REVOKE);
      r.set_reason("撤销");
      return client.RemoveEntry(r).status();
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
      m->set_kind(v1::PUNISHMENT);
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
    if (rpc == "CreateBackup") return client.CreateBackup().status();
    if (rpc == "ListBackups") return client.ListBackups().status();
    ADD_FAILURE() << "unknown rpc " << rpc;
    return absl::InternalError("unknown rpc");
  }

  TestServer server_;
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
