// What deployments rely on, against the real creditd: the server's certificate renewed under a
// running server reaches new connections without a restart (tls.reload_seconds); the plaintext
// health port serves grpc.health.v1 and nothing else (health_listen).
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "credit/registry/v1/registry.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

// Whether a new connection that trusts only the CA `ca_file` completes a call as the querier.
bool CallsThrough(const TestServer& server, const std::string& ca_file) {
  ClientOptions options = server.OptionsFor("querier");
  options.ca_file = ca_file;
  options.deadline = absl::Seconds(3);
  options.max_attempts = 1;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  if (!client.ok()) return false;
  return (*client)->GetSigningKey().ok();
}

TEST(TlsRotationTest, ARenewedServerCertificateIsServedWithoutARestart) {
  namespace fs = std::filesystem;
  // The server's certificate and key in a folder of their own, read again every second.
  TempDir tls;
  fs::copy_file(DevPki().dir + "/server.pem", tls.path() + "/server.pem");
  fs::copy_file(DevPki().dir + "/server.key", tls.path() + "/server.key");
  const std::string config = DevPki().dir + "/rotating.yaml";
  std::ofstream(config) << absl::StrReplaceAll(
      ReadAll(DevPki().dir + "/creditd-at-once.yaml"),
      {{"  cert: server.pem", "  cert: " + tls.path() + "/server.pem"},
       {"  key: server.key", "  key: " + tls.path() + "/server.key\n  reload_seconds: 1"}});
  TestServer server({}, config);
  const std::string dev_ca = DevPki().dir + "/ca.pem";
  const std::string other_ca = DevPki().foreign_dir + "/ca.pem";
  ASSERT_TRUE(CallsThrough(server, dev_ca));
  ASSERT_FALSE(CallsThrough(server, other_ca));

  // The renewal: a certificate from the other CA, each file written beside and renamed over.
  for (const char* name : {"server.key", "server.pem"}) {
    fs::copy_file(DevPki().foreign_dir + "/" + name, tls.path() + "/" + name + ".new");
    fs::rename(tls.path() + "/" + name + ".new", tls.path() + "/" + name);
  }
  bool renewed = false;
  for (int i = 0; i < 40 && !renewed; ++i) {  // up to ~20 s: the files are read every second
    renewed = CallsThrough(server, other_ca);
    if (!renewed) absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_TRUE(renewed) << "the renewed certificate was not served";
  EXPECT_FALSE(CallsThrough(server, dev_ca));
  // The same process throughout, and clients are still verified against the configured CA.
  EXPECT_EQ(kill(server.pid(), 0), 0);
  ClientOptions stranger = server.OptionsFor("querier");
  stranger.ca_file = other_ca;
  stranger.cert_file = DevPki().foreign_dir + "/querier.pem";
  stranger.key_file = DevPki().foreign_dir + "/querier.key";
  stranger.max_attempts = 1;
  absl::StatusOr<std::unique_ptr<Client>> foreign_client = Client::Connect(stranger);
  ASSERT_TRUE(foreign_client.ok());
  EXPECT_FALSE((*foreign_client)->GetSigningKey().ok());
  fs::remove(config);
}

TEST(HealthPortTest, ServesTheHealthServiceAloneWithoutACertificate) {
  const std::string config = DevPki().dir + "/health.yaml";
  std::ofstream(config) << ReadAll(DevPki().dir + "/creditd-at-once.yaml")
                        << "\nhealth_listen: 127.0.0.1:0\n";
  TestServer server({}, config);
  std::smatch port;
  const std::string log = ReadAll(server.log_file());
  ASSERT_TRUE(std::regex_search(
      log, port,
      std::regex(
          R"re("event":"health_listening","message":"plaintext grpc\.health\.v1 on 127\.0\.0\.1:(\d+)")re")))
      << log;
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel("127.0.0.1:" + port[1].str(), grpc::InsecureChannelCredentials());

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckResponse health;
  grpc::Status checked = grpc::health::v1::Health::NewStub(channel)->Check(
      &context, grpc::health::v1::HealthCheckRequest(), &health);
  ASSERT_TRUE(checked.ok()) << checked.error_message();
  EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  // The registry is not there: only behind TLS with a client certificate.
  grpc::ClientContext other;
  other.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::GetSigningKeyResponse key;
  grpc::Status refused = v1::CreditRegistryService::NewStub(channel)->GetSigningKey(
      &other, v1::GetSigningKeyRequest(), &key);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  std::filesystem::remove(config);
}

}  // namespace
}  // namespace credit::testing
