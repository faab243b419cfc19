// Group commit and the bulk import path: many changes share one synced write and one signed
// head, each is still its own change record, and heads inside a group can still be had.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "common/merkle/merkle.h"
#include "common/status/error_details.h"
#include "service/storage/subject_record.h"
#include "tests/service/registry/registry_fixture.h"

namespace credit::testing {
namespace {

class GroupCommitTest : public RegistryFixture {
 protected:
  absl::StatusOr<v1::ImportEntriesResponse> Import(std::vector<v1::Entry> entries,
                                                   const std::string& request_id) {
    v1::ImportEntriesRequest request;
    for (v1::Entry& e : entries) *request.add_entries() = std::move(e);
    request.set_request_id(request_id);
    return registry_->ImportEntries(recorder_, request);
  }

  VerifyReport VerifyOffline() {
    registry_.reset();
    absl::StatusOr<VerifyReport> report = Verify();
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : VerifyReport{};
  }
};

TEST_F(GroupCommitTest, ImportGivesConsecutiveIdsAndRecordsUnderOneHead) {
  absl::StatusOr<v1::ImportEntriesResponse> r =
      Import({BlackEntry(kOrgCode), BlackEntry(kPersonCode), BlackEntry(kOrgCode2)}, "imp-1");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->first_entry_id(), 1u);
  EXPECT_EQ(r->count(), 3u);
  EXPECT_EQ(r->first_change_sequence(), static_cast<uint64_t>(kSeeded));
  EXPECT_EQ(r->change_sequence(), static_cast<uint64_t>(kSeeded + 2));
  EXPECT_EQ(r->tree_head().tree_size(), static_cast<uint64_t>(kSeeded + 3));
  EXPECT_TRUE(VerifySignature(r->tree_head()).ok());
  EXPECT_EQ(registry_->ChangeCount(), static_cast<uint64_t>(kSeeded + 3));

  std::vector<v1::Change> changes = AllChanges();
  ASSERT_EQ(changes.size(), static_cast<size_t>(kSeeded + 3));
  for (int i = 0; i < 3; ++i) {
    const v1::Change& c = changes[kSeeded + i];
    EXPECT_EQ(c.operation(), v1::OPERATION_ENTRY_RECORDED);
    EXPECT_EQ(c.entry_after().id(), static_cast<uint64_t>(1 + i));
    EXPECT_EQ(c.request_id(), "imp-1");
  }
  EXPECT_TRUE(StatusFor(kOrgCode, querier_).on_black_list());
  EXPECT_TRUE(StatusFor(kOrgCode2, querier_).on_black_list());
  EXPECT_TRUE(StatusFor(kPersonCode, querier_).on_black_list());
}

TEST_F(GroupCommitTest, ImportIsAllOrNothing) {
  v1::Entry bad = BlackEntry();
  bad.set_expiry_date("2025-01-01");  // before its effective date
  absl::StatusOr<v1::ImportEntriesResponse> r =
      Import({BlackEntry(kOrgCode), BlackEntry(kPersonCode), bad}, "imp-1");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      r.status().message(),
      "entries[2].expiry_date: got 2025-01-01, want a date on or after effective_date 2026-01-15");
  EXPECT_EQ(registry_->ChangeCount(), static_cast<uint64_t>(kSeeded));
  EXPECT_FALSE(StatusFor(kOrgCode, querier_).on_black_list());
  // Nothing was consumed: the next import starts at id 1 and the log goes on where it was.
  r = Import({BlackEntry(kPersonCode)}, "imp-2");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->first_entry_id(), 1u);
  EXPECT_EQ(r->first_change_sequence(), static_cast<uint64_t>(kSeeded));
  EXPECT_EQ(VerifyOffline().changes, static_cast<uint64_t>(kSeeded + 1));
}

// validate_only names every refused entry with the google.rpc.Status a call's error would carry:
// its reason, and for invalid input each invalid field of that entry.
TEST_F(GroupCommitTest, ValidationProblemsCarryTheirDetails) {
  ASSERT_TRUE(Import({BlackEntry(kOrgCode)}, "imp-1").ok());
  v1::Entry bad = BlackEntry(kOrgCode2);
  bad.set_expiry_date("2025-01-01");
  bad.set_facts("");
  v1::ImportEntriesRequest request;
  *request.add_entries() = BlackEntry(kOrgCode);  // held by entry 1 already
  *request.add_entries() = BlackEntry(kPersonCode);
  *request.add_entries() = bad;
  request.set_validate_only(true);
  absl::StatusOr<v1::ImportEntriesResponse> r = registry_->ImportEntries(recorder_, request);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->problems_size(), 2);

  EXPECT_EQ(r->problems(0).index(), 0);
  absl::Status held = FromRpcStatus(r->problems(0).error());
  EXPECT_EQ(held.code(), absl::StatusCode::kAlreadyExists);
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(held);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "DECISION_ALREADY_RECORDED");
  EXPECT_EQ(info->metadata().at("entry_id"), "1");

  EXPECT_EQ(r->problems(1).index(), 2);
  absl::Status invalid = FromRpcStatus(r->problems(1).error());
  EXPECT_EQ(invalid.code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& violation : FieldViolationsOf(invalid)) fields.push_back(violation.field());
  EXPECT_THAT(fields, ::testing::ElementsAre("entries[2].facts", "entries[2].expiry_date"));
  EXPECT_EQ(registry_->ChangeCount(), static_cast<uint64_t>(kSeeded + 1));
}

TEST_F(GroupCommitTest, ImportSizeIsBounded) {
  EXPECT_EQ(Import({}, "imp-0").status().message(), "entries: got 0 entries, want 1 to 1000");
  std::vector<v1::Entry> many(1001, BlackEntry());
  EXPECT_EQ(Import(many, "imp-big").status().message(),
            "entries: got 1001 entries, want 1 to 1000");
  EXPECT_EQ(registry_->ChangeCount(), static_cast<uint64_t>(kSeeded));
}

TEST_F(GroupCommitTest, ImportRetryReturnsTheSameAnswer) {
  absl::StatusOr<v1::ImportEntriesResponse> first =
      Import({BlackEntry(kOrgCode, 1), BlackEntry(kOrgCode, 2)}, "imp-1");
  ASSERT_TRUE(first.ok());
  absl::StatusOr<v1::ImportEntriesResponse> again =
      Import({BlackEntry(kOrgCode, 1), BlackEntry(kOrgCode, 2)}, "imp-1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->SerializeAsString(), first->SerializeAsString());
  EXPECT_EQ(registry_->ChangeCount(), static_cast<uint64_t>(kSeeded + 2));
  EXPECT_EQ(Import({BlackEntry()}, "imp-1").status().code(), absl::StatusCode::kInvalidArgument);
}

// A head inside a group was never stored: it is signed afresh, and it is the head the records
// up to there really have (a consistency proof from it to the group's head verifies).
TEST_F(GroupCommitTest, HeadsInsideAGroupAreSignedOnDemandAndConsistent) {
  absl::StatusOr<v1::ImportEntriesResponse> r =
      Import({BlackEntry(), BlackEntry(kPersonCode), BlackEntry(kOrgCode2)}, "imp-1");
  ASSERT_TRUE(r.ok());
  uint64_t inner = kSeeded + 1;
  v1::GetTreeHeadRequest get;
  get.set_tree_size(inner);
  absl::StatusOr<v1::GetTreeHeadResponse> head = registry_->GetTreeHead(get);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->tree_head().tree_size(), inner);
  EXPECT_TRUE(VerifySignature(head->tree_head()).ok());
  EXPECT_EQ(head->tree_head().timestamp_micros(), absl::ToUnixMicros(clock_.Now()));

  v1::GetConsistencyProofRequest proof_request;
  proof_request.set_from_size(inner);
  absl::StatusOr<v1::GetConsistencyProofResponse> proof =
      registry_->GetConsistencyProof(proof_request);
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_EQ(proof->from_head().SerializeAsString(), head->tree_head().SerializeAsString());
  EXPECT_EQ(proof->to_head().SerializeAsString(), r->tree_head().SerializeAsString());
  std::vector<std::string> path(proof->proof().begin(), proof->proof().end());
  EXPECT_TRUE(merkle::VerifyConsistency(inner, kSeeded + 3,
                                        *merkle::ToHash(head->tree_head().root_hash(), "r1"),
                                        *merkle::ToHash(r->tree_head().root_hash(), "r2"), path)
                  .ok());
  get.set_tree_size(kSeeded + 4);
  EXPECT_EQ(registry_->GetTreeHead(get).status().code(), absl::StatusCode::kNotFound);
}

// Concurrent recorders: every one is answered with its own record, under a head that holds it,
// and the log verifies offline with a head where each group ended.
TEST_F(GroupCommitTest, ConcurrentRecordersEachGetTheirOwnRecord) {
  constexpr int kThreads = 16, kEach = 20;
  std::vector<std::vector<v1::RecordEntryResponse>> answers(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        absl::StatusOr<v1::RecordEntryResponse> r =
            Record(BlackEntry(t % 2 ? kOrgCode : kPersonCode, t * kEach + i),
                   "t" + std::to_string(t) + "-" + std::to_string(i));
        ASSERT_TRUE(r.ok()) << r.status();
        answers[t].push_back(*r);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<uint64_t> sequences, ids;
  for (const auto& list : answers) {
    for (const v1::RecordEntryResponse& r : list) {
      sequences.insert(r.change_sequence());
      ids.insert(r.entry().id());
      EXPECT_GT(r.tree_head().tree_size(), r.change_sequence());
    }
  }
  EXPECT_EQ(sequences.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(*sequences.begin(), static_cast<uint64_t>(kSeeded));
  EXPECT_EQ(*sequences.rbegin(), static_cast<uint64_t>(kSeeded + kThreads * kEach - 1));
  VerifyReport report = VerifyOffline();
  EXPECT_EQ(report.changes, static_cast<uint64_t>(kSeeded + kThreads * kEach));
  EXPECT_GE(report.heads_checked, 1u);
  EXPECT_LE(report.heads_checked, report.changes);
}

// An import reads its subjects' status records ahead, in one MultiGet. Records still pending in
// another group, records already stored and a subject named twice in one request must all end
// up with every entry: a stale read would drop entries from a subject's status.
TEST_F(GroupCommitTest, ConcurrentImportsOfTheSameSubjectsKeepEveryEntryInTheirStatus) {
  ASSERT_TRUE(Record(BlackEntry(kOrgCode), "stored-1").ok());
  constexpr int kThreads = 8, kEach = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const int n = 100 + 3 * (t * kEach + i);  // three decisions of its own
        absl::StatusOr<v1::ImportEntriesResponse> r = Import(
            {BlackEntry(kOrgCode, n), BlackEntry(kPersonCode, n + 1), BlackEntry(kOrgCode, n + 2)},
            "t" + std::to_string(t) + "-" + std::to_string(i));
        ASSERT_TRUE(r.ok()) << r.status();
      }
    });
  }
  for (auto& t : threads) t.join();
  v1::CreditStatus org = StatusFor(kOrgCode, querier_);
  v1::CreditStatus person = StatusFor(kPersonCode, querier_);
  EXPECT_EQ(org.entries_size(), 1 + 2 * kThreads * kEach);
  EXPECT_EQ(person.entries_size(), kThreads * kEach);
  std::set<uint64_t> ids;
  for (const v1::Entry& e : org.entries()) ids.insert(e.id());
  for (const v1::Entry& e : person.entries()) ids.insert(e.id());
  EXPECT_EQ(ids.size(), static_cast<size_t>(1 + 3 * kThreads * kEach));
  EXPECT_EQ(*ids.rbegin(), static_cast<uint64_t>(1 + 3 * kThreads * kEach));
}

// The subjects family keeps what a status answer needs; a revoked entry leaves it.
TEST_F(GroupCommitTest, StatusRecordFollowsTheEntries) {
  ASSERT_TRUE(Import({BlackEntry(kOrgCode, 1), BlackEntry(kOrgCode, 2)}, "imp-1").ok());
  ASSERT_TRUE(Remove(1, v1::REMOVAL_KIND_REVOKE, "rm-1").ok());
  v1::CreditStatus status = StatusFor(kOrgCode, querier_);
  ASSERT_EQ(status.entries_size(), 1);
  EXPECT_EQ(status.entries(0).id(), 2u);
  v1::GetCreditStatusRequest request;
  request.set_subject_code(kOrgCode);
  request.set_purpose("检查");
  EXPECT_EQ(registry_->GetCreditStatus(querier_, request)->change_sequence(),
            static_cast<uint64_t>(kSeeded + 2));
  ASSERT_TRUE(Remove(2, v1::REMOVAL_KIND_REVOKE, "rm-2").ok());
  EXPECT_FALSE(StatusFor(kOrgCode, querier_).on_black_list());
}

TEST(SubjectRecordTest, EncodesKeepsIdOrderAndRejectsDamage) {
  SubjectRecord record;
  std::string a = "entry-a", b = "entry-b";
  record.Set(7, &b);
  record.Set(3, &a);
  record.last_change = 41;
  std::string bytes = record.Encode();
  absl::StatusOr<SubjectRecordView> view = DecodeSubjectRecord(bytes);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->last_change, 41u);
  ASSERT_EQ(view->active.size(), 2u);
  EXPECT_EQ(view->active[0].id, 3u);
  EXPECT_EQ(view->active[0].entry, "entry-a");
  EXPECT_EQ(view->active[1].id, 7u);
  record.Set(3, nullptr);
  EXPECT_EQ(ParseSubjectRecord(record.Encode())->active.size(), 1u);
  EXPECT_EQ(DecodeSubjectRecord(SubjectRecord{}.Encode())->last_change, std::nullopt);
  for (size_t cut = 1; cut < bytes.size(); ++cut) {
    if (cut == 8 || cut == 8 + 8 + 1 + a.size()) continue;  // whole items: still well formed
    EXPECT_EQ(DecodeSubjectRecord(bytes.substr(0, cut)).status().code(),
              absl::StatusCode::kDataLoss)
        << cut;
  }
}

}  // namespace
}  // namespace credit::testing
