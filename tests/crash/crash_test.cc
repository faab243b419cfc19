// The crash harness: creditd as a child process, several clients recording, correcting and
// removing at once, and the server killed with SIGKILL — at random moments, or by itself at a
// named fail point (service/failpoint/failpoint.h) — then restarted and checked:
//   * every acknowledged mutation is there, exactly once, at the sequence it was answered with;
//   * nothing that was never sent is there;
//   * every entry has exactly as many change records as revisions;
//   * a request sent but not answered before the kill, sent again, is applied at most once;
//   * the offline verifier passes: hashes, chain, Merkle nodes, signed heads, indexes, no gaps.
// The log starts with records of format version 1, as an older creditd wrote them.
//
// CRASH_KILLS (default 20) sets the number of kills and CRASH_SEED the random seed; the long run
// is `CRASH_KILLS=300 build/tests/crash_test` (docs/reliability.md has its last result).
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/changelog/change_record.h"
#include "service/clock/clock.h"
#include "service/failpoint/failpoint.h"
#include "service/registry/registry.h"
#include "service/signing/signing_key_file.h"
#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

constexpr int kWorkers = 4;
constexpr int kMaxOpsPerWorker = 1000;  // per cycle: bounds a cycle when no kill comes

const char* const kOrgs[] = {"91440300MA5FXXXX0U", "91350200MA2Y9J3T80", "12440300455755063N",
                             "91110000100006485K"};

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

// What was sent and what was answered, by request id.
struct Ledger {
  std::mutex mu;
  std::map<std::string, std::string> sent;  // request id -> serialized request
  std::map<std::string, uint64_t> acked;    // request id -> change sequence answered
  std::map<std::string, char> kind;         // request id -> 'r' record, 'u' update, 'd' remove
};

v1::Entry NewEntry(std::mt19937& rng) {
  v1::Entry e;
  e.mutable_subject()->set_code(kOrgs[rng() % 4]);
  e.mutable_subject()->set_name("压力测试企业");
  e.set_list(v1::BLACK);
  e.set_category("tax");
  e.set_facts("事实 " + std::to_string(rng()));
  e.set_legal_basis("《税收征收管理法》第六十三条");
  e.set_authority("市税务局");
  // 64 random bits: no two of a run's decisions share a number.
  e.set_document_number("税〔2026〕" + std::to_string(rng()) + "-" + std::to_string(rng()) + "号");
  e.set_severity(v1::GENERAL);
  e.set_decision_date("2026-01-10");
  e.set_effective_date("2026-01-15");
  e.set_expiry_date("2099-01-14");
  e.add_measure_codes("P-PROCUREMENT");
  return e;
}

// One client: records entries and changes its own, until the server stops answering.
void Work(const TestServer& server, int worker, int cycle, uint32_t seed, Ledger* ledger) {
  std::mt19937 rng(seed);
  std::unique_ptr<Client> client = server.ClientAs("recorder");
  std::map<uint64_t, uint64_t> mine;  // entry id -> revision, as answered this cycle
  for (int i = 0; i < kMaxOpsPerWorker; ++i) {
    std::string id = absl::StrCat("w", worker, "-c", cycle, "-", i);
    absl::Status status;
    uint64_t sequence = 0;
    int choice = mine.empty() ? 0 : static_cast<int>(rng() % 4);
    if (choice <= 1) {
      v1::RecordEntryRequest request;
      *request.mutable_entry() = NewEntry(rng);
      request.set_request_id(id);
      {
        std::lock_guard lock(ledger->mu);
        ledger->sent[id] = request.SerializeAsString();
        ledger->kind[id] = 'r';
      }
      absl::StatusOr<v1::RecordEntryResponse> r = client->RecordEntry(request);
      status = r.status();
      if (r.ok()) {
        mine[r->entry().id()] = r->entry().revision();
        sequence = r->change_sequence();
      }
    } else {
      auto target = std::next(mine.begin(), rng() % mine.size());
      if (choice == 2) {
        v1::UpdateEntryRequest request;
        *request.mutable_entry() = NewEntry(rng);
        request.mutable_entry()->set_id(target->first);
        request.mutable_entry()->set_revision(target->second);
        request.set_reason("更正");
        request.set_request_id(id);
        {
          std::lock_guard lock(ledger->mu);
          ledger->sent[id] = request.SerializeAsString();
          ledger->kind[id] = 'u';
        }
        absl::StatusOr<v1::UpdateEntryResponse> r = client->UpdateEntry(request);
        status = r.status();
        if (r.ok()) {
          target->second = r->entry().revision();
          sequence = r->change_sequence();
        }
      } else {
        v1::RemoveEntryRequest request;
        request.set_entry_id(target->first);
        request.set_revision(target->second);
        request.set_kind(v1::REVOKE);
        request.set_reason("撤销");
        request.set_revoking_document("税复〔2026〕1号");
        request.set_request_id(id);
        {
          std::lock_guard lock(ledger->mu);
          ledger->sent[id] = request.SerializeAsString();
          ledger->kind[id] = 'd';
        }
        absl::StatusOr<v1::RemoveEntryResponse> r = client->RemoveEntry(request);
        status = r.status();
        if (r.ok()) {
          mine.erase(target);
          sequence = r->change_sequence();
        }
      }
    }
    if (status.ok()) {
      std::lock_guard lock(ledger->mu);
      ledger->acked[id] = sequence;
    } else if (status.code() == absl::StatusCode::kUnavailable ||
               status.code() == absl::StatusCode::kCancelled ||
               status.code() == absl::StatusCode::kDeadlineExceeded) {
      return;  // the server is gone
    } else {
      ADD_FAILURE() << id << ": " << status;
      return;
    }
  }
}

// All changes, in order, through the API.
std::vector<v1::Change> AllChanges(Client& auditor) {
  std::vector<v1::Change> out;
  v1::ListChangesRequest request;
  request.set_page_size(1000);
  while (true) {
    absl::StatusOr<v1::ListChangesResponse> page = auditor.ListChanges(request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return out;
    out.insert(out.end(), page->changes().begin(), page->changes().end());
    if (page->next_page_token().empty()) return out;
    request.set_page_token(page->next_page_token());
  }
}

void CheckInvariants(const TestServer& server, Ledger& ledger, int cycle) {
  std::unique_ptr<Client> auditor = server.ClientAs("auditor");
  std::vector<v1::Change> changes = AllChanges(*auditor);
  std::map<std::string, uint64_t> applied;  // request id -> sequence
  for (size_t i = 0; i < changes.size(); ++i) {
    ASSERT_EQ(changes[i].sequence(), i) << "gap in the change log, cycle " << cycle;
    const std::string& id = changes[i].request_id();
    if (id.rfind("seed-", 0) == 0) continue;
    ASSERT_TRUE(ledger.sent.contains(id)) << "change " << i << " for a request never sent: " << id;
    ASSERT_TRUE(applied.emplace(id, i).second) << id << " applied twice";
  }
  for (const auto& [id, sequence] : ledger.acked) {
    auto it = applied.find(id);
    ASSERT_NE(it, applied.end()) << "acknowledged " << id << " is lost (cycle " << cycle << ")";
    EXPECT_EQ(it->second, sequence) << id;
  }
  std::map<uint64_t, uint64_t> per_entry;
  for (const v1::Change& c : changes) {
    if (c.has_entry_after()) ++per_entry[c.entry_after().id()];
  }
  v1::ListEntriesRequest list;
  list.set_page_size(1000);
  while (true) {
    absl::StatusOr<v1::ListEntriesResponse> page = auditor->ListEntries(list);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const v1::Entry& e : page->entries()) {
      EXPECT_EQ(per_entry[e.id()], e.revision()) << "entry " << e.id();
    }
    if (page->next_page_token().empty()) break;
    list.set_page_token(page->next_page_token());
  }
}

// Sends again every request that was sent but not answered: each is applied at most once.
void RetryUnanswered(const TestServer& server, Ledger& ledger) {
  std::unique_ptr<Client> client = server.ClientAs("recorder");
  for (const auto& [id, bytes] : ledger.sent) {
    if (ledger.acked.contains(id)) continue;
    absl::Status status;
    uint64_t sequence = 0;
    switch (ledger.kind[id]) {
      case 'r': {
        v1::RecordEntryRequest request;
        request.ParseFromString(bytes);
        auto r = client->RecordEntry(request);
        status = r.status();
        if (r.ok()) sequence = r->change_sequence();
        break;
      }
      case 'u': {
        v1::UpdateEntryRequest request;
        request.ParseFromString(bytes);
        auto r = client->UpdateEntry(request);
        status = r.status();
        if (r.ok()) sequence = r->change_sequence();
        break;
      }
      default: {
        v1::RemoveEntryRequest request;
        request.ParseFromString(bytes);
        auto r = client->RemoveEntry(request);
        status = r.status();
        if (r.ok()) sequence = r->change_sequence();
        break;
      }
    }
    // A correction or removal whose entry moved on meanwhile is refused; that is an answer too.
    if (status.ok()) {
      ledger.acked[id] = sequence;
    } else {
      EXPECT_TRUE(status.code() == absl::StatusCode::kAborted ||
                  status.code() == absl::StatusCode::kFailedPrecondition)
          << id << ": " << status;
    }
  }
}

// Makes the log begin as an older creditd wrote it: records of format version 1 (no nonce),
// signed with the server's own key, so that every check below reads both versions.
void WriteVersion1Records(const std::string& data_dir) {
  absl::StatusOr<SigningKey> key = LoadOrCreateSigningKey(data_dir + "/tree-head-signing.key");
  ASSERT_TRUE(key.ok()) << key.status();
  RegistryOptions options;
  options.data_dir = data_dir;
  options.record_version = kChangeRecordVersionWithoutNonce;
  SystemClock clock;
  absl::StatusOr<std::unique_ptr<Registry>> registry = Registry::Open(options, *key, &clock);
  ASSERT_TRUE(registry.ok()) << registry.status();
  Caller recorder{"recorder", "市中小企业局", static_cast<uint32_t>(Role::kRecorder), true};
  std::mt19937 rng(1);
  for (int i = 0; i < 8; ++i) {
    v1::RecordEntryRequest request;
    *request.mutable_entry() = NewEntry(rng);
    request.set_request_id(absl::StrCat("seed-v1-", i));
    ASSERT_TRUE((*registry)->RecordEntry(recorder, request).ok());
  }
}

TEST(CrashTest, SigkillLosesNoAcknowledgedMutation) {
  const int kills = EnvInt("CRASH_KILLS", 20);
  const uint32_t seed = static_cast<uint32_t>(EnvInt("CRASH_SEED", 20261127));
  std::mt19937 rng(seed);
  TestServer server;  // first start seeds the catalogue, without fail points
  server.RestartWith(WriteVersion1Records);
  if (HasFatalFailure()) return;
  Ledger ledger;
  const char* const points[] = {kFailBeforeSigning, kFailBeforeWrite, kFailAfterWrite,
                                kFailQueryLogWrite};
  int by_fail_point = 0, by_signal = 0;
  size_t unanswered = 0;  // sent when the server died, answered only after the restart
  for (int cycle = 0; cycle < kills; ++cycle) {
    bool use_fail_point = cycle % 2 == 1;
    std::string point = points[rng() % 4];
    if (use_fail_point) {
      int hit = 1 + static_cast<int>(rng() % (point == kFailQueryLogWrite ? 3 : 30));
      server.SetEnv({absl::StrCat("CREDITD_FAILPOINT=", point, ":", hit)});
    } else {
      server.SetEnv({});
    }
    server.Restart();
    std::vector<std::thread> workers;
    for (int w = 0; w < kWorkers; ++w) {
      workers.emplace_back(Work, std::cref(server), w, cycle, static_cast<uint32_t>(rng()),
                           &ledger);
    }
    if (point == kFailQueryLogWrite && use_fail_point) {
      // That fail point fires on status answers: ask until it does (bounded).
      std::unique_ptr<Client> querier = server.ClientAs("querier");
      for (int i = 0; i < 40 && querier; ++i) {
        v1::GetCreditStatusRequest q;
        q.set_subject_code(kOrgs[0]);
        q.set_purpose("crash test");
        if (!querier->GetCreditStatus(q).ok()) break;
      }
    }
    if (!use_fail_point) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 400));
      kill(server.pid(), SIGKILL);
    }
    for (auto& t : workers) t.join();
    bool died = server.WaitForExit(absl::Seconds(use_fail_point ? 5 : 20));
    if (!died) {
      kill(server.pid(), SIGKILL);  // the fail point was not reached this cycle
      ASSERT_TRUE(server.WaitForExit(absl::Seconds(20)));
    }
    (use_fail_point && died ? by_fail_point : by_signal)++;

    server.SetEnv({});
    server.Restart();
    CheckInvariants(server, ledger, cycle);
    unanswered += ledger.sent.size() - ledger.acked.size();
    RetryUnanswered(server, ledger);
    CheckInvariants(server, ledger, cycle);
    server.Stop();
    CommandResult verify = RunCommand({CREDITD_PATH, "verify", "--data-dir", server.data_dir()});
    ASSERT_EQ(verify.exit_code, 0) << "cycle " << cycle << ": " << verify.out << verify.err;
    if (HasFatalFailure()) return;
    if ((cycle + 1) % 25 == 0) {
      std::cout << "crash harness: " << cycle + 1 << " kills so far, " << ledger.acked.size()
                << " mutations acknowledged, none lost" << std::endl;
    }
  }
  std::cout << "crash harness: " << kills << " kills (" << by_signal << " SIGKILL from outside, "
            << by_fail_point << " at fail points), " << ledger.sent.size() << " mutations sent, "
            << unanswered << " of them in flight at a kill and retried, " << ledger.acked.size()
            << " acknowledged in the end, none lost or applied twice\n";
}

}  // namespace
}  // namespace credit::testing
