#include "service/config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>

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
    (m.kind() == registry::v1::MEASURE_KIND_PUNISHMENT ? punishments : incentives)++;
    EXPECT_FALSE(m.departments().empty()) << m.code();
    EXPECT_FALSE(m.legal_basis().empty()) << m.code();
  }
  EXPECT_GE(punishments, 8);
  EXPECT_GE(incentives, 4);
  EXPECT_EQ(config->metrics_listen, "127.0.0.1:0");
  EXPECT_TRUE(config->access_log);
}

// The example that documents every key loads as it is, with the values it states.
TEST(LoadConfigTest, TheExampleConfigurationLoads) {
  absl::StatusOr<Config> config = LoadConfig(CREDIT_SOURCE_DIR "/deploy/creditd.example.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen, "0.0.0.0:50051");
  EXPECT_EQ(config->data_dir, "/var/lib/credit-registry/data");
  EXPECT_EQ(config->backup_dir, "/var/lib/credit-registry/backups");
  EXPECT_EQ(config->signing_key_file, "/var/lib/credit-registry/tree-head-signing.key");
  EXPECT_EQ(config->metrics_listen, "127.0.0.1:9464");
  EXPECT_TRUE(config->access_log);
  EXPECT_EQ(config->tls.key_file, "/etc/credit-registry/server.key");
  EXPECT_EQ(config->limits.max_calls_per_identity, 128);
  EXPECT_EQ(config->limits.memory_budget_bytes, 1ll << 30);
  ASSERT_EQ(config->identities.size(), 6u);
  EXPECT_TRUE(config->identities.at("court-enforcement").can_read_facts);
  EXPECT_EQ(config->identities.at("czj-procurement-system").max_calls, 512);
  EXPECT_EQ(config->seed_measures.size(), 2u);
  EXPECT_EQ(config->procedure.sweep_interval, absl::Seconds(60));
}

// The Kubernetes manifests agree with each other and with the image: the configuration in the
// ConfigMap loads, its health port is the one the probes ask, its data folder lies on the volume
// claim, and the pod runs as the image's user.
TEST(LoadConfigTest, TheKubernetesManifestsAgree) {
  const std::string dir = CREDIT_SOURCE_DIR "/deploy/kubernetes/";
  YAML::Node map = YAML::LoadFile(dir + "configmap.yaml");
  TempDir temp;
  absl::StatusOr<Config> config =
      LoadConfig(Write(temp, map["data"]["creditd.yaml"].as<std::string>()));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->health_listen, "0.0.0.0:8081");
  EXPECT_EQ(config->tls.cert_file, "/etc/credit-registry/tls/server.pem");
  EXPECT_EQ(config->tls.reload_seconds, 60);
  EXPECT_EQ(config->identities.size(), 5u);

  YAML::Node pod = YAML::LoadFile(dir + "statefulset.yaml")["spec"]["template"]["spec"];
  const YAML::Node container = pod["containers"][0];
  EXPECT_EQ(container["readinessProbe"]["grpc"]["port"].as<int>(), 8081);
  EXPECT_EQ(container["livenessProbe"]["grpc"]["port"].as<int>(), 8081);
  std::map<std::string, std::string> mounts;
  for (const YAML::Node& mount : container["volumeMounts"]) {
    mounts[mount["name"].as<std::string>()] = mount["mountPath"].as<std::string>();
  }
  EXPECT_EQ(mounts["data"], "/var/lib/credit-registry");
  EXPECT_EQ(config->data_dir.rfind(mounts["data"] + "/", 0), 0u) << config->data_dir;
  EXPECT_EQ(config->backup_dir.rfind(mounts["data"] + "/", 0), 0u) << config->backup_dir;
  EXPECT_EQ(config->tls.key_file.rfind(mounts["tls"] + "/", 0), 0u) << config->tls.key_file;
  EXPECT_EQ(pod["securityContext"]["runAsUser"].as<int>(), 10001);
  const std::string text = ReadAll(CREDIT_SOURCE_DIR "/deploy/Containerfile");
  EXPECT_THAT(text, HasSubstr("\nUSER 10001:10001\n"));
  EXPECT_THAT(text, HasSubstr("\nVOLUME /var/lib/credit-registry\n"));
}

TEST(LoadConfigTest, HealthPortAndCertificateReloadAreConfigured) {
  TempDir dir;
  absl::StatusOr<Config> config = LoadConfig(Write(dir, kMinimal));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->health_listen, "");
  EXPECT_EQ(config->tls.reload_seconds, 60);
  std::string with = std::string(kMinimal) + "health_listen: 127.0.0.1:8081\n";
  const size_t key = with.find("key: server.key}");
  ASSERT_NE(key, std::string::npos);
  with.insert(key + 15, ", reload_seconds: 5");
  config = LoadConfig(Write(dir, with));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->health_listen, "127.0.0.1:8081");
  EXPECT_EQ(config->tls.reload_seconds, 5);
  with.replace(with.find("reload_seconds: 5"), 17, "reload_seconds: 0");
  config = LoadConfig(Write(dir, with));
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(),
              HasSubstr("tls.reload_seconds: want a whole number of seconds from 1 to 86400"));
}

TEST(LoadConfigTest, AccessLogAndMetricsAreOptional) {
  TempDir dir;
  absl::StatusOr<Config> config = LoadConfig(Write(dir, kMinimal));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->access_log);
  EXPECT_EQ(config->metrics_listen, "");
  config = LoadConfig(Write(dir, std::string(kMinimal) + "access_log: false\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->access_log);
  absl::Status bad =
      LoadConfig(Write(dir, std::string(kMinimal) + "access_log: sometimes\n")).status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.message()), ::testing::HasSubstr("access_log: want true or false"));
}

TEST(LoadConfigTest, TheFactsRightIsPerIdentity) {
  TempDir dir;
  absl::StatusOr<Config> config = LoadConfig(Write(dir, R"(
tls: {ca: ca.pem, cert: server.pem, key: server.key}
identities:
  court: {department: 市中级人民法院, roles: [querier], facts: true}
  q: {department: 市财政局, roles: [querier]}
)"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->identities.at("court").can_read_facts);
  EXPECT_FALSE(config->identities.at("q").can_read_facts);
  EXPECT_TRUE(MayReadFacts(config->identities.at("court")));
  EXPECT_FALSE(MayReadFacts(config->identities.at("q")));
  absl::StatusOr<Config> bad = LoadConfig(Write(dir, R"(
tls: {ca: ca.pem, cert: server.pem, key: server.key}
identities:
  q: {department: 市财政局, roles: [querier], facts: yes}
)"));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("identities.q.facts"));
}

TEST(LoadConfigTest, TheProcedureDefaultsFollowTheRules) {
  TempDir dir;
  absl::StatusOr<Config> config = LoadConfig(Write(dir, kMinimal));
  ASSERT_TRUE(config.ok()) << config.status();
  const ProcedureRules& rules = config->procedure;
  EXPECT_EQ(rules.default_severity, registry::v1::SEVERITY_GENERAL);
  EXPECT_TRUE(rules.objection_keeps_measures);
  ListingRule black =
      rules.RuleFor(registry::v1::LIST_KIND_BLACK, registry::v1::SEVERITY_SERIOUS, "tax");
  EXPECT_TRUE(black.approval_required);
  EXPECT_EQ(black.notice_days, 5);
  EXPECT_EQ(black.min_publication_days, 365);
  EXPECT_EQ(black.max_publication_days, 1095);
  ListingRule minor =
      rules.RuleFor(registry::v1::LIST_KIND_WATCH, registry::v1::SEVERITY_MINOR, "tax");
  EXPECT_EQ(minor.max_publication_days, 0);  // in principle not published
  EXPECT_EQ(rules.RuleFor(registry::v1::LIST_KIND_RED, registry::v1::SEVERITY_UNSPECIFIED, "")
                .notice_days,
            0);
}

TEST(LoadConfigTest, ProcedureRulesApplyInOrderAndStayWithinTheLaw) {
  TempDir dir;
  absl::StatusOr<Config> config = LoadConfig(Write(dir, std::string(kMinimal) + R"(
procedure:
  default_severity: serious
  objection_keeps_measures: false
  sweep_interval_seconds: 30
  rules:
    - {list: red, approval_required: false}
    - {severity: minor, max_publication_days: 90}
    - {category: court-judgment-debtor, repairable: false, notice_days: 10}
)"));
  ASSERT_TRUE(config.ok()) << config.status();
  const ProcedureRules& rules = config->procedure;
  EXPECT_EQ(rules.default_severity, registry::v1::SEVERITY_SERIOUS);
  EXPECT_FALSE(rules.objection_keeps_measures);
  EXPECT_EQ(rules.sweep_interval, absl::Seconds(30));
  EXPECT_FALSE(rules.RuleFor(registry::v1::LIST_KIND_RED, registry::v1::SEVERITY_UNSPECIFIED, "x")
                   .approval_required);
  EXPECT_EQ(rules.RuleFor(registry::v1::LIST_KIND_BLACK, registry::v1::SEVERITY_MINOR, "x")
                .max_publication_days,
            90);
  ListingRule court = rules.RuleFor(registry::v1::LIST_KIND_BLACK, registry::v1::SEVERITY_GENERAL,
                                    "court-judgment-debtor");
  EXPECT_FALSE(court.repairable);
  EXPECT_EQ(court.notice_days, 10);

  struct Case {
    const char* procedure;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {"  rules: [{severity: general, max_publication_days: 400}]",
            "procedure.rules: for BLACK general: max_publication_days 400, want 0 to 365"},
           {"  rules: [{notice_days: -1}]",
            "procedure.rules[0].notice_days: want a whole number of days from 0 to 3650"},
           {"  rules: [{list: black, notice_days: 61}]",
            "procedure.rules: for BLACK minor: notice_days 61, want 0 to 60"},
           {"  rules: [{severity: serious, min_publication_days: 1000, max_publication_days: "
            "900}]",
            "procedure.rules: for BLACK serious: min_publication_days 1000, want 0 to "
            "max_publication_days 900"},
           {"  rules: [{color: red}]", "procedure.rules[0].color: want one of list, severity"},
           {"  default_severity: grave",
            "procedure.default_severity: want minor, general or "
            "serious"},
       }) {
    absl::StatusOr<Config> bad =
        LoadConfig(Write(dir, std::string(kMinimal) + "procedure:\n" + c.procedure + "\n"));
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << c.procedure;
    EXPECT_THAT(std::string(bad.status().message()), HasSubstr(c.error)) << bad.status();
  }
}

TEST(LoadConfigTest, ListingsWithoutApprovalAreNamedInWarnings) {
  ProcedureRules rules;
  EXPECT_TRUE(ProcedureWarnings(rules).empty());
  RuleOverride court;
  court.category = "court-judgment-debtor";
  court.list = registry::v1::LIST_KIND_BLACK;
  court.severity = registry::v1::SEVERITY_SERIOUS;
  court.approval_required = false;
  rules.overrides.push_back(court);
  EXPECT_THAT(ProcedureWarnings(rules),
              ::testing::ElementsAre("procedure: BLACK serious listings of category "
                                     "court-judgment-debtor take effect without an approver's "
                                     "approval (no four-eyes check)"));
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
  EXPECT_EQ(config->limits.memory_budget_bytes, 1ll << 30);
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
