// Certificates that must not get in: an expired one, and an identity revoked from the
// configuration — applied on SIGHUP, without a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

absl::Status AskStatus(const ClientOptions& options) {
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  if (!client.ok()) return client.status();
  v1::GetCreditStatusRequest request;
  request.set_subject_code("91440300MA5FXXXX0U");
  request.set_purpose("安全测试");
  return (*client)->GetCreditStatus(request).status();
}

TEST(RevocationTest, AnExpiredCertificateFailsTheHandshake) {
  TestServer server;
  CommandResult made = RunCommand({"/bin/bash", MAKE_EXPIRED_CERT, DevPki().dir, "querier"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  ClientOptions options = server.OptionsFor("querier");
  options.max_attempts = 1;
  EXPECT_TRUE(AskStatus(options).ok());
  options.cert_file = DevPki().dir + "/querier-expired.pem";
  options.key_file = DevPki().dir + "/querier-expired.key";
  EXPECT_EQ(AskStatus(options).code(), absl::StatusCode::kUnavailable);
}

// gRPC shows only the first common name: a certificate with two ("querier" then "admin") must
// not be taken for the first, and one with none must not become the identity "".
TEST(RevocationTest, ACertificateWithoutExactlyOneCommonNameIsUnauthenticated) {
  TestServer server;
  struct Case {
    std::string name, subject, message;
  };
  const Case cases[] = {
      {"two-cns", "/O=Credit Registry dev/CN=querier/CN=admin",
       "the client certificate's subject has more than one common name (CN), want exactly one: "
       "the identity it names"},
      {"no-cn", "/O=Credit Registry dev",
       "the client certificate's subject has no common name (CN), want exactly one: the identity "
       "it names"},
  };
  for (const Case& c : cases) {
    CommandResult made = RunCommand({"/bin/bash", MAKE_CN_CERT, DevPki().dir, c.name, c.subject});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    ClientOptions options = server.OptionsFor("querier");
    options.max_attempts = 1;
    options.cert_file = DevPki().dir + "/" + c.name + ".pem";
    options.key_file = DevPki().dir + "/" + c.name + ".key";
    absl::Status s = AskStatus(options);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << c.name << ": " << s;
    EXPECT_EQ(s.message(), c.message);
  }
}

TEST(RevocationTest, ARevokedIdentityIsRefusedAfterReloadWithoutRestart) {
  // A configuration of our own beside the dev one (its relative paths still resolve).
  std::string config = DevPki().dir + "/reload-test.yaml";
  std::ifstream in(DevPki().dir + "/creditd.yaml");
  std::stringstream original;
  original << in.rdbuf();
  std::ofstream(config) << original.str();
  TestServer server({}, config);
  pid_t pid = server.pid();

  ClientOptions querier = server.OptionsFor("querier");
  querier.max_attempts = 1;
  ASSERT_TRUE(AskStatus(querier).ok());

  // Take the querier out and tell the server.
  std::string text = original.str();
  size_t at = text.find("  querier:\n");
  ASSERT_NE(at, std::string::npos);
  text.erase(at, text.find("  auditor:\n") - at);
  std::ofstream(config) << text;
  kill(pid, SIGHUP);
  absl::Status status;
  for (int i = 0; i < 100; ++i) {  // bounded: 5 s
    status = AskStatus(querier);
    if (status.code() == absl::StatusCode::kPermissionDenied) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), "identity querier is not configured on this server");
  EXPECT_EQ(server.pid(), pid);  // the same process: no restart
  ClientOptions auditor = server.OptionsFor("auditor");
  EXPECT_TRUE(AskStatus(auditor).ok());

  // A broken configuration is refused and the identities in force stay.
  std::ofstream(config) << "identities: [not, a, map";
  kill(pid, SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(AskStatus(auditor).ok());
  std::filesystem::remove(config);
}

// An identity listed twice would leave its roles to the order of the file: the configuration is
// refused at start, and on reload the identities in force stay.
TEST(RevocationTest, AConfigurationListingAnIdentityTwiceIsRefused) {
  std::string config = DevPki().dir + "/duplicate-test.yaml";
  std::ifstream in(DevPki().dir + "/creditd.yaml");
  std::stringstream original;
  original << in.rdbuf();
  // The querier again, as admin, and no auditor: if this loaded, the auditor would be refused.
  std::string duplicated = original.str();
  const std::string auditor_block =
      "  auditor:\n    department: 市纪委监委\n    roles: [auditor]\n    unmask: true\n";
  size_t at = duplicated.find(auditor_block);
  ASSERT_NE(at, std::string::npos);
  duplicated.replace(at, auditor_block.size(),
                     "  querier: {department: 市财政局, roles: [admin]}\n");

  std::ofstream(config) << duplicated;
  TempDir data;
  CommandResult start = RunCommand(
      {CREDITD_PATH, "--config", config, "--data-dir", data.path(), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(start.exit_code, 1);
  EXPECT_EQ(start.err, "creditd: " + config +
                           ": identities.querier: want each identity once (it is listed "
                           "twice)\n");

  std::ofstream(config) << original.str();
  TestServer server({}, config);
  ClientOptions auditor = server.OptionsFor("auditor");
  auditor.max_attempts = 1;
  ASSERT_TRUE(AskStatus(auditor).ok());
  std::ofstream(config) << duplicated;
  kill(server.pid(), SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(AskStatus(auditor).ok());
  std::filesystem::remove(config);
}

}  // namespace
}  // namespace credit::testing
