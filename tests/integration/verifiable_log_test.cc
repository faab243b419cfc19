// The verifiable log end to end: the real creditd, clients that verify, and histories changed
// behind the server's back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include "rocksdb/write_batch.h"
#include "service/storage/keys.h"
#include "service/storage/store.h"
#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kOrg[] = "91440300MA5FXXXX0U";
constexpr char kOrg2[] = "91350200MA2Y9J3T80";

v1::RecordEntryRequest Listing(const std::string& code) {
  v1::RecordEntryRequest request;
  v1::Entry* e = request.mutable_entry();
  e->mutable_subject()->set_code(code);
  e->mutable_subject()->set_name("某某建设工程有限公司");
  e->set_list(v1::LIST_KIND_BLACK);
  e->set_category("safe-production");
  e->set_facts("发生较大生产安全责任事故");
  e->set_legal_basis("《安全生产法》第一百一十四条");
  e->set_authority("市应急管理局");
  static std::atomic<int> documents{0};  // each listing its own decision
  e->set_document_number("应急罚〔2026〕" + std::to_string(++documents) + "号");
  e->set_severity(v1::SEVERITY_SERIOUS);
  e->set_decision_date("2026-01-05");
  e->set_effective_date("2026-01-06");
  e->set_expiry_date("2099-01-05");
  e->add_measure_codes("P-BIDDING");
  return request;
}

class VerifiableLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<Client> VerifyingClient(const std::string& identity,
                                          const std::string& trusted_head_file = "") {
    ClientOptions options = server_.OptionsFor(identity);
    options.server_key_file = server_.public_key_file();
    options.trusted_head_file = trusted_head_file;
    options.max_attempts = 1;
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return *std::move(client);
  }

  // creditctl pinned to the server's tree-head key.
  CommandResult Ctl(const std::string& identity, std::vector<std::string> args) {
    args.insert(args.begin(), {"--server-key", server_.public_key_file()});
    return Creditctl(server_, identity, args);
  }

  TestServer server_;
  TempDir scratch_;
};

TEST_F(VerifiableLogTest, AVerifyingClientChecksEveryAnswerAndAdvancesItsTrust) {
  std::unique_ptr<Client> recorder = VerifyingClient("recorder");
  absl::StatusOr<v1::RecordEntryResponse> r = recorder->RecordEntry(Listing(kOrg));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(recorder->verifier()->trusted()->tree_size(), r->change_sequence() + 1);
  ASSERT_TRUE(recorder->RecordEntry(Listing(kOrg2)).ok());  // a consistency proof is fetched
  EXPECT_EQ(recorder->verifier()->trusted()->tree_size(), r->change_sequence() + 2);

  std::unique_ptr<Client> querier = VerifyingClient("querier");
  v1::GetCreditStatusRequest status;
  status.set_subject_code(kOrg);
  status.set_purpose("招标资格审查");
  absl::StatusOr<v1::GetCreditStatusResponse> answer = querier->GetCreditStatus(status);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->change_sequence(), r->change_sequence());
  EXPECT_EQ(querier->verifier()->trusted()->tree_size(), r->change_sequence() + 2);
}

TEST_F(VerifiableLogTest, AClientThatTrustedAHeadRefusesARewrittenHistory) {
  std::string trusted = scratch_.path() + "/trusted-head";
  {
    std::unique_ptr<Client> recorder = VerifyingClient("recorder", trusted);
    ASSERT_TRUE(recorder->RecordEntry(Listing(kOrg)).ok());
    ASSERT_TRUE(recorder->RecordEntry(Listing(kOrg2)).ok());
  }
  ASSERT_TRUE(fs::exists(trusted));
  // The operator throws the log away and starts a new one with the same signing key: every
  // head is validly signed, but the history behind them is another.
  server_.RestartWith([](const std::string& dir) {
    for (const auto& item : fs::directory_iterator(dir)) {
      if (item.path().filename().string().rfind("tree-head-signing.key", 0) != 0) {
        fs::remove_all(item.path());
      }
    }
  });
  std::unique_ptr<Client> recorder = VerifyingClient("recorder", trusted);
  for (int i = 0; i < 3; ++i) {
    v1::RecordEntryRequest request = Listing(kOrg);
    request.mutable_entry()->set_facts("另一段历史 " + std::to_string(i));
    absl::StatusOr<v1::RecordEntryResponse> r = recorder->RecordEntry(request);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("the trusted head of size 15"));
  }
}

TEST_F(VerifiableLogTest, ChangedRecordIsNamedByBothVerifiers) {
  std::unique_ptr<Client> recorder = server_.ClientAs("recorder");
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(recorder->RecordEntry(Listing(kOrg)).ok());
  // Changes 0-12 are the seeded catalogue, 13-16 the entries. Change 14 gets another facts text.
  server_.RestartWith([](const std::string& dir) {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir);
    ASSERT_TRUE(store.ok());
    std::string record = **(*store)->Get(Family::kChanges, keys::U64(14));
    size_t at = record.find("发生较大");
    ASSERT_NE(at, std::string::npos);
    record.replace(at, 6, "未有");  // as many bytes: the record still decodes
    rocksdb::WriteBatch batch;
    batch.Put((*store)->Handle(Family::kChanges), keys::U64(14), record);
    ASSERT_TRUE((*store)->Write(&batch).ok());
  });
  CommandResult online = Ctl("auditor", {"log", "verify"});
  EXPECT_EQ(online.exit_code, 19) << online.out << online.err;
  EXPECT_EQ(online.err,
            "FAILED_PRECONDITION: change 14: its successor records a different hash for it\n");

  server_.Stop();
  CommandResult offline = RunCommand({CREDITD_PATH, "verify", "--data-dir", server_.data_dir()});
  EXPECT_EQ(offline.exit_code, 1);
  EXPECT_THAT(offline.out, StartsWith("FAILED: change 14: "));
}

// Deletes or swaps records of the stored log, then asks both verifiers.
class TamperedLogTest : public VerifiableLogTest {
 protected:
  void SetUp() override {
    std::unique_ptr<Client> recorder = server_.ClientAs("recorder");
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(recorder->RecordEntry(Listing(kOrg)).ok());
  }

  void Tamper(const std::function<void(Store&, rocksdb::WriteBatch&)>& change) {
    server_.RestartWith([&](const std::string& dir) {
      absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir);
      ASSERT_TRUE(store.ok());
      rocksdb::WriteBatch batch;
      change(**store, batch);
      ASSERT_TRUE((*store)->Write(&batch).ok());
    });
  }

  std::string Offline() {
    server_.Stop();
    return RunCommand({CREDITD_PATH, "verify", "--data-dir", server_.data_dir()}).out;
  }
};

TEST_F(TamperedLogTest, ADeletedRecordIsNamed) {
  Tamper([](Store& store, rocksdb::WriteBatch& batch) {
    batch.Delete(store.Handle(Family::kChanges), keys::U64(14));
  });
  CommandResult online = Ctl("auditor", {"log", "verify"});
  EXPECT_EQ(online.exit_code, 19);
  EXPECT_EQ(online.err, "FAILED_PRECONDITION: change 14: missing from the log\n");
  EXPECT_EQ(Offline(), "FAILED: change 14: missing (the next stored record is 15)\n");
}

TEST_F(TamperedLogTest, TwoSwappedRecordsAreNamed) {
  Tamper([](Store& store, rocksdb::WriteBatch& batch) {
    std::string a = **store.Get(Family::kChanges, keys::U64(14));
    std::string b = **store.Get(Family::kChanges, keys::U64(15));
    batch.Put(store.Handle(Family::kChanges), keys::U64(14), b);
    batch.Put(store.Handle(Family::kChanges), keys::U64(15), a);
  });
  // The server itself refuses to show a record under another number.
  CommandResult online = Ctl("auditor", {"log", "verify"});
  EXPECT_NE(online.exit_code, 0);
  EXPECT_THAT(online.err, HasSubstr("change stored under sequence 14 says it is sequence 15"));
  EXPECT_EQ(Offline(), "FAILED: change 14: the record says it is change 15\n");
}

TEST_F(VerifiableLogTest, AnUntouchedLogVerifiesOnlineAndOffline) {
  std::unique_ptr<Client> recorder = server_.ClientAs("recorder");
  ASSERT_TRUE(recorder->RecordEntry(Listing(kOrg)).ok());
  CommandResult online = Ctl("auditor", {"log", "verify"});
  ASSERT_EQ(online.exit_code, 0) << online.err;
  EXPECT_THAT(online.out, StartsWith("verified 14 changes: every record hash, the hash chain"));
  server_.Stop();
  CommandResult offline = RunCommand({CREDITD_PATH, "verify", "--data-dir", server_.data_dir()});
  EXPECT_EQ(offline.exit_code, 0) << offline.out << offline.err;
  EXPECT_THAT(offline.out, StartsWith("verified 14 changes (root "));
}

TEST_F(VerifiableLogTest, HeadAndProofCommandsVerify) {
  std::unique_ptr<Client> recorder = server_.ClientAs("recorder");
  ASSERT_TRUE(recorder->RecordEntry(Listing(kOrg)).ok());
  CommandResult head = Ctl("querier", {"log", "head"});
  ASSERT_EQ(head.exit_code, 0) << head.err;
  EXPECT_THAT(head.out, HasSubstr("\n14    "));
  EXPECT_THAT(head.out, HasSubstr("verified"));
  CommandResult proof = Ctl("querier", {"log", "proof", "--seq", "13"});
  ASSERT_EQ(proof.exit_code, 0) << proof.err;
  EXPECT_THAT(proof.out, StartsWith("change 13 (leaf "));
  EXPECT_THAT(proof.out, HasSubstr("is in the tree of 14 changes"));
  EXPECT_THAT(proof.out, HasSubstr("proof of 3 hashes verified"));
  CommandResult beyond = Ctl("querier", {"log", "proof", "--seq", "14"});
  EXPECT_EQ(beyond.exit_code, 13);
}

TEST_F(VerifiableLogTest, StatusAtADateBeforeTheListingIsClean) {
  std::unique_ptr<Client> recorder = server_.ClientAs("recorder");
  ASSERT_TRUE(recorder->RecordEntry(Listing(kOrg)).ok());
  CommandResult before = Ctl("querier", {"status", kOrg, "--at", "2020-01-01", "--purpose", "x"});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_THAT(before.out, HasSubstr("-      2020-01-01"));
  EXPECT_THAT(before.out, HasSubstr("as recorded in the first 0 changes"));
  CommandResult now = Ctl("querier", {"status", kOrg, "--at", "2099-01-01", "--purpose", "x"});
  ASSERT_EQ(now.exit_code, 0) << now.err;
  EXPECT_THAT(now.out, HasSubstr("black  2099-01-01"));
  // The querier may not read entries: its evidence is hashes and status-level fields.
  EXPECT_THAT(now.out, HasSubstr("from 1 change record(s): signature and inclusion proofs "
                                 "verified, the status recomputed from them (1 of them shown to "
                                 "this identity by hash and status-level fields, not bytes)\n"));
}

TEST_F(VerifiableLogTest, AuditorsSeeWhoLookedUpWhom) {
  std::unique_ptr<Client> querier = server_.ClientAs("querier");
  v1::GetCreditStatusRequest status;
  status.set_subject_code(kOrg);
  status.set_purpose("政府采购 项目 2026-031");
  ASSERT_TRUE(querier->GetCreditStatus(status).ok());
  // The query log is written in the background; look until it shows (bounded).
  CommandResult log;
  for (int i = 0; i < 50; ++i) {
    log = Ctl("auditor", {"querylog", "list", "--subject", kOrg});
    if (log.out.find("querier") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_THAT(
      log.out,
      HasSubstr(
          "querier  市财政局    GetCreditStatus  1         -         政府采购 项目 2026-031"));
  CommandResult denied = Ctl("querier", {"querylog", "list"});
  EXPECT_EQ(denied.exit_code, 17);
  CommandResult verified = Ctl("auditor", {"querylog", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_THAT(verified.out,
              StartsWith("verified 1 queries: every record hash, the hash chain and the root "));
}

// The query log's size as its signed head states it, once it reaches `size` (bounded wait: it
// is written in the background).
uint64_t AwaitQueryLogSize(Client& auditor, uint64_t size) {
  uint64_t seen = 0;
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<v1::GetQueryTreeHeadResponse> head = auditor.GetQueryTreeHead({});
    if (head.ok()) seen = head->tree_head().tree_size();
    if (seen >= size) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return seen;
}

TEST_F(VerifiableLogTest, AQueryLogCutBackOrRewrittenFailsAgainstTheKeptHead) {
  auto ask = [&](int count) {
    std::unique_ptr<Client> querier = server_.ClientAs("querier");
    std::unique_ptr<Client> auditor = server_.ClientAs("auditor");
    uint64_t before = AwaitQueryLogSize(*auditor, 0);
    for (int i = 0; i < count; ++i) {
      v1::GetCreditStatusRequest status;
      status.set_subject_code(kOrg);
      status.set_purpose("政府采购资格审查");
      ASSERT_TRUE(querier->GetCreditStatus(status).ok());
      // One write (and head) each.
      ASSERT_EQ(AwaitQueryLogSize(*auditor, before + i + 1), before + i + 1);
    }
  };
  ask(3);
  const std::string kept = scratch_.path() + "/query-head";
  CommandResult first = Ctl("auditor", {"querylog", "verify", "--head", kept});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("\nhead kept in " + kept + "\n"));
  CommandResult again = Ctl("auditor", {"querylog", "verify", "--head", kept});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("consistent with the head kept in " + kept + " (3 queries)"));

  // The operator cuts the last record away, with its head and leaf: what is left is a log that
  // checks out by itself, offline too.
  auto cut_last = [](Store& store, rocksdb::WriteBatch& batch) {
    batch.Delete(store.Handle(Family::kQueries), keys::U64(2));
    batch.Delete(store.Handle(Family::kQueryHeads), keys::U64(3));
    batch.Delete(store.Handle(Family::kQueryNodes), keys::TreeNode(0, 2));
  };
  server_.RestartWith([&](const std::string& dir) {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir);
    ASSERT_TRUE(store.ok());
    rocksdb::WriteBatch batch;
    cut_last(**store, batch);
    ASSERT_TRUE((*store)->Write(&batch).ok());
  });
  CommandResult shorter = Ctl("auditor", {"querylog", "verify", "--head", kept});
  EXPECT_EQ(shorter.exit_code, 19);
  EXPECT_EQ(shorter.err,
            "FAILED_PRECONDITION: the query log holds 2 records, fewer than the 3 of "
            "the head kept in " +
                kept + ": records were taken away\n");
  // New lookups grow it past the kept size again, with another record where the cut one was.
  ask(2);
  CommandResult rewritten = Ctl("auditor", {"querylog", "verify", "--head", kept});
  EXPECT_EQ(rewritten.exit_code, 19);
  EXPECT_THAT(
      rewritten.err,
      StartsWith("FAILED_PRECONDITION: the query log is not the one the head kept in " + kept +
                 " signed: the server's tree head of size 4 is not consistent with "
                 "the trusted head of size 3"));
  // Without the kept head nothing shows: that is what keeping it is for.
  CommandResult unanchored = Ctl("auditor", {"querylog", "verify"});
  EXPECT_EQ(unanchored.exit_code, 0) << unanchored.err;
}

}  // namespace
}  // namespace credit::testing
