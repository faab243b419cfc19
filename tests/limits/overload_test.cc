// More clients than the server's limits allow, on loopback for a bounded time: the server keeps
// answering health checks and lookups (they run on gRPC's own threads, and wait their turn), sheds
// the calls that wait beyond limits.max_threads with RESOURCE_EXHAUSTED (nothing else), and its
// memory stays bounded; oversized messages are refused without harm.
#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

// A client of `server` as `name` whose connection is up (one cheap call answered, bounded): a
// flood that starts before its TLS handshake has finished can see the channel's first failed
// attempt, and then fails fast through its whole loop.
std::unique_ptr<Client> ConnectedClient(const TestServer& server, const std::string& name) {
  std::unique_ptr<Client> client = server.ClientAs(name, /*max_attempts=*/10);
  EXPECT_TRUE(client->GetSigningKey().ok()) << name << " could not connect";
  return client;
}

// Some calls answered and some shed, and no other code (naming the first message of any other).
void ExpectAnsweredAndShedOnly(std::map<absl::StatusCode, int>& codes,
                               std::map<absl::StatusCode, std::string>& first_message,
                               const std::string& what) {
  EXPECT_GT(codes[absl::StatusCode::kOk], 0) << what;
  EXPECT_GT(codes[absl::StatusCode::kResourceExhausted], 0) << "no " << what << " was shed";
  for (const auto& [code, count] : codes) {
    EXPECT_TRUE(code == absl::StatusCode::kOk || code == absl::StatusCode::kResourceExhausted)
        << count << " " << what << " ended with " << absl::StatusCodeToString(code)
        << ", the first: " << first_message[code];
  }
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

long RssKib(pid_t pid) {
  std::string status = Read("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find("VmRSS:");
  return at == std::string::npos ? -1 : std::atol(status.c_str() + at + 6);
}

class OverloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The dev configuration with a deliberately small thread limit.
    config_ = DevPki().dir + "/overload-test.yaml";
    std::ofstream(config_) << Read(DevPki().dir + "/creditd-at-once.yaml")
                           << "limits:\n  max_threads: 4\n  max_receive_message_bytes: 65536\n";
    server_ = std::make_unique<TestServer>(std::vector<std::string>{}, config_);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove(config_);
  }

  std::string config_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(OverloadTest, ShedsExcessCallsAndKeepsAnsweringHealthChecks) {
  v1::BatchGetCreditStatusRequest batch;
  batch.set_purpose("压力测试");
  batch.set_view(v1::STATUS_VIEW_BASIC);  // FULL answers run on the workers, as recordings do
  for (int i = 0; i < 1000; ++i) batch.add_subject_codes("91440300MA5FXXXX0U");

  // Half the clients look up batches, half record (each recording waits for its synced write on
  // one of the 4 workers the limit allows).
  std::mutex mu;
  std::map<absl::StatusCode, int> lookup_codes, record_codes;
  std::map<absl::StatusCode, std::string> first_message;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < 48; ++c) {
    clients.emplace_back([&, c] {
      std::unique_ptr<Client> client =
          ConnectedClient(*server_, c % 2 == 0 ? "querier" : "recorder");
      for (int i = 0; i < 2000 && !stop; ++i) {  // bounded twice: count and time
        if (c % 2 == 0) {
          absl::Status s = client->BatchGetCreditStatus(batch).status();
          std::lock_guard lock(mu);
          ++lookup_codes[s.code()];
          first_message.try_emplace(s.code(), s.message());
        } else {
          v1::RecordEntryRequest record;
          // Another subject than the batches': their answers keep their size.
          *record.mutable_entry() = SampleEntry(
              "91350200MA2Y9J3T80", "事实 " + std::to_string(c) + "-" + std::to_string(i));
          absl::Status s = client->RecordEntry(record).status();
          std::lock_guard lock(mu);
          ++record_codes[s.code()];
          first_message.try_emplace(s.code(), s.message());
        }
      }
    });
  }

  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = Read(DevPki().dir + "/ca.pem");
  tls.pem_cert_chain = Read(DevPki().dir + "/auditor.pem");
  tls.pem_private_key = Read(DevPki().dir + "/auditor.key");
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(server_->endpoint(), grpc::SslCredentials(tls)));
  int healthy = 0, unhealthy = 0;
  long max_rss = 0;
  absl::Time end = absl::Now() + absl::Seconds(4);
  while (absl::Now() < end) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status s = health->Check(&context, {}, &response);
    (s.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? healthy
                                                                                   : unhealthy)++;
    max_rss = std::max(max_rss, RssKib(server_->pid()));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop = true;
  for (auto& t : clients) t.join();

  EXPECT_GE(healthy, 20);
  EXPECT_EQ(unhealthy, 0);
  EXPECT_GT(lookup_codes[absl::StatusCode::kOk], 0);
  for (const auto& [code, count] : lookup_codes) {
    EXPECT_EQ(code, absl::StatusCode::kOk)
        << count << " lookups ended with " << absl::StatusCodeToString(code)
        << ", the first: " << first_message[code];
  }
  ExpectAnsweredAndShedOnly(record_codes, first_message, "recording");
  EXPECT_LT(max_rss, 512 * 1024) << "server RSS " << max_rss << " KiB";
  std::cout << "overload: " << lookup_codes[absl::StatusCode::kOk] << " batches answered, "
            << record_codes[absl::StatusCode::kOk] << " recordings answered and "
            << record_codes[absl::StatusCode::kResourceExhausted] << " shed, " << healthy
            << " health checks answered, peak RSS " << max_rss / 1024 << " MiB\n";
}

// FULL answers read whole entries from storage and can be large (here 200 codes of a subject
// with 40 entries in force: ~6 MB each): they run on the 4 workers, so at most 4 are built at
// once and the rest are shed, and memory stays bounded.
TEST_F(OverloadTest, FullAnswersAreBuiltByTheBoundedWorkers) {
  v1::ImportEntriesRequest import;
  for (int i = 0; i < 40; ++i) {
    *import.add_entries() = SampleEntry("91440300MA5FXXXX0U", "事实 " + std::to_string(i));
  }
  ASSERT_TRUE(server_->ClientAs("recorder")->ImportEntries(import).ok());
  v1::BatchGetCreditStatusRequest batch;
  batch.set_purpose("压力测试");
  batch.set_view(v1::STATUS_VIEW_FULL);
  for (int i = 0; i < 200; ++i) batch.add_subject_codes("91440300MA5FXXXX0U");

  std::mutex mu;
  std::map<absl::StatusCode, int> codes;
  std::map<absl::StatusCode, std::string> first_message;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < 32; ++c) {
    clients.emplace_back([&] {
      std::unique_ptr<Client> client = ConnectedClient(*server_, "querier");
      for (int i = 0; i < 2000 && !stop; ++i) {  // bounded twice: count and time
        absl::Status s = client->BatchGetCreditStatus(batch).status();
        std::lock_guard lock(mu);
        ++codes[s.code()];
        first_message.try_emplace(s.code(), s.message());
      }
    });
  }
  long max_rss = 0;
  for (absl::Time end = absl::Now() + absl::Seconds(4); absl::Now() < end;) {
    max_rss = std::max(max_rss, RssKib(server_->pid()));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop = true;
  for (auto& t : clients) t.join();
  ExpectAnsweredAndShedOnly(codes, first_message, "FULL batch");
  EXPECT_LT(max_rss, 512 * 1024) << "server RSS " << max_rss << " KiB";
  std::cout << "full answers: " << codes[absl::StatusCode::kOk] << " answered, "
            << codes[absl::StatusCode::kResourceExhausted] << " shed, peak RSS " << max_rss / 1024
            << " MiB\n";
}

TEST_F(OverloadTest, AnOversizedMessageIsRefusedWithoutHarm) {
  v1::BatchGetCreditStatusRequest huge;
  huge.set_purpose("x");
  huge.add_subject_codes(std::string(100000, '9'));
  std::unique_ptr<Client> client = server_->ClientAs("querier");
  absl::Status s = client->BatchGetCreditStatus(huge).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  v1::GetCreditStatusRequest normal;
  normal.set_subject_code("91440300MA5FXXXX0U");
  normal.set_purpose("x");
  EXPECT_TRUE(client->GetCreditStatus(normal).ok());
}

// One identity's flood (48 connections looping point-in-time lookups) takes at most its share of
// the handlers: another identity's lookups are all answered, and the flood's excess is refused
// with RESOURCE_EXHAUSTED naming the identity.
TEST(PerIdentityLimitTest, OneIdentityCannotStarveTheOthers) {
  std::string config = DevPki().dir + "/per-identity-test.yaml";
  std::ofstream(config) << Read(DevPki().dir + "/creditd-at-once.yaml")
                        << "limits:\n  max_threads: 32\n  max_calls_per_identity: 8\n";
  TestServer server(std::vector<std::string>{}, config);
  std::filesystem::remove(config);
  // 300 entries of the subject make each point-in-time answer build 300 proofs: calls that last.
  v1::ImportEntriesRequest import;
  for (int i = 0; i < 300; ++i) {
    *import.add_entries() = SampleEntry("91440300MA5FXXXX0U", "事实 " + std::to_string(i));
  }
  ASSERT_TRUE(server.ClientAs("recorder")->ImportEntries(import).ok());

  std::mutex mu;
  std::map<absl::StatusCode, int> codes;
  int identity_refusals = 0;
  std::atomic<bool> stop{false};
  std::vector<std::thread> flood;
  for (int c = 0; c < 48; ++c) {
    flood.emplace_back([&] {
      std::unique_ptr<Client> client = server.ClientAs("querier");
      v1::GetCreditStatusAtRequest request;
      request.set_subject_code("91440300MA5FXXXX0U");
      request.set_purpose("压力测试");
      request.set_tree_size(300);
      for (int i = 0; i < 5000 && !stop; ++i) {  // bounded twice: count and time
        absl::Status s = client->GetCreditStatusAt(request).status();
        std::lock_guard lock(mu);
        ++codes[s.code()];
        if (s.message() ==
            "identity querier has 8 calls in flight, its limit: retry when one has ended") {
          ++identity_refusals;
        }
      }
    });
  }
  std::unique_ptr<Client> auditor = server.ClientAs("auditor");
  v1::GetCreditStatusRequest lookup;
  lookup.set_subject_code("91440300MA5FXXXX0U");
  lookup.set_purpose("纪检调查");
  lookup.set_view(v1::STATUS_VIEW_BASIC);
  std::map<absl::StatusCode, int> auditor_codes;
  for (int i = 0; i < 30; ++i) {
    ++auditor_codes[auditor->GetCreditStatus(lookup).status().code()];
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop = true;
  for (auto& t : flood) t.join();

  EXPECT_EQ(auditor_codes[absl::StatusCode::kOk], 30);
  EXPECT_GT(codes[absl::StatusCode::kOk], 0);
  EXPECT_GT(identity_refusals, 0);
  for (const auto& [code, count] : codes) {
    EXPECT_TRUE(code == absl::StatusCode::kOk || code == absl::StatusCode::kResourceExhausted)
        << count << " calls ended with " << absl::StatusCodeToString(code);
  }
  std::cout << "flood: " << codes[absl::StatusCode::kOk] << " answered, " << identity_refusals
            << " refused by the identity's limit, "
            << codes[absl::StatusCode::kResourceExhausted] - identity_refusals
            << " shed by the worker limit\n";
}

}  // namespace
}  // namespace credit::testing
