#include "service/config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

using ::testing::HasSubstr;

std::string Write(const TempDir& dir, const std::string& text) {
  std::string path = dir.path() + "/creditd.yaml";
  std::ofstream(path) << text;
  return path;
}

constexpr char kMinimal[] = R"(
tls: {ca: ca.pem, cert: server.pem, key: server.key}
identities:
  q: {department: 市财政局, roles: [querier]}
)";

TEST(LoadConfigTest, TheDevelopmentConfigurationLoads) {
  absl::StatusOr<Config> config = LoadConfig(DevPki().dir + "/creditd.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen, "127.0.0.1:50051");
  EXPECT_EQ(config->utc_offset_hours, 8);
  EXPECT_EQ(config->tls.ca_file, DevPki().dir + "/ca.pem");
  ASSERT_EQ(config->identities.size(), 5u);
  const Caller& querier = config->identities.at("querier");
  EXPECT_EQ(querier.department, "市财政局");
  EXPECT_TRUE(querier.Has(Role::kQuerier));
  EXPECT_FALSE(querier.Has(Role::kRecorder));
  EXPECT_FALSE(querier.can_unmask);
  EXPECT_TRUE(config->identities.at("auditor").can_unmask);
  int punishments = 0, incentives = 0;
  for (const auto& m : config->seed_measures) {
    (m.kind() == registry::v1::PUNISHMENT ? punishments : incentives)++;
    EXPECT_FALSE(m.departments().empty()) << m.code();
    EXPECT_FALSE(m.legal_basis().empty()) << m.code();
  }
  EXPECT_GE(punishments, 8);
  EXPECT_GE(incentives, 4);
}

TEST(LoadConfigTest, RelativePathsAreRelativeToTheFile) {
  TempDir dir;
  absl::StatusOr<Config> config = LoadConfig(Write(dir, std::string(kMinimal) + "data_dir: d\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->data_dir, dir.path() + "/d");
  EXPECT_EQ(config->tls.key_file, dir.path() + "/server.key");
}

TEST(LoadConfigTest, ErrorsNameTheFileAndTheKey) {
  TempDir dir;
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"identities: {q: {department: d, roles: [querier]}}\n",
       ": tls: want a map with ca, cert and key"},
      {"tls: {ca: a, cert: b}\nidentities: {q: {department: d, roles: [querier]}}\n",
       ": tls.key: want a value (it is missing)"},
      {"tls: {ca: a, cert: b, key: c}\nidentities: {q: {department: d, roles: [root]}}\n",
       ": identities.q.roles[0]: want one of querier, recorder, approver, auditor, admin"},
      {std::string(kMinimal) + "utc_offset_hours: eight\n",
       ": utc_offset_hours: want a whole number of hours, e.g. 8"},
      {std::string(kMinimal) + "measures: [{code: P-X, name: n, kind: fine, departments: [d], "
                               "legal_basis: b}]\n",
       ": measures[0].kind: want punishment or incentive"},
      {std::string(kMinimal) + "measures: [{code: p x, name: n, kind: punishment, "
                               "departments: [d], legal_basis: b}]\n",
       ": measures[0].code: got \"p x\", want 1 to 32 characters of A-Z, 0-9, '-' and '_'"},
  };
  for (const Case& c : cases) {
    std::string path = Write(dir, c.text);
    absl::StatusOr<Config> config = LoadConfig(path);
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_EQ(config.status().message(), path + c.message) << c.text;
  }
}

// Two entries for one certificate name would leave its roles to the order of the file.
TEST(LoadConfigTest, AnIdentityListedTwiceIsRefused) {
  TempDir dir;
  std::string path = Write(dir, R"(
tls: {ca: ca.pem, cert: server.pem, key: server.key}
identities:
  q: {department: 市财政局, roles: [querier]}
  q: {department: 市中小企业局, roles: [recorder]}
)");
  absl::StatusOr<Config> config = LoadConfig(path);
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(),
            path + ": identities.q: want each identity once (it is listed twice)");
}

TEST(LoadConfigTest, CallsPerIdentityAreBoundedByDefaultAndPerIdentity) {
  TempDir dir;
  absl::StatusOr<Config> config = LoadConfig(Write(dir, kMinimal));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->limits.max_calls_per_identity, 128);
  EXPECT_EQ(config->identities.at("q").max_calls, 0);
  config = LoadConfig(Write(dir, R"(
tls: {ca: ca.pem, cert: server.pem, key: server.key}
limits: {max_calls_per_identity: 16}
identities:
  q: {department: 市财政局, roles: [querier], max_calls: 4}
)"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->limits.max_calls_per_identity, 16);
  EXPECT_EQ(config->identities.at("q").max_calls, 4);
  std::string path = Write(dir, R"(
tls: {ca: ca.pem, cert: server.pem, key: server.key}
identities:
  q: {department: 市财政局, roles: [querier], max_calls: 0}
)");
  EXPECT_EQ(LoadConfig(path).status().message(),
            path + ": identities.q.max_calls: want a whole number from 1 to 4096");
}

TEST(LoadConfigTest, MissingFileIsNotFound) {
  absl::StatusOr<Config> config = LoadConfig("/nonexistent/creditd.yaml");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(config.status().message(), HasSubstr("cannot read the configuration file"));
}

}  // namespace
}  // namespace credit::testing
