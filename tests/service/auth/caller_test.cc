#include "service/auth/caller.h"

#include <gtest/gtest.h>

namespace credit {
namespace {

Caller With(Role role) { return Caller{"id", "dept", static_cast<uint32_t>(role), false}; }

TEST(AuthorizeTest, TheRoleTable) {
  struct Cell {
    Rpc rpc;
    std::vector<Role> allowed;
  };
  const std::vector<Role> all = {Role::kQuerier, Role::kRecorder, Role::kApprover, Role::kAuditor,
                                 Role::kAdmin};
  const std::vector<Cell> table = {
      {Rpc::kRecordEntry, {Role::kRecorder}},
      {Rpc::kUpdateEntry, {Role::kRecorder}},
      {Rpc::kRemoveEntry, {Role::kRecorder}},
      {Rpc::kGetEntry, {Role::kRecorder, Role::kApprover, Role::kAuditor}},
      {Rpc::kListEntries, {Role::kRecorder, Role::kApprover, Role::kAuditor}},
      {Rpc::kGetCreditStatus, all},
      {Rpc::kBatchGetCreditStatus, all},
      {Rpc::kListMeasures, all},
      {Rpc::kPutMeasure, {Role::kAdmin}},
      {Rpc::kListChanges, {Role::kAuditor}},
      {Rpc::kGetTreeHead, all},
      {Rpc::kGetInclusionProof, all},
      {Rpc::kGetConsistencyProof, all},
      {Rpc::kGetSigningKey, all},
      {Rpc::kGetCreditStatusAt, all},
      {Rpc::kListQueries, {Role::kAuditor}},
      {Rpc::kCreateBackup, {Role::kAdmin}},
      {Rpc::kListBackups, {Role::kAdmin}},
      {Rpc::kImportEntries, {Role::kRecorder}},
  };
  for (const Cell& cell : table) {
    for (Role role : all) {
      bool allowed =
          std::find(cell.allowed.begin(), cell.allowed.end(), role) != cell.allowed.end();
      absl::Status s = Authorize(With(role), cell.rpc);
      EXPECT_EQ(s.code(), allowed ? absl::StatusCode::kOk : absl::StatusCode::kPermissionDenied)
          << RpcName(cell.rpc) << " as " << RoleName(role);
    }
  }
}

TEST(AuthorizeTest, DenialSaysWhoAndWhichRolesMay) {
  absl::Status s = Authorize(Caller{"querier", "市财政局", static_cast<uint32_t>(Role::kQuerier)},
                             Rpc::kRecordEntry);
  EXPECT_EQ(s.message(),
            "role querier of identity querier may not call RecordEntry (needs recorder)");
}

TEST(AuthorizeTest, AnyOfSeveralRolesSuffices) {
  Caller c{"x", "d", static_cast<uint32_t>(Role::kQuerier) | static_cast<uint32_t>(Role::kAuditor)};
  EXPECT_TRUE(Authorize(c, Rpc::kListChanges).ok());
  EXPECT_EQ(c.RoleNames(), "querier,auditor");
}

TEST(ParseRoleTest, KnowsTheFiveRoles) {
  EXPECT_EQ(*ParseRole("approver"), Role::kApprover);
  absl::StatusOr<Role> bad = ParseRole("root");
  EXPECT_EQ(bad.status().message(),
            "got role \"root\", want one of querier,recorder,approver,auditor,admin");
}

}  // namespace
}  // namespace credit
