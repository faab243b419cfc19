// The verifiable log as the registry keeps it: a signed head for every size, proofs that verify
// against them, point-in-time status, and the query log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "common/changelog/change_record.h"
#include "common/merkle/merkle.h"
#include "common/merkle/tree_head.h"
#include "common/proto/deterministic.h"
#include "credit/status_evidence.h"
#include "google/protobuf/util/time_util.h"
#include "rocksdb/write_batch.h"
#include "service/storage/keys.h"
#include "tests/service/registry/registry_fixture.h"

namespace credit::testing {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> Proof(const google::protobuf::RepeatedPtrField<std::string>& p) {
  return {p.begin(), p.end()};
}

Hash256 Root(const v1::SignedTreeHead& head) { return *merkle::ToHash(head.root_hash(), "root"); }

class RegistryLogTest : public RegistryFixture {
 protected:
  v1::SignedTreeHead Head(uint64_t size = 0) {
    v1::GetTreeHeadRequest request;
    request.set_tree_size(size);
    absl::StatusOr<v1::GetTreeHeadResponse> r = registry_->GetTreeHead(request);
    EXPECT_TRUE(r.ok()) << r.status();
    return r->tree_head();
  }

  // Starts over on an empty folder with a registry that writes records as the previous version of
  // creditd did (format version 1, no nonce); Reopen() goes back to the current version.
  void ReopenEmptyWritingVersion1() {
    registry_.reset();
    std::filesystem::remove_all(dir_.path());
    std::filesystem::create_directories(dir_.path());
    RegistryOptions old_format;
    old_format.record_version = kChangeRecordVersionWithoutNonce;
    Open(old_format);
  }
};

TEST_F(RegistryLogTest, EveryMutationAnswerCarriesTheSignedHeadOfItsChange) {
  absl::StatusOr<v1::RecordEntryResponse> r = Record(BlackEntry(), "r1");
  ASSERT_TRUE(r.ok());
  const v1::SignedTreeHead& head = r->tree_head();
  EXPECT_EQ(head.tree_size(), r->change_sequence() + 1);
  EXPECT_EQ(head.timestamp_micros(), absl::ToUnixMicros(clock_.Now()));
  EXPECT_TRUE(VerifySignature(head).ok());
  EXPECT_EQ(head.key_id(), std::string(AsBytes(merkle::KeyId(signing_key_.PublicKey()))));
  EXPECT_EQ(Head().SerializeAsString(), head.SerializeAsString());
}

TEST_F(RegistryLogTest, TheRootIsTheRfc6962RootOfTheRecords) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  ASSERT_TRUE(Remove(1, v1::REMOVAL_KIND_REVOKE, "d1").ok());
  merkle::CompactRange range;
  for (const v1::Change& c : AllChanges()) {
    EXPECT_EQ(c.hash(), std::string(AsBytes(merkle::LeafHash(c.record()))));
    range.Append(merkle::LeafHash(c.record()), [](int, uint64_t, const Hash256&) {});
    // A head exists for every size, and states the root of exactly that prefix.
    v1::SignedTreeHead head = Head(range.size());
    EXPECT_EQ(Root(head), range.Root()) << range.size();
    EXPECT_TRUE(VerifySignature(head).ok());
  }
}

TEST_F(RegistryLogTest, EmptyTreeHeadIsSignedAndNeverReachedSizesAreNotFound) {
  v1::SignedTreeHead empty = Head(0);
  EXPECT_GT(empty.tree_size(), 0u);  // the seeded catalogue
  v1::GetTreeHeadRequest request;
  request.set_tree_size(1000);
  EXPECT_EQ(registry_->GetTreeHead(request).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RegistryLogTest, InclusionProofsOfEveryRecordVerify) {
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(Record(BlackEntry(kOrgCode, i), "r" + std::to_string(i)).ok());
  }
  std::vector<v1::Change> changes = AllChanges();
  for (uint64_t size : {uint64_t{1}, uint64_t{7}, uint64_t{changes.size()}}) {
    for (uint64_t seq = 0; seq < size; ++seq) {
      v1::GetInclusionProofRequest request;
      request.set_sequence(seq);
      request.set_tree_size(size);
      absl::StatusOr<v1::GetInclusionProofResponse> r = registry_->GetInclusionProof(request);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->leaf_hash(), changes[seq].hash());
      EXPECT_TRUE(merkle::VerifyInclusion(seq, size, merkle::LeafHash(changes[seq].record()),
                                          Proof(r->proof()), Root(r->tree_head()))
                      .ok())
          << seq << "/" << size;
    }
  }
}

TEST_F(RegistryLogTest, ConsistencyProofsBetweenAllSizesVerify) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(Record(BlackEntry(kOrgCode, i), "r" + std::to_string(i)).ok());
  }
  uint64_t size = registry_->ChangeCount();
  for (uint64_t from = 1; from <= size; ++from) {
    for (uint64_t to = from; to <= size; ++to) {
      v1::GetConsistencyProofRequest request;
      request.set_from_size(from);
      request.set_to_size(to);
      absl::StatusOr<v1::GetConsistencyProofResponse> r = registry_->GetConsistencyProof(request);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_TRUE(merkle::VerifyConsistency(from, to, Root(r->from_head()), Root(r->to_head()),
                                            Proof(r->proof()))
                      .ok())
          << from << " -> " << to;
    }
  }
}

// Proofs take levels 5 and up from memory and hash the levels below from their leaves. The
// proofs are exactly those of the tree built in memory from the records' hashes: with the upper
// levels as the commits left them (twice), after a restart that reads them from the store
// instead (as proofs do until the loader is done), and after a restart once they are loaded.
TEST_F(RegistryLogTest, ProofsOfALongLogAreThoseOfTheTreeOfItsRecords) {
  ASSERT_NO_FATAL_FAILURE(ImportThousands(3));
  std::map<std::pair<int, uint64_t>, Hash256> tree;
  merkle::CompactRange range;
  v1::ListChangesRequest list;
  list.set_page_size(1000);
  do {
    absl::StatusOr<v1::ListChangesResponse> page = registry_->ListChanges(auditor_, list);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const v1::Change& c : page->changes()) {
      range.Append(merkle::LeafHash(c.record()), [&](int level, uint64_t index, const Hash256& h) {
        tree[{level, index}] = h;
      });
    }
    list.set_page_token(page->next_page_token());
  } while (!list.page_token().empty());
  ASSERT_EQ(range.size(), static_cast<uint64_t>(kSeeded + 3000));
  auto reference = [&](int level, uint64_t index) -> absl::StatusOr<Hash256> {
    return tree.at({level, index});
  };
  auto hashes = [](const std::vector<Hash256>& proof) {
    std::vector<std::string> out;
    for (const Hash256& h : proof) out.emplace_back(AsBytes(h));
    return out;
  };

  const std::vector<std::pair<uint64_t, uint64_t>> inclusions = {
      {0, 3005},    {31, 3005},   {1023, 3005}, {1024, 3005}, {2047, 3005}, {2999, 3005},
      {3004, 3005}, {1500, 2048}, {5, 1025},    {1024, 1025}, {2500, 2501}};
  const std::vector<std::pair<uint64_t, uint64_t>> consistencies = {
      {1, 3005}, {1024, 3005}, {1025, 2048}, {2047, 3005}, {2049, 3001}, {3004, 3005}};
  for (int round = 0; round < 4; ++round) {
    if (round == 2) {
      registry_.reset();
      RegistryOptions options;
      options.load_tree_nodes = false;
      Open(options);
      EXPECT_FALSE(registry_->TreeNodesLoaded());
    }
    if (round == 3) {
      Reopen();
      for (int i = 0; i < 1000 && !registry_->TreeNodesLoaded(); ++i)
        absl::SleepFor(absl::Milliseconds(10));
      ASSERT_TRUE(registry_->TreeNodesLoaded());
    }
    for (const auto& [sequence, size] : inclusions) {
      v1::GetInclusionProofRequest request;
      request.set_sequence(sequence);
      request.set_tree_size(size);
      absl::StatusOr<v1::GetInclusionProofResponse> r = registry_->GetInclusionProof(request);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(Proof(r->proof()), hashes(*merkle::InclusionProof(sequence, size, reference)))
          << sequence << "/" << size << " round " << round;
      EXPECT_EQ(r->leaf_hash(), std::string(AsBytes(tree.at({0, sequence}))));
    }
    for (const auto& [from, to] : consistencies) {
      v1::GetConsistencyProofRequest request;
      request.set_from_size(from);
      request.set_to_size(to);
      absl::StatusOr<v1::GetConsistencyProofResponse> r = registry_->GetConsistencyProof(request);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(Proof(r->proof()), hashes(*merkle::ConsistencyProof(from, to, reference)))
          << from << " -> " << to << " round " << round;
      EXPECT_EQ(Root(r->from_head()), *merkle::RangeRoot(0, from, reference)) << from;
    }
  }
}

// How many Merkle nodes the store holds, by level.
std::map<int, uint64_t> StoredNodesPerLevel(Store& store) {
  std::map<int, uint64_t> levels;
  auto it = store.NewIterator(Family::kTreeNodes);
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++levels[static_cast<uint8_t>(it->key()[0])];
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return levels;
}

// The leaves and levels 5 and up are stored, every completed node of them; the levels between are
// not. A folder written when they were has them dropped at open, and its proofs do not change.
TEST_F(RegistryLogTest, TheStoreHoldsTheLeavesAndTheUpperLevelsOnly) {
  ASSERT_NO_FATAL_FAILURE(ImportThousands(1));
  const uint64_t size = kSeeded + 1000;
  v1::GetConsistencyProofRequest consistency;
  consistency.set_from_size(100);
  absl::StatusOr<v1::GetConsistencyProofResponse> before =
      registry_->GetConsistencyProof(consistency);
  ASSERT_TRUE(before.ok()) << before.status();
  registry_.reset();
  const std::map<int, uint64_t> expected = {{0, size},      {5, size >> 5}, {6, size >> 6},
                                            {7, size >> 7}, {8, size >> 8}, {9, size >> 9}};
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ(StoredNodesPerLevel(**store), expected);
    EXPECT_EQ((*store)->Get(Family::kMeta, "tree_levels_from")->value_or(""), "5");
    // As a folder from before held them: nodes of levels 1 to 4, and no mark.
    rocksdb::WriteBatch batch;
    for (int level = 1; level < keys::kUpperTreeLevel; ++level) {
      for (uint64_t index = 0; index < size >> level; ++index) {
        batch.Put((*store)->Handle(Family::kTreeNodes), keys::TreeNode(level, index),
                  std::string(32, static_cast<char>(level)));
      }
    }
    batch.Delete((*store)->Handle(Family::kMeta), "tree_levels_from");
    ASSERT_TRUE((*store)->Write(&batch).ok());
    EXPECT_EQ(StoredNodesPerLevel(**store).size(), 10u);
  }
  Open();
  absl::StatusOr<v1::GetConsistencyProofResponse> after =
      registry_->GetConsistencyProof(consistency);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(Proof(after->proof()), Proof(before->proof()));
  registry_.reset();
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ(StoredNodesPerLevel(**store), expected);
    EXPECT_EQ((*store)->Get(Family::kMeta, "tree_levels_from")->value_or(""), "5");
  }
  absl::StatusOr<VerifyReport> report = Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->changes, size);
}

TEST_F(RegistryLogTest, ProofRequestsBeyondTheTreeAreInvalidArgument) {
  uint64_t size = registry_->ChangeCount();
  v1::GetInclusionProofRequest inclusion;
  inclusion.set_sequence(size);
  EXPECT_EQ(registry_->GetInclusionProof(inclusion).status().message(),
            "sequence, tree_size: got 5, 5; want sequence < tree_size <= 5 (the current size)");
  v1::GetConsistencyProofRequest consistency;
  consistency.set_from_size(2);
  consistency.set_to_size(size + 1);
  EXPECT_EQ(registry_->GetConsistencyProof(consistency).status().code(),
            absl::StatusCode::kInvalidArgument);
  consistency.set_from_size(0);
  consistency.set_to_size(0);
  EXPECT_EQ(registry_->GetConsistencyProof(consistency).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RegistryLogTest, StatusAnswersCarryTheSubjectsLastChangeAndTheHead) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  ASSERT_TRUE(Record(BlackEntry(kOrgCode2), "r2").ok());
  v1::GetCreditStatusRequest request;
  request.set_subject_code(kOrgCode);
  request.set_purpose("资格审查");
  absl::StatusOr<v1::GetCreditStatusResponse> r = registry_->GetCreditStatus(querier_, request);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_change_sequence());
  EXPECT_EQ(r->change_sequence(), static_cast<uint64_t>(kSeeded));
  EXPECT_EQ(r->tree_head().tree_size(), static_cast<uint64_t>(kSeeded + 2));
  EXPECT_TRUE(VerifySignature(r->tree_head()).ok());
  request.set_subject_code(kPersonCode);
  r = registry_->GetCreditStatus(querier_, request);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_change_sequence());
}

TEST_F(RegistryLogTest, StatusNeedsAPurpose) {
  v1::GetCreditStatusRequest request;
  request.set_subject_code(kOrgCode);
  EXPECT_EQ(registry_->GetCreditStatus(querier_, request).status().message(),
            "purpose: required, want 1 to 200 characters");
  v1::BatchGetCreditStatusRequest batch;
  batch.add_subject_codes(kOrgCode);
  EXPECT_EQ(registry_->BatchGetCreditStatus(querier_, batch).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Records, removes, and asks about the moment between: the point-in-time answer is what
// GetCreditStatus said then.
TEST_F(RegistryLogTest, PointInTimeStatusMatchesWhatWasSaidThen) {
  absl::Time listed = clock_.Now();
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  clock_.Advance(absl::Hours(24));
  absl::Time between = clock_.Now();
  v1::CreditStatus said_then = StatusFor(kOrgCode, querier_);
  ASSERT_TRUE(said_then.on_black_list());
  clock_.Advance(absl::Hours(24));
  ASSERT_TRUE(Remove(1, v1::REMOVAL_KIND_REVOKE, "d1").ok());
  clock_.Advance(absl::Hours(1));
  ASSERT_FALSE(StatusFor(kOrgCode, querier_).on_black_list());

  v1::GetCreditStatusAtRequest request;
  request.set_subject_code(kOrgCode);
  request.set_purpose("纪检调查");
  request.mutable_time()->set_seconds(absl::ToUnixSeconds(between));
  absl::StatusOr<v1::GetCreditStatusAtResponse> at =
      registry_->GetCreditStatusAt(querier_, request);
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_EQ(at->status().SerializeAsString(), said_then.SerializeAsString());
  EXPECT_EQ(at->tree_head().tree_size(), static_cast<uint64_t>(kSeeded + 1));
  EXPECT_TRUE(VerifySignature(at->tree_head()).ok());
  ASSERT_EQ(at->evidence_size(), 1);
  const v1::Evidence& evidence = at->evidence(0);
  EXPECT_EQ(evidence.change().operation(), v1::OPERATION_ENTRY_RECORDED);
  // The querier may not read entries: the evidence holds the record's hash, not its bytes.
  EXPECT_TRUE(evidence.change().record().empty());
  EXPECT_TRUE(merkle::VerifyInclusion(evidence.change().sequence(), at->tree_head().tree_size(),
                                      *merkle::ToHash(evidence.change().hash(), "hash"),
                                      Proof(evidence.inclusion_proof()), Root(at->tree_head()))
                  .ok());

  // After the removal: clean, with the revocation as evidence.
  request.mutable_time()->set_seconds(absl::ToUnixSeconds(clock_.Now()));
  at = registry_->GetCreditStatusAt(querier_, request);
  ASSERT_TRUE(at.ok());
  EXPECT_FALSE(at->status().on_black_list());
  ASSERT_EQ(at->evidence_size(), 1);
  EXPECT_EQ(at->evidence(0).change().operation(), v1::OPERATION_ENTRY_REVOKED);

  // Before anything was recorded: an empty status at the tree of the seeded catalogue.
  request.mutable_time()->set_seconds(absl::ToUnixSeconds(listed - absl::Hours(1)));
  at = registry_->GetCreditStatusAt(querier_, request);
  ASSERT_TRUE(at.ok());
  EXPECT_FALSE(at->status().on_black_list());
  EXPECT_EQ(at->evidence_size(), 0);
  EXPECT_EQ(at->tree_head().tree_size(), 0u);
}

TEST_F(RegistryLogTest, PointInTimeByTreeSize) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  ASSERT_TRUE(Remove(1, v1::REMOVAL_KIND_REVOKE, "d1").ok());
  v1::GetCreditStatusAtRequest request;
  request.set_subject_code(kOrgCode);
  request.set_purpose("复核");
  request.set_tree_size(kSeeded + 1);
  absl::StatusOr<v1::GetCreditStatusAtResponse> at =
      registry_->GetCreditStatusAt(querier_, request);
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_TRUE(at->status().on_black_list());
  request.set_tree_size(kSeeded + 2);
  at = registry_->GetCreditStatusAt(querier_, request);
  ASSERT_TRUE(at.ok());
  EXPECT_FALSE(at->status().on_black_list());
  request.set_tree_size(kSeeded + 3);
  EXPECT_EQ(registry_->GetCreditStatusAt(querier_, request).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Several entries of one subject through every kind of change: at every size of the log, the
// point-in-time answer is what GetCreditStatus said then, with one evidence record per entry the
// subject had, and the client's recomputation from the evidence agrees.
TEST_F(RegistryLogTest, PointInTimeStatusKeepsEveryEntryOfTheSubject) {
  struct Said {
    uint64_t size;
    v1::CreditStatus querier, auditor;
    int entries;  // entries that were the subject's at some point so far
  };
  std::vector<Said> said;
  auto note = [&](const v1::SignedTreeHead& head, int entries) {
    said.push_back(
        {head.tree_size(), StatusFor(kOrgCode, querier_), StatusFor(kOrgCode, auditor_), entries});
    clock_.Advance(absl::Minutes(10));
  };
  auto correct = [&](v1::Entry entry, uint64_t id, uint64_t revision, const std::string& rid) {
    v1::UpdateEntryRequest update;
    *update.mutable_entry() = std::move(entry);
    update.mutable_entry()->set_id(id);
    update.mutable_entry()->set_revision(revision);
    update.set_reason("更正");
    update.set_request_id(rid);
    absl::StatusOr<v1::UpdateEntryResponse> r = registry_->UpdateEntry(recorder_, update);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->tree_head() : v1::SignedTreeHead();
  };
  v1::Entry watch = BlackEntry();
  watch.set_list(v1::LIST_KIND_WATCH);
  watch.clear_measure_codes();
  watch.add_measure_codes("P-SUBSIDY");
  v1::Entry red = BlackEntry();
  red.set_list(v1::LIST_KIND_RED);
  red.clear_severity();
  red.clear_measure_codes();
  red.add_measure_codes("I-FUNDING-PRIORITY");

  note(Record(BlackEntry(), "black")->tree_head(), 1);  // entry 1
  note(Record(watch, "watch")->tree_head(), 2);         // entry 2
  note(Record(red, "red")->tree_head(), 3);             // entry 3
  v1::Entry shorter = BlackEntry();
  shorter.set_expiry_date("2026-12-31");
  note(correct(shorter, 1, 1, "shorter"), 3);
  note(Remove(2, v1::REMOVAL_KIND_REVOKE, "revoke-watch")->tree_head(), 3);
  note(Remove(3, v1::REMOVAL_KIND_REVOKE, "repair-red")->tree_head(), 3);
  ASSERT_TRUE(Record(BlackEntry(kOrgCode2), "elsewhere").ok());    // entry 4, another subject
  note(correct(BlackEntry(kOrgCode, 14), 4, 1, "moved-here"), 4);  // ... moved to this one
  note(Record(watch, "watch-2")->tree_head(), 5);                  // entry 5
  v1::Entry moved_away = watch;
  moved_away.mutable_subject()->set_code(kOrgCode2);
  note(correct(moved_away, 5, 1, "moved-away"), 5);

  for (const Said& then : said) {
    for (const Caller* caller : {&querier_, &auditor_}) {
      v1::GetCreditStatusAtRequest request;
      request.set_subject_code(kOrgCode);
      request.set_purpose("复核");
      request.set_tree_size(then.size);
      absl::StatusOr<v1::GetCreditStatusAtResponse> at =
          registry_->GetCreditStatusAt(*caller, request);
      ASSERT_TRUE(at.ok()) << at.status();
      const v1::CreditStatus& expected = caller == &querier_ ? then.querier : then.auditor;
      EXPECT_EQ(at->status().SerializeAsString(), expected.SerializeAsString())
          << "size " << then.size << " as " << caller->identity;
      EXPECT_EQ(at->evidence_size(), then.entries) << "size " << then.size;
      EXPECT_TRUE(CheckStatusEvidence(kOrgCode, *at).ok()) << CheckStatusEvidence(kOrgCode, *at);
    }
  }
  // The end: entry 1 (corrected) and entry 4 (moved here) in force.
  const v1::CreditStatus& last = said.back().auditor;
  ASSERT_EQ(last.entries_size(), 2);
  EXPECT_EQ(last.entries(0).id(), 1u);
  EXPECT_EQ(last.entries(1).id(), 4u);
  EXPECT_TRUE(last.on_black_list());
  EXPECT_FALSE(last.on_watch_list());
  EXPECT_FALSE(last.on_red_list());
}

TEST_F(RegistryLogTest, PersonRecordsAreWithheldFromCallersWithoutUnmask) {
  ASSERT_TRUE(Record(BlackEntry(kPersonCode), "r1").ok());
  v1::GetCreditStatusAtRequest request;
  request.set_subject_code(kPersonCode);
  request.set_purpose("复核");
  request.mutable_time()->set_seconds(absl::ToUnixSeconds(clock_.Now()));
  absl::StatusOr<v1::GetCreditStatusAtResponse> at =
      registry_->GetCreditStatusAt(querier_, request);
  ASSERT_TRUE(at.ok());
  ASSERT_EQ(at->evidence_size(), 1);
  EXPECT_TRUE(at->evidence(0).change().record().empty());
  EXPECT_EQ(at->evidence(0).change().entry_after().subject().code(), kMaskedPersonCode);
  // Its hash still proves its place in the tree.
  EXPECT_TRUE(
      merkle::VerifyInclusion(at->evidence(0).change().sequence(), at->tree_head().tree_size(),
                              *merkle::ToHash(at->evidence(0).change().hash(), "hash"),
                              Proof(at->evidence(0).inclusion_proof()), Root(at->tree_head()))
          .ok());
}

// A repaired entry's facts, reason, actor and request id are for the roles that may read entries;
// a querier's evidence has the record's place and the status-level fields only.
TEST_F(RegistryLogTest, EvidenceShowsRolesThatMayNotReadEntriesOnlyStatusLevelFields) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  ASSERT_TRUE(Remove(1, v1::REMOVAL_KIND_REVOKE, "repair-1").ok());
  v1::GetCreditStatusAtRequest request;
  request.set_subject_code(kOrgCode);
  request.set_purpose("复核");
  request.mutable_time()->set_seconds(absl::ToUnixSeconds(clock_.Now()));

  absl::StatusOr<v1::GetCreditStatusAtResponse> as_querier =
      registry_->GetCreditStatusAt(querier_, request);
  ASSERT_TRUE(as_querier.ok()) << as_querier.status();
  ASSERT_EQ(as_querier->evidence_size(), 1);
  const v1::Change& reduced = as_querier->evidence(0).change();
  EXPECT_EQ(reduced.sequence(), static_cast<uint64_t>(kSeeded + 1));
  EXPECT_EQ(reduced.operation(), v1::OPERATION_ENTRY_REVOKED);
  EXPECT_EQ(reduced.hash().size(), 32u);
  EXPECT_FALSE(reduced.has_actor());
  EXPECT_EQ(reduced.reason(), "");
  EXPECT_EQ(reduced.request_id(), "");
  EXPECT_EQ(reduced.record(), "");
  EXPECT_FALSE(reduced.has_entry_before());
  v1::Entry expected;
  expected.set_id(1);
  expected.mutable_subject()->set_kind(v1::SUBJECT_KIND_ORGANIZATION);
  expected.mutable_subject()->set_code(kOrgCode);
  expected.mutable_subject()->set_name("深圳某某科技有限公司");
  expected.set_list(v1::LIST_KIND_BLACK);
  expected.set_category("tax");
  expected.set_severity(v1::SEVERITY_GENERAL);
  expected.set_status(v1::ENTRY_STATUS_REVOKED);
  expected.set_authority("市税务局");
  expected.set_decision_date("2026-01-10");
  expected.set_effective_date("2026-01-15");
  expected.set_expiry_date("2028-01-14");
  expected.set_publicity_start("2026-03-01");
  expected.set_publicity_end("2027-02-28");
  expected.set_publication_ended(true);
  expected.add_measure_codes("P-PROCUREMENT");
  expected.add_measure_codes("P-BIDDING");
  expected.set_revision(2);
  EXPECT_EQ(reduced.entry_after().DebugString(), expected.DebugString());

  // The auditor, who may read entries, sees the whole record.
  absl::StatusOr<v1::GetCreditStatusAtResponse> as_auditor =
      registry_->GetCreditStatusAt(auditor_, request);
  ASSERT_TRUE(as_auditor.ok());
  const v1::Change& whole = as_auditor->evidence(0).change();
  EXPECT_EQ(whole.reason(), "行政复议决定撤销");
  EXPECT_EQ(whole.request_id(), "repair-1");
  EXPECT_EQ(whole.actor().identity(), "recorder");
  EXPECT_EQ(whole.entry_after().facts(), "逃避缴纳税款");
  EXPECT_EQ(whole.hash(), reduced.hash());
  EXPECT_EQ(std::string(AsBytes(merkle::LeafHash(whole.record()))), whole.hash());
}

// One rule for case facts: a FULL status answer, like evidence, carries an entry's facts, basis,
// documents and actors only to roles that read entries and to identities with the facts right.
TEST_F(RegistryLogTest, FullStatusCarriesCaseFactsOnlyToThoseWhoMayReadThem) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  v1::CreditStatus as_querier = StatusFor(kOrgCode, querier_);
  ASSERT_EQ(as_querier.entries_size(), 1);
  const v1::Entry& reduced = as_querier.entries(0);
  EXPECT_EQ(reduced.facts(), "");
  EXPECT_EQ(reduced.legal_basis(), "");
  EXPECT_EQ(reduced.document_number(), "");
  EXPECT_FALSE(reduced.has_recorded_by());
  EXPECT_EQ(reduced.authority(), "市税务局");
  EXPECT_EQ(reduced.status(), v1::ENTRY_STATUS_ACTIVE);
  EXPECT_EQ(reduced.measure_codes_size(), 2);
  // The measure texts are for every role: they say what to do.
  ASSERT_EQ(as_querier.measures_size(), 1);
  EXPECT_EQ(as_querier.measures(0).measure().legal_basis(), "basis of P-PROCUREMENT");

  Caller court = querier_;
  court.can_read_facts = true;
  EXPECT_EQ(StatusFor(kOrgCode, court).entries(0).facts(), "逃避缴纳税款");
  EXPECT_EQ(StatusFor(kOrgCode, auditor_).entries(0).document_number(), "深税〔2026〕12号");
}

// A folder written before records had a nonce (format version 1) goes on with version 2: both
// are read, listed, proven and verified.
TEST_F(RegistryLogTest, ALogOfVersion1RecordsGoesOnInVersion2) {
  ReopenEmptyWritingVersion1();
  ASSERT_TRUE(Record(BlackEntry(kPersonCode), "old-1").ok());
  Reopen();
  ASSERT_TRUE(Record(BlackEntry(kOrgCode), "new-1").ok());
  ASSERT_TRUE(Remove(1, v1::REMOVAL_KIND_REVOKE, "new-2").ok());

  std::vector<v1::Change> changes = AllChanges();
  ASSERT_EQ(changes.size(), static_cast<size_t>(kSeeded + 3));
  for (size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(changes[i].record()[0], i <= kSeeded ? 1 : 2) << i;
    EXPECT_EQ(changes[i].hash(), std::string(AsBytes(merkle::LeafHash(changes[i].record()))));
    if (i > 0) {
      EXPECT_EQ(changes[i].previous_hash(), changes[i - 1].hash());
    }
  }
  v1::GetCreditStatusAtRequest request;
  request.set_subject_code(kPersonCode);
  request.set_purpose("复核");
  request.set_tree_size(kSeeded + 1);
  absl::StatusOr<v1::GetCreditStatusAtResponse> at =
      registry_->GetCreditStatusAt(auditor_, request);
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_TRUE(at->status().on_black_list());
  EXPECT_TRUE(CheckStatusEvidence(kPersonCode, *at).ok());

  registry_.reset();
  absl::StatusOr<VerifyReport> report = Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->changes, static_cast<uint64_t>(kSeeded + 3));
}

// What an auditor without the unmask right could do with a record it sees masked: rebuild the
// record bytes from the fields shown and a guess of the ID number, and compare hashes.
Hash256 GuessedHash(const v1::Change& shown, const std::string& guessed_code, uint8_t version) {
  ChangeRecord guess;
  guess.version = version;
  guess.sequence = shown.sequence();
  guess.time_micros = google::protobuf::util::TimeUtil::TimestampToMicroseconds(shown.time());
  guess.operation = static_cast<uint8_t>(shown.operation());
  guess.object_type = ObjectType::kEntry;
  std::copy(shown.previous_hash().begin(), shown.previous_hash().end(),
            guess.previous_hash.begin());
  guess.actor_identity = shown.actor().identity();
  guess.actor_department = shown.actor().department();
  guess.reason = shown.reason();
  guess.request_id = shown.request_id();
  v1::Entry entry = shown.entry_after();
  entry.mutable_subject()->set_code(guessed_code);
  guess.after = SerializeDeterministic(entry);
  return ChangeRecordHash(EncodeChangeRecord(guess));
}

TEST_F(RegistryLogTest, AMaskedRecordsHashDoesNotRevealTheIdNumber) {
  ASSERT_TRUE(Record(BlackEntry(kPersonCode), "r1").ok());
  std::vector<v1::Change> changes;
  v1::ListChangesRequest request;
  request.set_from_sequence(kSeeded);
  absl::StatusOr<v1::ListChangesResponse> listed = registry_->ListChanges(masked_auditor_, request);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->changes_size(), 1);
  const v1::Change& shown = listed->changes(0);
  EXPECT_EQ(shown.entry_after().subject().code(), kMaskedPersonCode);
  EXPECT_EQ(shown.record(), "");
  // Even the right guess does not give the hash: the record's nonce is not shown.
  EXPECT_NE(GuessedHash(shown, kPersonCode, kChangeRecordVersion),
            *merkle::ToHash(shown.hash(), "hash"));
}

// The same guess against a record of format version 1 (no nonce) finds the number: the reason the
// nonce exists.
TEST_F(RegistryLogTest, WithoutTheNonceTheRightGuessReproducesTheHash) {
  ReopenEmptyWritingVersion1();
  ASSERT_TRUE(Record(BlackEntry(kPersonCode), "r1").ok());
  v1::ListChangesRequest request;
  request.set_from_sequence(kSeeded);
  absl::StatusOr<v1::ListChangesResponse> listed = registry_->ListChanges(masked_auditor_, request);
  ASSERT_TRUE(listed.ok());
  const v1::Change& shown = listed->changes(0);
  Hash256 hash = *merkle::ToHash(shown.hash(), "hash");
  EXPECT_EQ(GuessedHash(shown, kPersonCode, kChangeRecordVersionWithoutNonce), hash);
  EXPECT_NE(GuessedHash(shown, "440524198001020019", kChangeRecordVersionWithoutNonce), hash);
}

// A time outside what a Timestamp may hold used to overflow into a signed "clean" answer dated
// 1970, or an empty change list.
TEST_F(RegistryLogTest, OutOfRangeTimesAreInvalidArguments) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  v1::GetCreditStatusAtRequest at;
  at.set_subject_code(kOrgCode);
  at.set_purpose("复核");
  at.mutable_time()->set_seconds(int64_t{1} << 62);
  absl::Status s = registry_->GetCreditStatusAt(auditor_, at).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "time: got seconds 4611686018427387904, nanos 0; want a time from "
            "0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, nanos 0 to 999999999");
  at.mutable_time()->set_seconds(1700000000);
  at.mutable_time()->set_nanos(-1);
  EXPECT_EQ(registry_->GetCreditStatusAt(auditor_, at).status().code(),
            absl::StatusCode::kInvalidArgument);

  v1::ListChangesRequest list;
  list.mutable_start_time()->set_seconds(-(int64_t{1} << 62));
  s = registry_->ListChanges(auditor_, list).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("start_time: got seconds -4611686018427387904"));
  list.clear_start_time();
  list.mutable_end_time()->set_nanos(1000000000);
  EXPECT_THAT(std::string(registry_->ListChanges(auditor_, list).status().message()),
              HasSubstr("end_time: got seconds 0, nanos 1000000000"));
}

// One point-in-time call reads a bounded part of a subject's history, whoever asks.
TEST_F(RegistryLogTest, PointInTimeReadsAtMostABoundedNumberOfChanges) {
  v1::ImportEntriesRequest import;
  import.set_request_id("many");
  for (int i = 0; i < 1000; ++i) *import.add_entries() = BlackEntry(kOrgCode, i);
  ASSERT_TRUE(registry_->ImportEntries(recorder_, import).ok());
  v1::GetCreditStatusAtRequest request;
  request.set_subject_code(kOrgCode);
  request.set_purpose("复核");
  request.set_tree_size(kSeeded + 1000);
  absl::StatusOr<v1::GetCreditStatusAtResponse> at =
      registry_->GetCreditStatusAt(querier_, request);
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_EQ(at->evidence_size(), 1000);
  ASSERT_TRUE(Record(BlackEntry(kOrgCode, 1000), "one-more").ok());
  request.set_tree_size(kSeeded + 1001);
  absl::Status s = registry_->GetCreditStatusAt(querier_, request).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(),
            "subject_code: the subject has more than 1000 changes in the tree of size 1006, more "
            "than a point-in-time answer reads; an auditor reads them with ListChanges");
}

// A page ends by bytes before it ends by count: a client with gRPC's default receive limit can
// read any list, page by page, and the pages together hold every item once.
TEST_F(RegistryLogTest, ListPagesEndBeforeTheirBytesOutgrowAClient) {
  std::string facts;
  for (int i = 0; i < 4000; ++i) facts += "税";
  v1::ImportEntriesRequest import;
  import.set_request_id("long");
  for (int i = 0; i < 200; ++i) {
    v1::Entry* e = import.add_entries();
    *e = BlackEntry(kOrgCode, i);
    e->set_facts(facts);
  }
  ASSERT_TRUE(registry_->ImportEntries(recorder_, import).ok());
  v1::BatchGetCreditStatusRequest batch;
  batch.set_purpose("批量审查");
  for (int i = 0; i < 1000; ++i) batch.add_subject_codes(kOrgCode2);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(registry_->BatchGetCreditStatus(querier_, batch).ok());
  ASSERT_TRUE(registry_->FlushQueryLog().ok());

  // Walks every page of a list; returns how many items there were, the largest page's bytes and
  // how many pages.
  auto walk = [](auto list, auto& request, auto count) {
    size_t items = 0, largest = 0, pages = 0;
    while (pages < 100) {
      auto page = list(request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      ++pages;
      items += count(*page);
      largest = std::max(largest, page->ByteSizeLong());
      if (page->next_page_token().empty()) break;
      request.set_page_token(page->next_page_token());
    }
    return std::make_tuple(items, largest, pages);
  };
  constexpr size_t kLimit = (1 << 20) + 64 * 1024;  // the cap and one item's worth
  v1::ListChangesRequest changes;
  changes.set_page_size(1000);
  auto [change_count, change_bytes, change_pages] =
      walk([&](auto& r) { return registry_->ListChanges(auditor_, r); }, changes,
           [](const v1::ListChangesResponse& p) { return p.changes_size(); });
  EXPECT_EQ(change_count, static_cast<size_t>(kSeeded + 200));
  EXPECT_LT(change_bytes, kLimit);
  v1::ListEntriesRequest entries;
  entries.set_page_size(1000);
  auto [entry_count, entry_bytes, entry_pages] =
      walk([&](auto& r) { return registry_->ListEntries(auditor_, r); }, entries,
           [](const v1::ListEntriesResponse& p) { return p.entries_size(); });
  EXPECT_EQ(entry_count, 200u);
  EXPECT_LT(entry_bytes, kLimit);
  EXPECT_GT(entry_bytes, size_t{900} << 10);  // the cap, not the count, ended the pages
  // Each page of changes and of entries left a query record too.
  ASSERT_TRUE(registry_->FlushQueryLog().ok());
  v1::ListQueriesRequest queries;
  queries.set_page_size(1000);
  auto [query_count, query_bytes, query_pages] =
      walk([&](auto& r) { return registry_->ListQueries(r); }, queries,
           [](const v1::ListQueriesResponse& p) { return p.queries_size(); });
  EXPECT_EQ(query_count, 40u + change_pages + entry_pages);
  EXPECT_GT(query_pages, 1u);
  EXPECT_LT(query_bytes, kLimit);
}

TEST_F(RegistryLogTest, EveryStatusAnswerLeavesAChainedQueryRecord) {
  StatusFor(kOrgCode, querier_);
  v1::BatchGetCreditStatusRequest batch;
  batch.set_purpose("批量招标资格审查");
  batch.add_subject_codes(kOrgCode2);
  batch.add_subject_codes(kPersonCode);
  batch.add_subject_codes("bad");
  ASSERT_TRUE(registry_->BatchGetCreditStatus(builder_, batch).ok());
  ASSERT_TRUE(registry_->FlushQueryLog().ok());

  absl::StatusOr<v1::ListQueriesResponse> all = registry_->ListQueries({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->queries_size(), 2);
  const v1::QueryRecord& first = all->queries(0);
  EXPECT_EQ(first.sequence(), 0u);
  EXPECT_EQ(first.rpc(), "GetCreditStatus");
  EXPECT_EQ(first.purpose(), "政府采购资格审查");
  EXPECT_EQ(first.actor().identity(), "querier");
  EXPECT_EQ(first.actor().department(), "市财政局");
  ASSERT_EQ(first.subject_hashes_size(), 1);
  EXPECT_EQ(first.subject_hashes(0).size(), 32u);
  // Salted: not the plain hash of the code, so the log does not reveal whom it names.
  EXPECT_NE(first.subject_hashes(0), std::string(AsBytes(Sha256({kOrgCode}))));
  const v1::QueryRecord& second = all->queries(1);
  EXPECT_EQ(second.subject_hashes_size(), 2);  // the invalid code was not looked up
  EXPECT_EQ(second.previous_hash(), first.hash());

  v1::ListQueriesRequest by_subject;
  by_subject.set_subject_code(kPersonCode);
  absl::StatusOr<v1::ListQueriesResponse> person = registry_->ListQueries(by_subject);
  ASSERT_TRUE(person.ok());
  ASSERT_EQ(person->queries_size(), 1);
  EXPECT_EQ(person->queries(0).actor().identity(), "builder");
}

// Reading entries is a lookup of their subjects: GetEntry, every page of ListEntries and of
// ListChanges are traced like status answers, with whether a person's number was shown in clear.
TEST_F(RegistryLogTest, ReadingEntriesLeavesAQueryRecordUnderTheirSubjects) {
  ASSERT_TRUE(Record(BlackEntry(kPersonCode), "r1").ok());
  v1::GetEntryRequest get;
  get.set_entry_id(1);
  ASSERT_TRUE(registry_->GetEntry(masked_auditor_, get).ok());
  v1::ListEntriesRequest by_subject;
  by_subject.set_subject_code(kPersonCode);
  ASSERT_TRUE(registry_->ListEntries(masked_auditor_, by_subject).ok());
  ASSERT_TRUE(registry_->ListEntries(masked_auditor_, v1::ListEntriesRequest()).ok());
  ASSERT_TRUE(registry_->ListChanges(masked_auditor_, v1::ListChangesRequest()).ok());
  ASSERT_TRUE(registry_->GetEntry(auditor_, get).ok());  // who may unmask
  ASSERT_TRUE(registry_->FlushQueryLog().ok());

  v1::ListQueriesRequest request;
  request.set_subject_code(kPersonCode);
  absl::StatusOr<v1::ListQueriesResponse> queries = registry_->ListQueries(request);
  ASSERT_TRUE(queries.ok());
  ASSERT_EQ(queries->queries_size(), 5);
  EXPECT_EQ(queries->queries(0).rpc(), "GetEntry");
  EXPECT_EQ(queries->queries(1).rpc(), "ListEntries");
  EXPECT_EQ(queries->queries(2).rpc(), "ListEntries");
  EXPECT_EQ(queries->queries(3).rpc(), "ListChanges");
  EXPECT_EQ(queries->queries(4).rpc(), "GetEntry");
  for (int i = 0; i < 4; ++i) {
    const v1::QueryRecord& q = queries->queries(i);
    EXPECT_EQ(q.actor().identity(), "auditor-b");
    EXPECT_EQ(q.purpose(), "");
    EXPECT_EQ(q.subject_hashes_size(), 1);
    EXPECT_FALSE(q.unmasked());
  }
  EXPECT_EQ(queries->queries(4).actor().identity(), "auditor");
  EXPECT_TRUE(queries->queries(4).unmasked());
  // The flag is part of the hashed record: the chain verifies with it.
  registry_.reset();
  absl::StatusOr<VerifyReport> verified = Verify();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->queries, 5u);
}

TEST_F(RegistryLogTest, TheQueryLogChainContinuesAfterRestart) {
  StatusFor(kOrgCode, querier_);
  ASSERT_TRUE(registry_->FlushQueryLog().ok());
  Reopen();
  StatusFor(kOrgCode, querier_);
  ASSERT_TRUE(registry_->FlushQueryLog().ok());
  absl::StatusOr<v1::ListQueriesResponse> all = registry_->ListQueries({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->queries_size(), 2);
  EXPECT_EQ(all->queries(1).sequence(), 1u);
  EXPECT_EQ(all->queries(1).previous_hash(), all->queries(0).hash());
}

TEST_F(RegistryLogTest, ReopenResumesTheTreeWithoutReplay) {
  ASSERT_TRUE(Record(BlackEntry(), "r1").ok());
  v1::SignedTreeHead before = Head();
  Reopen();
  absl::StatusOr<v1::RecordEntryResponse> r = Record(BlackEntry(kOrgCode2), "r2");
  ASSERT_TRUE(r.ok());
  v1::GetConsistencyProofRequest request;
  request.set_from_size(before.tree_size());
  absl::StatusOr<v1::GetConsistencyProofResponse> proof = registry_->GetConsistencyProof(request);
  ASSERT_TRUE(proof.ok());
  EXPECT_TRUE(merkle::VerifyConsistency(before.tree_size(), r->tree_head().tree_size(),
                                        Root(before), Root(r->tree_head()), Proof(proof->proof()))
                  .ok());
}

}  // namespace
}  // namespace credit::testing
