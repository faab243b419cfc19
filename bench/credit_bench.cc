// credit-bench: a closed-loop load generator on gRPC's asynchronous API that drives creditd over
// mTLS exactly as a department would, and the baseline server it is compared with.
//
//   credit-bench load --endpoint H:P --cacert F --cert F --key F --scenario status|batch|record
//                [--outstanding 64] [--threads 2] [--duration 10] [--warmup 2] [--server-pid PID]
//   credit-bench baseline --cacert F --cert F --key F [--port-file F] [--response-bytes N]
//
// `load` keeps --outstanding calls in flight (spread over --threads completion queues) for
// --duration seconds after --warmup, then prints one `name: value` line per figure: calls/s,
// p50/p90/p99/p99.9 latency in µs, and, with --server-pid, server CPU µs per call and RSS.
// `baseline` serves GetCreditStatus and BatchGetCreditStatus with the same TLS set-up and a
// canned answer of --response-bytes, doing no work: the transport's own limit.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "credit/registry/v1/registry.grpc.pb.h"

namespace {

namespace v1 = ::credit::registry::v1;
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

// Valid organisation codes: 17 characters from a counter, then the check character.
std::string OrgCode(uint64_t n) {
  static const std::string kCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  static const int kWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  std::string code = "9144030";
  std::string digits = std::to_string(n);
  code += std::string(10 - digits.size(), '0') + digits;
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += static_cast<int>(kCharset.find(code[i])) * kWeights[i];
  code += kCharset[(31 - sum % 31) % 31];
  return code;
}

struct ProcessSample {
  double cpu_seconds = 0;
  long rss_kib = 0;
};

ProcessSample Sample(pid_t pid) {
  ProcessSample s;
  if (pid <= 0) return s;
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
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::GetCreditStatusResponse>> status_reader;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::BatchGetCreditStatusResponse>> batch_reader;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::RecordEntryResponse>> record_reader;
};

int Load(const std::map<std::string, std::string>& flags) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ReadFile(Flag(flags, "--cacert"));
  tls.pem_cert_chain = ReadFile(Flag(flags, "--cert"));
  tls.pem_private_key = ReadFile(Flag(flags, "--key"));
  const std::string scenario = Flag(flags, "--scenario", "status");
  const int outstanding = std::stoi(Flag(flags, "--outstanding", "64"));
  const int threads = std::stoi(Flag(flags, "--threads", "2"));
  const double duration = std::stod(Flag(flags, "--duration", "10"));
  const double warmup = std::stod(Flag(flags, "--warmup", "2"));
  const uint64_t subjects = std::stoull(Flag(flags, "--subjects", "1000"));
  const pid_t server_pid = std::stoi(Flag(flags, "--server-pid", "0"));
  const std::string run_id = std::to_string(getpid()) + "-" + std::to_string(time(nullptr));

  std::vector<std::string> codes;
  for (uint64_t i = 0; i < subjects; ++i) codes.push_back(OrgCode(i));
  v1::BatchGetCreditStatusRequest batch;
  batch.set_purpose("benchmark");
  for (int i = 0; i < 1000; ++i) batch.add_subject_codes(codes[(i * 7919) % codes.size()]);

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
    auto stub = v1::CreditRegistry::NewStub(channel);
    grpc::CompletionQueue cq;
    int slots = outstanding / threads + (t < outstanding % threads ? 1 : 0);
    std::vector<Slot> pool(slots);
    uint64_t counter = static_cast<uint64_t>(t) << 40;
    auto issue = [&](Slot& slot) {
      slot.context = std::make_unique<grpc::ClientContext>();
      slot.context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      slot.start = Clock::now();
      ++counter;
      if (scenario == "status") {
        v1::GetCreditStatusRequest request;
        request.set_subject_code(codes[counter % codes.size()]);
        request.set_purpose("benchmark");
        slot.status_reader = stub->AsyncGetCreditStatus(slot.context.get(), request, &cq);
        slot.status_reader->Finish(&slot.status_response, &slot.status, &slot);
      } else if (scenario == "batch") {
        slot.batch_reader = stub->AsyncBatchGetCreditStatus(slot.context.get(), batch, &cq);
        slot.batch_reader->Finish(&slot.batch_response, &slot.status, &slot);
      } else {
        v1::RecordEntryRequest request;
        v1::Entry* e = request.mutable_entry();
        e->mutable_subject()->set_code(codes[counter % codes.size()]);
        e->mutable_subject()->set_name("基准测试有限公司");
        e->set_list(v1::BLACK);
        e->set_category("tax");
        e->set_facts("逃避缴纳税款");
        e->set_legal_basis("《税收征收管理法》第六十三条");
        e->set_authority("市税务局");
        e->set_document_number("税〔2026〕1号");
        e->set_decision_date("2026-01-10");
        e->set_effective_date("2026-01-15");
        e->set_expiry_date("2099-01-14");
        e->add_measure_codes("P-PROCUREMENT");
        request.set_request_id("bench-" + run_id + "-" + std::to_string(counter));
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
  if (scenario == "status") std::printf("response_bytes: %zu\n", response_bytes.load());
  if (server_pid > 0 && !all.empty()) {
    std::printf("server_cpu_us_per_call: %.1f\n",
                (after.cpu_seconds - before.cpu_seconds) * 1e6 / all.size());
    std::printf("server_rss_mib: %ld\n", after.rss_kib / 1024);
  }
  return errors.load() == 0 ? 0 : 1;
}

// The baseline: the same service, the same TLS, canned answers of the same size, no work.
class BaselineService final : public v1::CreditRegistry::Service {
 public:
  explicit BaselineService(size_t response_bytes) {
    status_.mutable_status()->mutable_subject()->set_code("91440300MA5FXXXX0U");
    status_.mutable_status()->mutable_subject()->set_name(std::string(response_bytes, 'x'));
    for (int i = 0; i < 1000; ++i) {
      batch_.add_results()->mutable_status()->mutable_subject()->set_code("91440300MA5FXXXX0U");
    }
  }
  grpc::Status GetCreditStatus(grpc::ServerContext*, const v1::GetCreditStatusRequest*,
                               v1::GetCreditStatusResponse* response) override {
    *response = status_;
    return grpc::Status::OK;
  }
  grpc::Status BatchGetCreditStatus(grpc::ServerContext*, const v1::BatchGetCreditStatusRequest*,
                                    v1::BatchGetCreditStatusResponse* response) override {
    *response = batch_;
    return grpc::Status::OK;
  }

 private:
  v1::GetCreditStatusResponse status_;
  v1::BatchGetCreditStatusResponse batch_;
};

int Baseline(const std::map<std::string, std::string>& flags) {
  grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  tls.pem_root_certs = ReadFile(Flag(flags, "--cacert"));
  tls.pem_key_cert_pairs.push_back(
      {ReadFile(Flag(flags, "--key")), ReadFile(Flag(flags, "--cert"))});
  BaselineService service(std::stoul(Flag(flags, "--response-bytes", "300")));
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), &port);
  builder.RegisterService(&service);
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
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: credit-bench load|baseline [--flag value ...] (see bench/README.md)\n";
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
  std::cerr << "credit-bench: unknown mode " << mode << "\n";
  return 2;
}
