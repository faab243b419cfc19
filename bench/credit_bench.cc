// credit-bench: a closed-loop load generator on gRPC's asynchronous API that drives creditd over
// mTLS exactly as a department would, and the baseline server it is compared with.
//
//   credit-bench load --endpoint H:P --cacert F --cert F --key F
//                --scenario status|batch|record|mixed|proof [--subjects N] [--outstanding 64]
//                [--threads 2] [--duration 10] [--warmup 2] [--server-pid PID]
//                [--view basic|full] [--seed S]
//   credit-bench import --endpoint H:P --cacert F --cert F --key F --count N [--start 0]
//                [--batch 1000] [--outstanding 4] [--server-pid PID]
//   credit-bench baseline --cacert F --cert F --key F [--port-file F] [--response-bytes N]
//                [--batch-response-bytes N] [--record-response-bytes N] [--synced-write-dir DIR]
//                [--find-listed N] [--api callback|sync]
//   credit-bench pg-rows --count N
//
// `load` keeps --outstanding calls in flight (spread over --threads completion queues) for
// --duration seconds after --warmup, then prints one `name: value` line per figure: calls/s,
// p50/p90/p99/p99.9 latency in µs, and, with --server-pid, server CPU µs per call and RSS.
// Lookups draw subjects from 0..2N-1 of the data set (bench/dataset.h; N = --subjects listed),
// so half of them are listed, in the --view asked for (default basic: flags and measure codes, what
// a business system acts on; full adds the entries in force). Every run draws its own subjects
// (--seed, default a fresh random one, printed as `seed:`): a run that replayed the previous
// run's draws would find their blocks still in creditd's cache. `mixed` is 95% status lookups and
// 5% recordings; `proof` alternates inclusion proofs of random records and consistency proofs from
// random sizes. `import` loads subjects --start..--start+count-1 through ImportEntries (the bulk
// path). `baseline` serves GetCreditStatus and BatchGetCreditStatus with the same TLS set-up and
// canned answers of the given sizes, doing no work: the transport's own limit. With
// --synced-write-dir it also answers RecordEntry, after one synced RocksDB write of a recording's
// size into a store it opens there (bench/synced_write.h) and nothing else: the floor under a
// single recorder, through the same transport (without it RecordEntry is UNIMPLEMENTED; a failed
// write is UNAVAILABLE). With --find-listed N it first holds the codes of listed subjects 0..N-1 in
// memory, and each lookup checks its codes and finds them there before it answers: the floor under
// any server that has to find its subjects, however it keeps them. It serves on gRPC's callback
// API as creditd does (lookups on the receiving thread, recordings on workers); --api sync serves
// on the synchronous API, creditd's before, kept as a second line for history.
// `pg-rows` writes subjects 0..N-1 as rows for PostgreSQL's COPY (text format), the same data
// for the peer comparison: n, subject code, name, list, category, facts, legal basis, authority,
// document number, the three dates and the measure codes as a text[].
#include <grpcpp/grpcpp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/types/span.h"
#include "bench/dataset.h"
#include "bench/synced_write.h"
#include "common/proto/enum_names.h"
#include "common/subject/subject_code.h"
#include "credit/registry/v1/registry.grpc.pb.h"
#include "service/server/worker_pool.h"
#include "service/storage/store.h"

namespace {

namespace v1 = ::credit::registry::v1;
using credit::bench::EntryFor;
using credit::bench::FillEntry;
using credit::bench::SubjectCode;
using Clock = std::chrono::steady_clock;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "credit-bench: cannot read " << path << "\n";
    std::exit(2);
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::map<std::string, std::string> ParseFlags(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 2; i + 1 < argc; i += 2) flags[argv[i]] = argv[i + 1];
  return flags;
}

std::string Flag(const std::map<std::string, std::string>& flags, const std::string& name,
                 const std::string& fallback = "") {
  auto it = flags.find(name);
  return it == flags.end() ? fallback : it->second;
}

struct ProcessSample {
  double cpu_seconds = 0;
  long rss_kib = 0;
};

// The server's CPU time and RSS; zeros when there is no such process (it may have died under
// load: the calls' errors say so, and exiting from a worker thread would crash the others).
ProcessSample Sample(pid_t pid) {
  ProcessSample s;
  if (pid <= 0 || !std::ifstream("/proc/" + std::to_string(pid) + "/stat")) return s;
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream in(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  s.cpu_seconds = static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find("VmRSS:");
  if (at != std::string::npos) s.rss_kib = std::atol(status.c_str() + at + 6);
  return s;
}

// One call slot of the closed loop.
struct Slot {
  std::unique_ptr<grpc::ClientContext> context;
  Clock::time_point start;
  grpc::Status status;
  v1::GetCreditStatusResponse status_response;
  v1::BatchGetCreditStatusResponse batch_response;
  v1::RecordEntryResponse record_response;
  v1::GetInclusionProofResponse inclusion_response;
  v1::GetConsistencyProofResponse consistency_response;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::GetInclusionProofResponse>> inclusion_reader;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::GetConsistencyProofResponse>>
      consistency_reader;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::GetCreditStatusResponse>> status_reader;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::BatchGetCreditStatusResponse>> batch_reader;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::RecordEntryResponse>> record_reader;
};

grpc::SslCredentialsOptions ClientTls(const std::map<std::string, std::string>& flags) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ReadFile(Flag(flags, "--cacert"));
  tls.pem_cert_chain = ReadFile(Flag(flags, "--cert"));
  tls.pem_private_key = ReadFile(Flag(flags, "--key"));
  return tls;
}

int Load(const std::map<std::string, std::string>& flags) {
  grpc::SslCredentialsOptions tls = ClientTls(flags);
  const std::string scenario = Flag(flags, "--scenario", "status");
  const int outstanding = std::stoi(Flag(flags, "--outstanding", "64"));
  const int threads = std::stoi(Flag(flags, "--threads", "2"));
  const double duration = std::stod(Flag(flags, "--duration", "10"));
  const double warmup = std::stod(Flag(flags, "--warmup", "2"));
  const uint64_t subjects = std::stoull(Flag(flags, "--subjects", "1000"));
  const pid_t server_pid = std::stoi(Flag(flags, "--server-pid", "0"));
  const std::string run_id = std::to_string(getpid()) + "-" + std::to_string(time(nullptr));
  const std::string view_name = Flag(flags, "--view", "basic");
  if (view_name != "basic" && view_name != "full") {
    std::cerr << "credit-bench: --view: got " << view_name << ", want basic or full\n";
    return 2;
  }
  const v1::StatusView view = view_name == "basic" ? v1::STATUS_VIEW_BASIC : v1::STATUS_VIEW_FULL;
  const uint64_t seed = std::stoull(Flag(flags, "--seed", std::to_string(std::random_device()())));

  // The log's size, for proofs.
  uint64_t log_size = 0;
  if (scenario == "proof") {
    auto stub = v1::CreditRegistryService::NewStub(
        grpc::CreateChannel(Flag(flags, "--endpoint"), grpc::SslCredentials(tls)));
    grpc::ClientContext context;
    v1::GetTreeHeadResponse head;
    grpc::Status s = stub->GetTreeHead(&context, v1::GetTreeHeadRequest(), &head);
    if (!s.ok() || head.tree_head().tree_size() < 2) {
      std::cerr << "credit-bench: proofs need a log of 2 or more records\n";
      return 1;
    }
    log_size = head.tree_head().tree_size();
  }

  Clock::time_point begin = Clock::now();
  Clock::time_point measure_from =
      begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup));
  Clock::time_point end = measure_from + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(duration));
  std::atomic<uint64_t> errors{0};
  std::atomic<size_t> response_bytes{0};
  std::vector<std::vector<uint32_t>> latencies(threads);
  ProcessSample before;
  std::atomic<bool> sampled{false};

  auto worker = [&](int t) {
    // A channel per thread: separate connections, as separate business systems would have.
    grpc::ChannelArguments args;
    args.SetInt("credit-bench-channel", t);
    auto channel =
        grpc::CreateCustomChannel(Flag(flags, "--endpoint"), grpc::SslCredentials(tls), args);
    auto stub = v1::CreditRegistryService::NewStub(channel);
    grpc::CompletionQueue cq;
    int slots = outstanding / threads + (t < outstanding % threads ? 1 : 0);
    std::vector<Slot> pool(slots);
    uint64_t counter = static_cast<uint64_t>(t) << 40;
    std::seed_seq thread_seed{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                              static_cast<uint32_t>(t)};
    std::mt19937_64 random(thread_seed);
    auto issue = [&](Slot& slot) {
      slot.context = std::make_unique<grpc::ClientContext>();
      slot.context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      slot.start = Clock::now();
      ++counter;
      std::string kind = scenario;
      if (scenario == "mixed") kind = random() % 100 < 5 ? "record" : "status";
      if (kind == "status") {
        v1::GetCreditStatusRequest request;
        request.set_subject_code(SubjectCode(random() % (2 * subjects)));
        request.set_purpose("benchmark");
        request.set_view(view);
        slot.status_reader = stub->AsyncGetCreditStatus(slot.context.get(), request, &cq);
        slot.status_reader->Finish(&slot.status_response, &slot.status, &slot);
      } else if (kind == "batch") {
        // 1000 subjects drawn afresh for every call, half of them listed: a batch drawn before
        // would find its blocks in the cache (a pool of 256 batches did, once 128,000 listed
        // subjects' 1 KB blocks fitted in it).
        v1::BatchGetCreditStatusRequest request;
        request.set_purpose("benchmark");
        request.set_view(view);
        request.mutable_subject_codes()->Reserve(1000);
        for (int i = 0; i < 1000; ++i) {
          request.add_subject_codes(SubjectCode(random() % (2 * subjects)));
        }
        slot.batch_reader = stub->AsyncBatchGetCreditStatus(slot.context.get(), request, &cq);
        slot.batch_reader->Finish(&slot.batch_response, &slot.status, &slot);
      } else if (kind == "proof" && counter % 2 == 0) {
        v1::GetInclusionProofRequest request;
        request.set_sequence(random() % log_size);
        slot.inclusion_reader = stub->AsyncGetInclusionProof(slot.context.get(), request, &cq);
        slot.inclusion_reader->Finish(&slot.inclusion_response, &slot.status, &slot);
      } else if (kind == "proof") {
        v1::GetConsistencyProofRequest request;
        request.set_from_size(1 + random() % (log_size - 1));
        request.set_to_size(log_size);
        slot.consistency_reader = stub->AsyncGetConsistencyProof(slot.context.get(), request, &cq);
        slot.consistency_reader->Finish(&slot.consistency_response, &slot.status, &slot);
      } else {
        v1::RecordEntryRequest request;
        // New subjects beyond the looked-up ones, so lookups see the same data throughout.
        *request.mutable_entry() = EntryFor(2 * subjects + random() % subjects);
        request.set_request_id("bench-" + run_id + "-" + std::to_string(counter));
        // A decision of its own: a subject drawn twice is not the same decision recorded again.
        request.mutable_entry()->set_document_number(request.request_id());
        slot.record_reader = stub->AsyncRecordEntry(slot.context.get(), request, &cq);
        slot.record_reader->Finish(&slot.record_response, &slot.status, &slot);
      }
    };
    for (Slot& slot : pool) issue(slot);
    int in_flight = slots;
    while (in_flight > 0) {
      void* tag = nullptr;
      bool ok = false;
      if (!cq.Next(&tag, &ok)) break;
      Slot& slot = *static_cast<Slot*>(tag);
      Clock::time_point now = Clock::now();
      if (!slot.status.ok()) {
        if (errors++ == 0) std::cerr << "first error: " << slot.status.error_message() << "\n";
      } else if (scenario == "status") {
        response_bytes = slot.status_response.ByteSizeLong();
      } else if (scenario == "batch") {
        response_bytes = slot.batch_response.ByteSizeLong();
      } else if (scenario == "record") {
        response_bytes = slot.record_response.ByteSizeLong();
      }
      if (now >= measure_from && slot.start >= measure_from && now < end) {
        if (!sampled.exchange(true)) before = Sample(server_pid);
        latencies[t].push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now - slot.start).count()));
      }
      if (now < end) {
        issue(slot);
      } else {
        --in_flight;
      }
    }
  };
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) workers.emplace_back(worker, t);
  for (auto& w : workers) w.join();
  ProcessSample after = Sample(server_pid);

  std::vector<uint32_t> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0u : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
  };
  double rate = all.size() / duration;
  std::printf("calls_per_second: %.0f\n", rate);
  if (scenario == "batch") std::printf("subjects_per_second: %.0f\n", rate * 1000);
  std::printf("p50_us: %u\np90_us: %u\np99_us: %u\np999_us: %u\n", pct(0.5), pct(0.9), pct(0.99),
              pct(0.999));
  std::printf("errors: %llu\n", static_cast<unsigned long long>(errors.load()));
  std::printf("seed: %llu\n", static_cast<unsigned long long>(seed));
  if (scenario == "status" || scenario == "batch" || scenario == "record") {
    std::printf("response_bytes: %zu\n", response_bytes.load());
  }
  if (server_pid > 0 && !all.empty()) {
    std::printf("server_cpu_us_per_call: %.1f\n",
                (after.cpu_seconds - before.cpu_seconds) * 1e6 / all.size());
    std::printf("server_rss_mib: %ld\n", after.rss_kib / 1024);
  }
  return errors.load() == 0 ? 0 : 1;
}

// The bulk import: --count entries from --start on, --batch per ImportEntries call, with
// --outstanding calls in flight.
int Import(const std::map<std::string, std::string>& flags) {
  const uint64_t start = std::stoull(Flag(flags, "--start", "0"));
  const uint64_t count = std::stoull(Flag(flags, "--count", "100000"));
  const uint64_t per_call = std::stoull(Flag(flags, "--batch", "1000"));
  const int outstanding = std::stoi(Flag(flags, "--outstanding", "4"));
  const pid_t server_pid = std::stoi(Flag(flags, "--server-pid", "0"));
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  auto stub = v1::CreditRegistryService::NewStub(grpc::CreateCustomChannel(
      Flag(flags, "--endpoint"), grpc::SslCredentials(ClientTls(flags)), args));
  const std::string run_id = std::to_string(getpid()) + "-" + std::to_string(time(nullptr));

  struct Call {
    grpc::ClientContext context;
    v1::ImportEntriesResponse response;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::ImportEntriesResponse>> reader;
  };
  grpc::CompletionQueue cq;
  uint64_t next = start;
  const uint64_t end = start + count;
  uint64_t imported = 0, errors = 0;
  int in_flight = 0;
  ProcessSample before = Sample(server_pid);
  Clock::time_point begin = Clock::now();
  // Each request is built on an arena (a call serialises it at once), built in place.
  google::protobuf::Arena arena;
  auto issue = [&] {
    auto* request = google::protobuf::Arena::CreateMessage<v1::ImportEntriesRequest>(&arena);
    request->set_request_id("import-" + run_id + "-" + std::to_string(next));
    for (uint64_t n = next; n < std::min(end, next + per_call); ++n) {
      FillEntry(n, request->add_entries());
    }
    next = std::min(end, next + per_call);
    auto* call = new Call;
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    call->reader = stub->AsyncImportEntries(&call->context, *request, &cq);
    arena.Reset();
    call->reader->Finish(&call->response, &call->status, call);
    ++in_flight;
  };
  while (in_flight < outstanding && next < end) issue();
  while (in_flight > 0) {
    void* tag = nullptr;
    bool ok = false;
    if (!cq.Next(&tag, &ok)) break;
    std::unique_ptr<Call> call(static_cast<Call*>(tag));
    --in_flight;
    if (call->status.ok()) {
      imported += call->response.count();
    } else if (errors++ == 0) {
      std::cerr << "first error: " << call->status.error_message() << "\n";
    }
    if (next < end && errors == 0) issue();
  }
  double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  ProcessSample after = Sample(server_pid);
  std::printf("imported_entries: %llu\n", static_cast<unsigned long long>(imported));
  std::printf("import_seconds: %.1f\n", seconds);
  std::printf("import_entries_per_second: %.0f\n", imported / seconds);
  std::printf("errors: %llu\n", static_cast<unsigned long long>(errors));
  if (server_pid > 0 && imported > 0) {
    std::printf("server_cpu_us_per_entry: %.1f\n",
                (after.cpu_seconds - before.cpu_seconds) * 1e6 / imported);
    std::printf("server_rss_mib: %ld\n", after.rss_kib / 1024);
  }
  return errors == 0 ? 0 : 1;
}

// The codes of listed subjects 0..N-1, 18 characters each, in one open-addressing table with
// linear probing (at most 5/8 full, so a lookup nearly always reads one slot: one memory access
// per code): the least a server must do to answer a lookup is to check the code and find it among
// the listed.
class ListedSubjects {
 public:
  ListedSubjects(const ListedSubjects&) = delete;
  ListedSubjects& operator=(const ListedSubjects&) = delete;
  ~ListedSubjects() { munmap(slots_.data(), bytes_); }
  explicit ListedSubjects(uint64_t count) {
    size_t slots = 16;
    while (slots * 5 < count * 8) slots *= 2;
    // In 2 MB pages where the kernel has them: a random slot then seldom misses the TLB too.
    bytes_ = (slots * sizeof(Code) + (2 << 20) - 1) & ~size_t{(2 << 20) - 1};
    void* memory =
        mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
      std::cerr << "credit-bench: cannot map " << bytes_ << " bytes for the listed subjects\n";
      std::exit(1);
    }
    madvise(memory, bytes_, MADV_HUGEPAGE);
    slots_ = absl::MakeSpan(static_cast<Code*>(memory), slots);  // zeros: every slot empty
    for (uint64_t n = 0; n < count; ++n) {
      Code code = Key(SubjectCode(n));
      size_t at = SlotOf(code, Home(code));
      if (slots_[at] == Code{}) ++size_;
      slots_[at] = code;
    }
  }
  // How many of `codes` are well-formed and listed. All the codes' slots are asked for from
  // memory first (prefetched), then read: the misses overlap instead of following one another.
  template <typename Codes>
  size_t Find(const Codes& codes) const {
    thread_local std::vector<std::pair<Code, size_t>> keys;
    keys.clear();
    for (const std::string& code : codes) {
      if (!credit::ClassifySubjectCode(code, "subject_codes").ok()) continue;
      Code key = Key(code);
      size_t at = Home(key);
      __builtin_prefetch(&slots_[at]);
      keys.emplace_back(key, at);
    }
    size_t found = 0;
    for (const auto& [key, home] : keys) found += slots_[SlotOf(key, home)] == key;
    return found;
  }
  size_t size() const { return size_; }

 private:
  using Code = std::array<char, 18>;
  static Code Key(const std::string& code) {
    Code key{};
    std::copy_n(code.data(), std::min(code.size(), key.size()), key.data());
    return key;
  }
  size_t Home(const Code& code) const {
    return absl::HashOf(absl::string_view(code.data(), code.size())) & (slots_.size() - 1);
  }
  // The slot holding `code`, or the empty one where it would go, probing on from `at`.
  size_t SlotOf(const Code& code, size_t at) const {
    while (slots_[at] != Code{} && slots_[at] != code) at = (at + 1) & (slots_.size() - 1);
    return at;
  }
  absl::Span<Code> slots_;  // all zeros: empty
  size_t bytes_ = 0;
  size_t size_ = 0;
};

// The baseline: the same service, the same TLS, canned answers of the same size, no work but
// RecordEntry's one synced write and, with `listed`, finding the subjects a lookup names. What
// each call does, whichever gRPC API serves it (below).
class BaselineAnswers {
 public:
  // `writes`: where RecordEntry writes; null: RecordEntry is not served. `listed`: null, or the
  // listed subjects each lookup looks its codes up in.
  BaselineAnswers(size_t response_bytes, size_t batch_response_bytes, size_t record_response_bytes,
                  credit::bench::RecordingSizedWrites* writes, const ListedSubjects* listed)
      : writes_(writes), listed_(listed) {
    status_.mutable_status()->mutable_subject()->set_code("91440300MA5FXXXX0U");
    status_.mutable_status()->mutable_subject()->set_name(std::string(response_bytes, 'x'));
    // 1000 results that add up to about batch_response_bytes.
    size_t each = batch_response_bytes / 1000;
    for (int i = 0; i < 1000; ++i) {
      auto* subject = batch_.add_results()->mutable_status()->mutable_subject();
      subject->set_code("91440300MA5FXXXX0U");
      if (each > 30) subject->set_name(std::string(each - 30, 'x'));
    }
    // What the division and the fields' own bytes left over, on the last result.
    auto* last = batch_.mutable_results(999)->mutable_status()->mutable_subject();
    while (batch_.ByteSizeLong() < batch_response_bytes) last->mutable_name()->push_back('x');
    record_.mutable_entry()->mutable_subject()->set_code("91440300MA5FXXXX0U");
    if (record_response_bytes > 30) {
      record_.mutable_entry()->mutable_subject()->set_name(
          std::string(record_response_bytes - 30, 'x'));
    }
  }
  void Status(const v1::GetCreditStatusRequest& request, v1::GetCreditStatusResponse* response) {
    if (listed_ != nullptr) Count(listed_->Find(absl::MakeConstSpan(&request.subject_code(), 1)));
    *response = status_;
  }
  void Batch(const v1::BatchGetCreditStatusRequest& request,
             v1::BatchGetCreditStatusResponse* response) {
    if (listed_ != nullptr) Count(listed_->Find(request.subject_codes()));
    *response = batch_;
  }
  grpc::Status Record(v1::RecordEntryResponse* response) {
    if (writes_ == nullptr) {
      return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "baseline: no --synced-write-dir");
    }
    if (absl::Status written = writes_->WriteNext(); !written.ok()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(written.message()));
    }
    *response = record_;
    return grpc::Status::OK;
  }

  // How many of the codes lookups named were listed (with `listed`).
  uint64_t found() const { return found_.load(); }

 private:
  void Count(size_t found) { found_.fetch_add(found, std::memory_order_relaxed); }

  credit::bench::RecordingSizedWrites* const writes_;
  const ListedSubjects* const listed_;
  std::atomic<uint64_t> found_{0};
  v1::RecordEntryResponse record_;
  v1::GetCreditStatusResponse status_;
  v1::BatchGetCreditStatusResponse batch_;
};

// On gRPC's callback API, as creditd: lookups answered on the thread that received them,
// recordings handed to a worker (the synced write waits).
class CallbackBaseline final : public v1::CreditRegistryService::CallbackService {
 public:
  explicit CallbackBaseline(BaselineAnswers* answers) : answers_(answers) {}
  grpc::ServerUnaryReactor* GetCreditStatus(grpc::CallbackServerContext* context,
                                            const v1::GetCreditStatusRequest* request,
                                            v1::GetCreditStatusResponse* response) override {
    answers_->Status(*request, response);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerUnaryReactor* BatchGetCreditStatus(
      grpc::CallbackServerContext* context, const v1::BatchGetCreditStatusRequest* request,
      v1::BatchGetCreditStatusResponse* response) override {
    answers_->Batch(*request, response);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerUnaryReactor* RecordEntry(grpc::CallbackServerContext* context,
                                        const v1::RecordEntryRequest*,
                                        v1::RecordEntryResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (!workers_.TrySubmit(
            [this, reactor, response] { reactor->Finish(answers_->Record(response)); })) {
      reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "baseline: busy"));
    }
    return reactor;
  }

 private:
  BaselineAnswers* answers_;
  credit::WorkerPool workers_{256};
};

// On gRPC's synchronous API, as creditd was until the callback API: the second line, for history.
class SyncBaseline final : public v1::CreditRegistryService::Service {
 public:
  explicit SyncBaseline(BaselineAnswers* answers) : answers_(answers) {}
  grpc::Status GetCreditStatus(grpc::ServerContext*, const v1::GetCreditStatusRequest* request,
                               v1::GetCreditStatusResponse* response) override {
    answers_->Status(*request, response);
    return grpc::Status::OK;
  }
  grpc::Status BatchGetCreditStatus(grpc::ServerContext*,
                                    const v1::BatchGetCreditStatusRequest* request,
                                    v1::BatchGetCreditStatusResponse* response) override {
    answers_->Batch(*request, response);
    return grpc::Status::OK;
  }
  grpc::Status RecordEntry(grpc::ServerContext*, const v1::RecordEntryRequest*,
                           v1::RecordEntryResponse* response) override {
    return answers_->Record(response);
  }

 private:
  BaselineAnswers* answers_;
};

int Baseline(const std::map<std::string, std::string>& flags) {
  grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  tls.pem_root_certs = ReadFile(Flag(flags, "--cacert"));
  tls.pem_key_cert_pairs.push_back(
      {ReadFile(Flag(flags, "--key")), ReadFile(Flag(flags, "--cert"))});
  std::unique_ptr<credit::Store> store;
  std::unique_ptr<credit::bench::RecordingSizedWrites> writes;
  if (std::string dir = Flag(flags, "--synced-write-dir"); !dir.empty()) {
    absl::StatusOr<std::unique_ptr<credit::Store>> opened = credit::Store::Open(dir);
    if (!opened.ok()) {
      std::cerr << "credit-bench: --synced-write-dir: " << opened.status() << "\n";
      return 2;
    }
    store = *std::move(opened);
    writes = std::make_unique<credit::bench::RecordingSizedWrites>(*store);
  }
  std::unique_ptr<ListedSubjects> listed;
  if (uint64_t count = std::stoull(Flag(flags, "--find-listed", "0")); count > 0) {
    Clock::time_point start = Clock::now();
    listed = std::make_unique<ListedSubjects>(count);
    std::cerr << "baseline: " << listed->size() << " listed subjects in memory in "
              << std::chrono::duration<double>(Clock::now() - start).count() << " s" << std::endl;
  }
  BaselineAnswers answers(std::stoul(Flag(flags, "--response-bytes", "300")),
                          std::stoul(Flag(flags, "--batch-response-bytes", "30000")),
                          std::stoul(Flag(flags, "--record-response-bytes", "1000")), writes.get(),
                          listed.get());
  const std::string api = Flag(flags, "--api", "callback");
  if (api != "callback" && api != "sync") {
    std::cerr << "credit-bench: --api: got " << api << ", want callback or sync\n";
    return 2;
  }
  CallbackBaseline callback(&answers);
  SyncBaseline sync(&answers);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), &port);
  if (api == "callback") {
    builder.RegisterService(&callback);
  } else {
    builder.RegisterService(&sync);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) return 1;
  if (!Flag(flags, "--port-file").empty())
    std::ofstream(Flag(flags, "--port-file")) << port << "\n";
  std::cerr << "baseline: listening on 127.0.0.1:" << port << std::endl;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  int signal = 0;
  sigwait(&signals, &signal);
  server->Shutdown();
  if (listed != nullptr)
    std::cerr << "baseline: found " << answers.found() << " listed" << std::endl;
  return 0;
}

// A field for COPY's text format: backslash, tab, newline and carriage return escaped.
void PutCopyField(const std::string& value, std::string& out) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

int PgRows(const std::map<std::string, std::string>& flags) {
  const uint64_t count = std::stoull(Flag(flags, "--count", "1000"));
  std::string line;
  for (uint64_t n = 0; n < count; ++n) {
    v1::Entry e = EntryFor(n);
    line = std::to_string(n);
    const std::string list = credit::ShortName(e.list());
    for (const std::string* field :
         {&e.subject().code(), &e.subject().name(), &list, &e.category(), &e.facts(),
          &e.legal_basis(), &e.authority(), &e.document_number(), &e.decision_date(),
          &e.effective_date(), &e.expiry_date()}) {
      line += '\t';
      PutCopyField(*field, line);
    }
    line += "\t{";  // measure codes are [A-Z0-9-]: no array quoting needed
    for (int i = 0; i < e.measure_codes_size(); ++i) {
      if (i > 0) line += ',';
      PutCopyField(e.measure_codes(i), line);
    }
    line += "}\n";
    if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size()) return 1;
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: credit-bench load|import|baseline|pg-rows [--flag value ...] "
                 "(bench/README.md)\n";
    return 2;
  }
  // Block the shutdown signals before gRPC starts its threads (baseline waits for them).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::map<std::string, std::string> flags = ParseFlags(argc, argv);
  std::string mode = argv[1];
  if (mode == "load") return Load(flags);
  if (mode == "baseline") return Baseline(flags);
  if (mode == "import") return Import(flags);
  if (mode == "pg-rows") return PgRows(flags);
  std::cerr << "credit-bench: unknown mode " << mode << "\n";
  return 2;
}
