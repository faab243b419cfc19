#include "service/auth/caller.h"

#include <array>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/error_details.h"
#include "common/status/error_reasons.h"

namespace credit {
namespace {

constexpr std::array<std::pair<Role, absl::string_view>, 5> kRoles = {{
    {Role::kQuerier, "querier"},
    {Role::kRecorder, "recorder"},
    {Role::kApprover, "approver"},
    {Role::kAuditor, "auditor"},
    {Role::kAdmin, "admin"},
}};

constexpr uint32_t Mask(std::initializer_list<Role> roles) {
  uint32_t mask = 0;
  for (Role r : roles) mask |= static_cast<uint32_t>(r);
  return mask;
}

constexpr uint32_t kEveryRole =
    Mask({Role::kQuerier, Role::kRecorder, Role::kApprover, Role::kAuditor, Role::kAdmin});

struct Permission {
  Rpc rpc;
  absl::string_view name;
  uint32_t roles;
};

// Who may call what. Entries (with unmaskable subject data and case facts) are for the
// deciding authorities and oversight; status answers are for everyone.
constexpr std::array<Permission, 34> kPermissions = {{
    {Rpc::kRecordEntry, "RecordEntry", Mask({Role::kRecorder})},
    {Rpc::kUpdateEntry, "UpdateEntry", Mask({Role::kRecorder})},
    {Rpc::kRemoveEntry, "RemoveEntry", Mask({Role::kRecorder})},
    {Rpc::kGetEntry, "GetEntry", Mask({Role::kRecorder, Role::kApprover, Role::kAuditor})},
    {Rpc::kListEntries, "ListEntries", Mask({Role::kRecorder, Role::kApprover, Role::kAuditor})},
    {Rpc::kGetCreditStatus, "GetCreditStatus", kEveryRole},
    {Rpc::kBatchGetCreditStatus, "BatchGetCreditStatus", kEveryRole},
    {Rpc::kListMeasures, "ListMeasures", kEveryRole},
    {Rpc::kPutMeasure, "PutMeasure", Mask({Role::kAdmin})},
    {Rpc::kListChanges, "ListChanges", Mask({Role::kAuditor})},
    // Heads and proofs reveal only hashes: anyone may check what they were told.
    {Rpc::kGetTreeHead, "GetTreeHead", kEveryRole},
    {Rpc::kGetInclusionProof, "GetInclusionProof", kEveryRole},
    {Rpc::kGetConsistencyProof, "GetConsistencyProof", kEveryRole},
    {Rpc::kGetSigningKey, "GetSigningKey", kEveryRole},
    {Rpc::kGetCreditStatusAt, "GetCreditStatusAt", kEveryRole},
    {Rpc::kListQueries, "ListQueries", Mask({Role::kAuditor})},
    {Rpc::kCreateBackup, "CreateBackup", Mask({Role::kAdmin})},
    {Rpc::kListBackups, "ListBackups", Mask({Role::kAdmin})},
    {Rpc::kImportEntries, "ImportEntries", Mask({Role::kRecorder})},
    // The listing procedure: recorders act for the deciding authority and the subject,
    // approvers decide (four eyes).
    {Rpc::kApproveEntry, "ApproveEntry", Mask({Role::kApprover})},
    {Rpc::kRejectEntry, "RejectEntry", Mask({Role::kApprover})},
    {Rpc::kFileObjection, "FileObjection", Mask({Role::kRecorder})},
    {Rpc::kResolveObjection, "ResolveObjection", Mask({Role::kApprover})},
    {Rpc::kApplyForRepair, "ApplyForRepair", Mask({Role::kRecorder})},
    {Rpc::kApproveRepair, "ApproveRepair", Mask({Role::kApprover})},
    {Rpc::kRejectRepair, "RejectRepair", Mask({Role::kApprover})},
    {Rpc::kSetTime, "SetTime", Mask({Role::kAdmin})},
    // Implementing departments act on status answers and report back what they did; the counts
    // hold no personal data.
    {Rpc::kRecordFeedback, "RecordFeedback", Mask({Role::kQuerier})},
    {Rpc::kGetStatistics, "GetStatistics", kEveryRole},
    // Each role sees the changes as it sees entries (MayReadFacts).
    {Rpc::kWatchChanges, "WatchChanges", kEveryRole},
    // Names lead to entries: for the roles that read them.
    {Rpc::kSearchSubjects, "SearchSubjects",
     Mask({Role::kRecorder, Role::kApprover, Role::kAuditor})},
    // The query log's heads and proofs: for those who read it.
    {Rpc::kGetQueryTreeHead, "GetQueryTreeHead", Mask({Role::kAuditor})},
    {Rpc::kGetQueryInclusionProof, "GetQueryInclusionProof", Mask({Role::kAuditor})},
    {Rpc::kGetQueryConsistencyProof, "GetQueryConsistencyProof", Mask({Role::kAuditor})},
}};

constexpr bool InRpcOrder() {
  for (size_t i = 0; i < kPermissions.size(); ++i) {
    if (static_cast<size_t>(kPermissions[i].rpc) != i) return false;
  }
  return true;
}
static_assert(InRpcOrder(), "kPermissions must list the RPCs in the order of enum Rpc");

const Permission& PermissionOf(Rpc rpc) { return kPermissions[static_cast<size_t>(rpc)]; }

std::string NamesOf(uint32_t roles) {
  std::vector<absl::string_view> names;
  for (const auto& [role, name] : kRoles) {
    if (roles & static_cast<uint32_t>(role)) names.push_back(name);
  }
  return names.empty() ? "none" : absl::StrJoin(names, ",");
}

}  // namespace

absl::string_view RoleName(Role role) {
  for (const auto& [r, name] : kRoles) {
    if (r == role) return name;
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (const auto& [role, n] : kRoles) {
    if (n == name) return role;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("got role \"", name, "\", want one of ", NamesOf(kEveryRole)));
}

std::string Caller::RoleNames() const { return NamesOf(roles); }

absl::string_view RpcName(Rpc rpc) { return PermissionOf(rpc).name; }

bool MayReadFacts(const Caller& caller) {
  return caller.can_read_facts || (caller.roles & PermissionOf(Rpc::kGetEntry).roles) != 0;
}

absl::Status Authorize(const Caller& caller, Rpc rpc) {
  const Permission& permission = PermissionOf(rpc);
  if (caller.roles & permission.roles) return absl::OkStatus();
  return WithErrorInfo(
      absl::PermissionDeniedError(absl::StrCat("role ", caller.RoleNames(), " of identity ",
                                               caller.identity, " may not call ", permission.name,
                                               " (needs ", NamesOf(permission.roles), ")")),
      reason::kRoleNotPermitted,
      {{"method", permission.name}, {"roles", NamesOf(permission.roles)}});
}

}  // namespace credit
