#include "service/registry/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "absl/strings/escaping.h"
#include "common/proto/deterministic.h"
#include "rocksdb/write_batch.h"
#include "service/registry/registry_internal.h"
#include "service/storage/keys.h"
#include "service/storage/subject_record.h"
#include "tests/service/registry/registry_fixture.h"

namespace credit::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RegistryTest : public RegistryFixture {};

// Recording --------------------------------------------------------------------------------

TEST_F(RegistryTest, RecordedEntryIsActiveWithRevisionOneAndTheAuthenticatedActor) {
  absl::StatusOr<v1::RecordEntryResponse> r = Record(BlackEntry(), "r1");
  ASSERT_TRUE(r.ok()) << r.status();
  const v1::Entry& e = r->entry();
  EXPECT_EQ(e.id(), 1u);
  EXPECT_EQ(e.status(), v1::ENTRY_STATUS_ACTIVE);
  EXPECT_EQ(e.revision(), 1u);
  EXPECT_EQ(e.subject().kind(), v1::SUBJECT_KIND_ORGANIZATION);
  EXPECT_EQ(e.recorded_by().identity(), "recorder");
  EXPECT_EQ(e.recorded_by().department(), "市中小企业局");
  EXPECT_EQ(e.create_time().seconds(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(r->change_sequence(), static_cast<uint64_t>(kSeeded));
  EXPECT_EQ(registry_->ChangeCount(), static_cast<uint64_t>(kSeeded + 1));
}

TEST_F(RegistryTest, OutputOnlyFieldsOfTheRequestAreIgnored) {
  v1::Entry entry = BlackEntry();
  entry.set_id(77);
  entry.set_status(v1::ENTRY_STATUS_REVOKED);
  entry.set_revision(9);
  entry.mutable_recorded_by()->set_identity("someone-else");
  absl::StatusOr<v1::RecordEntryResponse> r = Record(entry, "r1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->entry().id(), 1u);
  EXPECT_EQ(r->entry().status(), v1::ENTRY_STATUS_ACTIVE);
  EXPECT_EQ(r->entry().revision(), 1u);
  EXPECT_EQ(r->entry().recorded_by().identity(), "recorder");
}

TEST_F(RegistryTest, InvalidEntryIsRejectedAndChangesNothing) {
  v1::Entry entry = BlackEntry("91440300MA5FXXXX0X");
  absl::StatusOr<v1::RecordEntryResponse> r = Record(entry, "r1");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "entry.subject.code: unified social credit code check character is 'X', want 'U'");
  EXPECT_EQ(registry_->ChangeCount(), static_cast<uint64_t>(kSeeded));
  // The id was not consumed either.
  ASSERT_TRUE(Record(BlackEntry(), "r2").ok());
  v1::GetEntryRequest get;
  get.set_entry_id(1);
  EXPECT_TRUE(registry_->GetEntry(recorder_, get).ok());
}

TEST_F(RegistryTest, UnknownMeasureIsRejected) {
  v1::Entry entry = BlackEntry();
  entry.add_measure_codes("P-NOPE");
  absl::StatusOr<v1::RecordEntryResponse> r = Record(entry, "r1");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "entry.measure_codes[2]: got \"P-NOPE\", want a code of the measures catalogue");
}

TEST_F(RegistryTest, IncentiveMeasureOnBlackEntryIsRejected) {
  v1::Entry entry = BlackEntry();
  entry.add_measure_codes("I-GREEN-CHANNEL");
  absl::StatusOr<v1::RecordEntryResponse> r = Record(entry, "r1");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "entry.measure_codes[2]: I-GREEN-CHANNEL is a INCENTIVE measure, want a PUNISHMENT "
            "measure for a BLACK entry");
}

// Idempotency ------------------------------------------------------------------------------

TEST_F(RegistryTest, RetryWithTheSameRequestIdReturnsTheFirstAnswerAndAppendsNothing) {
  absl::StatusOr<v1::RecordEntryResponse> first = Record(BlackEntry(), "same");
  ASSERT_TRUE(first.ok());
  clock_.Advance(absl::Minutes(5));
  absl::StatusOr<v1::RecordEntryResponse> retry = Record(BlackEntry(), "same");
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->SerializeAsString(), first->SerializeAsString());
  EXPECT_EQ(registry_->ChangeCount(), static_cast<uint64_t>(kSeeded + 1));
}

TEST_F(RegistryTest, RetryAnswerSurvivesRestart) {
  absl::StatusOr<v1::RecordEntryResponse> first = Record(BlackEntry(), "same");
  ASSERT_TRUE(first.ok());
  Reopen();
  absl::StatusOr<v1::RecordEntryResponse> retry = Record(BlackEntry(), "same");
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->entry().id(), first->entry().id());
  EXPECT_EQ(registry_->ChangeCount(), static_cast<uint64_t>(kSeeded + 1));
}

TEST_F(RegistryTest, RequestIdReusedForADifferentRequestIsInvalidArgument) {
  ASSERT_TRUE(Record(BlackEntry(), "same").ok());
  absl::StatusOr<v1::RecordEntryResponse> other = Record(BlackEntry(kOrgCode2), "same");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(other.status().message(),
            "request_id: same was already used by recorder for a different request; want a new "
            "request_id for each request");
  EXPECT_EQ(registry_->ChangeCount(), static_cast<uint64_t>(kSeeded + 1));
}

TEST_F(RegistryTest, RequestIdsOfDifferentIdentitiesDoNotCollide) {
  Caller colleague = recorder_;
  colleague.identity = "recorder-2";
  ASSERT_TRUE(Record(BlackEntry(), "same").ok());
  absl::StatusOr<v1::RecordEntryResponse> second =
      Record(BlackEntry(kOrgCode, 13), "same", colleague);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->entry().id(), 2u);
}

TEST_F(RegistryTest, MissingRequestIdIsInvalidArgument) {
  absl::StatusOr<v1::RecordEntryResponse> r = Record(BlackEntry(), "");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("request_id: got 0 characters"));
}

// Correction -------------------------------------------------------------------------------

TEST_F(RegistryTest, UpdateCorrectsTheEntryAndBumpsTheRevision) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  v1::UpdateEntryRequest update;
  *update.mutable_entry() = BlackEntry();
  update.mutable_entry()->set_id(1);
  update.mutable_entry()->set_revision(1);
  update.mutable_entry()->set_expiry_date("2027-01-14");
  update.set_reason("有效期更正");
  update.set_request_id("u1");
  absl::StatusOr<v1::UpdateEntryResponse> r = registry_->UpdateEntry(recorder_, update);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->entry().revision(), 2u);
  EXPECT_EQ(r->entry().expiry_date(), "2027-01-14");
  EXPECT_EQ(r->entry().status_reason(), "有效期更正");
  EXPECT_EQ(r->entry().recorded_by().identity(), "recorder");

  std::vector<v1::Change> changes = AllChanges();
  const v1::Change& last = changes.back();
  EXPECT_EQ(last.operation(), v1::OPERATION_ENTRY_CORRECTED);
  EXPECT_EQ(last.entry_before().expiry_date(), "2028-01-14");
  EXPECT_EQ(last.entry_after().expiry_date(), "2027-01-14");
  EXPECT_EQ(last.reason(), "有效期更正");
}

TEST_F(RegistryTest, UpdateWithAStaleRevisionIsAborted) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  v1::UpdateEntryRequest update;
  *update.mutable_entry() = BlackEntry();
  update.mutable_entry()->set_id(1);
  update.mutable_entry()->set_revision(1);
  update.set_reason("first");
  update.set_request_id("u1");
  ASSERT_TRUE(registry_->UpdateEntry(recorder_, update).ok());
  update.set_reason("second, from the same stale read");
  update.set_request_id("u2");
  absl::StatusOr<v1::UpdateEntryResponse> stale = registry_->UpdateEntry(recorder_, update);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(stale.status().message(),
            "entry 1: revision 1 given, current revision is 2; read the entry again and retry");
}

TEST_F(RegistryTest, UpdateOfAMissingEntryIsNotFound) {
  v1::UpdateEntryRequest update;
  *update.mutable_entry() = BlackEntry();
  update.mutable_entry()->set_id(42);
  update.mutable_entry()->set_revision(1);
  update.set_reason("x");
  update.set_request_id("u1");
  absl::StatusOr<v1::UpdateEntryResponse> r = registry_->UpdateEntry(recorder_, update);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "entry 42: no such entry");
}

TEST_F(RegistryTest, AnotherDepartmentMayNotChangeTheEntry) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  v1::RemoveEntryRequest remove;
  remove.set_entry_id(1);
  remove.set_kind(v1::REMOVAL_KIND_REVOKE);
  remove.set_reason("x");
  remove.set_revoking_document("深税复〔2026〕3号");
  remove.set_request_id("d1");
  absl::StatusOr<v1::RemoveEntryResponse> r = registry_->RemoveEntry(other_recorder_, remove);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(r.status().message(),
            "entry 1 was recorded by 市中小企业局; department 市市场监督管理局 may not act on it "
            "(谁认定、谁负责)");
}

TEST_F(RegistryTest, CorrectingTheSubjectCodeMovesTheEntryBetweenSubjects) {
  ASSERT_TRUE(Record(BlackEntry(kOrgCode), "r1").ok());
  v1::UpdateEntryRequest update;
  *update.mutable_entry() = BlackEntry(kOrgCode2);
  update.mutable_entry()->set_id(1);
  update.mutable_entry()->set_revision(1);
  update.set_reason("主体代码录入错误");
  update.set_request_id("u1");
  ASSERT_TRUE(registry_->UpdateEntry(recorder_, update).ok());
  EXPECT_TRUE(StatusFor(kOrgCode, querier_).entries().empty());
  ASSERT_EQ(StatusFor(kOrgCode2, querier_).entries_size(), 1);
  // The correction shows in the change history of both subjects.
  for (const char* code : {kOrgCode, kOrgCode2}) {
    v1::ListChangesRequest request;
    request.set_subject_code(code);
    absl::StatusOr<v1::ListChangesResponse> changes = registry_->ListChanges(auditor_, request);
    ASSERT_TRUE(changes.ok());
    EXPECT_EQ(changes->changes().rbegin()->operation(), v1::OPERATION_ENTRY_CORRECTED) << code;
  }
}

// Removal ----------------------------------------------------------------------------------

TEST_F(RegistryTest, RevokedEntryNoLongerAppearsInStatus) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  ASSERT_TRUE(StatusFor(kOrgCode, querier_).on_black_list());
  absl::StatusOr<v1::RemoveEntryResponse> r = Remove(1, v1::REMOVAL_KIND_REVOKE, "d1");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->entry().status(), v1::ENTRY_STATUS_REVOKED);
  EXPECT_EQ(r->entry().revision(), 2u);
  v1::CreditStatus status = StatusFor(kOrgCode, querier_);
  EXPECT_FALSE(status.on_black_list());
  EXPECT_TRUE(status.entries().empty());
  EXPECT_TRUE(status.measures().empty());
}

TEST_F(RegistryTest, RemovingARemovedEntryIsFailedPrecondition) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  ASSERT_TRUE(Remove(1, v1::REMOVAL_KIND_REVOKE, "d1").ok());
  absl::StatusOr<v1::RemoveEntryResponse> again = Remove(1, v1::REMOVAL_KIND_REVOKE, "d2");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.status().message(),
            "entry 1 is REVOKED, which allows nothing more: the procedure has ended; not revoke "
            "(RemoveEntry)");
}

TEST_F(RegistryTest, RemoveWithAStaleRevisionIsAborted) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  EXPECT_EQ(Remove(1, v1::REMOVAL_KIND_REVOKE, "d1", 7).status().code(),
            absl::StatusCode::kAborted);
}

TEST_F(RegistryTest, RemoveNeedsKindAndReason) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  v1::RemoveEntryRequest remove;
  remove.set_entry_id(1);
  remove.set_reason("x");
  remove.set_request_id("d1");
  absl::StatusOr<v1::RemoveEntryResponse> r = registry_->RemoveEntry(recorder_, remove);
  EXPECT_EQ(r.status().message(), "kind: got 0, want REVOKE (and 1 more field: see the details)");
  remove.set_kind(v1::REMOVAL_KIND_REPAIR);
  remove.set_revoking_document("深税复〔2026〕3号");
  r = registry_->RemoveEntry(recorder_, remove);
  EXPECT_EQ(r.status().message(),
            "kind: got REPAIR, want REVOKE; credit repair is a procedure of its own: "
            "ApplyForRepair, then an approver's ApproveRepair");
  remove.clear_revoking_document();
  remove.set_kind(v1::REMOVAL_KIND_REVOKE);
  r = registry_->RemoveEntry(recorder_, remove);
  EXPECT_EQ(r.status().message(), "revoking_document: required, want 1 to 100 characters");
  remove.set_revoking_document("深税复〔2026〕3号");
  remove.set_kind(v1::REMOVAL_KIND_REVOKE);
  remove.clear_reason();
  r = registry_->RemoveEntry(recorder_, remove);
  EXPECT_EQ(r.status().message(), "reason: required, want 1 to 1000 characters");
}

// Status -----------------------------------------------------------------------------------

TEST_F(RegistryTest, StatusNamesTheMeasuresOfTheCallingDepartmentOnly) {
  v1::Entry entry = BlackEntry();
  entry.add_measure_codes("P-SUBSIDY");
  ASSERT_TRUE(Record(entry, "r1").ok());
  v1::Entry watch = BlackEntry();
  watch.set_list(v1::LIST_KIND_WATCH);
  watch.clear_measure_codes();
  watch.add_measure_codes("P-SUBSIDY");
  ASSERT_TRUE(Record(watch, "r2").ok());

  v1::CreditStatus finance = StatusFor(kOrgCode, querier_);
  EXPECT_TRUE(finance.on_black_list());
  EXPECT_TRUE(finance.on_watch_list());
  EXPECT_FALSE(finance.on_red_list());
  EXPECT_EQ(finance.subject().name(), "深圳某某科技有限公司");
  ASSERT_EQ(finance.measures_size(), 2);
  EXPECT_EQ(finance.measures(0).measure().code(), "P-PROCUREMENT");
  EXPECT_EQ(finance.measures(0).measure().legal_basis(), "basis of P-PROCUREMENT");
  EXPECT_THAT(finance.measures(0).entry_ids(), ElementsAre(1u));
  EXPECT_EQ(finance.measures(1).measure().code(), "P-SUBSIDY");
  EXPECT_THAT(finance.measures(1).entry_ids(), ElementsAre(1u, 2u));

  v1::CreditStatus construction = StatusFor(kOrgCode, builder_);
  ASSERT_EQ(construction.measures_size(), 1);
  EXPECT_EQ(construction.measures(0).measure().code(), "P-BIDDING");
}

TEST_F(RegistryTest, SubjectWithoutEntriesIsANormalAnswer) {
  v1::CreditStatus status = StatusFor(kOrgCode2, querier_);
  EXPECT_EQ(status.subject().code(), kOrgCode2);
  EXPECT_EQ(status.subject().kind(), v1::SUBJECT_KIND_ORGANIZATION);
  EXPECT_EQ(status.as_of_date(), "2026-03-01");
  EXPECT_FALSE(status.on_black_list());
  EXPECT_TRUE(status.entries().empty());
  EXPECT_TRUE(status.measures().empty());
}

TEST_F(RegistryTest, StatusOfAnInvalidCodeIsInvalidArgument) {
  v1::GetCreditStatusRequest request;
  request.set_subject_code("91440300MA5FXXXX0X");
  request.set_purpose("资格审查");
  absl::StatusOr<v1::GetCreditStatusResponse> r = registry_->GetCreditStatus(querier_, request);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "subject_code: unified social credit code check character is 'X', want 'U'");
}

// The BASIC view is the FULL answer without the entries, the subject's name and the measures'
// texts: read from the status parts alone, it must say exactly what FULL says of the rest.
TEST_F(RegistryTest, BasicStatusViewIsTheFullAnswerWithoutEntriesNamesAndMeasureTexts) {
  v1::Entry black = BlackEntry();
  black.add_measure_codes("P-SUBSIDY");
  ASSERT_TRUE(Record(black, "r1").ok());
  v1::Entry red = BlackEntry();
  red.set_list(v1::LIST_KIND_RED);
  red.clear_severity();
  red.clear_measure_codes();
  red.add_measure_codes("I-FUNDING-PRIORITY");
  ASSERT_TRUE(Record(red, "r2").ok());
  v1::Entry later = BlackEntry();  // not yet in force: named by neither view
  later.set_list(v1::LIST_KIND_WATCH);
  later.set_effective_date("2026-06-01");
  ASSERT_TRUE(Record(later, "r3").ok());
  ASSERT_TRUE(Record(BlackEntry(kPersonCode), "r4").ok());
  ASSERT_TRUE(Remove(1, v1::REMOVAL_KIND_REVOKE, "rm-1").ok());
  ASSERT_TRUE(Record(black, "r5").ok());  // entry 5: the black listing again
  v1::Entry second = black;               // entry 6: another, calling for the same measures
  second.set_document_number("京税罚〔2026〕99号");
  ASSERT_TRUE(Record(second, "r6").ok());

  v1::BatchGetCreditStatusRequest request;
  for (const char* code : {kOrgCode, "91440300MA5FXXXX0X", kPersonCode, kOrgCode2}) {
    request.add_subject_codes(code);
  }
  request.set_purpose("政府采购资格审查");
  absl::StatusOr<v1::BatchGetCreditStatusResponse> full =
      registry_->BatchGetCreditStatus(querier_, request);
  request.set_view(v1::STATUS_VIEW_BASIC);
  absl::StatusOr<v1::BatchGetCreditStatusResponse> basic =
      registry_->BatchGetCreditStatus(querier_, request);
  ASSERT_TRUE(full.ok()) << full.status();
  ASSERT_TRUE(basic.ok()) << basic.status();
  ASSERT_EQ(basic->results_size(), 4);

  const v1::CreditStatus& org = basic->results(0).status();
  EXPECT_EQ(org.subject().kind(), v1::SUBJECT_KIND_ORGANIZATION);
  EXPECT_EQ(org.subject().code(), kOrgCode);
  EXPECT_EQ(org.subject().name(), "");
  EXPECT_EQ(org.as_of_date(), "2026-03-01");
  EXPECT_TRUE(org.on_black_list());
  EXPECT_TRUE(org.on_red_list());
  EXPECT_FALSE(org.on_watch_list());
  EXPECT_TRUE(org.entries().empty());
  ASSERT_EQ(org.measures_size(), 3);
  EXPECT_EQ(org.measures(0).measure().ShortDebugString(), "code: \"I-FUNDING-PRIORITY\"");
  EXPECT_THAT(org.measures(0).entry_ids(), ElementsAre(2u));
  EXPECT_EQ(org.measures(1).measure().ShortDebugString(), "code: \"P-PROCUREMENT\"");
  EXPECT_THAT(org.measures(1).entry_ids(), ElementsAre(5u, 6u));
  EXPECT_EQ(org.measures(2).measure().ShortDebugString(), "code: \"P-SUBSIDY\"");
  EXPECT_THAT(org.measures(2).entry_ids(), ElementsAre(5u, 6u));
  EXPECT_EQ(basic->results(1).error().code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(basic->results(2).status().subject().code(), kMaskedPersonCode);
  EXPECT_TRUE(basic->results(2).status().on_black_list());

  // FULL, stripped of what BASIC leaves out, is BASIC byte for byte.
  ASSERT_EQ(full->results(0).status().entries_size(), 3);
  // A querier's entries come at the status level (the one rule for case facts).
  EXPECT_EQ(full->results(0).status().entries(1).facts(), "");
  EXPECT_EQ(full->results(0).status().entries(1).authority(), "市税务局");
  EXPECT_EQ(full->results(0).status().measures(1).measure().name(), "measure P-PROCUREMENT");
  v1::BatchGetCreditStatusResponse stripped = *full;
  for (v1::SubjectStatusResult& result : *stripped.mutable_results()) {
    if (!result.has_status()) continue;
    result.mutable_status()->mutable_subject()->clear_name();
    result.mutable_status()->clear_entries();
    for (v1::ApplicableMeasure& measure : *result.mutable_status()->mutable_measures()) {
      std::string code = measure.measure().code();
      measure.mutable_measure()->Clear();
      measure.mutable_measure()->set_code(code);
    }
  }
  EXPECT_EQ(stripped.SerializeAsString(), basic->SerializeAsString());

  v1::GetCreditStatusRequest single;
  single.set_subject_code(kOrgCode);
  single.set_purpose("政府采购资格审查");
  single.set_view(v1::STATUS_VIEW_BASIC);
  absl::StatusOr<v1::GetCreditStatusResponse> one = registry_->GetCreditStatus(querier_, single);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->status().SerializeAsString(), org.SerializeAsString());
  EXPECT_EQ(one->change_sequence(), kSeeded + 6u);  // the recording of entry 6
}

TEST_F(RegistryTest, AnUnknownStatusViewIsInvalidArgumentAndLeavesNoQueryRecord) {
  v1::GetCreditStatusRequest single;
  single.set_subject_code(kOrgCode);
  single.set_purpose("资格审查");
  single.set_view(static_cast<v1::StatusView>(9));
  absl::StatusOr<v1::GetCreditStatusResponse> one = registry_->GetCreditStatus(querier_, single);
  EXPECT_EQ(one.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(one.status().message(), "view: got 9, want BASIC or FULL (or unset: FULL)");
  v1::BatchGetCreditStatusRequest batch;
  batch.add_subject_codes(kOrgCode);
  batch.set_purpose("资格审查");
  batch.set_view(static_cast<v1::StatusView>(-1));
  absl::StatusOr<v1::BatchGetCreditStatusResponse> many =
      registry_->BatchGetCreditStatus(querier_, batch);
  EXPECT_EQ(many.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(many.status().message(), "view: got -1, want BASIC or FULL (or unset: FULL)");
  single.set_view(v1::STATUS_VIEW_BASIC);
  ASSERT_TRUE(registry_->GetCreditStatus(querier_, single).ok());
  ASSERT_TRUE(registry_->FlushQueryLog().ok());
  absl::StatusOr<v1::ListQueriesResponse> queries =
      registry_->ListQueries(v1::ListQueriesRequest());
  ASSERT_TRUE(queries.ok()) << queries.status();
  ASSERT_EQ(queries->queries_size(), 1);  // the valid lookup only
  EXPECT_EQ(queries->queries(0).rpc(), "GetCreditStatus");
}

// StatusPart writes the wire bytes without building an Entry: they are those protobuf writes for
// an Entry of just the status fields, whatever their values (defaults left out, enums out of
// range or negative, empty and long measure codes).
TEST(StatusPartTest, IsTheDeterministicSerialisationOfAnEntryOfTheStatusFields) {
  auto reference = [](const v1::Entry& entry) {
    v1::Entry part;
    part.set_list(entry.list());
    part.set_status(entry.status());
    part.set_effective_date(entry.effective_date());
    part.set_expiry_date(entry.expiry_date());
    *part.mutable_measure_codes() = entry.measure_codes();
    return SerializeDeterministic(part);
  };
  v1::Entry black = BlackEntry();
  black.set_status(v1::ENTRY_STATUS_ACTIVE);
  v1::Entry red = BlackEntry(kPersonCode);
  red.set_list(v1::LIST_KIND_RED);
  red.clear_severity();
  red.set_status(v1::ENTRY_STATUS_EXPIRED);
  red.clear_measure_codes();
  red.add_measure_codes("I-GREEN-CHANNEL");
  red.add_measure_codes("");
  red.add_measure_codes(std::string(300, 'M'));
  v1::Entry defaults;
  v1::Entry odd = black;
  odd.set_list(static_cast<v1::ListKind>(-1));
  odd.set_status(static_cast<v1::EntryStatus>(200));
  odd.set_expiry_date("");
  for (const v1::Entry& entry : {black, red, defaults, odd}) {
    EXPECT_EQ(registry_internal::StatusPart(entry), reference(entry)) << entry.ShortDebugString();
  }
  EXPECT_EQ(registry_internal::StatusPart(defaults), "");
  EXPECT_EQ(registry_internal::StatusPart(black),
            "\x18\x02"  // list BLACK
            "\x62\x0a"
            "2026-01-15"
            "\x6a\x0a"
            "2028-01-14"
            "\x72\x0dP-PROCUREMENT"
            "\x72\x09P-BIDDING"
            "\x78\x03");  // status ACTIVE
}

// ReadStatusPart reads a part in place as protobuf reads an Entry from the same bytes: the same
// values from every part StatusPart writes and from bytes it never writes (a field twice, other
// fields, a known field with another wire type), and a refusal where protobuf refuses.
TEST(StatusPartTest, IsReadInPlaceAsProtobufReadsIt) {
  using registry_internal::StatusPartView;
  auto read = [](const std::string& bytes) {
    StatusPartView part;
    absl::Status status = registry_internal::ReadStatusPart(bytes, 7, &part);
    return std::make_pair(status, part);
  };
  auto expect_same = [&](const std::string& bytes) {
    SCOPED_TRACE(absl::CEscape(bytes));
    v1::Entry parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes));
    auto [status, part] = read(bytes);
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(part.id, 7u);
    EXPECT_EQ(part.list, parsed.list());
    EXPECT_EQ(part.status, parsed.status());
    EXPECT_EQ(part.effective_date, parsed.effective_date());
    EXPECT_EQ(part.expiry_date, parsed.expiry_date());
    EXPECT_EQ(
        std::vector<std::string>(part.measure_codes.begin(), part.measure_codes.end()),
        std::vector<std::string>(parsed.measure_codes().begin(), parsed.measure_codes().end()));
  };
  v1::Entry black = BlackEntry();
  black.set_status(v1::ENTRY_STATUS_ACTIVE);
  v1::Entry red = BlackEntry(kPersonCode);
  red.set_list(v1::LIST_KIND_RED);
  red.clear_severity();
  red.set_status(v1::ENTRY_STATUS_EXPIRED);
  red.add_measure_codes("");
  red.add_measure_codes(std::string(300, 'M'));
  v1::Entry odd = black;
  odd.set_list(static_cast<v1::ListKind>(-1));  // a sign-extended varint of ten bytes
  odd.set_status(static_cast<v1::EntryStatus>(200));
  for (const v1::Entry& entry : {black, red, v1::Entry(), odd}) {
    expect_same(registry_internal::StatusPart(entry));
  }
  const std::string black_bytes = registry_internal::StatusPart(black);
  auto [black_status, black_part] = read(black_bytes);
  ASSERT_TRUE(black_status.ok()) << black_status;
  EXPECT_EQ(black_part.list, v1::LIST_KIND_BLACK);
  EXPECT_EQ(black_part.status, v1::ENTRY_STATUS_ACTIVE);
  EXPECT_EQ(black_part.effective_date, "2026-01-15");
  EXPECT_EQ(black_part.expiry_date, "2028-01-14");
  EXPECT_THAT(black_part.measure_codes, ElementsAre("P-PROCUREMENT", "P-BIDDING"));

  const std::string part = registry_internal::StatusPart(black);
  expect_same(part + "\x18\x01"  // list again: RED wins
              +
              "\x62\x0a"
              "2027-02-02"  // effective date again
              +
              "\x72\x03"
              "P-X");                                         // one more measure code
  expect_same(std::string("\x08\x2a", 2)                      // id 42
              + std::string("\x12\x04\x10\x01\x12\x00", 6)    // a subject
              + part + "\xa9\x06" + std::string(8, '\x01'));  // field 101, fixed64
  expect_same(part + "\x1a\x01x");  // list as a length-delimited field: skipped as unknown

  auto expect_refused = [&](const std::string& bytes) {
    SCOPED_TRACE(absl::CEscape(bytes));
    v1::Entry parsed;
    EXPECT_FALSE(parsed.ParseFromString(bytes));
    auto [status, unused] = read(bytes);
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
    EXPECT_EQ(status.message(), "entry 7: stored bytes do not parse");
  };
  expect_refused(part.substr(0, part.size() - 1));  // the status varint cut
  expect_refused(part.substr(0, 5));                // inside the effective date
  expect_refused(part + "\x72\x09P-B");             // a length beyond the end
  expect_refused(part + std::string("\x00", 1));    // a zero tag
  expect_refused(part + "\x72\x02\xc3\x28");        // a measure code that is not UTF-8
  expect_refused("\x62\x02\xff\xfe" + part);        // nor a date
}

// The subjects family keeps an entry's status part only (~50 bytes, not the ~700 of the entry);
// a data folder whose family holds whole entries (format "1") has it rebuilt at open.
TEST_F(RegistryTest, SubjectRecordsHoldStatusPartsAndAnOlderFormatIsRebuiltAtOpen) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  registry_.reset();
  std::string whole_entry;
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<std::optional<std::string>> stored = (*store)->Get(Family::kSubjects, kOrgCode);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    absl::StatusOr<SubjectRecordView> record = DecodeSubjectRecord(**stored);
    ASSERT_TRUE(record.ok()) << record.status();
    EXPECT_EQ(record->last_change, kSeeded + 0u);
    ASSERT_EQ(record->active.size(), 1u);
    EXPECT_EQ(record->active[0].id, 1u);
    v1::Entry part;
    ASSERT_TRUE(part.ParseFromString(std::string(record->active[0].entry)));
    EXPECT_EQ(part.ShortDebugString(),
              "list: LIST_KIND_BLACK effective_date: \"2026-01-15\" expiry_date: \"2028-01-14\" "
              "measure_codes: \"P-PROCUREMENT\" measure_codes: \"P-BIDDING\" "
              "status: ENTRY_STATUS_ACTIVE");
    EXPECT_EQ((*store)->Get(Family::kMeta, "subjects_built")->value_or(""), "2");

    // As a folder of the previous format held them: whole entries, and a record of a subject
    // that has none any more.
    whole_entry = (*store)->Get(Family::kEntries, keys::U64(1))->value_or("");
    SubjectRecord old_format;
    old_format.last_change = kSeeded;
    old_format.Set(1, &whole_entry);
    SubjectRecord stale;
    stale.Set(99, &whole_entry);
    rocksdb::WriteBatch batch;
    batch.Put((*store)->Handle(Family::kSubjects), kOrgCode, old_format.Encode());
    batch.Put((*store)->Handle(Family::kSubjects), kOrgCode2, stale.Encode());
    batch.Put((*store)->Handle(Family::kMeta), "subjects_built", "1");
    ASSERT_TRUE((*store)->Write(&batch).ok());
  }
  Open();
  v1::CreditStatus status = StatusFor(kOrgCode, auditor_);  // who may read the whole entry
  ASSERT_EQ(status.entries_size(), 1);
  EXPECT_EQ(SerializeDeterministic(status.entries(0)), whole_entry);
  v1::CreditStatus other = StatusFor(kOrgCode2, querier_);
  EXPECT_FALSE(other.on_black_list());
  EXPECT_TRUE(other.entries().empty());
  registry_.reset();
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->Get(Family::kMeta, "subjects_built")->value_or(""), "2");
  EXPECT_EQ((*store)->Get(Family::kSubjects, kOrgCode2)->has_value(), false);
  absl::StatusOr<SubjectRecordView> rebuilt =
      DecodeSubjectRecord((*store)->Get(Family::kSubjects, kOrgCode)->value_or(""));
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  ASSERT_EQ(rebuilt->active.size(), 1u);
  EXPECT_LT(rebuilt->active[0].entry.size(), 80u);
  EXPECT_EQ(rebuilt->last_change, kSeeded + 0u);
}

// Every subject's record, as stored, by subject code.
std::map<std::string, std::string> SubjectRecords(Store& store) {
  std::map<std::string, std::string> records;
  auto it = store.NewIterator(Family::kSubjects);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    records[it->key().ToString()] = it->value().ToString();
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return records;
}

// The rebuild works in chunks of bounded size: with a chunk per entry (each subject's parts and
// last change merged across many chunks) it writes the very records the write path wrote, and
// removes whatever else the family held (an older format's records, a stray subject's).
TEST_F(RegistryTest, SubjectRecordsRebuiltChunkByChunkAreTheRecordsTheWritePathWrote) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  ASSERT_TRUE(Record(BlackEntry(kOrgCode2), "r2").ok());
  v1::Entry red = BlackEntry();
  red.set_list(v1::LIST_KIND_RED);
  red.clear_severity();
  red.clear_measure_codes();
  red.add_measure_codes("I-GREEN-CHANNEL");
  ASSERT_TRUE(Record(red, "r3").ok());
  ASSERT_TRUE(Record(BlackEntry(kPersonCode), "r4").ok());
  ASSERT_TRUE(Record(BlackEntry(kOrgCode, 13), "r5").ok());
  ASSERT_TRUE(Remove(2, v1::REMOVAL_KIND_REVOKE, "x2")
                  .ok());  // kOrgCode2: a last change, no entry in force
  ASSERT_TRUE(Remove(5, v1::REMOVAL_KIND_REVOKE, "x5").ok());
  registry_.reset();
  std::map<std::string, std::string> written;
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    written = SubjectRecords(**store);
    ASSERT_EQ(written.size(), 3u);
    absl::StatusOr<SubjectRecordView> org = DecodeSubjectRecord(written[kOrgCode]);
    ASSERT_TRUE(org.ok()) << org.status();
    ASSERT_EQ(org->active.size(), 2u);
    EXPECT_EQ(org->active[0].id, 1u);
    EXPECT_EQ(org->active[1].id, 3u);
    EXPECT_EQ(org->last_change, kSeeded + 6u);
    absl::StatusOr<SubjectRecordView> org2 = DecodeSubjectRecord(written[kOrgCode2]);
    ASSERT_TRUE(org2.ok()) << org2.status();
    EXPECT_TRUE(org2->active.empty());
    EXPECT_EQ(org2->last_change, kSeeded + 5u);

    SubjectRecord stale;
    stale.Set(99, &written[kOrgCode]);
    rocksdb::WriteBatch batch;
    batch.Put((*store)->Handle(Family::kSubjects), kOrgCode, "an older format's bytes");
    batch.Put((*store)->Handle(Family::kSubjects), "91110000100000000X", stale.Encode());
    batch.Put((*store)->Handle(Family::kMeta), "subjects_built", "1");
    ASSERT_TRUE((*store)->Write(&batch).ok());
    ASSERT_EQ(SubjectRecords(**store).size(), 4u);
  }
  RegistryOptions options;
  options.rebuild_chunk_bytes = 1;
  Open(options);
  registry_.reset();
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ(SubjectRecords(**store), written);
    EXPECT_EQ((*store)->Get(Family::kMeta, "subjects_built")->value_or(""), "2");
    // A folder from before the family: no marker. The default chunk holds everything at once.
    rocksdb::WriteBatch batch;
    batch.Delete((*store)->Handle(Family::kMeta), "subjects_built");
    batch.Put((*store)->Handle(Family::kSubjects), kPersonCode, "");
    ASSERT_TRUE((*store)->Write(&batch).ok());
  }
  Open();
  EXPECT_TRUE(StatusFor(kOrgCode, querier_).on_black_list());
  EXPECT_TRUE(StatusFor(kOrgCode, querier_).on_red_list());
  registry_.reset();
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(SubjectRecords(**store), written);
}

TEST_F(RegistryTest, EntryIsInForceFromEffectiveToExpiryDateInclusive) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());  // 2026-01-15 .. 2028-01-14, UTC+8
  absl::TimeZone cst = absl::FixedTimeZone(8 * 3600);
  auto at = [&](int y, int m, int d, int h, int min) {
    clock_.Set(absl::FromCivil(absl::CivilSecond(y, m, d, h, min, 0), cst));
    return StatusFor(kOrgCode, querier_).on_black_list();
  };
  EXPECT_FALSE(at(2026, 1, 14, 23, 59));
  EXPECT_TRUE(at(2026, 1, 15, 0, 0));
  EXPECT_TRUE(at(2028, 1, 14, 23, 59));
  EXPECT_FALSE(at(2028, 1, 15, 0, 0));
}

TEST_F(RegistryTest, PersonCodeIsMaskedForCallersWithoutTheUnmaskRight) {
  ASSERT_TRUE(Record(BlackEntry(kPersonCode), "r1").ok());
  v1::CreditStatus masked = StatusFor(kPersonCode, querier_);
  EXPECT_EQ(masked.subject().kind(), v1::SUBJECT_KIND_PERSON);
  EXPECT_EQ(masked.subject().code(), kMaskedPersonCode);
  ASSERT_EQ(masked.entries_size(), 1);
  EXPECT_EQ(masked.entries(0).subject().code(), kMaskedPersonCode);

  EXPECT_EQ(StatusFor(kPersonCode, recorder_).subject().code(), kPersonCode);

  v1::ListChangesRequest request;
  request.set_subject_code(kPersonCode);
  absl::StatusOr<v1::ListChangesResponse> changes =
      registry_->ListChanges(masked_auditor_, request);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->changes_size(), 1);
  EXPECT_EQ(changes->changes(0).entry_after().subject().code(), kMaskedPersonCode);
}

TEST_F(RegistryTest, BatchAnswersEachSubjectAndFlagsInvalidOnesSeparately) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  v1::BatchGetCreditStatusRequest request;
  request.set_purpose("资格审查");
  request.add_subject_codes(kOrgCode);
  request.add_subject_codes("91440300MA5FXXXX0X");
  request.add_subject_codes(kOrgCode2);
  absl::StatusOr<v1::BatchGetCreditStatusResponse> r =
      registry_->BatchGetCreditStatus(querier_, request);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->results_size(), 3);
  EXPECT_TRUE(r->results(0).status().on_black_list());
  EXPECT_EQ(r->results(1).error().code(), 3);
  EXPECT_EQ(r->results(1).error().message(),
            "subject_codes[1]: unified social credit code check character is 'X', want 'U'");
  EXPECT_FALSE(r->results(2).status().on_black_list());
}

TEST_F(RegistryTest, BatchNeedsOneToOneThousandCodes) {
  v1::BatchGetCreditStatusRequest request;
  request.set_purpose("资格审查");
  EXPECT_EQ(registry_->BatchGetCreditStatus(querier_, request).status().message(),
            "subject_codes: got 0 codes, want 1 to 1000");
  for (int i = 0; i < 1001; ++i) request.add_subject_codes(kOrgCode);
  EXPECT_EQ(registry_->BatchGetCreditStatus(querier_, request).status().message(),
            "subject_codes: got 1001 codes, want 1 to 1000");
}

// The change log ---------------------------------------------------------------------------

TEST_F(RegistryTest, EveryMutationAppendsExactlyOneHashChainedRecord) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  ASSERT_TRUE(Record(BlackEntry(kPersonCode), "r2").ok());
  ASSERT_TRUE(Remove(1, v1::REMOVAL_KIND_REVOKE, "d1").ok());
  std::vector<v1::Change> changes = AllChanges();
  ASSERT_EQ(changes.size(), static_cast<size_t>(kSeeded + 3));
  EXPECT_EQ(changes[0].previous_hash(), std::string(32, '\0'));
  for (size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(changes[i].sequence(), i);
    EXPECT_EQ(changes[i].hash().size(), 32u);
    if (i > 0) {
      EXPECT_EQ(changes[i].previous_hash(), changes[i - 1].hash()) << i;
    }
  }
  EXPECT_EQ(changes.back().hash(), std::string(AsBytes(registry_->LastChangeHash())));
  EXPECT_EQ(changes[kSeeded].operation(), v1::OPERATION_ENTRY_RECORDED);
  EXPECT_EQ(changes[kSeeded].actor().identity(), "recorder");
  EXPECT_EQ(changes[kSeeded].actor().department(), "市中小企业局");
  EXPECT_EQ(changes[kSeeded].request_id(), "r1");
  EXPECT_FALSE(changes[kSeeded].has_entry_before());
  EXPECT_EQ(changes[kSeeded].entry_after().id(), 1u);
}

TEST_F(RegistryTest, EachEntryHasExactlyAsManyChangesAsRevisions) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  ASSERT_TRUE(Record(BlackEntry(kOrgCode2), "r2").ok());
  v1::UpdateEntryRequest update;
  *update.mutable_entry() = BlackEntry();
  update.mutable_entry()->set_id(1);
  update.mutable_entry()->set_revision(1);
  update.set_reason("更正");
  update.set_request_id("u1");
  ASSERT_TRUE(registry_->UpdateEntry(recorder_, update).ok());
  ASSERT_TRUE(Remove(1, v1::REMOVAL_KIND_REVOKE, "d1").ok());
  std::map<uint64_t, uint64_t> changes_per_entry;
  for (const v1::Change& c : AllChanges()) {
    if (c.has_entry_after()) ++changes_per_entry[c.entry_after().id()];
  }
  v1::ListEntriesRequest list;
  absl::StatusOr<v1::ListEntriesResponse> entries = registry_->ListEntries(recorder_, list);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->entries_size(), 2);
  for (const v1::Entry& e : entries->entries()) {
    EXPECT_EQ(changes_per_entry[e.id()], e.revision()) << "entry " << e.id();
  }
}

TEST_F(RegistryTest, ReopenKeepsEverythingAndTheChainContinues) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  Hash256 before = registry_->LastChangeHash();
  Reopen();
  EXPECT_EQ(registry_->ChangeCount(), static_cast<uint64_t>(kSeeded + 1));
  EXPECT_EQ(registry_->LastChangeHash(), before);
  EXPECT_TRUE(StatusFor(kOrgCode, querier_).on_black_list());
  absl::StatusOr<v1::RecordEntryResponse> second = Record(BlackEntry(kOrgCode2), "r2");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->entry().id(), 2u);
  EXPECT_EQ(second->change_sequence(), static_cast<uint64_t>(kSeeded + 1));
  EXPECT_EQ(AllChanges().back().previous_hash(), std::string(AsBytes(before)));
}

TEST_F(RegistryTest, SeedingAgainAfterRestartAppendsNothing) {
  Reopen();
  EXPECT_EQ(registry_->ChangeCount(), static_cast<uint64_t>(kSeeded));
}

TEST_F(RegistryTest, ListChangesFiltersByActorAndTime) {
  absl::Time t0 = clock_.Now();
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  clock_.Advance(absl::Hours(1));
  Caller colleague = recorder_;
  colleague.identity = "recorder-2";
  ASSERT_TRUE(Record(BlackEntry(kOrgCode2), "r2", colleague).ok());

  v1::ListChangesRequest by_actor;
  by_actor.set_actor_identity("recorder-2");
  absl::StatusOr<v1::ListChangesResponse> r = registry_->ListChanges(auditor_, by_actor);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->changes_size(), 1);
  EXPECT_EQ(r->changes(0).sequence(), static_cast<uint64_t>(kSeeded + 1));

  v1::ListChangesRequest by_time;
  by_time.mutable_start_time()->set_seconds(absl::ToUnixSeconds(t0));
  by_time.mutable_end_time()->set_seconds(absl::ToUnixSeconds(t0 + absl::Minutes(30)));
  r = registry_->ListChanges(auditor_, by_time);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->changes_size(), kSeeded + 1);  // the seed and the first record share t0
  EXPECT_EQ(r->changes().rbegin()->entry_after().id(), 1u);
}

// Pagination -------------------------------------------------------------------------------

TEST_F(RegistryTest, ListEntriesPaginatesInIdOrderAndFilters) {
  for (int i = 0; i < 5; ++i) {
    v1::Entry e = BlackEntry(i % 2 == 0 ? kOrgCode : kOrgCode2, i);
    ASSERT_TRUE(Record(e, "r" + std::to_string(i)).ok());
  }
  v1::ListEntriesRequest request;
  request.set_page_size(2);
  std::vector<uint64_t> ids;
  for (int page = 0; page < 10; ++page) {
    absl::StatusOr<v1::ListEntriesResponse> r = registry_->ListEntries(recorder_, request);
    ASSERT_TRUE(r.ok()) << r.status();
    for (const auto& e : r->entries()) ids.push_back(e.id());
    if (r->next_page_token().empty()) break;
    request.set_page_token(r->next_page_token());
  }
  EXPECT_THAT(ids, ElementsAre(1u, 2u, 3u, 4u, 5u));

  v1::ListEntriesRequest by_subject;
  by_subject.set_subject_code(kOrgCode2);
  absl::StatusOr<v1::ListEntriesResponse> r = registry_->ListEntries(recorder_, by_subject);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->entries_size(), 2);
  EXPECT_EQ(r->entries(0).id(), 2u);
  EXPECT_EQ(r->entries(1).id(), 4u);
}

TEST_F(RegistryTest, PageTokenOfOtherFiltersIsInvalidArgument) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Record(BlackEntry(kOrgCode, i), "r" + std::to_string(i)).ok());
  }
  v1::ListEntriesRequest request;
  request.set_page_size(1);
  absl::StatusOr<v1::ListEntriesResponse> first = registry_->ListEntries(recorder_, request);
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->next_page_token().empty());
  request.set_list(v1::LIST_KIND_RED);
  request.set_page_token(first->next_page_token());
  absl::StatusOr<v1::ListEntriesResponse> r = registry_->ListEntries(recorder_, request);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("page_token: not a token this call issued"));
}

TEST_F(RegistryTest, ListEntriesFiltersByStatusListAuthorityAndCategory) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  v1::Entry other = BlackEntry(kOrgCode2);
  other.set_authority("市生态环境局");
  other.set_category("environment");
  ASSERT_TRUE(Record(other, "r2").ok());
  ASSERT_TRUE(Remove(1, v1::REMOVAL_KIND_REVOKE, "d1").ok());
  auto ids = [&](v1::ListEntriesRequest request) {
    std::vector<uint64_t> out;
    absl::StatusOr<v1::ListEntriesResponse> r = registry_->ListEntries(recorder_, request);
    EXPECT_TRUE(r.ok()) << r.status();
    for (const auto& e : r->entries()) out.push_back(e.id());
    return out;
  };
  v1::ListEntriesRequest request;
  request.set_status(v1::ENTRY_STATUS_REVOKED);
  EXPECT_THAT(ids(request), ElementsAre(1u));
  request.Clear();
  request.set_authority("市生态环境局");
  EXPECT_THAT(ids(request), ElementsAre(2u));
  request.Clear();
  request.set_category("tax");
  EXPECT_THAT(ids(request), ElementsAre(1u));
  request.Clear();
  request.set_list(v1::LIST_KIND_RED);
  EXPECT_TRUE(ids(request).empty());
}

TEST_F(RegistryTest, FilterStringsAreBounded) {
  v1::ListEntriesRequest entries;
  entries.set_authority(std::string(101, 'a'));
  EXPECT_EQ(registry_->ListEntries(recorder_, entries).status().message(),
            "authority: got 101 characters, want at most 100");
  v1::ListChangesRequest changes;
  changes.set_actor_identity(std::string(129, 'a'));
  EXPECT_EQ(registry_->ListChanges(auditor_, changes).status().message(),
            "actor_identity: got 129 characters, want at most 128");
}

TEST_F(RegistryTest, PageSizeOutOfRangeIsInvalidArgument) {
  v1::ListEntriesRequest request;
  request.set_page_size(1001);
  EXPECT_EQ(registry_->ListEntries(recorder_, request).status().message(),
            "page_size: got 1001, want 0 (default 100) to 1000");
}

// Measures ---------------------------------------------------------------------------------

TEST_F(RegistryTest, PutMeasureCreatesThenRevisesAndIsAudited) {
  Caller admin{"admin", "市社会信用体系建设办公室", static_cast<uint32_t>(Role::kAdmin), false};
  v1::PutMeasureRequest put;
  *put.mutable_measure() = MakeMeasure("P-LAND", v1::MEASURE_KIND_PUNISHMENT, {"市自然资源局"});
  put.set_request_id("m1");
  absl::StatusOr<v1::PutMeasureResponse> created = registry_->PutMeasure(admin, put);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->measure().revision(), 1u);
  put.mutable_measure()->add_departments("市住房和城乡建设局");
  put.set_request_id("m2");
  absl::StatusOr<v1::PutMeasureResponse> revised = registry_->PutMeasure(admin, put);
  ASSERT_TRUE(revised.ok());
  EXPECT_EQ(revised->measure().revision(), 2u);

  v1::Change last = AllChanges().back();
  EXPECT_EQ(last.operation(), v1::OPERATION_MEASURE_PUT);
  EXPECT_EQ(last.actor().identity(), "admin");
  EXPECT_EQ(last.measure_before().departments_size(), 1);
  EXPECT_EQ(last.measure_after().departments_size(), 2);

  // The new measure is usable at once, and survives a restart.
  v1::Entry entry = BlackEntry();
  entry.add_measure_codes("P-LAND");
  ASSERT_TRUE(Record(entry, "r1").ok());
  Reopen();
  EXPECT_EQ(StatusFor(kOrgCode, builder_).measures_size(), 2);
}

TEST_F(RegistryTest, ListMeasuresInCodeOrderFilteredByKind) {
  v1::ListMeasuresRequest request;
  request.set_kind(v1::MEASURE_KIND_INCENTIVE);
  absl::StatusOr<v1::ListMeasuresResponse> r = registry_->ListMeasures(querier_, request);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->measures_size(), 2);
  EXPECT_EQ(r->measures(0).code(), "I-FUNDING-PRIORITY");
  EXPECT_EQ(r->measures(1).code(), "I-GREEN-CHANNEL");

  v1::ListMeasuresRequest paged;
  paged.set_page_size(3);
  r = registry_->ListMeasures(querier_, paged);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->measures_size(), 3);
  paged.set_page_token(r->next_page_token());
  r = registry_->ListMeasures(querier_, paged);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->measures_size(), 2);
  EXPECT_EQ(r->measures(1).code(), "P-SUBSIDY");
  EXPECT_TRUE(r->next_page_token().empty());
}

}  // namespace
}  // namespace credit::testing
