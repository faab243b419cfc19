#include "service/registry/validation.h"

#include <gtest/gtest.h>

#include "common/status/error_details.h"
#include "tests/service/registry/registry_fixture.h"

namespace credit::testing {
namespace {

MeasureCatalogue Catalogue() {
  MeasureCatalogue catalogue;
  for (v1::Measure& m : TestCatalogue()) catalogue[m.code()] = m;
  return catalogue;
}

std::string ErrorOf(const v1::Entry& entry) {
  absl::Status s = ValidateEntryInput(entry, Catalogue());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.message());
}

TEST(ValidateEntryInputTest, AcceptsACompleteEntry) {
  EXPECT_TRUE(ValidateEntryInput(BlackEntry(), Catalogue()).ok());
  EXPECT_TRUE(ValidateEntryInput(BlackEntry(kPersonCode), Catalogue()).ok());
}

TEST(ValidateEntryInputTest, EachRequiredTextFieldIsNamed) {
  struct Case {
    void (*clear)(v1::Entry*);
    const char* message;
  };
  const Case cases[] = {
      {[](v1::Entry* e) { e->mutable_subject()->clear_name(); },
       "entry.subject.name: required, want 1 to 200 characters"},
      {[](v1::Entry* e) { e->clear_category(); },
       "entry.category: required, want 1 to 64 characters"},
      {[](v1::Entry* e) { e->clear_facts(); }, "entry.facts: required, want 1 to 4000 characters"},
      {[](v1::Entry* e) { e->clear_legal_basis(); },
       "entry.legal_basis: required, want 1 to 1000 characters"},
      {[](v1::Entry* e) { e->clear_authority(); },
       "entry.authority: required, want 1 to 100 characters"},
      {[](v1::Entry* e) { e->clear_document_number(); },
       "entry.document_number: required, want 1 to 100 characters"},
      {[](v1::Entry* e) { e->clear_decision_date(); },
       "entry.decision_date: required, want a date YYYY-MM-DD"},
      {[](v1::Entry* e) { e->clear_effective_date(); },
       "entry.effective_date: required, want a date YYYY-MM-DD"},
      {[](v1::Entry* e) { e->clear_expiry_date(); },
       "entry.expiry_date: required, want a date YYYY-MM-DD"},
      {[](v1::Entry* e) { e->clear_list(); },
       "entry.list: got LIST_KIND_UNSPECIFIED, want RED, BLACK or WATCH"},
  };
  for (const Case& c : cases) {
    v1::Entry e = BlackEntry();
    c.clear(&e);
    EXPECT_EQ(ErrorOf(e), c.message);
  }
}

TEST(ValidateEntryInputTest, SubjectKindMustMatchTheCode) {
  v1::Entry e = BlackEntry(kOrgCode);
  e.mutable_subject()->set_kind(v1::SUBJECT_KIND_PERSON);
  EXPECT_EQ(ErrorOf(e),
            "entry.subject.kind: got PERSON, want ORGANIZATION (the code is a valid unified social "
            "credit code), or leave it unset");
  v1::Entry p = BlackEntry(kPersonCode);
  p.mutable_subject()->set_kind(v1::SUBJECT_KIND_ORGANIZATION);
  EXPECT_EQ(ErrorOf(p),
            "entry.subject.kind: got ORGANIZATION, want PERSON (the code is a valid resident ID "
            "number), or leave it unset");
}

// A few resident ID numbers also pass every check of an organisation code: the server's
// classification (by shape) decides, and a contradicting kind is refused rather than stored.
TEST(ValidateEntryInputTest, AResidentIdNumberIsNeverAnOrganisation) {
  // Valid as both kinds' check characters go (authority 1, kind 1, province 44 as a code).
  constexpr char kAlsoUscc[] = "11440119800101023X";
  ASSERT_TRUE(ValidateUscc(kAlsoUscc, "code").ok());
  ASSERT_TRUE(ValidateResidentId(kAlsoUscc, "code").ok());
  v1::Entry e = BlackEntry(kAlsoUscc);
  e.mutable_subject()->set_kind(v1::SUBJECT_KIND_ORGANIZATION);
  EXPECT_EQ(ErrorOf(e),
            "entry.subject.kind: got ORGANIZATION, want PERSON (the code is a valid resident ID "
            "number), or leave it unset");
  e.mutable_subject()->set_kind(v1::SUBJECT_KIND_PERSON);
  EXPECT_TRUE(ValidateEntryInput(e, Catalogue()).ok());
}

TEST(ValidateEntryInputTest, TextMustBeBoundedUtf8) {
  v1::Entry e = BlackEntry();
  e.set_facts(std::string(4001, 'a'));
  EXPECT_EQ(ErrorOf(e), "entry.facts: got 4001 characters, want at most 4000");
  std::string chinese;
  for (int i = 0; i < 4000; ++i) chinese += "税";  // 4000 characters, 12000 bytes: fits
  e.set_facts(chinese);
  EXPECT_TRUE(ValidateEntryInput(e, Catalogue()).ok());
  e.set_facts("bad \xC0\xAF");
  EXPECT_EQ(ErrorOf(e), "entry.facts: not valid UTF-8");
}

TEST(ValidateEntryInputTest, ControlCharactersAreRefusedLineBreaksOnlyInTheFacts) {
  v1::Entry e = BlackEntry();
  e.set_facts("第一行\n第二行\r\n第三行");
  EXPECT_TRUE(ValidateEntryInput(e, Catalogue()).ok());
  e.set_facts("逃税\t120 万元");
  EXPECT_EQ(ErrorOf(e),
            "entry.facts: holds control character U+0009, want text with no control characters "
            "but line breaks");
  e = BlackEntry();
  e.set_authority("市税务局\n");
  EXPECT_EQ(ErrorOf(e),
            "entry.authority: holds control character U+000A, want text with no control "
            "characters or line breaks");
  e = BlackEntry();
  e.set_document_number(
      "深税\x7F"
      "12号");
  EXPECT_EQ(ErrorOf(e),
            "entry.document_number: holds control character U+007F, want text with no control "
            "characters or line breaks");
  e = BlackEntry();
  e.mutable_subject()->set_name("某某\xC2\x85公司");  // U+0085, a C1 control
  EXPECT_EQ(ErrorOf(e),
            "entry.subject.name: holds control character U+0085, want text with no control "
            "characters or line breaks");
}

TEST(ValidateEntryInputTest, NamesAreTrimmedAndMayNotBeBlank) {
  EXPECT_EQ(TrimName("  \xE3\x80\x80深圳某某科技有限公司 \xE3\x80\x80 "), "深圳某某科技有限公司");
  v1::Entry e = BlackEntry();
  e.mutable_subject()->set_name(" \xE3\x80\x80 ");
  EXPECT_EQ(ErrorOf(e), "entry.subject.name: required, want 1 to 200 characters");
}

TEST(ValidateEntryInputTest, TheDecisionComesBeforeItTakesEffect) {
  v1::Entry e = BlackEntry();
  e.set_effective_date("2026-01-09");
  EXPECT_EQ(ErrorOf(e),
            "entry.effective_date: got 2026-01-09, want a date on or after decision_date "
            "2026-01-10 (a listing takes effect after it is decided)");
  e.set_effective_date("2026-01-10");
  EXPECT_TRUE(ValidateEntryInput(e, Catalogue()).ok());
}

TEST(ValidateEntryInputTest, DatesMustBeRealAndOrdered) {
  v1::Entry e = BlackEntry();
  e.set_decision_date("2026-02-30");
  EXPECT_EQ(ErrorOf(e),
            "entry.decision_date: got \"2026-02-30\", which is not a day of the calendar "
            "(1900-9999)");
  e = BlackEntry();
  e.set_expiry_date("2026-01-14");
  EXPECT_EQ(ErrorOf(e),
            "entry.expiry_date: got 2026-01-14, want a date on or after effective_date "
            "2026-01-15");
  e = BlackEntry();
  e.set_expiry_date(e.effective_date());  // one day in force is allowed
  EXPECT_TRUE(ValidateEntryInput(e, Catalogue()).ok());
}

TEST(ValidateEntryInputTest, PublicityDatesComeInPairs) {
  v1::Entry e = BlackEntry();
  e.set_publicity_start("2026-01-11");
  EXPECT_EQ(ErrorOf(e),
            "entry.publicity_end: required when the other publicity date is set, want both or "
            "neither");
  e.set_publicity_end("2025-12-31");
  EXPECT_EQ(ErrorOf(e),
            "entry.publicity_end: got 2025-12-31, want a date on or after publicity_start "
            "2026-01-11");
  e.set_publicity_start("2026-01-09");
  EXPECT_EQ(ErrorOf(e),
            "entry.publicity_start: got 2026-01-09, want a date on or after decision_date "
            "2026-01-10");
  e.set_publicity_start("2026-01-11");
  e.set_publicity_end("2026-01-17");
  EXPECT_TRUE(ValidateEntryInput(e, Catalogue()).ok());
}

TEST(ValidateEntryInputTest, MeasuresMustExistFitTheListAndNotRepeat) {
  v1::Entry e = BlackEntry();
  e.add_measure_codes("P-BIDDING");
  EXPECT_EQ(ErrorOf(e), "entry.measure_codes[2]: P-BIDDING is listed twice");
  v1::Entry red = BlackEntry();
  red.set_list(v1::LIST_KIND_RED);
  red.clear_severity();
  // Both punishment measures are named, the first in the message.
  EXPECT_EQ(ErrorOf(red),
            "entry.measure_codes[0]: P-PROCUREMENT is a PUNISHMENT measure, want a INCENTIVE "
            "measure for a RED entry (and 1 more field: see the details)");
  std::vector<google::rpc::BadRequest::FieldViolation> violations =
      FieldViolationsOf(ValidateEntryInput(red, Catalogue()));
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[1].field(), "entry.measure_codes[1]");
  EXPECT_EQ(violations[1].description(),
            "P-BIDDING is a PUNISHMENT measure, want a INCENTIVE measure for a RED entry");
  EXPECT_EQ(ErrorInfoOf(ValidateEntryInput(red, Catalogue()))->reason(), "MEASURE_KIND_MISMATCH");
  red.clear_measure_codes();
  red.add_measure_codes("I-GREEN-CHANNEL");
  EXPECT_TRUE(ValidateEntryInput(red, Catalogue()).ok());
  v1::Entry many = BlackEntry();
  for (int i = 0; i < 31; ++i) many.add_measure_codes("X" + std::to_string(i));
  EXPECT_EQ(ErrorOf(many), "entry.measure_codes: got 33 codes, want at most 32");
}

TEST(ValidateEntryInputTest, AnElementOfARepeatedFieldIsNamedWithItsIndex) {
  v1::Entry e = BlackEntry();
  e.add_measure_codes("P-BIDDING");
  absl::Status s = ValidateEntryInput(e, Catalogue(), "entries", 7);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "entries[7].measure_codes[2]: P-BIDDING is listed twice");
  e.mutable_subject()->set_code("91440300MA5FXXXX0X");
  EXPECT_EQ(ValidateEntryInput(e, Catalogue(), "entries", 0).message(),
            "entries[0].subject.code: unified social credit code check character is 'X', want "
            "'U' (and 1 more field: see the details)");
  std::vector<std::string> fields;
  for (const auto& violation :
       FieldViolationsOf(ValidateEntryInput(e, Catalogue(), "entries", 0))) {
    fields.push_back(violation.field());
  }
  EXPECT_EQ(fields,
            (std::vector<std::string>{"entries[0].subject.code", "entries[0].measure_codes[2]"}));
  EXPECT_TRUE(ValidateEntryInput(BlackEntry(), Catalogue(), "entries", 999).ok());
}

TEST(ValidateMeasureTest, ChecksEachField) {
  v1::Measure m = MakeMeasure("P-X", v1::MEASURE_KIND_PUNISHMENT, {"市财政局"});
  EXPECT_TRUE(ValidateMeasure(m).ok());
  v1::Measure bad = m;
  bad.set_code("p x");
  EXPECT_EQ(ValidateMeasure(bad).message(),
            "measure.code: got \"p x\", want 1 to 32 characters of A-Z, 0-9, '-' and '_'");
  bad = m;
  bad.clear_kind();
  EXPECT_EQ(ValidateMeasure(bad).message(), "measure.kind: got 0, want PUNISHMENT or INCENTIVE");
  bad = m;
  bad.clear_departments();
  EXPECT_EQ(ValidateMeasure(bad).message(), "measure.departments: got 0, want 1 to 64 departments");
  bad = m;
  bad.clear_legal_basis();
  EXPECT_EQ(ValidateMeasure(bad).message(),
            "measure.legal_basis: required, want 1 to 1000 characters");
}

TEST(ValidateRequestIdTest, PrintableAsciiUpTo128) {
  EXPECT_TRUE(ValidateRequestId("9f0c-01").ok());
  EXPECT_EQ(ValidateRequestId(std::string(129, 'a')).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateRequestId("has space").message(),
            "request_id: want printable ASCII characters without spaces");
}

// The per-request validators: each names the field, what it got and what it wants.
TEST(RequestValidatorsTest, EntryRequests) {
  EXPECT_EQ(ValidateGetEntryRequest({}).message(),
            "entry_id: required, want an entry id (1 or more)");
  v1::ListEntriesRequest list;
  list.set_list(static_cast<v1::ListKind>(9));
  EXPECT_EQ(ValidateListEntriesRequest(list).message(), "list: got 9, want RED, BLACK or WATCH");
  list.set_list(v1::LIST_KIND_BLACK);
  list.set_subject_code("91440300MA5FXXXX0X");
  EXPECT_EQ(ValidateListEntriesRequest(list).message(),
            "subject_code: unified social credit code check character is 'X', want 'U'");
  list.set_subject_code(kOrgCode);
  list.set_page_size(1001);
  EXPECT_EQ(ValidateListEntriesRequest(list).message(),
            "page_size: got 1001, want 0 (default 100) to 1000");
  list.set_page_size(0);
  EXPECT_TRUE(ValidateListEntriesRequest(list).ok());
  EXPECT_EQ(PageSizeOf(0), 100);
  EXPECT_EQ(PageSizeOf(7), 7);

  v1::UpdateEntryRequest update;
  // Every invalid field is named; the message is the first's.
  EXPECT_EQ(ValidateUpdateEntryRequest(update).message(),
            "entry.id: required, want the id of the entry to correct (and 2 more fields: see the "
            "details)");
  std::vector<std::string> fields;
  for (const auto& violation : FieldViolationsOf(ValidateUpdateEntryRequest(update))) {
    fields.push_back(violation.field());
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"entry.id", "entry.revision", "reason"}));
  update.mutable_entry()->set_id(1);
  update.set_reason("更正");
  EXPECT_EQ(ValidateUpdateEntryRequest(update).message(),
            "entry.revision: required, want the revision of the entry as you read it");
  update.clear_reason();
  update.mutable_entry()->set_revision(1);
  EXPECT_EQ(ValidateUpdateEntryRequest(update).message(),
            "reason: required, want 1 to 1000 characters");
  v1::RemoveEntryRequest remove;
  remove.set_entry_id(1);
  remove.set_reason("撤销");
  EXPECT_EQ(ValidateRemoveEntryRequest(remove).message(),
            "kind: got 0, want REVOKE (and 1 more field: see the details)");
  remove.set_kind(v1::REMOVAL_KIND_REVOKE);
  EXPECT_EQ(ValidateRemoveEntryRequest(remove).message(),
            "revoking_document: required, want 1 to 100 characters");
  remove.set_revoking_document("深税复〔2026〕3号");
  EXPECT_TRUE(ValidateRemoveEntryRequest(remove).ok());
  EXPECT_EQ(ValidateImportEntriesRequest({}).message(), "entries: got 0 entries, want 1 to 1000");
}

TEST(RequestValidatorsTest, StatusRequests) {
  v1::GetCreditStatusRequest status;
  status.set_subject_code(kPersonCode);
  status.set_purpose("资格审查");
  EXPECT_EQ(*ValidateGetCreditStatusRequest(status), v1::SUBJECT_KIND_PERSON);
  status.set_view(static_cast<v1::StatusView>(5));
  EXPECT_EQ(ValidateGetCreditStatusRequest(status).status().message(),
            "view: got 5, want BASIC or FULL (or unset: FULL)");
  v1::BatchGetCreditStatusRequest batch;
  batch.set_purpose("资格审查");
  EXPECT_EQ(ValidateBatchGetCreditStatusRequest(batch).message(),
            "subject_codes: got 0 codes, want 1 to 1000");
  batch.add_subject_codes("anything: checked in its own result");
  EXPECT_TRUE(ValidateBatchGetCreditStatusRequest(batch).ok());

  v1::GetCreditStatusAtRequest at;
  at.set_subject_code(kOrgCode);
  at.set_purpose("复核");
  EXPECT_EQ(ValidateGetCreditStatusAtRequest(at, 10).status().message(),
            "at: required, want a time or a tree_size");
  at.set_tree_size(11);
  EXPECT_EQ(ValidateGetCreditStatusAtRequest(at, 10).status().message(),
            "tree_size: got 11, want at most 10");
  at.set_tree_size(10);
  EXPECT_EQ(*ValidateGetCreditStatusAtRequest(at, 10), v1::SUBJECT_KIND_ORGANIZATION);
  at.mutable_time()->set_nanos(-1);
  EXPECT_EQ(ValidateGetCreditStatusAtRequest(at, 10).status().message(),
            "time: got seconds 0, nanos -1; want a time from 0001-01-01T00:00:00Z to "
            "9999-12-31T23:59:59Z, nanos 0 to 999999999");
}

TEST(RequestValidatorsTest, LogRequests) {
  v1::GetInclusionProofRequest inclusion;
  inclusion.set_sequence(10);
  EXPECT_EQ(ValidateGetInclusionProofRequest(inclusion, 10).message(),
            "sequence, tree_size: got 10, 10; want sequence < tree_size <= 10 (the current size)");
  inclusion.set_sequence(9);
  EXPECT_TRUE(ValidateGetInclusionProofRequest(inclusion, 10).ok());
  v1::GetConsistencyProofRequest consistency;
  EXPECT_EQ(ValidateGetConsistencyProofRequest(consistency, 10).message(),
            "from_size, to_size: got 0, 10; want 1 <= from_size <= to_size <= 10 (the current "
            "size)");
  consistency.set_from_size(3);
  consistency.set_to_size(11);
  EXPECT_EQ(ValidateGetConsistencyProofRequest(consistency, 10).code(),
            absl::StatusCode::kInvalidArgument);
  consistency.set_to_size(4);
  EXPECT_TRUE(ValidateGetConsistencyProofRequest(consistency, 10).ok());

  v1::ListChangesRequest changes;
  changes.mutable_start_time()->set_seconds(100);
  changes.mutable_end_time()->set_seconds(99);
  EXPECT_EQ(ValidateListChangesRequest(changes).message(),
            "end_time: want a time at or after start_time");
  changes.clear_end_time();
  changes.set_actor_identity(std::string(129, 'a'));
  EXPECT_EQ(ValidateListChangesRequest(changes).message(),
            "actor_identity: got 129 characters, want at most 128");
  v1::ListQueriesRequest queries;
  queries.set_subject_code("bad");
  EXPECT_EQ(ValidateListQueriesRequest(queries).code(), absl::StatusCode::kInvalidArgument);
  v1::ListMeasuresRequest measures;
  measures.set_kind(static_cast<v1::MeasureKind>(3));
  EXPECT_EQ(ValidateListMeasuresRequest(measures).message(),
            "kind: got 3, want PUNISHMENT or INCENTIVE");
}

}  // namespace
}  // namespace credit::testing
