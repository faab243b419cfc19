// CheckStatusEvidence: a point-in-time answer must be the status its evidence records give.
#include "credit/status_evidence.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace credit {
namespace {

using ::testing::HasSubstr;

constexpr char kCode[] = "91440300MA5FXXXX0U";

v1::Entry MakeEntry(uint64_t id, v1::ListKind list, v1::EntryStatus status,
                    const std::string& measure) {
  v1::Entry e;
  e.set_id(id);
  e.mutable_subject()->set_code(kCode);
  e.set_list(list);
  e.set_status(status);
  e.set_effective_date("2026-01-15");
  e.set_expiry_date("2028-01-14");
  e.add_measure_codes(measure);
  return e;
}

// Entry 1 black and in force, entry 2 watch and revoked; the status shows entry 1.
v1::GetCreditStatusAtResponse Answer() {
  v1::GetCreditStatusAtResponse r;
  r.mutable_tree_head()->set_tree_size(10);
  v1::Entry black = MakeEntry(1, v1::LIST_KIND_BLACK, v1::ENTRY_STATUS_ACTIVE, "P-PROCUREMENT");
  v1::Entry watch = MakeEntry(2, v1::LIST_KIND_WATCH, v1::ENTRY_STATUS_REVOKED, "P-SUBSIDY");
  v1::Change* c1 = r.add_evidence()->mutable_change();
  c1->set_sequence(6);
  *c1->mutable_entry_after() = black;
  v1::Change* c2 = r.add_evidence()->mutable_change();
  c2->set_sequence(8);
  *c2->mutable_entry_after() = watch;
  v1::CreditStatus* s = r.mutable_status();
  s->mutable_subject()->set_code(kCode);
  s->set_as_of_date("2026-03-01");
  s->set_on_black_list(true);
  *s->add_entries() = black;
  v1::ApplicableMeasure* m = s->add_measures();
  m->mutable_measure()->set_code("P-PROCUREMENT");
  m->add_entry_ids(1);
  return r;
}

TEST(StatusEvidenceTest, AnAnswerItsEvidenceGivesIsAccepted) {
  EXPECT_TRUE(CheckStatusEvidence(kCode, Answer()).ok());
}

// An objection to an ACTIVE entry keeps its measures (by default): in force, as the server says;
// one that suspends them takes the entry out of force.
TEST(StatusEvidenceTest, AnObjectedEntryIsInForceWhenItsObjectionKeepsTheMeasures) {
  v1::GetCreditStatusAtResponse r = Answer();
  v1::Entry objected =
      MakeEntry(1, v1::LIST_KIND_BLACK, v1::ENTRY_STATUS_OBJECTED, "P-PROCUREMENT");
  objected.mutable_objection()->set_state(v1::Objection::STATE_OPEN);
  objected.mutable_objection()->set_measures_kept(true);
  *r.mutable_evidence(0)->mutable_change()->mutable_entry_after() = objected;
  *r.mutable_status()->mutable_entries(0) = objected;
  EXPECT_TRUE(CheckStatusEvidence(kCode, r).ok());

  objected.mutable_objection()->set_measures_kept(false);
  *r.mutable_evidence(0)->mutable_change()->mutable_entry_after() = objected;
  *r.mutable_status()->mutable_entries(0) = objected;
  EXPECT_THAT(CheckStatusEvidence(kCode, r).message(),
              HasSubstr("it lists 1 entries in force on 2026-03-01, the evidence gives 0"));
}

TEST(StatusEvidenceTest, AnEntryLeftOutOfTheStatusIsRefused) {
  v1::GetCreditStatusAtResponse r = Answer();
  r.mutable_status()->clear_entries();
  r.mutable_status()->set_on_black_list(false);
  r.mutable_status()->clear_measures();
  absl::Status s = CheckStatusEvidence(kCode, r);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "the point-in-time answer is not supported by its evidence: it lists 0 entries in "
            "force on 2026-03-01, the evidence gives 1");
}

TEST(StatusEvidenceTest, AListFlagTheEvidenceDoesNotGiveIsRefused) {
  v1::GetCreditStatusAtResponse r = Answer();
  r.mutable_status()->set_on_watch_list(true);
  EXPECT_THAT(CheckStatusEvidence(kCode, r).message(),
              HasSubstr("list flags red/black/watch 0/1/1, the evidence gives 0/1/0"));
}

TEST(StatusEvidenceTest, AnEntryWithoutItsRecordIsRefused) {
  v1::GetCreditStatusAtResponse r = Answer();
  *r.mutable_status()->add_entries() =
      MakeEntry(2, v1::LIST_KIND_WATCH, v1::ENTRY_STATUS_ACTIVE, "P-SUBSIDY");
  r.mutable_status()->set_on_watch_list(true);
  EXPECT_THAT(CheckStatusEvidence(kCode, r).message(),
              HasSubstr("it lists 2 entries in force on 2026-03-01, the evidence gives 1"));
}

TEST(StatusEvidenceTest, AnEntryThatDiffersFromItsRecordIsRefused) {
  v1::GetCreditStatusAtResponse r = Answer();
  r.mutable_status()->mutable_entries(0)->set_expiry_date("2029-01-14");
  EXPECT_THAT(CheckStatusEvidence(kCode, r).message(),
              HasSubstr("entry 1 differs from the evidence's entry 1"));
}

TEST(StatusEvidenceTest, MeasureEntriesMustBeTheEvidences) {
  v1::GetCreditStatusAtResponse r = Answer();
  r.mutable_status()->mutable_measures(0)->add_entry_ids(2);
  EXPECT_THAT(
      CheckStatusEvidence(kCode, r).message(),
      HasSubstr("measure P-PROCUREMENT is applied for entries [1,2], the evidence gives [1]"));
  r = Answer();
  r.mutable_status()->add_measures()->mutable_measure()->set_code("P-SUBSIDY");
  EXPECT_THAT(CheckStatusEvidence(kCode, r).message(),
              HasSubstr("measure P-SUBSIDY is applied for entries [], the evidence gives []"));
}

TEST(StatusEvidenceTest, TwoLastChangesOfOneEntryAreRefused) {
  v1::GetCreditStatusAtResponse r = Answer();
  r.mutable_evidence(1)->mutable_change()->mutable_entry_after()->set_id(1);
  EXPECT_THAT(CheckStatusEvidence(kCode, r).message(), HasSubstr("entry 1 has two last changes"));
}

TEST(StatusEvidenceTest, EvidenceBeyondTheTreeIsRefused) {
  v1::GetCreditStatusAtResponse r = Answer();
  r.mutable_evidence(1)->mutable_change()->set_sequence(10);
  EXPECT_THAT(CheckStatusEvidence(kCode, r).message(),
              HasSubstr("change 10 is beyond the tree of size 10"));
}

TEST(StatusEvidenceTest, EntriesMovedToAnotherSubjectDoNotCount) {
  v1::GetCreditStatusAtResponse r = Answer();
  r.mutable_evidence(0)->mutable_change()->mutable_entry_after()->mutable_subject()->set_code(
      "91350200MA2Y9J3T80");
  EXPECT_THAT(CheckStatusEvidence(kCode, r).message(),
              HasSubstr("it lists 1 entries in force on 2026-03-01, the evidence gives 0"));
}

}  // namespace
}  // namespace credit
