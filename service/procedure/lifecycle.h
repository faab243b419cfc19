// The listing procedure as a state machine over one entry (DESIGN.md §2):
//
//   PROPOSED --approve--> NOTICE --notice ends--> ACTIVE --expiry date passes--> EXPIRED
//      |                    |                       |--repair approved--> REPAIRED
//      +--reject--> REJECTED +--object--> OBJECTED <-+--object
//   OBJECTED --upheld--> REVOKED, --dismissed--> back where it came from
//   PROPOSED, NOTICE, ACTIVE, OBJECTED --revoke--> REVOKED
//
// Pure functions over v1::Entry: which actions a state allows, what each does to the entry's
// fields, and which time-driven transition is due on a day. The registry runs them inside its
// mutations (service/registry/procedure.cc). Thread-safe.
#ifndef CREDIT_SERVICE_PROCEDURE_LIFECYCLE_H_
#define CREDIT_SERVICE_PROCEDURE_LIFECYCLE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "common/listing/in_force.h"
#include "credit/registry/v1/resources.pb.h"
#include "service/procedure/rules.h"

namespace credit::procedure {

// What a caller may ask of an entry.
enum class Action {
  kCorrect,         // UpdateEntry
  kRevoke,          // RemoveEntry
  kApprove,         // ApproveEntry, RejectEntry
  kObject,          // FileObjection
  kResolve,         // ResolveObjection
  kApplyForRepair,  // ApplyForRepair
  kDecideRepair,    // ApproveRepair, RejectRepair
};

// OK when `entry`'s state allows `action`; otherwise FAILED_PRECONDITION naming the entry, its
// state and the actions that state allows.
absl::Status CheckAllowed(const v1::Entry& entry, Action action);

// Whether the entry's state puts its measures in force: common/listing/in_force.h.
using ::credit::StateInForce;
// REJECTED, REVOKED, REPAIRED or EXPIRED: nothing more happens to the entry.
bool Ended(v1::EntryStatus status);

// The first day on which a time-driven transition of `entry` falls due ("YYYY-MM-DD"), empty
// when none will: the day after notice_end for a NOTICE entry; for an ACTIVE one the day after
// its expiry date or, earlier, the day after its publication ends.
std::string DueDate(const v1::Entry& entry);

// Makes `entry` ACTIVE from `start` (its activation date, unless it was ACTIVE before): a black or
// watch entry without a publication period gets one of `rule`'s longest length from `start` (or
// none, publication_ended, when that is 0 days), and its earliest repair date.
void Activate(const ListingRule& rule, absl::CivilDay start, v1::Entry* entry);

// The first day a repair of `entry` may be applied for: its earliest_repair_date, or for an entry
// made ACTIVE before that field existed, its publication start (else its effective date) plus
// `rule`'s minimum publication period.
std::string EarliestRepairDate(const v1::Entry& entry, const ListingRule& rule);

// Applies to `entry` the time-driven transition due on `today`, if any, and says which it was:
// NOTICE_ENDED (ACTIVE from the day after notice_end), ENTRY_EXPIRED, PUBLICATION_ENDED.
std::optional<v1::Operation> ApplyDue(const ProcedureRules& rules, absl::CivilDay today,
                                      v1::Entry* entry);

// OK when a publication period given on input is no longer than `rule` allows; INVALID_ARGUMENT
// naming publicity_end, the severity and its longest period otherwise.
absl::Status CheckPublicationPeriod(const v1::Entry& entry, const ListingRule& rule,
                                    v1::Severity severity);

}  // namespace credit::procedure

#endif  // CREDIT_SERVICE_PROCEDURE_LIFECYCLE_H_
