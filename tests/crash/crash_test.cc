// The crash harness: creditd as a child process (default listing procedure, test clock), several
// clients recording, approving, objecting, resolving, correcting and revoking at once while the
// clock moves, and the server killed with SIGKILL — at random moments, or by itself at a
// named fail point (service/failpoint/failpoint.h) — then restarted and checked:
//   * every acknowledged mutation is there, exactly once, at the sequence it was answered with;
//   * nothing that was never sent is there;
//   * every entry's change records form one chain, revision after revision, and it has as many as
//     revisions: no step of the listing procedure (approval, objection, resolution, and the
//     transitions time makes by itself as the test clock moves) is lost or made twice;
//   * nothing that fell due by the clock's day is left undone after the restart's catch-up;
//   * a request sent but not answered before the kill, sent again, is applied at most once;
//   * every touched subject's status from the in-memory index is the one storage gives;
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
#include "common/proto/enum_names.h"
#include "common/text/date.h"
#include "service/clock/clock.h"
#include "service/failpoint/failpoint.h"
#include "service/procedure/lifecycle.h"
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
  std::map<std::string, char> kind;         // request id -> what it is (Send)
  absl::Time time = absl::Now();            // the latest time the test clock was asked to show
  size_t time_driven = 0;                   // transitions the service made by itself, so far
  int listed_in_index_checks = 0;           // subjects found listed by the status index checks
};

v1::Entry NewEntry(std::mt19937& rng) {
  v1::Entry e;
  e.mutable_subject()->set_code(kOrgs[rng() % 4]);
  e.mutable_subject()->set_name("压力测试企业");
  e.set_list(v1::LIST_KIND_BLACK);
  e.set_category("tax");
  e.set_facts("事实 " + std::to_string(rng()));
  e.set_legal_basis("《税收征收管理法》第六十三条");
  e.set_authority("市税务局");
  // 64 random bits: no two of a run's decisions share a number.
  e.set_document_number("税〔2026〕" + std::to_string(rng()) + "-" + std::to_string(rng()) + "号");
  e.set_severity(v1::SEVERITY_GENERAL);
  e.set_decision_date("2026-01-10");
  e.set_effective_date("2026-01-15");
  e.set_expiry_date("2099-01-14");
  e.add_measure_codes("P-PROCUREMENT");
  return e;
}

// Sends request `bytes` of `kind` ('r' record, 'u' correct, 'd' revoke, 'a' approve, 'o' object,
// 's' resolve) as the role that makes it; the answer's entry and change sequence.
struct Answer {
  v1::Entry entry;
  uint64_t sequence = 0;
};
absl::StatusOr<Answer> Send(Client& recorder, Client& approver, char kind,
                            const std::string& bytes) {
  auto answer = [](const auto& r) -> absl::StatusOr<Answer> {
    if (!r.ok()) return r.status();
    return Answer{r->entry(), r->change_sequence()};
  };
  switch (kind) {
    case 'r': {
      v1::RecordEntryRequest request;
      request.ParseFromString(bytes);
      return answer(recorder.RecordEntry(request));
    }
    case 'u': {
      v1::UpdateEntryRequest request;
      request.ParseFromString(bytes);
      return answer(recorder.UpdateEntry(request));
    }
    case 'd': {
      v1::RemoveEntryRequest request;
      request.ParseFromString(bytes);
      return answer(recorder.RemoveEntry(request));
    }
    case 'a': {
      v1::ApproveEntryRequest request;
      request.ParseFromString(bytes);
      return answer(approver.ApproveEntry(request));
    }
    case 'o': {
      v1::FileObjectionRequest request;
      request.ParseFromString(bytes);
      return answer(recorder.FileObjection(request));
    }
    default: {
      v1::ResolveObjectionRequest request;
      request.ParseFromString(bytes);
      return answer(approver.ResolveObjection(request));
    }
  }
}

// The next step for an entry of `status`, as the procedure allows it: a request and its kind.
std::pair<char, std::string> NextStep(std::mt19937& rng, uint64_t id, uint64_t revision,
                                      v1::EntryStatus status, const std::string& request_id) {
  int pick = static_cast<int>(rng() % 3);
  if (status == v1::ENTRY_STATUS_PROPOSED && pick < 2) {
    v1::ApproveEntryRequest request;
    request.set_entry_id(id);
    request.set_request_id(request_id);
    return {'a', request.SerializeAsString()};
  }
  if (status == v1::ENTRY_STATUS_OBJECTED) {
    v1::ResolveObjectionRequest request;
    request.set_entry_id(id);
    request.set_resolution(v1::ResolveObjectionRequest::RESOLUTION_DISMISS);
    request.set_reason("异议不成立");
    request.set_request_id(request_id);
    return {'s', request.SerializeAsString()};
  }
  if ((status == v1::ENTRY_STATUS_NOTICE || status == v1::ENTRY_STATUS_ACTIVE) && pick == 0) {
    v1::FileObjectionRequest request;
    request.set_entry_id(id);
    request.set_grounds("异议");
    request.set_request_id(request_id);
    return {'o', request.SerializeAsString()};
  }
  if (pick == 2 && status != v1::ENTRY_STATUS_PROPOSED) {
    v1::RemoveEntryRequest request;
    request.set_entry_id(id);
    request.set_revision(revision);
    request.set_kind(v1::REMOVAL_KIND_REVOKE);
    request.set_reason("撤销");
    request.set_revoking_document("税复〔2026〕1号");
    request.set_request_id(request_id);
    return {'d', request.SerializeAsString()};
  }
  v1::UpdateEntryRequest request;
  *request.mutable_entry() = NewEntry(rng);
  request.mutable_entry()->set_id(id);
  request.mutable_entry()->set_revision(revision);
  request.set_reason("更正");
  request.set_request_id(request_id);
  return {'u', request.SerializeAsString()};
}

// One officer pair: records entries and takes its own through the procedure (approve, object,
// resolve, correct, revoke), until the server stops answering. The test clock moves meanwhile,
// so entries also change by themselves; a step the entry no longer allows, or made on a stale
// revision, is refused, and the worker forgets that entry.
void Work(const TestServer& server, int worker, int cycle, uint32_t seed, Ledger* ledger) {
  std::mt19937 rng(seed);
  std::unique_ptr<Client> recorder = server.ClientAs("recorder");
  std::unique_ptr<Client> approver = server.ClientAs("approver");
  std::map<uint64_t, std::pair<uint64_t, v1::EntryStatus>> mine;  // id -> revision, status
  for (int i = 0; i < kMaxOpsPerWorker; ++i) {
    std::string id = absl::StrCat("w", worker, "-c", cycle, "-", i);
    std::pair<char, std::string> step;
    auto target = mine.end();
    if (mine.empty() || rng() % 4 == 0) {
      v1::RecordEntryRequest request;
      *request.mutable_entry() = NewEntry(rng);
      request.set_request_id(id);
      step = {'r', request.SerializeAsString()};
    } else {
      target = std::next(mine.begin(), rng() % mine.size());
      step = NextStep(rng, target->first, target->second.first, target->second.second, id);
    }
    {
      std::lock_guard lock(ledger->mu);
      ledger->sent[id] = step.second;
      ledger->kind[id] = step.first;
    }
    absl::StatusOr<Answer> r = Send(*recorder, *approver, step.first, step.second);
    if (r.ok()) {
      {
        std::lock_guard lock(ledger->mu);
        ledger->acked[id] = r->sequence;
      }
      if (procedure::Ended(r->entry.status())) {
        mine.erase(r->entry.id());
      } else {
        mine[r->entry.id()] = {r->entry.revision(), r->entry.status()};
      }
    } else if (r.status().code() == absl::StatusCode::kAborted ||
               r.status().code() == absl::StatusCode::kFailedPrecondition) {
      if (target != mine.end()) mine.erase(target);  // it moved on meanwhile
    } else if (r.status().code() == absl::StatusCode::kUnavailable ||
               r.status().code() == absl::StatusCode::kCancelled ||
               r.status().code() == absl::StatusCode::kDeadlineExceeded) {
      return;  // the server is gone
    } else {
      ADD_FAILURE() << id << ": " << r.status();
      return;
    }
  }
}

// Moves the server's test clock a day or two at a time until `stop`, so that notice periods end
// while the workers write; `ledger->time` is the latest time asked for.
void MoveTime(const TestServer& server, std::mt19937 rng, std::atomic<bool>* stop, Ledger* ledger) {
  std::unique_ptr<Client> admin = server.ClientAs("admin");
  while (!*stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 40));
    absl::Time next;
    {
      std::lock_guard lock(ledger->mu);
      ledger->time += absl::Hours(24 * (1 + rng() % 2));
      next = ledger->time;
    }
    v1::SetTimeRequest request;
    request.mutable_time()->set_seconds(absl::ToUnixSeconds(next));
    absl::StatusCode code = admin->SetTime(request).status().code();
    if (code != absl::StatusCode::kOk) return;  // the server is gone
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

// Brings the restarted server's clock to the latest time asked for (the test clock starts from
// the system's at each start): what fell due by then is made now, once.
void CatchUpTime(const TestServer& server, Ledger& ledger) {
  // Whole seconds, ahead of the freshly started clock.
  ledger.time = std::max(ledger.time, absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) + 2));
  v1::SetTimeRequest request;
  request.mutable_time()->set_seconds(absl::ToUnixSeconds(ledger.time));
  absl::Status set = server.ClientAs("admin")->SetTime(request).status();
  ASSERT_TRUE(set.ok()) << set;
}

void CheckInvariants(const TestServer& server, Ledger& ledger, int cycle) {
  std::unique_ptr<Client> auditor = server.ClientAs("auditor");
  std::vector<v1::Change> changes = AllChanges(*auditor);
  std::map<std::string, uint64_t> applied;  // request id -> sequence
  ledger.time_driven = 0;
  for (size_t i = 0; i < changes.size(); ++i) {
    ASSERT_EQ(changes[i].sequence(), i) << "gap in the change log, cycle " << cycle;
    const std::string& id = changes[i].request_id();
    if (id.rfind("seed-", 0) == 0) continue;
    if (changes[i].actor().identity() == kSystemIdentity) {
      ASSERT_EQ(id.rfind("due-", 0), 0u) << "change " << i;  // a time-driven transition
      ++ledger.time_driven;
      continue;
    }
    ASSERT_TRUE(ledger.sent.contains(id)) << "change " << i << " for a request never sent: " << id;
    ASSERT_TRUE(applied.emplace(id, i).second) << id << " applied twice";
  }
  for (const auto& [id, sequence] : ledger.acked) {
    auto it = applied.find(id);
    ASSERT_NE(it, applied.end()) << "acknowledged " << id << " is lost (cycle " << cycle << ")";
    EXPECT_EQ(it->second, sequence) << id;
  }
  // Each entry's changes form one chain, revision after revision: a transition made twice (by a
  // retry, or by time after a restart) would repeat a revision; one lost would skip it.
  std::map<uint64_t, uint64_t> revision_of;
  for (const v1::Change& c : changes) {
    if (!c.has_entry_after()) continue;
    uint64_t& last = revision_of[c.entry_after().id()];
    ASSERT_EQ(c.has_entry_before() ? c.entry_before().revision() : 0, last)
        << "change " << c.sequence() << " of entry " << c.entry_after().id();
    ASSERT_EQ(c.entry_after().revision(), last + 1) << "change " << c.sequence();
    last = c.entry_after().revision();
  }
  // Nothing due by the server's day is left undone.
  const std::string today =
      FormatDate(absl::ToCivilDay(ledger.time, absl::FixedTimeZone(8 * 3600)));
  v1::ListEntriesRequest list;
  list.set_page_size(1000);
  while (true) {
    absl::StatusOr<v1::ListEntriesResponse> page = auditor->ListEntries(list);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const v1::Entry& e : page->entries()) {
      EXPECT_EQ(revision_of[e.id()], e.revision()) << "entry " << e.id();
      std::string due = procedure::DueDate(e);
      EXPECT_TRUE(due.empty() || due > today) << "entry " << e.id() << " (" << ShortName(e.status())
                                              << ") was due " << due << ", today is " << today;
    }
    if (page->next_page_token().empty()) break;
    list.set_page_token(page->next_page_token());
  }
  // Every subject a change touched: its status from the in-memory index, filled again at the
  // restart, as storage has it.
  ASSERT_TRUE(server.AwaitEvent("status_index_ready", absl::Seconds(20))) << "cycle " << cycle;
  std::set<std::string> touched;
  for (const v1::Change& c : changes) {
    if (c.has_entry_before()) touched.insert(c.entry_before().subject().code());
    if (c.has_entry_after()) touched.insert(c.entry_after().subject().code());
  }
  ASSERT_FALSE(touched.empty());
  ledger.listed_in_index_checks +=
      ExpectIndexMatchesStorage(*server.ClientAs("querier"), {touched.begin(), touched.end()});
}

// Sends again every request that was sent but not answered: each is applied at most once.
void RetryUnanswered(const TestServer& server, Ledger& ledger) {
  std::unique_ptr<Client> recorder = server.ClientAs("recorder");
  std::unique_ptr<Client> approver = server.ClientAs("approver");
  for (const auto& [id, bytes] : ledger.sent) {
    if (ledger.acked.contains(id)) continue;
    absl::StatusOr<Answer> r = Send(*recorder, *approver, ledger.kind[id], bytes);
    // A step whose entry moved on meanwhile is refused; that is an answer too.
    if (r.ok()) {
      ledger.acked[id] = r->sequence;
    } else {
      EXPECT_TRUE(r.status().code() == absl::StatusCode::kAborted ||
                  r.status().code() == absl::StatusCode::kFailedPrecondition)
          << id << ": " << r.status();
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
  // The default listing procedure, on a test clock: first start seeds the catalogue, without
  // fail points.
  TestServer server({}, DevPki().dir + "/creditd.yaml", /*test_clock=*/true);
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
    CatchUpTime(server, ledger);
    std::vector<std::thread> workers;
    for (int w = 0; w < kWorkers; ++w) {
      workers.emplace_back(Work, std::cref(server), w, cycle, static_cast<uint32_t>(rng()),
                           &ledger);
    }
    std::atomic<bool> stop_time{false};
    std::thread clock(MoveTime, std::cref(server), std::mt19937(rng()), &stop_time, &ledger);
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
    stop_time = true;
    clock.join();
    bool died = server.WaitForExit(absl::Seconds(use_fail_point ? 5 : 20));
    if (!died) {
      kill(server.pid(), SIGKILL);  // the fail point was not reached this cycle
      ASSERT_TRUE(server.WaitForExit(absl::Seconds(20)));
    }
    (use_fail_point && died ? by_fail_point : by_signal)++;

    server.SetEnv({});
    server.Restart();
    CatchUpTime(server, ledger);
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
            << " acknowledged in the end, none lost or applied twice; " << ledger.time_driven
            << " time-driven transitions, none lost or made twice; the status index matched "
               "storage at every restart ("
            << ledger.listed_in_index_checks << " listed subjects checked)\n";
  EXPECT_GT(ledger.listed_in_index_checks, kills);
}

}  // namespace
}  // namespace credit::testing
