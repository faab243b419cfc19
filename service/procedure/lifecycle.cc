#include "service/procedure/lifecycle.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/proto/enum_names.h"
#include "common/status/error_details.h"
#include "common/status/error_reasons.h"
#include "common/text/date.h"

namespace credit::procedure {
namespace {

absl::string_view ActionName(Action action) {
  switch (action) {
    case Action::kCorrect:
      return "correct (UpdateEntry)";
    case Action::kRevoke:
      return "revoke (RemoveEntry)";
    case Action::kApprove:
      return "approve or reject (ApproveEntry, RejectEntry)";
    case Action::kObject:
      return "object (FileObjection)";
    case Action::kResolve:
      return "resolve the objection (ResolveObjection)";
    case Action::kApplyForRepair:
      return "apply for repair (ApplyForRepair)";
    case Action::kDecideRepair:
      return "decide the repair application (ApproveRepair, RejectRepair)";
  }
  return "";
}

bool RepairPending(const v1::Entry& entry) {
  return entry.repair().state() == v1::RepairApplication::STATE_PENDING;
}

std::vector<Action> AllowedActions(const v1::Entry& entry) {
  switch (entry.status()) {
    case v1::ENTRY_STATUS_PROPOSED:
      return {Action::kApprove, Action::kCorrect, Action::kRevoke};
    case v1::ENTRY_STATUS_NOTICE:
      return {Action::kObject, Action::kCorrect, Action::kRevoke};
    case v1::ENTRY_STATUS_ACTIVE:
      return {Action::kObject,
              RepairPending(entry) ? Action::kDecideRepair : Action::kApplyForRepair,
              Action::kCorrect, Action::kRevoke};
    case v1::ENTRY_STATUS_OBJECTED:
      return {Action::kResolve, Action::kRevoke};
    default:
      return {};
  }
}

// The day after `date` ("YYYY-MM-DD", valid), formatted.
std::string DayAfter(const std::string& date) {
  absl::StatusOr<absl::CivilDay> day = ParseDate(date);
  return day.ok() ? FormatDate(*day + 1) : std::string();
}

}  // namespace

absl::Status CheckAllowed(const v1::Entry& entry, Action action) {
  std::vector<Action> allowed = AllowedActions(entry);
  for (Action a : allowed) {
    if (a == action) return absl::OkStatus();
  }
  std::vector<absl::string_view> names;
  for (Action a : allowed) names.push_back(ActionName(a));
  std::string what = names.empty() ? "nothing more: the procedure has ended"
                                   : absl::StrCat("only: ", absl::StrJoin(names, ", "));
  absl::Status status = WithErrorInfo(absl::FailedPreconditionError(absl::StrCat(
                                          "entry ", entry.id(), " is ", ShortName(entry.status()),
                                          ", which allows ", what, "; not ", ActionName(action))),
                                      reason::kIllegalTransition,
                                      {{"entry_id", absl::StrCat(entry.id())},
                                       {"status", ShortName(entry.status())},
                                       {"action", ActionName(action)}});
  return WithPreconditionFailure(
      std::move(status), precondition::kEntryStatus, absl::StrCat("entries/", entry.id()),
      absl::StrCat("the entry is ", ShortName(entry.status()), ", which allows ", what));
}

bool Ended(v1::EntryStatus status) {
  return status == v1::ENTRY_STATUS_REJECTED || status == v1::ENTRY_STATUS_REVOKED ||
         status == v1::ENTRY_STATUS_REPAIRED || status == v1::ENTRY_STATUS_EXPIRED;
}

std::string DueDate(const v1::Entry& entry) {
  if (entry.status() == v1::ENTRY_STATUS_NOTICE) return DayAfter(entry.notice_end());
  if (entry.status() != v1::ENTRY_STATUS_ACTIVE) return "";
  std::string due = DayAfter(entry.expiry_date());
  if (entry.list() != v1::LIST_KIND_RED && !entry.publication_ended() &&
      !entry.publicity_end().empty()) {
    std::string publication = DayAfter(entry.publicity_end());
    if (!publication.empty() && publication < due) due = publication;
  }
  return due;
}

void Activate(const ListingRule& rule, absl::CivilDay start, v1::Entry* entry) {
  entry->set_status(v1::ENTRY_STATUS_ACTIVE);
  if (entry->activation_date().empty()) entry->set_activation_date(FormatDate(start));
  if (entry->list() == v1::LIST_KIND_RED) return;
  absl::CivilDay publication_start = start;
  if (entry->publicity_start().empty()) {
    if (rule.max_publication_days > 0) {
      entry->set_publicity_start(FormatDate(start));
      entry->set_publicity_end(FormatDate(start + rule.max_publication_days - 1));
    } else {
      entry->set_publication_ended(true);
    }
  } else if (absl::StatusOr<absl::CivilDay> given = ParseDate(entry->publicity_start());
             given.ok()) {
    publication_start = *given;
  }
  entry->set_earliest_repair_date(FormatDate(publication_start + rule.min_publication_days));
}

std::string EarliestRepairDate(const v1::Entry& entry, const ListingRule& rule) {
  if (!entry.earliest_repair_date().empty()) return entry.earliest_repair_date();
  absl::StatusOr<absl::CivilDay> from =
      ParseDate(entry.publicity_start().empty() ? entry.effective_date() : entry.publicity_start());
  return from.ok() ? FormatDate(*from + rule.min_publication_days) : std::string();
}

std::optional<v1::Operation> ApplyDue(const ProcedureRules& rules, absl::CivilDay today,
                                      v1::Entry* entry) {
  std::string due = DueDate(*entry);
  if (due.empty() || FormatDate(today) < due) return std::nullopt;
  if (entry->status() == v1::ENTRY_STATUS_NOTICE) {
    absl::StatusOr<absl::CivilDay> start = ParseDate(due);
    Activate(rules.RuleFor(*entry), start.ok() ? *start : today, entry);
    return v1::OPERATION_NOTICE_ENDED;
  }
  if (due == DayAfter(entry->expiry_date())) {
    entry->set_status(v1::ENTRY_STATUS_EXPIRED);
    entry->set_publication_ended(true);
    return v1::OPERATION_ENTRY_EXPIRED;
  }
  entry->set_publication_ended(true);
  return v1::OPERATION_PUBLICATION_ENDED;
}

absl::Status CheckPublicationPeriod(const v1::Entry& entry, const ListingRule& rule,
                                    v1::Severity severity) {
  if (entry.list() == v1::LIST_KIND_RED || entry.publicity_start().empty()) return absl::OkStatus();
  absl::StatusOr<absl::CivilDay> start = ParseDate(entry.publicity_start());
  absl::StatusOr<absl::CivilDay> end = ParseDate(entry.publicity_end());
  if (!start.ok() || !end.ok()) return absl::OkStatus();  // validation names them
  int64_t days = *end - *start + 1;
  if (days > rule.max_publication_days) {
    return absl::InvalidArgumentError(
        absl::StrCat("publicity_end: the period from publicity_start ", entry.publicity_start(),
                     " to ", entry.publicity_end(), " is ", days, " days, want at most ",
                     rule.max_publication_days, " for a ", SeverityWord(severity), " failing (",
                     ShortName(entry.list()), ", category ", entry.category(), ")"));
  }
  return absl::OkStatus();
}

}  // namespace credit::procedure
