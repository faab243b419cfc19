// The Prometheus endpoint of the real creditd: scraped over HTTP, every line in the text
// exposition format, and the figures the calls made.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

constexpr char kOrg[] = "91440300MA5FXXXX0U";

// The body of GET /metrics from 127.0.0.1:`port`.
std::string Scrape(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  EXPECT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[65536];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) response.append(buffer, n);
  close(fd);
  size_t body = response.find("\r\n\r\n");
  EXPECT_NE(body, std::string::npos) << response;
  EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response.substr(0, 100);
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// Sample name and its labels sorted ("name{a="1",b="2"}") -> value, for every sample line; each
// line must be a comment (# HELP / # TYPE) or a sample in the text exposition format.
std::map<std::string, double> Parse(const std::string& body) {
  static const std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$)");
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*)?\})? ([-+]?([0-9.eE+-]+|Inf|Nan|NaN))$)");
  std::map<std::string, double> samples;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      EXPECT_TRUE(std::regex_match(line, comment)) << line;
      continue;
    }
    std::smatch m;
    if (!std::regex_match(line, m, sample)) {
      ADD_FAILURE() << "not in the exposition format: " << line;
      continue;
    }
    std::vector<std::string> labels;
    if (m[3].matched) labels = absl::StrSplit(m[3].str(), ',');
    std::sort(labels.begin(), labels.end());
    std::string key = m[1].str();
    if (!labels.empty()) key += "{" + absl::StrJoin(labels, ",") + "}";
    double value = 0;
    if (!absl::SimpleAtod(m[5].str(), &value) && m[5].str().find("Nan") == std::string::npos &&
        m[5].str().find("NaN") == std::string::npos) {
      ADD_FAILURE() << "not a number: " << line;
    }
    samples[key] = value;
  }
  return samples;
}

TEST(MetricsTest, AScrapeNamesEveryCallAndTheRegistrysFigures) {
  // The tests' configuration with the dev configuration's metrics endpoint (on a free port).
  const std::string config = DevPki().dir + "/metrics.yaml";
  {
    std::ifstream at_once(DevPki().dir + "/creditd-at-once.yaml");
    std::ofstream(config) << at_once.rdbuf() << "\nmetrics_listen: 127.0.0.1:0\n";
  }
  TestServer server({}, config);
  std::unique_ptr<Client> querier = server.ClientAs("querier");
  for (int i = 0; i < 2; ++i) {
    v1::GetCreditStatusRequest request;
    request.set_subject_code(kOrg);
    request.set_purpose("政府采购资格审查");
    ASSERT_TRUE(querier->GetCreditStatus(request).ok());
  }
  EXPECT_EQ(querier->ListQueries({}).status().code(), absl::StatusCode::kPermissionDenied);
  std::unique_ptr<Client> recorder = server.ClientAs("recorder");
  v1::RecordEntryRequest record;
  *record.mutable_entry() = SampleEntry(kOrg);
  absl::StatusOr<v1::RecordEntryResponse> recorded = recorder->RecordEntry(record);
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  ASSERT_TRUE(server.AwaitEvent("status_index_ready", absl::Seconds(20)));

  // Where it listens, as creditd says at start.
  std::ifstream log(server.log_file());
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  std::smatch port;
  ASSERT_TRUE(std::regex_search(
      text, port,
      std::regex(
          R"("event":"metrics_listening","message":"metrics on http://127\.0\.0\.1:(\d+)/metrics")")))
      << text;
  std::map<std::string, double> samples = Parse(Scrape(std::stoi(port[1].str())));

  EXPECT_EQ(samples[R"(credit_rpc_calls_total{code="OK",method="GetCreditStatus"})"], 2);
  EXPECT_EQ(samples[R"(credit_rpc_calls_total{code="PERMISSION_DENIED",method="ListQueries"})"], 1);
  EXPECT_EQ(samples[R"(credit_rpc_calls_total{code="OK",method="RecordEntry"})"], 1);
  EXPECT_EQ(samples[R"(credit_rpc_duration_seconds_count{method="GetCreditStatus"})"], 2);
  EXPECT_EQ(samples[R"(credit_rpc_duration_seconds_bucket{le="+Inf",method="GetCreditStatus"})"],
            2);
  EXPECT_EQ(samples["credit_change_log_size"], recorded->tree_head().tree_size());
  EXPECT_GE(samples["credit_change_log_head_age_seconds"], 0);
  EXPECT_LT(samples["credit_change_log_head_age_seconds"], 60);
  // The catalogue's seeding and the recording: at least two groups, each written once.
  EXPECT_GE(samples["credit_commit_group_members_count"], 2);
  EXPECT_EQ(samples["credit_commit_write_seconds_count"],
            samples["credit_commit_group_members_count"]);
  EXPECT_GT(samples["credit_commit_write_seconds_sum"], 0);
  for (const char* name :
       {"credit_query_log_backlog", "credit_clock_transitions_total",
        "credit_rocksdb_block_cache_hits_total", "credit_rocksdb_block_cache_misses_total",
        "credit_rocksdb_block_cache_hit_ratio", "credit_rocksdb_pending_compaction_bytes",
        "credit_rocksdb_live_data_bytes", "credit_rocksdb_stall_seconds_total",
        "credit_rocksdb_writes_stopped", "credit_rocksdb_table_readers_bytes"}) {
    EXPECT_TRUE(samples.contains(name)) << name;
  }
  EXPECT_EQ(samples["credit_rocksdb_block_cache_capacity_bytes"], 256 << 20);
  // The recording lies in a memtable still (nothing here fills one).
  EXPECT_GT(samples["credit_rocksdb_memtable_bytes"], 0);
  EXPECT_LE(samples["credit_rocksdb_memtable_bytes"], 256 << 20);
  // The status index: one subject listed; its first table (16 shards of one 4 KiB page) and one
  // arena chunk of 2 MiB.
  EXPECT_EQ(samples["credit_status_index_ready"], 1);
  EXPECT_EQ(samples["credit_status_index_subjects"], 1);
  EXPECT_EQ(samples["credit_status_index_bytes"], 16 * 4096 + (2 << 20));
  EXPECT_EQ(samples["credit_rocksdb_writes_stopped"], 0);
}

TEST(MetricsTest, AnAddressThatCannotBeBoundStopsTheStart) {
  const std::string config = DevPki().dir + "/bad-metrics.yaml";
  {
    std::ifstream at_once(DevPki().dir + "/creditd-at-once.yaml");
    // An address that is not this machine's.
    std::ofstream(config) << at_once.rdbuf() << "\nmetrics_listen: 192.0.2.1:1\n";
  }
  TempDir data;
  CommandResult r = RunCommand(
      {CREDITD_PATH, "--config", config, "--listen", "127.0.0.1:0", "--data-dir", data.path()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, ::testing::HasSubstr("metrics_listen: cannot listen on 192.0.2.1:1"));
}

}  // namespace
}  // namespace credit::testing
