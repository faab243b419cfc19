// Who is calling, and what each role may do. The caller is the identity of the verified client
// certificate (its common name), mapped by the server configuration to a department, roles and
// the right to see personal ID numbers unmasked. Value types and pure functions; thread-safe.
#ifndef CREDIT_SERVICE_AUTH_CALLER_H_
#define CREDIT_SERVICE_AUTH_CALLER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace credit {

enum class Role : uint32_t {
  kQuerier = 1 << 0,
  kRecorder = 1 << 1,
  kApprover = 1 << 2,
  kAuditor = 1 << 3,
  kAdmin = 1 << 4,
};

// "querier", "recorder", "approver", "auditor", "admin".
absl::string_view RoleName(Role role);
// INVALID_ARGUMENT naming the accepted names when `name` is none of them.
absl::StatusOr<Role> ParseRole(absl::string_view name);

struct Caller {
  std::string identity;
  std::string department;
  uint32_t roles = 0;
  // May see natural persons' ID numbers in clear.
  bool can_unmask = false;
  // Calls this identity may have in flight at once; 0: the server's default
  // (limits.max_calls_per_identity).
  int max_calls = 0;
  // May see case facts in status answers without a role that reads entries (config `facts`).
  bool can_read_facts = false;

  bool Has(Role role) const { return (roles & static_cast<uint32_t>(role)) != 0; }
  // "querier,auditor"
  std::string RoleNames() const;
};

// The RPCs of credit.registry.v1.CreditRegistryService, for the permission table.
enum class Rpc {
  kRecordEntry,
  kUpdateEntry,
  kRemoveEntry,
  kGetEntry,
  kListEntries,
  kGetCreditStatus,
  kBatchGetCreditStatus,
  kListMeasures,
  kPutMeasure,
  kListChanges,
  kGetTreeHead,
  kGetInclusionProof,
  kGetConsistencyProof,
  kGetSigningKey,
  kGetCreditStatusAt,
  kListQueries,
  kCreateBackup,
  kListBackups,
  kImportEntries,
  kApproveEntry,
  kRejectEntry,
  kFileObjection,
  kResolveObjection,
  kApplyForRepair,
  kApproveRepair,
  kRejectRepair,
  kSetTime,
  kRecordFeedback,
  kGetStatistics,
  kWatchChanges,
  kSearchSubjects,
  kGetQueryTreeHead,
  kGetQueryInclusionProof,
  kGetQueryConsistencyProof,
};

inline constexpr int kRpcCount = static_cast<int>(Rpc::kGetQueryConsistencyProof) + 1;

absl::string_view RpcName(Rpc rpc);

// The one rule for case facts: an entry's facts, legal basis, document numbers, reasons, actors,
// objection and repair texts reach only callers whose role reads entries (recorder, approver,
// auditor: GetEntry) or whose identity has the `facts` right. Every other answer that carries an
// entry carries its status level only (presentation.h, ReduceEntryToStatusLevel).
bool MayReadFacts(const Caller& caller);

// OK when one of the caller's roles may call `rpc`; otherwise PERMISSION_DENIED saying which
// roles may. The one permission table of the service lives behind this function.
absl::Status Authorize(const Caller& caller, Rpc rpc);

}  // namespace credit

#endif  // CREDIT_SERVICE_AUTH_CALLER_H_
