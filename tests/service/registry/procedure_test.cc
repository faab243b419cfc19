// The listing procedure over a real Registry with the default rules: every legal transition and
// the illegal ones, who may make each, the time-driven transitions through a manual clock
// (also across a restart), and status answers now and at past points along the way.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rocksdb/write_batch.h"
#include "service/storage/keys.h"
#include "service/storage/store.h"
#include "tests/service/registry/registry_fixture.h"

namespace credit::testing {
namespace {

using ::testing::HasSubstr;

class ProcedureTest : public RegistryFixture {
 protected:
  ProcedureTest() {
    rules_ = ProcedureRules();
    Reopen();
  }

  uint64_t Propose(v1::Entry entry = BlackEntry()) {
    absl::StatusOr<v1::RecordEntryResponse> r = Record(entry, "rec-" + std::to_string(++n_));
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok()) EXPECT_EQ(r->entry().status(), v1::ENTRY_STATUS_PROPOSED);
    return r.ok() ? r->entry().id() : 0;
  }
  absl::StatusOr<v1::EntryTransitionResponse> Approve(uint64_t id, const Caller& caller,
                                                      uint64_t revision = 0) {
    v1::ApproveEntryRequest r;
    r.set_entry_id(id);
    r.set_revision(revision);
    r.set_request_id("approve-" + std::to_string(++n_));
    return registry_->ApproveEntry(caller, r);
  }
  absl::StatusOr<v1::EntryTransitionResponse> Object(uint64_t id, const Caller& caller) {
    v1::FileObjectionRequest r;
    r.set_entry_id(id);
    r.set_grounds("该笔税款已于处罚前缴清");
    r.set_request_id("object-" + std::to_string(++n_));
    return registry_->FileObjection(caller, r);
  }
  absl::StatusOr<v1::EntryTransitionResponse> Resolve(uint64_t id, bool uphold,
                                                      const Caller& caller) {
    v1::ResolveObjectionRequest r;
    r.set_entry_id(id);
    r.set_resolution(uphold ? v1::ResolveObjectionRequest::RESOLUTION_UPHOLD
                            : v1::ResolveObjectionRequest::RESOLUTION_DISMISS);
    r.set_reason(uphold ? "异议成立" : "异议不成立");
    r.set_request_id("resolve-" + std::to_string(++n_));
    return registry_->ResolveObjection(caller, r);
  }
  absl::StatusOr<v1::EntryTransitionResponse> ApplyForRepair(uint64_t id) {
    v1::ApplyForRepairRequest r;
    r.set_entry_id(id);
    r.set_evidence("税款及滞纳金已缴清");
    r.set_commitment("本公司承诺依法纳税");
    r.set_request_id("repair-" + std::to_string(++n_));
    return registry_->ApplyForRepair(recorder_, r);
  }
  absl::StatusOr<v1::EntryTransitionResponse> DecideRepair(uint64_t id, bool approve,
                                                           const Caller& caller) {
    if (approve) {
      v1::ApproveRepairRequest r;
      r.set_entry_id(id);
      r.set_request_id("repair-ok-" + std::to_string(++n_));
      return registry_->ApproveRepair(caller, r);
    }
    v1::RejectRepairRequest r;
    r.set_entry_id(id);
    r.set_reason("证明材料不足");
    r.set_request_id("repair-no-" + std::to_string(++n_));
    return registry_->RejectRepair(caller, r);
  }
  v1::Entry Get(uint64_t id) {
    v1::GetEntryRequest r;
    r.set_entry_id(id);
    absl::StatusOr<v1::GetEntryResponse> got = registry_->GetEntry(auditor_, r);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? got->entry() : v1::Entry();
  }
  // Moves the clock by `days` and makes what fell due; returns how many transitions were made.
  uint32_t PassDays(int days) {
    clock_.Advance(absl::Hours(24 * days));
    absl::StatusOr<uint32_t> made = registry_->RunDueTransitions();
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? *made : 0;
  }
  // Proposed, approved, and through its notice period: ACTIVE.
  uint64_t Active(v1::Entry entry = BlackEntry()) {
    uint64_t id = Propose(std::move(entry));
    EXPECT_TRUE(Approve(id, approver_).ok());
    EXPECT_EQ(PassDays(6), 1u);
    EXPECT_EQ(Get(id).status(), v1::ENTRY_STATUS_ACTIVE);
    return id;
  }

  Caller approver_{"approver", "市中小企业局", static_cast<uint32_t>(Role::kApprover), true};
  Caller other_approver_{"approver-b", "市市场监督管理局", static_cast<uint32_t>(Role::kApprover),
                         true};
  // One officer holding both roles: four eyes are about identities, not roles.
  Caller both_{"recorder", "市中小企业局",
               static_cast<uint32_t>(Role::kRecorder) | static_cast<uint32_t>(Role::kApprover),
               true};
  int n_ = 0;
};

TEST_F(ProcedureTest, ARecordedListingIsProposedAndNothingIsInForce) {
  uint64_t id = Propose();
  v1::CreditStatus status = StatusFor(kOrgCode, querier_);
  EXPECT_FALSE(status.on_black_list());
  EXPECT_EQ(status.measures_size(), 0);
  EXPECT_EQ(Get(id).severity(), v1::SEVERITY_GENERAL);
}

TEST_F(ProcedureTest, ApprovalNeedsAnotherOfficerOfTheSameDepartment) {
  uint64_t id = Propose();
  absl::StatusOr<v1::EntryTransitionResponse> own = Approve(id, both_);
  EXPECT_EQ(own.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(own.status().message(),
            "entry 1: identity recorder recorded it and may not approve it as well; another "
            "approver of 市中小企业局 must (four-eyes rule)");
  absl::StatusOr<v1::EntryTransitionResponse> other = Approve(id, other_approver_);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(other.status().message(),
            "entry 1 was recorded by 市中小企业局; department 市市场监督管理局 may not act on it "
            "(谁认定、谁负责)");
  EXPECT_EQ(Get(id).status(), v1::ENTRY_STATUS_PROPOSED);
  EXPECT_EQ(registry_->ChangeCount(), static_cast<uint64_t>(kSeeded + 1));
}

TEST_F(ProcedureTest, ApprovalStartsTheNoticeAndItsEndMakesTheEntryActive) {
  uint64_t id = Propose();
  absl::StatusOr<v1::EntryTransitionResponse> approved = Approve(id, approver_, 1);
  ASSERT_TRUE(approved.ok()) << approved.status();
  EXPECT_EQ(approved->entry().status(), v1::ENTRY_STATUS_NOTICE);
  EXPECT_EQ(approved->entry().revision(), 2u);
  EXPECT_EQ(approved->entry().notice_end(), "2026-03-06");
  EXPECT_EQ(approved->entry().approved_by().identity(), "approver");
  EXPECT_FALSE(StatusFor(kOrgCode, querier_).on_black_list());

  EXPECT_EQ(PassDays(5), 0u);  // 2026-03-06: the last day of the notice
  EXPECT_EQ(Get(id).status(), v1::ENTRY_STATUS_NOTICE);
  EXPECT_EQ(PassDays(1), 1u);  // 2026-03-07
  v1::Entry active = Get(id);
  EXPECT_EQ(active.status(), v1::ENTRY_STATUS_ACTIVE);
  EXPECT_EQ(active.revision(), 3u);
  EXPECT_EQ(active.publicity_start(), "2026-03-07");
  EXPECT_EQ(active.publicity_end(), "2027-03-06");         // 365 days: a general failing's longest
  EXPECT_EQ(active.earliest_repair_date(), "2026-06-05");  // 90 days on
  v1::Change last = AllChanges().back();
  EXPECT_EQ(last.operation(), v1::OPERATION_NOTICE_ENDED);
  EXPECT_EQ(last.actor().identity(), kSystemIdentity);
  EXPECT_EQ(last.actor().department(), kSystemDepartment);
  EXPECT_EQ(last.reason(), "notice period ended 2026-03-06");
  v1::CreditStatus status = StatusFor(kOrgCode, querier_);
  EXPECT_TRUE(status.on_black_list());
  ASSERT_EQ(status.measures_size(), 1);
  EXPECT_EQ(status.measures(0).measure().code(), "P-PROCUREMENT");
  EXPECT_EQ(status.entries(0).publicity_end(), "2027-03-06");
  EXPECT_EQ(PassDays(1), 0u);  // made once
}

TEST_F(ProcedureTest, ARejectedProposalEndsAndAllowsNothingMore) {
  uint64_t id = Propose();
  v1::RejectEntryRequest reject;
  reject.set_entry_id(id);
  reject.set_request_id("reject");
  EXPECT_EQ(registry_->RejectEntry(approver_, reject).status().message(),
            "reason: required, want 1 to 1000 characters");
  reject.set_reason("认定依据不足");
  absl::StatusOr<v1::EntryTransitionResponse> rejected = registry_->RejectEntry(approver_, reject);
  ASSERT_TRUE(rejected.ok()) << rejected.status();
  EXPECT_EQ(rejected->entry().status(), v1::ENTRY_STATUS_REJECTED);
  EXPECT_EQ(rejected->entry().status_reason(), "认定依据不足");
  absl::StatusOr<v1::EntryTransitionResponse> again = Approve(id, approver_);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.status().message(),
            "entry 1 is REJECTED, which allows nothing more: the procedure has ended; not "
            "approve or reject (ApproveEntry, RejectEntry)");
  // The decision is free again: it may be proposed anew.
  EXPECT_NE(Propose(), 0u);
}

TEST_F(ProcedureTest, EachStateAllowsOnlyItsTransitions) {
  uint64_t proposed = Propose(BlackEntry(kOrgCode, 1));
  absl::StatusOr<v1::EntryTransitionResponse> r = Object(proposed, recorder_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(),
            "entry 1 is PROPOSED, which allows only: approve or reject (ApproveEntry, "
            "RejectEntry), correct (UpdateEntry), revoke (RemoveEntry); not object "
            "(FileObjection)");
  EXPECT_EQ(ApplyForRepair(proposed).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Resolve(proposed, true, approver_).status().code(),
            absl::StatusCode::kFailedPrecondition);

  uint64_t notice = Propose(BlackEntry(kOrgCode, 2));
  ASSERT_TRUE(Approve(notice, approver_).ok());
  EXPECT_EQ(Approve(notice, approver_).status().message(),
            "entry 2 is NOTICE, which allows only: object (FileObjection), correct "
            "(UpdateEntry), revoke (RemoveEntry); not approve or reject (ApproveEntry, "
            "RejectEntry)");
  EXPECT_EQ(ApplyForRepair(notice).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecideRepair(notice, true, approver_).status().code(),
            absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(Object(notice, recorder_).ok());
  EXPECT_EQ(Object(notice, recorder_).status().message(),
            "entry 2 is OBJECTED, which allows only: resolve the objection (ResolveObjection), "
            "revoke (RemoveEntry); not object (FileObjection)");
  v1::UpdateEntryRequest update;
  *update.mutable_entry() = BlackEntry(kOrgCode, 2);
  update.mutable_entry()->set_id(notice);
  update.mutable_entry()->set_revision(3);
  update.set_reason("更正");
  update.set_request_id("update-objected");
  EXPECT_EQ(registry_->UpdateEntry(recorder_, update).status().code(),
            absl::StatusCode::kFailedPrecondition);

  uint64_t active = Active(BlackEntry(kOrgCode, 3));
  EXPECT_EQ(DecideRepair(active, true, approver_).status().message(),
            "entry 3 is ACTIVE, which allows only: object (FileObjection), apply for repair "
            "(ApplyForRepair), correct (UpdateEntry), revoke (RemoveEntry); not decide the repair "
            "application (ApproveRepair, RejectRepair)");
  EXPECT_EQ(Approve(active, approver_).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ProcedureTest, AStaleRevisionIsAbortedWhateverTheState) {
  uint64_t id = Propose();
  ASSERT_TRUE(Approve(id, approver_).ok());
  absl::StatusOr<v1::EntryTransitionResponse> stale = Approve(id, approver_, 1);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(stale.status().message(),
            "entry 1: revision 1 given, current revision is 2; read the entry again and retry");
}

TEST_F(ProcedureTest, AnObjectionDuringNoticeHoldsTheEntryUntilDismissed) {
  uint64_t id = Propose();
  ASSERT_TRUE(Approve(id, approver_).ok());
  absl::StatusOr<v1::EntryTransitionResponse> objected = Object(id, recorder_);
  ASSERT_TRUE(objected.ok()) << objected.status();
  EXPECT_EQ(objected->entry().status(), v1::ENTRY_STATUS_OBJECTED);
  EXPECT_EQ(objected->entry().objection().state(), v1::Objection::STATE_OPEN);
  EXPECT_EQ(objected->entry().objection().from_status(), v1::ENTRY_STATUS_NOTICE);
  EXPECT_FALSE(objected->entry().objection().measures_kept());
  EXPECT_EQ(PassDays(10), 0u);  // the notice period passed; the objection holds it
  EXPECT_FALSE(StatusFor(kOrgCode, querier_).on_black_list());
  // The officer who registered it may not resolve it too.
  EXPECT_EQ(Resolve(id, false, both_).status().code(), absl::StatusCode::kPermissionDenied);
  absl::StatusOr<v1::EntryTransitionResponse> dismissed = Resolve(id, false, approver_);
  ASSERT_TRUE(dismissed.ok()) << dismissed.status();
  EXPECT_EQ(dismissed->entry().status(), v1::ENTRY_STATUS_NOTICE);
  EXPECT_EQ(dismissed->entry().objection().state(), v1::Objection::STATE_DISMISSED);
  EXPECT_EQ(dismissed->entry().objection().resolution_reason(), "异议不成立");
  // Its notice is long over: the service ends it at once, as itself.
  EXPECT_EQ(Get(id).status(), v1::ENTRY_STATUS_ACTIVE);
  EXPECT_EQ(AllChanges().back().operation(), v1::OPERATION_NOTICE_ENDED);
  EXPECT_EQ(AllChanges().back().actor().identity(), kSystemIdentity);
  EXPECT_TRUE(StatusFor(kOrgCode, querier_).on_black_list());
}

TEST_F(ProcedureTest, AnObjectionToAnActiveEntryKeepsItsMeasuresByDefaultAndUpheldRevokesIt) {
  uint64_t id = Active();
  absl::StatusOr<v1::EntryTransitionResponse> objected = Object(id, recorder_);
  ASSERT_TRUE(objected.ok()) << objected.status();
  EXPECT_TRUE(objected->entry().objection().measures_kept());
  v1::CreditStatus status = StatusFor(kOrgCode, querier_);
  EXPECT_TRUE(status.on_black_list());
  ASSERT_EQ(status.entries_size(), 1);
  EXPECT_EQ(status.entries(0).status(), v1::ENTRY_STATUS_OBJECTED);
  absl::StatusOr<v1::EntryTransitionResponse> upheld = Resolve(id, true, approver_);
  ASSERT_TRUE(upheld.ok()) << upheld.status();
  EXPECT_EQ(upheld->entry().status(), v1::ENTRY_STATUS_REVOKED);
  EXPECT_TRUE(upheld->entry().publication_ended());
  EXPECT_EQ(AllChanges().back().operation(), v1::OPERATION_OBJECTION_UPHELD);
  EXPECT_FALSE(StatusFor(kOrgCode, querier_).on_black_list());
}

TEST_F(ProcedureTest, ObjectionsMaySuspendTheMeasuresByConfiguration) {
  rules_.objection_keeps_measures = false;
  rules_.overrides.push_back({});  // non-empty: Open takes rules_ as they are
  Reopen();
  uint64_t id = Active();
  ASSERT_TRUE(Object(id, recorder_).ok());
  EXPECT_FALSE(StatusFor(kOrgCode, querier_).on_black_list());
  ASSERT_TRUE(Resolve(id, false, approver_).ok());
  EXPECT_TRUE(StatusFor(kOrgCode, querier_).on_black_list());
}

TEST_F(ProcedureTest, RepairWaitsForTheMinimumPeriodThenLiftsEverythingInOneChange) {
  uint64_t id = Active();  // ACTIVE from 2026-03-07; a general failing: 90 days minimum
  absl::StatusOr<v1::EntryTransitionResponse> early = ApplyForRepair(id);
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(early.status().message(),
            "entry 1: repair may be applied for from 2026-06-05, once the 90-day minimum "
            "publication period of a general failing has passed; today is 2026-03-07");
  PassDays(90);  // 2026-06-05
  absl::StatusOr<v1::EntryTransitionResponse> applied = ApplyForRepair(id);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->entry().status(), v1::ENTRY_STATUS_ACTIVE);
  EXPECT_EQ(applied->entry().repair().state(), v1::RepairApplication::STATE_PENDING);
  EXPECT_EQ(applied->entry().repair().commitment(), "本公司承诺依法纳税");
  EXPECT_EQ(ApplyForRepair(id).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecideRepair(id, true, both_).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(DecideRepair(id, true, other_approver_).status().code(),
            absl::StatusCode::kPermissionDenied);
  absl::StatusOr<v1::EntryTransitionResponse> repaired = DecideRepair(id, true, approver_);
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  EXPECT_EQ(repaired->entry().status(), v1::ENTRY_STATUS_REPAIRED);
  EXPECT_TRUE(repaired->entry().publication_ended());
  EXPECT_EQ(repaired->entry().repair().state(), v1::RepairApplication::STATE_APPROVED);
  v1::Change last = AllChanges().back();
  EXPECT_EQ(last.operation(), v1::OPERATION_ENTRY_REPAIRED);
  EXPECT_EQ(last.actor().identity(), "approver");
  v1::CreditStatus status = StatusFor(kOrgCode, querier_);
  EXPECT_FALSE(status.on_black_list());
  EXPECT_EQ(status.measures_size(), 0);
  EXPECT_EQ(PassDays(400), 0u);  // nothing left to expire or unpublish
}

TEST_F(ProcedureTest, ARejectedRepairKeepsTheEntryActiveWithTheReason) {
  v1::Entry minor = BlackEntry();
  minor.set_severity(v1::SEVERITY_MINOR);  // not published, repairable at once
  uint64_t id = Active(minor);
  EXPECT_TRUE(Get(id).publication_ended());
  EXPECT_EQ(Get(id).publicity_end(), "");
  ASSERT_TRUE(ApplyForRepair(id).ok());
  absl::StatusOr<v1::EntryTransitionResponse> rejected = DecideRepair(id, false, approver_);
  ASSERT_TRUE(rejected.ok()) << rejected.status();
  EXPECT_EQ(rejected->entry().status(), v1::ENTRY_STATUS_ACTIVE);
  EXPECT_EQ(rejected->entry().repair().state(), v1::RepairApplication::STATE_REJECTED);
  EXPECT_EQ(rejected->entry().repair().decision_reason(), "证明材料不足");
  EXPECT_TRUE(StatusFor(kOrgCode, querier_).on_black_list());
  EXPECT_TRUE(ApplyForRepair(id).ok());  // a new application may follow
}

TEST_F(ProcedureTest, CategoriesMayBeConfiguredAsNotRepairable) {
  RuleOverride court;
  court.category = "court-judgment-debtor";
  court.repairable = false;
  rules_.overrides.push_back(court);
  Reopen();
  v1::Entry entry = BlackEntry();
  entry.set_category("court-judgment-debtor");
  entry.set_severity(v1::SEVERITY_MINOR);
  uint64_t id = Active(entry);
  EXPECT_EQ(ApplyForRepair(id).status().message(),
            "entry 1: category court-judgment-debtor of BLACK entries is configured as not "
            "repairable");
}

TEST_F(ProcedureTest, PublicationAndValidityEndByThemselves) {
  v1::Entry entry = BlackEntry();
  entry.set_expiry_date("2027-06-30");
  uint64_t id = Active(entry);   // published 2026-03-07 to 2027-03-06
  EXPECT_EQ(PassDays(364), 0u);  // 2027-03-06
  EXPECT_EQ(PassDays(1), 1u);
  v1::Entry unpublished = Get(id);
  EXPECT_EQ(unpublished.status(), v1::ENTRY_STATUS_ACTIVE);
  EXPECT_TRUE(unpublished.publication_ended());
  EXPECT_EQ(AllChanges().back().operation(), v1::OPERATION_PUBLICATION_ENDED);
  EXPECT_TRUE(StatusFor(kOrgCode, querier_).on_black_list());  // measures last until expiry
  EXPECT_EQ(PassDays(115), 0u);                                // 2027-06-30, the last day in force
  EXPECT_EQ(PassDays(1), 1u);
  EXPECT_EQ(Get(id).status(), v1::ENTRY_STATUS_EXPIRED);
  v1::Change last = AllChanges().back();
  EXPECT_EQ(last.operation(), v1::OPERATION_ENTRY_EXPIRED);
  EXPECT_EQ(last.reason(), "expiry date 2027-06-30 passed");
  EXPECT_FALSE(StatusFor(kOrgCode, querier_).on_black_list());
}

TEST_F(ProcedureTest, TransitionsThatFellDueWhileTheServiceWasDownAreMadeAtOpen) {
  v1::Entry entry = BlackEntry();
  entry.set_expiry_date("2026-12-31");
  uint64_t id = Propose(entry);
  ASSERT_TRUE(Approve(id, approver_).ok());
  const uint64_t before = registry_->ChangeCount();
  registry_.reset();
  clock_.Advance(absl::Hours(24 * 400));  // past the notice, the publication end and the expiry
  Reopen();
  std::vector<v1::Change> changes = AllChanges();
  ASSERT_EQ(changes.size(), before + 2);
  EXPECT_EQ(changes[before].operation(), v1::OPERATION_NOTICE_ENDED);
  EXPECT_EQ(changes[before].entry_after().publicity_start(), "2026-03-07");  // the day it was due
  EXPECT_EQ(changes[before + 1].operation(), v1::OPERATION_ENTRY_EXPIRED);
  EXPECT_EQ(Get(id).status(), v1::ENTRY_STATUS_EXPIRED);
  Reopen();
  EXPECT_EQ(registry_->ChangeCount(), before + 2);  // none made twice
  registry_.reset();
  absl::StatusOr<VerifyReport> verified = Verify();
  ASSERT_TRUE(verified.ok()) << verified.status();
}

TEST_F(ProcedureTest, PointInTimeStatusFollowsEveryTransition) {
  uint64_t id = Propose();
  ASSERT_TRUE(Approve(id, approver_).ok());
  PassDays(6);
  ASSERT_TRUE(Object(id, recorder_).ok());
  ASSERT_TRUE(Resolve(id, false, approver_).ok());
  PassDays(90);
  ASSERT_TRUE(ApplyForRepair(id).ok());
  ASSERT_TRUE(DecideRepair(id, true, approver_).ok());
  // After each change of the entry: was it on the black list?
  const std::vector<std::pair<v1::Operation, bool>> want = {
      {v1::OPERATION_ENTRY_RECORDED, false},     {v1::OPERATION_ENTRY_APPROVED, false},
      {v1::OPERATION_NOTICE_ENDED, true},        {v1::OPERATION_OBJECTION_FILED, true},
      {v1::OPERATION_OBJECTION_DISMISSED, true}, {v1::OPERATION_REPAIR_APPLIED, true},
      {v1::OPERATION_ENTRY_REPAIRED, false}};
  std::vector<v1::Change> changes = AllChanges();
  ASSERT_EQ(changes.size(), kSeeded + want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const v1::Change& change = changes[kSeeded + i];
    EXPECT_EQ(change.operation(), want[i].first) << i;
    v1::GetCreditStatusAtRequest at;
    at.set_subject_code(kOrgCode);
    at.set_purpose("复核");
    at.set_tree_size(change.sequence() + 1);
    absl::StatusOr<v1::GetCreditStatusAtResponse> r = registry_->GetCreditStatusAt(querier_, at);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status().on_black_list(), want[i].second) << i;
    EXPECT_EQ(r->status().measures_size(), want[i].second ? 1 : 0) << i;
  }
}

TEST_F(ProcedureTest, RedEntriesNeedApprovalButNoNoticeAndCarryNoSeverity) {
  v1::Entry red = BlackEntry();
  red.set_list(v1::LIST_KIND_RED);
  red.clear_measure_codes();
  red.add_measure_codes("I-FUNDING-PRIORITY");
  EXPECT_EQ(Record(red, "red-severity").status().message(),
            "entry.severity: got GENERAL, want it unset for a RED entry (severity grades "
            "failings)");
  red.clear_severity();
  uint64_t id = Propose(red);
  absl::StatusOr<v1::EntryTransitionResponse> approved = Approve(id, approver_);
  ASSERT_TRUE(approved.ok()) << approved.status();
  EXPECT_EQ(approved->entry().status(), v1::ENTRY_STATUS_ACTIVE);
  EXPECT_EQ(approved->entry().status_reason(), "approved; in force without a notice period");
  EXPECT_TRUE(StatusFor(kOrgCode, querier_).on_red_list());
  EXPECT_EQ(ApplyForRepair(id).status().message(),
            "entry 1 is a RED entry; credit repair applies to failings (BLACK and WATCH entries)");

  v1::Entry black = BlackEntry(kOrgCode, 2);
  black.clear_severity();
  EXPECT_EQ(Record(black, "no-severity").status().message(),
            "entry.severity: got SEVERITY_UNSPECIFIED, want MINOR, GENERAL or SERIOUS for a "
            "BLACK entry");
}

TEST_F(ProcedureTest, AGivenPublicationPeriodMayNotOutlastItsSeverity) {
  v1::Entry entry = BlackEntry();
  entry.set_publicity_start("2026-03-01");
  entry.set_publicity_end("2027-03-01");  // 366 days
  EXPECT_EQ(Record(entry, "too-long").status().message(),
            "entry.publicity_end: the period from publicity_start 2026-03-01 to 2027-03-01 is "
            "366 days, want at most 365 for a general failing (BLACK, category tax)");
  entry.set_publicity_end("2027-02-28");
  uint64_t id = Active(entry);
  EXPECT_EQ(Get(id).publicity_end(), "2027-02-28");
  EXPECT_EQ(Get(id).earliest_repair_date(), "2026-05-30");  // 90 days from the given start
}

TEST_F(ProcedureTest, TheSameDecisionIsRecordedOnceWhileItStands) {
  uint64_t id = Propose();
  absl::StatusOr<v1::RecordEntryResponse> twice = Record(BlackEntry(), "twice");
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(twice.status().message(),
            "entry 1 already holds decision 深税〔2026〕12号 of 市税务局 on this subject's BLACK "
            "listing; correct that entry with UpdateEntry instead of recording it again");
  v1::ImportEntriesRequest import;
  import.set_request_id("import-twice");
  *import.add_entries() = BlackEntry(kOrgCode, 30);
  *import.add_entries() = BlackEntry(kOrgCode, 30);
  EXPECT_EQ(registry_->ImportEntries(recorder_, import).status().message(),
            "entries[1]: entry 2 already holds decision 深税〔2026〕30号 of 市税务局 on this "
            "subject's BLACK listing; correct that entry with UpdateEntry instead of recording it "
            "again");
  ASSERT_TRUE(Remove(id, v1::REMOVAL_KIND_REVOKE, "revoke").ok());
  EXPECT_TRUE(Record(BlackEntry(), "after-revoke").ok());
}

// A folder written before the procedure: entries without a severity, no deadline or decision
// index. At open the indexes are built and the entries keep their states; the severity shown is
// the configured default, and no change record is written for it.
TEST_F(ProcedureTest, EntriesStoredBeforeTheProcedureKeepTheirStateAndReadTheDefaultSeverity) {
  rules_ = TakesEffectAtOnce();
  Reopen();
  v1::Entry entry = BlackEntry();
  entry.set_expiry_date("2026-12-31");
  absl::StatusOr<v1::RecordEntryResponse> recorded = Record(entry, "old");
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  const uint64_t id = recorded->entry().id();
  ASSERT_EQ(recorded->entry().status(),
            v1::ENTRY_STATUS_ACTIVE);  // in force at once under these rules
  registry_.reset();
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    Store& s = **store;
    absl::StatusOr<std::optional<std::string>> bytes = s.GetEntry(id, nullptr);
    ASSERT_TRUE(bytes.ok() && bytes->has_value());
    v1::Entry old;
    ASSERT_TRUE(old.ParseFromString(**bytes));
    old.clear_severity();
    old.clear_publicity_start();
    old.clear_publicity_end();
    old.clear_earliest_repair_date();
    rocksdb::WriteBatch batch;
    batch.Put(s.Handle(Family::kEntries), keys::U64(id), old.SerializeAsString());
    batch.Delete(s.Handle(Family::kMeta), "procedure_indexes_built");
    for (Family family : {Family::kDeadlines, Family::kDecisions}) {
      std::unique_ptr<rocksdb::Iterator> it = s.NewIterator(family);
      for (it->SeekToFirst(); it->Valid(); it->Next()) batch.Delete(s.Handle(family), it->key());
    }
    ASSERT_TRUE(s.Write(&batch).ok());
  }
  rules_ = ProcedureRules();
  rules_.default_severity = v1::SEVERITY_SERIOUS;
  rules_.overrides.push_back({});  // non-empty: Open takes rules_ as they are
  Reopen();
  const uint64_t changes = registry_->ChangeCount();
  v1::Entry read = Get(id);
  EXPECT_EQ(read.status(), v1::ENTRY_STATUS_ACTIVE);
  EXPECT_EQ(read.severity(), v1::SEVERITY_SERIOUS);
  EXPECT_EQ(registry_->ChangeCount(), changes);
  EXPECT_TRUE(StatusFor(kOrgCode, querier_).on_black_list());
  // The rebuilt decision index holds its decision; the deadline index its expiry.
  EXPECT_EQ(Record(BlackEntry(), "again").status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(PassDays(305), 0u);  // 2026-12-31, its last day in force
  EXPECT_EQ(PassDays(1), 1u);
  v1::Change last = AllChanges().back();
  EXPECT_EQ(last.operation(), v1::OPERATION_ENTRY_EXPIRED);
  EXPECT_EQ(last.entry_before().severity(), v1::SEVERITY_SERIOUS);  // recorded with its next change
}

}  // namespace
}  // namespace credit::testing
