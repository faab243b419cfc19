// Registry's listing procedure: the transitions callers ask for (approve, reject, object,
// resolve, apply for repair, decide it) and those time makes (notice ended, publication ended,
// expired). What each state allows and what a transition does to the entry is
// service/procedure/lifecycle.h; here they are run inside mutations, with the rules of who may.
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/proto/enum_names.h"
#include "common/status/error_details.h"
#include "common/status/error_reasons.h"
#include "common/status/status_macros.h"
#include "common/text/date.h"
#include "service/events/event_log.h"
#include "service/registry/presentation.h"
#include "service/registry/registry.h"
#include "service/registry/registry_internal.h"

namespace credit {

using procedure::Action;
using registry_internal::ParseEntry;
using registry_internal::ToTimestamp;

namespace {

v1::Actor ActorOf(const Caller& caller) {
  v1::Actor actor;
  actor.set_identity(caller.identity);
  actor.set_department(caller.department);
  return actor;
}

// Four eyes: the second officer is not the first.
absl::Status NotTheSameOfficer(const Caller& caller, const v1::Actor& first, uint64_t id,
                               absl::string_view first_did, absl::string_view second_does) {
  if (caller.identity != first.identity()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "entry ", id, ": identity ", caller.identity, " ", first_did, " and may not ", second_does,
      " as well; another approver of ", first.department(), " must (four-eyes rule)"));
}

}  // namespace

void Registry::FillDefaults(v1::Entry* entry) const {
  if (entry->list() != v1::LIST_KIND_RED && entry->severity() == v1::SEVERITY_UNSPECIFIED) {
    entry->set_severity(rules_.default_severity);
  }
}

void Registry::StartNotice(absl::CivilDay today, v1::Entry* entry) const {
  const ListingRule rule = rules_.RuleFor(*entry);
  if (rule.notice_days == 0) {
    procedure::Activate(rule, today, entry);
    return;
  }
  entry->set_status(v1::ENTRY_STATUS_NOTICE);
  entry->set_notice_end(FormatDate(today + rule.notice_days));
}

template <typename Request>
absl::StatusOr<v1::EntryTransitionResponse> Registry::Transition(
    const Caller& caller, Rpc rpc, const Request& request, Action action,
    absl::FunctionRef<absl::Status(Mutation&, const v1::Entry&, v1::Entry&, v1::Operation&,
                                   std::string&)>
        apply) {
  auto build = [&](Mutation& m, v1::EntryTransitionResponse& response)
                   ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::Status {
    ASSIGN_OR_RETURN(v1::Entry before,
                     EntryToChange(caller, m, request.entry_id(), request.revision(), action));
    v1::Entry& after = *response.mutable_entry();
    after = before;
    v1::Operation operation = v1::OPERATION_UNSPECIFIED;
    std::string reason;
    RETURN_IF_ERROR(apply(m, before, after, operation, reason));
    after.set_revision(before.revision() + 1);
    *after.mutable_update_time() = ToTimestamp(absl::FromUnixMicros(m.time_micros()));
    after.set_status_reason(reason);
    return ChangeEntry(m, operation, &before, after, reason);
  };
  ASSIGN_OR_RETURN(
      v1::EntryTransitionResponse response,
      (Mutate<v1::EntryTransitionResponse>(caller, rpc, request, request.request_id(), build)));
  MakeDueTransitions(response.entry());
  RedactEntry(caller, response.mutable_entry());
  return response;
}

void Registry::MakeDueTransitions(const v1::Entry& entry) {
  const std::string due = procedure::DueDate(entry);
  if (due.empty() || due > Today()) return;
  // The caller's change is durable either way; what fails here the sweeper makes later.
  if (absl::StatusOr<uint32_t> made = RunDueTransitions(); !made.ok()) {
    LogEvent(
        EventLevel::kError, "transitions_failed",
        absl::StrCat("time-driven transitions failed, will retry: ", made.status().ToString()));
  }
}

absl::StatusOr<v1::EntryTransitionResponse> Registry::ApproveEntry(
    const Caller& caller, const v1::ApproveEntryRequest& request) {
  RETURN_IF_ERROR(ValidateApproveEntryRequest(request));
  return Transition(caller, Rpc::kApproveEntry, request, Action::kApprove,
                    [&](Mutation&, const v1::Entry& before, v1::Entry& after,
                        v1::Operation& operation, std::string& reason) -> absl::Status {
                      RETURN_IF_ERROR(NotTheSameOfficer(caller, before.recorded_by(), before.id(),
                                                        "recorded it", "approve it"));
                      *after.mutable_approved_by() = ActorOf(caller);
                      StartNotice(TodayDay(), &after);
                      operation = v1::OPERATION_ENTRY_APPROVED;
                      reason = after.status() == v1::ENTRY_STATUS_NOTICE
                                   ? absl::StrCat("approved; notice until ", after.notice_end())
                                   : "approved; in force without a notice period";
                      return absl::OkStatus();
                    });
}

absl::StatusOr<v1::EntryTransitionResponse> Registry::RejectEntry(
    const Caller& caller, const v1::RejectEntryRequest& request) {
  RETURN_IF_ERROR(ValidateRejectEntryRequest(request));
  return Transition(caller, Rpc::kRejectEntry, request, Action::kApprove,
                    [&](Mutation&, const v1::Entry& before, v1::Entry& after,
                        v1::Operation& operation, std::string& reason) -> absl::Status {
                      RETURN_IF_ERROR(NotTheSameOfficer(caller, before.recorded_by(), before.id(),
                                                        "recorded it", "reject it"));
                      after.set_status(v1::ENTRY_STATUS_REJECTED);
                      operation = v1::OPERATION_ENTRY_REJECTED;
                      reason = request.reason();
                      return absl::OkStatus();
                    });
}

absl::StatusOr<v1::EntryTransitionResponse> Registry::FileObjection(
    const Caller& caller, const v1::FileObjectionRequest& request) {
  RETURN_IF_ERROR(ValidateFileObjectionRequest(request));
  return Transition(caller, Rpc::kFileObjection, request, Action::kObject,
                    [&](Mutation& m, const v1::Entry& before, v1::Entry& after,
                        v1::Operation& operation, std::string& reason) -> absl::Status {
                      v1::Objection& objection = *after.mutable_objection();
                      objection.Clear();
                      objection.set_state(v1::Objection::STATE_OPEN);
                      objection.set_grounds(request.grounds());
                      objection.set_from_status(before.status());
                      objection.set_measures_kept(before.status() == v1::ENTRY_STATUS_ACTIVE &&
                                                  rules_.objection_keeps_measures);
                      *objection.mutable_filed_by() = ActorOf(caller);
                      *objection.mutable_file_time() =
                          ToTimestamp(absl::FromUnixMicros(m.time_micros()));
                      after.set_status(v1::ENTRY_STATUS_OBJECTED);
                      operation = v1::OPERATION_OBJECTION_FILED;
                      reason = request.grounds();
                      return absl::OkStatus();
                    });
}

absl::StatusOr<v1::EntryTransitionResponse> Registry::ResolveObjection(
    const Caller& caller, const v1::ResolveObjectionRequest& request) {
  RETURN_IF_ERROR(ValidateResolveObjectionRequest(request));
  return Transition(
      caller, Rpc::kResolveObjection, request, Action::kResolve,
      [&](Mutation& m, const v1::Entry& before, v1::Entry& after, v1::Operation& operation,
          std::string& reason) -> absl::Status {
        RETURN_IF_ERROR(NotTheSameOfficer(caller, before.objection().filed_by(), before.id(),
                                          "registered the objection", "resolve it"));
        const bool uphold = request.resolution() == v1::ResolveObjectionRequest::RESOLUTION_UPHOLD;
        v1::Objection& objection = *after.mutable_objection();
        objection.set_state(uphold ? v1::Objection::STATE_UPHELD : v1::Objection::STATE_DISMISSED);
        *objection.mutable_resolved_by() = ActorOf(caller);
        *objection.mutable_resolve_time() = ToTimestamp(absl::FromUnixMicros(m.time_micros()));
        objection.set_resolution_reason(request.reason());
        if (uphold) {
          after.set_status(v1::ENTRY_STATUS_REVOKED);
          after.set_publication_ended(true);
        } else {
          after.set_status(before.objection().from_status());
        }
        operation = uphold ? v1::OPERATION_OBJECTION_UPHELD : v1::OPERATION_OBJECTION_DISMISSED;
        reason = request.reason();
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::EntryTransitionResponse> Registry::ApplyForRepair(
    const Caller& caller, const v1::ApplyForRepairRequest& request) {
  RETURN_IF_ERROR(ValidateApplyForRepairRequest(request));
  return Transition(
      caller, Rpc::kApplyForRepair, request, Action::kApplyForRepair,
      [&](Mutation& m, const v1::Entry& before, v1::Entry& after, v1::Operation& operation,
          std::string& reason) -> absl::Status {
        if (before.list() == v1::LIST_KIND_RED) {
          return WithPreconditionFailure(
              WithErrorInfo(absl::FailedPreconditionError(
                                absl::StrCat("entry ", before.id(),
                                             " is a RED entry; credit repair applies to failings "
                                             "(BLACK and WATCH entries)")),
                            reason::kRepairNotApplicable,
                            {{"entry_id", absl::StrCat(before.id())}}),
              precondition::kEntryList, absl::StrCat("entries/", before.id()),
              "credit repair applies to BLACK and WATCH entries");
        }
        const ListingRule rule = rules_.RuleFor(before);
        if (!rule.repairable) {
          return WithPreconditionFailure(
              WithErrorInfo(
                  absl::FailedPreconditionError(absl::StrCat(
                      "entry ", before.id(), ": category ", before.category(), " of ",
                      ShortName(before.list()), " entries is configured as not repairable")),
                  reason::kCategoryNotRepairable,
                  {{"entry_id", absl::StrCat(before.id())}, {"category", before.category()}}),
              precondition::kListingRule, absl::StrCat("entries/", before.id()),
              "the listing rules make this category not repairable");
        }
        // Entries that became ACTIVE before the procedure existed count from their effective
        // date.
        const std::string earliest = procedure::EarliestRepairDate(before, rule);
        if (Today() < earliest) {
          return WithPreconditionFailure(
              WithErrorInfo(absl::FailedPreconditionError(absl::StrCat(
                                "entry ", before.id(), ": repair may be applied for from ",
                                earliest, ", once the ", rule.min_publication_days,
                                "-day minimum publication period of a ",
                                SeverityWord(rules_.SeverityOf(before)),
                                " failing has passed; today is ", Today())),
                            reason::kRepairTooEarly,
                            {{"entry_id", absl::StrCat(before.id())}, {"earliest_date", earliest}}),
              precondition::kMinimumPublicationPeriod, absl::StrCat("entries/", before.id()),
              absl::StrCat("apply for repair on or after ", earliest));
        }
        v1::RepairApplication& repair = *after.mutable_repair();
        repair.Clear();
        repair.set_state(v1::RepairApplication::STATE_PENDING);
        repair.set_evidence(request.evidence());
        repair.set_commitment(request.commitment());
        *repair.mutable_applied_by() = ActorOf(caller);
        *repair.mutable_apply_time() = ToTimestamp(absl::FromUnixMicros(m.time_micros()));
        operation = v1::OPERATION_REPAIR_APPLIED;
        reason = "repair applied for";
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::EntryTransitionResponse> Registry::ApproveRepair(
    const Caller& caller, const v1::ApproveRepairRequest& request) {
  RETURN_IF_ERROR(ValidateApproveRepairRequest(request));
  return Transition(
      caller, Rpc::kApproveRepair, request, Action::kDecideRepair,
      [&](Mutation& m, const v1::Entry& before, v1::Entry& after, v1::Operation& operation,
          std::string& reason) -> absl::Status {
        RETURN_IF_ERROR(NotTheSameOfficer(caller, before.repair().applied_by(), before.id(),
                                          "filed the repair application", "approve it"));
        v1::RepairApplication& repair = *after.mutable_repair();
        repair.set_state(v1::RepairApplication::STATE_APPROVED);
        *repair.mutable_decided_by() = ActorOf(caller);
        *repair.mutable_decide_time() = ToTimestamp(absl::FromUnixMicros(m.time_micros()));
        repair.set_decision_reason(request.reason());
        // 终止公示、停止共享和使用、解除惩戒: one change.
        after.set_status(v1::ENTRY_STATUS_REPAIRED);
        after.set_publication_ended(true);
        operation = v1::OPERATION_ENTRY_REPAIRED;
        reason = request.reason().empty() ? "repair approved" : request.reason();
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::EntryTransitionResponse> Registry::RejectRepair(
    const Caller& caller, const v1::RejectRepairRequest& request) {
  RETURN_IF_ERROR(ValidateRejectRepairRequest(request));
  return Transition(
      caller, Rpc::kRejectRepair, request, Action::kDecideRepair,
      [&](Mutation& m, const v1::Entry& before, v1::Entry& after, v1::Operation& operation,
          std::string& reason) -> absl::Status {
        RETURN_IF_ERROR(NotTheSameOfficer(caller, before.repair().applied_by(), before.id(),
                                          "filed the repair application", "reject it"));
        v1::RepairApplication& repair = *after.mutable_repair();
        repair.set_state(v1::RepairApplication::STATE_REJECTED);
        *repair.mutable_decided_by() = ActorOf(caller);
        *repair.mutable_decide_time() = ToTimestamp(absl::FromUnixMicros(m.time_micros()));
        repair.set_decision_reason(request.reason());
        operation = v1::OPERATION_REPAIR_REJECTED;
        reason = request.reason();
        return absl::OkStatus();
      });
}

absl::StatusOr<uint32_t> Registry::RunDueTransitions() {
  std::lock_guard one_run(sweep_mu_);
  static const Caller kSystem{kSystemIdentity, kSystemDepartment, 0, true};
  uint32_t made = 0;
  for (;;) {
    const absl::CivilDay today = TodayDay();
    const std::string today_text = FormatDate(today);
    std::vector<uint64_t> due;
    RETURN_IF_ERROR(store_->ScanDeadlines(today_text, nullptr, [&](absl::string_view, uint64_t id) {
      due.push_back(id);
      return due.size() < kMaxDueTransitionsPerGroup;
    }));
    if (due.empty()) return made;
    // The request a retry would repeat: the day and the ids; the log's size makes it unique.
    v1::SetTimeRequest request;
    request.mutable_time()->set_seconds(absl::ToUnixSeconds(clock_->Now()));
    const std::string request_id =
        absl::StrCat("due-", today_text, "-", due.front(), "-", due.size(), "-", ChangeCount());
    uint32_t in_group = 0;
    auto build = [&](Mutation& m, v1::EntryTransitionResponse&)
                     ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::Status {
      in_group = 0;
      for (uint64_t id : due) {
        ASSIGN_OR_RETURN(std::optional<std::string> bytes, m.Read(Store::EntryRow(id)));
        if (!bytes.has_value()) {
          return absl::DataLossError(
              absl::StrCat("the deadline index names entry ", id, ", which is not stored"));
        }
        ASSIGN_OR_RETURN(v1::Entry before, ParseEntry(*bytes, id));
        FillDefaults(&before);
        v1::Entry after = before;
        // Several may be due at once after downtime (the notice ended, then the publication).
        for (;;) {
          std::optional<v1::Operation> operation = procedure::ApplyDue(rules_, today, &after);
          if (!operation.has_value()) break;
          after.set_revision(before.revision() + 1);
          *after.mutable_update_time() = ToTimestamp(absl::FromUnixMicros(m.time_micros()));
          std::string reason =
              *operation == v1::OPERATION_NOTICE_ENDED
                  ? absl::StrCat("notice period ended ", before.notice_end())
              : *operation == v1::OPERATION_ENTRY_EXPIRED
                  ? absl::StrCat("expiry date ", before.expiry_date(), " passed")
                  : absl::StrCat("publication period ended ", before.publicity_end());
          after.set_status_reason(reason);
          RETURN_IF_ERROR(ChangeEntry(m, *operation, &before, after, reason));
          ++in_group;
          before = after;
        }
      }
      // The view lagged a transition another mutation made meanwhile: nothing to record.
      if (in_group == 0) return absl::CancelledError("no transition due");
      return absl::OkStatus();
    };
    absl::StatusOr<v1::EntryTransitionResponse> done = log_->Mutate<v1::EntryTransitionResponse>(
        kSystem, "TimeDrivenTransitions", request, request_id, build);
    if (absl::IsCancelled(done.status())) return made;
    RETURN_IF_ERROR(done.status());
    made += in_group;
    clock_transitions_.fetch_add(in_group, std::memory_order_relaxed);
  }
}

void Registry::SweepPeriodically() {
  absl::MutexLock lock(&sweeper_mu_);
  while (!sweeper_mu_.AwaitWithTimeout(absl::Condition(&closing_), rules_.sweep_interval)) {
    sweeper_mu_.Unlock();
    absl::StatusOr<uint32_t> made = RunDueTransitions();
    if (!made.ok()) {
      LogEvent(
          EventLevel::kError, "transitions_failed",
          absl::StrCat("time-driven transitions failed, will retry: ", made.status().ToString()));
    }
    sweeper_mu_.Lock();
  }
}

}  // namespace credit
