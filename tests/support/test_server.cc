#include "tests/support/test_server.h"

#include <fcntl.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/log_check.h"

namespace credit::testing {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "test_server: " << message << std::endl;
  std::abort();
}

}  // namespace

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "credit-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) Die("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;  // a leftover temporary folder is no reason to fail a test
  fs::remove_all(path_, ignored);
}

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env) {
  TempDir io;
  std::string out_path = io.path() + "/out", err_path = io.path() + "/err";
  pid_t pid = fork();
  if (pid < 0) Die("fork failed");
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const std::string& e : env) putenv(const_cast<char*>(e.c_str()));
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadAll(out_path);
  result.err = ReadAll(err_path);
  return result;
}

CommandResult Creditctl(const TestServer& server, const std::string& identity,
                        const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> argv = {CREDITCTL_PATH,
                                   "--endpoint",
                                   server.endpoint(),
                                   "--cacert",
                                   DevPki().dir + "/ca.pem",
                                   "--cert",
                                   DevPki().dir + "/" + identity + ".pem",
                                   "--key",
                                   DevPki().dir + "/" + identity + ".key"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, env);
}

const Pki& DevPki() {
  // Made once per test process and removed at its exit (each ctest test is a process of its own:
  // a leaked folder per test added up to a thousand in /tmp).
  static TempDir root;
  static const Pki pki = [] {
    Pki p{root.path() + "/pki", root.path() + "/foreign"};
    for (const std::string& dir : {p.dir, p.foreign_dir}) {
      CommandResult r = RunCommand({"/bin/bash", DEV_PKI_SCRIPT, dir, "stranger"});
      if (r.exit_code != 0) Die("dev-pki.sh failed: " + r.err);
    }
    // Without the metrics endpoint (stopping its HTTP server costs each stop ~2 s): the tests
    // that scrape it add it (metrics_test.cc).
    std::string dev = ReadAll(p.dir + "/creditd.yaml");
    const std::string metrics = "metrics_listen: 127.0.0.1:0";
    if (size_t at = dev.find(metrics); at != std::string::npos) dev.replace(at, metrics.size(), "");
    std::ofstream(p.dir + "/creditd-at-once.yaml")
        << dev
        << "\n# Tests of everything but the listing procedure: listings take effect at once.\n"
           "procedure:\n  rules:\n    - approval_required: false\n      notice_days: 0\n";
    return p;
  }();
  return pki;
}

TestServer::TestServer() { Start(); }

TestServer::TestServer(std::vector<std::string> env, std::string config_file, bool test_clock)
    : env_(std::move(env)), config_file_(std::move(config_file)), test_clock_(test_clock) {
  Start();
}

bool TestServer::WaitForExit(absl::Duration timeout) {
  absl::Time give_up = absl::Now() + timeout;
  while (pid_ > 0 && absl::Now() < give_up) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pid_ <= 0;
}

TestServer::~TestServer() {
  if (pid_ > 0) Stop();
}

std::string TestServer::endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

ClientOptions TestServer::OptionsFor(const std::string& name) const {
  ClientOptions options;
  options.endpoint = endpoint();
  options.ca_file = DevPki().dir + "/ca.pem";
  options.cert_file = DevPki().dir + "/" + name + ".pem";
  options.key_file = DevPki().dir + "/" + name + ".key";
  options.deadline = absl::Seconds(20);
  return options;
}

std::unique_ptr<Client> TestServer::ClientAs(const std::string& name, int max_attempts) const {
  ClientOptions options = OptionsFor(name);
  options.max_attempts = max_attempts;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  if (!client.ok()) Die(std::string(client.status().message()));
  return *std::move(client);
}

void TestServer::Start() {
  std::string port_file = run_.path() + "/port";
  fs::remove(port_file);
  std::string log = log_file();
  log_start_ = ReadAll(log).size();
  // Before fork: the PKI must be made once, by this process, not by the child.
  std::string config = config_file_.empty() ? DevPki().dir + "/creditd-at-once.yaml" : config_file_;
  pid_ = fork();
  if (pid_ < 0) Die("fork failed");
  if (pid_ == 0) {
    int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(out, 1);
    dup2(out, 2);
    for (const std::string& e : env_) putenv(const_cast<char*>(e.c_str()));
    const std::string backups = backup_dir();
    std::vector<const char*> argv = {CREDITD_PATH,         "--config",       config.c_str(),
                                     "--listen",           "127.0.0.1:0",    "--data-dir",
                                     data_.path().c_str(), "--backup-dir",   backups.c_str(),
                                     "--port-file",        port_file.c_str()};
    if (test_clock_) argv.push_back("--test-clock");
    argv.push_back(nullptr);
    execv(CREDITD_PATH, const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  // Bounded wait: the port file appears once the server listens.
  absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (!fs::exists(port_file)) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      Die("creditd exited at start: " + ReadAll(log));
    }
    if (absl::Now() > give_up) Die("creditd did not listen within 20 s: " + ReadAll(log));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  port_ = std::stoi(ReadAll(port_file));

  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ReadAll(DevPki().dir + "/ca.pem");
  tls.pem_cert_chain = ReadAll(DevPki().dir + "/querier.pem");
  tls.pem_private_key = ReadAll(DevPki().dir + "/querier.key");
  auto stub =
      grpc::health::v1::Health::NewStub(grpc::CreateChannel(endpoint(), grpc::SslCredentials(tls)));
  while (true) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = stub->Check(&context, request, &response);
    if (status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING) break;
    if (absl::Now() > give_up) Die("creditd not healthy within 20 s: " + ReadAll(log));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

int TestServer::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  // Every log a test's server wrote is held to the logging rules.
  if (absl::Status log = CheckServerLog(log_file()); !log.ok()) ADD_FAILURE() << log.message();
  return status;
}

bool TestServer::AwaitEvent(const std::string& event, absl::Duration timeout) const {
  const std::string needle = absl::StrCat("\"event\":\"", event, "\"");
  const absl::Time give_up = absl::Now() + timeout;
  while (true) {
    const std::string log = ReadAll(log_file());
    if (log.size() > log_start_ && log.find(needle, log_start_) != std::string::npos) return true;
    if (absl::Now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void TestServer::Restart() {
  Stop();
  Start();
}

void TestServer::RestartWith(const std::function<void(const std::string& data_dir)>& change) {
  Stop();
  change(data_.path());
  Start();
}

v1::Entry SampleEntry(const std::string& code, const std::string& facts) {
  v1::Entry e;
  e.mutable_subject()->set_code(code);
  e.mutable_subject()->set_name("深圳某某科技有限公司");
  e.set_list(v1::LIST_KIND_BLACK);
  e.set_category("tax");
  e.set_facts(facts);
  e.set_legal_basis("《税收征收管理法》第六十三条");
  e.set_authority("市税务局");
  e.set_document_number("深税〔2026〕" + std::to_string(std::hash<std::string>()(facts)) + "号");
  e.set_decision_date("2026-01-10");
  e.set_effective_date("2026-01-15");
  e.set_expiry_date("2099-01-14");
  e.set_severity(v1::SEVERITY_GENERAL);
  return e;
}

std::string StatusSummary(const v1::CreditStatus& status) {
  std::string line;
  if (status.on_red_list()) line += "RED ";
  if (status.on_black_list()) line += "BLACK ";
  if (status.on_watch_list()) line += "WATCH ";
  line += "|";
  for (const v1::ApplicableMeasure& measure : status.measures()) {
    absl::StrAppend(&line, " ", measure.measure().code(), ":",
                    absl::StrJoin(measure.entry_ids(), ","));
  }
  return line;
}

int ExpectIndexMatchesStorage(Client& querier, const std::vector<std::string>& codes) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    v1::BatchGetCreditStatusRequest batch;
    batch.set_purpose("index check");
    for (const std::string& code : codes) batch.add_subject_codes(code);
    absl::StatusOr<v1::BatchGetCreditStatusResponse> basic = querier.BatchGetCreditStatus(batch);
    if (!basic.ok()) {
      ADD_FAILURE() << basic.status();
      return 0;
    }
    std::vector<v1::GetCreditStatusResponse> full;
    bool moved = false;
    for (const std::string& code : codes) {
      v1::GetCreditStatusRequest request;
      request.set_subject_code(code);
      request.set_purpose("index check");
      request.set_view(v1::STATUS_VIEW_FULL);
      absl::StatusOr<v1::GetCreditStatusResponse> answer = querier.GetCreditStatus(request);
      if (!answer.ok()) {
        ADD_FAILURE() << answer.status();
        return 0;
      }
      moved |= answer->tree_head().tree_size() != basic->tree_head().tree_size();
      full.push_back(*std::move(answer));
    }
    if (moved) continue;  // a change came between the reads: read both again
    int listed = 0;
    for (size_t i = 0; i < codes.size(); ++i) {
      const v1::SubjectStatusResult& result = basic->results(static_cast<int>(i));
      EXPECT_TRUE(result.has_status()) << codes[i];
      EXPECT_EQ(StatusSummary(result.status()), StatusSummary(full[i].status())) << codes[i];
      const v1::CreditStatus& status = result.status();
      if (status.on_red_list() || status.on_black_list() || status.on_watch_list()) ++listed;
    }
    return listed;
  }
  ADD_FAILURE() << "the log moved between the BASIC and FULL reads five times in a row";
  return 0;
}

}  // namespace credit::testing
