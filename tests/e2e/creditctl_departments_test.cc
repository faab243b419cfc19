// creditctl's departments' side against the real creditd: feedback, statistics (CSV parsed back)
// and importing entries from files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kOrg[] = "91440300MA5FXXXX0U";
constexpr char kOrg2[] = "91350200MA2Y9J3T80";

constexpr char kHeader[] =
    "subject,name,list,severity,category,facts,basis,authority,document,decided,effective,"
    "expires,measures\n";

// A CSV row for `code` with decision document number `document`.
std::string CsvRow(const std::string& code, int document, const std::string& list = "black",
                   const std::string& severity = "general") {
  return code + ",深圳某某科技有限公司," + list + "," + severity +
         ",tax,\"逃避缴纳税款, 金额较大\",《税收征收管理法》第六十三条,市税务局,深税〔2026〕" +
         std::to_string(document) + "号,2026-01-10,2026-01-15,2099-01-14,P-PROCUREMENT;P-BIDDING\n";
}

class CreditctlDepartmentsTest : public ::testing::Test {
 protected:
  CommandResult Ctl(const std::string& identity, std::vector<std::string> args) {
    return Creditctl(server_, identity, args);
  }
  std::string WriteFile(const std::string& name, const std::string& content) {
    std::string path = dir_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  TestServer server_;
  TempDir dir_;
};

TEST_F(CreditctlDepartmentsTest, ImportTakesTheGoodRowsReportsTheBadOnesAndAddsNothingTwice) {
  std::string file = WriteFile(
      "entries.csv", std::string("\xEF\xBB\xBF") + kHeader + CsvRow(kOrg, 1) +
                         CsvRow("91440300MA5FXXXX0X", 2) +     // bad check character
                         CsvRow(kOrg2, 3, "grey") +            // unknown list
                         CsvRow(kOrg2, 4, "red", "") +         // red entries take incentives
                         CsvRow(kOrg2, 5) + CsvRow(kOrg, 1));  // line 7 repeats line 2's decision
  CommandResult first = Ctl("recorder", {"entry", "import", file});
  EXPECT_EQ(first.exit_code, 13) << first.err;  // 10 + INVALID_ARGUMENT: rows were refused
  EXPECT_EQ(first.out, "6 rows: 2 imported, 0 imported before, 4 refused\n");
  std::vector<std::string> lines = absl::StrSplit(first.err, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << first.err;
  EXPECT_THAT(lines[0], ::testing::StartsWith("line 3: subject.code: "));
  EXPECT_EQ(lines[1], "line 4: list: got \"grey\", want black, red or watch");
  EXPECT_THAT(lines[2], ::testing::StartsWith("line 5: measure_codes[0]: "));
  EXPECT_EQ(lines[3], "line 7: the same decision as line 2");

  CommandResult listed = Ctl("auditor", {"-o", "json", "entry", "list"});
  v1::ListEntriesResponse entries;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(listed.out, &entries).ok()) << listed.out;
  ASSERT_EQ(entries.entries_size(), 2);
  EXPECT_EQ(entries.entries(0).facts(), "逃避缴纳税款, 金额较大");
  EXPECT_EQ(entries.entries(0).measure_codes_size(), 2);
  EXPECT_EQ(entries.entries(1).subject().code(), kOrg2);

  // Again: the imported rows are recognised (line 7 too, now that line 2 is stored), nothing is
  // added.
  CommandResult second = Ctl("recorder", {"entry", "import", file});
  EXPECT_EQ(second.exit_code, 13);
  EXPECT_EQ(second.out, "6 rows: 0 imported, 3 imported before, 3 refused\n");
  CommandResult after = Ctl("auditor", {"-o", "json", "entry", "list"});
  EXPECT_EQ(after.out, listed.out);
}

TEST_F(CreditctlDepartmentsTest, ADryRunChecksEveryRowAndWritesNothing) {
  std::string file = WriteFile("dry.csv", kHeader + CsvRow(kOrg, 1) + CsvRow(kOrg2, 2, "grey"));
  CommandResult r = Ctl("recorder", {"entry", "import", file, "--dry-run"});
  EXPECT_EQ(r.exit_code, 13);
  EXPECT_EQ(r.out,
            "2 rows: 1 would be imported (dry run: nothing written), 0 imported before, 1 "
            "refused\n");
  EXPECT_EQ(r.err, "line 3: list: got \"grey\", want black, red or watch\n");
  CommandResult listed = Ctl("auditor", {"entry", "list"});
  EXPECT_THAT(listed.out, ::testing::Not(HasSubstr(kOrg)));
}

TEST_F(CreditctlDepartmentsTest, JsonLinesUseTheSameKeys) {
  std::string file = WriteFile(
      "entries.jsonl",
      std::string("{\"subject\":\"") + kOrg +
          "\",\"name\":\"深圳某某科技有限公司\",\"list\":\"black\",\"severity\":\"serious\","
          "\"category\":\"tax\",\"facts\":\"逃税\",\"basis\":\"第六十三条\",\"authority\":"
          "\"市税务局\",\"document\":\"深税〔2026〕9号\",\"decided\":\"2026-01-10\","
          "\"effective\":\"2026-01-15\",\"expires\":\"2099-01-14\",\"measures\":[\"P-BIDDING\"]}\n"
          "\n"
          "{\"subject\":\"x\",\"colour\":\"red\"}\n");
  CommandResult r = Ctl("recorder", {"-o", "json", "entry", "import", file});
  EXPECT_EQ(r.exit_code, 13) << r.err;
  EXPECT_EQ(r.err, "line 3: unknown key \"colour\"\n");
  EXPECT_THAT(r.out, HasSubstr("\"imported\": 1"));
  EXPECT_THAT(r.out, HasSubstr("\"line\": 3"));
}

TEST_F(CreditctlDepartmentsTest, AGbkFileIsRefusedAsAWhole) {
  // "深圳" in GBK.
  std::string file =
      WriteFile("gbk.csv", std::string(kHeader) + kOrg + std::string(",\xC9\xEE\xDB\xDA,black\n"));
  CommandResult r = Ctl("recorder", {"entry", "import", file});
  EXPECT_EQ(r.exit_code, 13);
  EXPECT_EQ(r.err, "INVALID_ARGUMENT: " + file +
                       ": the file is not UTF-8 (a GBK export? save it as UTF-8 and import "
                       "again)\n");
  std::string unknown = WriteFile("odd.csv", "subject,colour\n");
  CommandResult odd = Ctl("recorder", {"entry", "import", unknown});
  EXPECT_EQ(odd.err, "INVALID_ARGUMENT: " + unknown +
                         ": line 1: unknown column \"colour\", want the long flags of `entry "
                         "record` without dashes (subject, name, list, ...)\n");
}

TEST_F(CreditctlDepartmentsTest, FeedbackAndStatisticsForTheAssessment) {
  std::string file = WriteFile("two.csv", kHeader + CsvRow(kOrg, 1) + CsvRow(kOrg2, 2));
  ASSERT_EQ(Ctl("recorder", {"entry", "import", file}).exit_code, 0);
  CommandResult fed =
      Ctl("querier", {"feedback", "record", "--entry", "1", "--measure", "P-PROCUREMENT",
                      "--result", "applied", "--action", "取消投标资格", "--date", "2026-01-15",
                      "--document", "深财采〔2026〕7号"});
  ASSERT_EQ(fed.exit_code, 0) << fed.err;
  EXPECT_THAT(fed.out, HasSubstr("1      P-PROCUREMENT  市财政局    applied  2026-01-15"));
  CommandResult denied =
      Ctl("querier", {"feedback", "record", "--entry", "1", "--measure", "P-BIDDING", "--result",
                      "applied", "--action", "x", "--date", "2026-01-15", "--document", "d"});
  EXPECT_EQ(denied.exit_code, 17);  // 10 + PERMISSION_DENIED
  CommandResult bad = Ctl(
      "querier", {"feedback", "record", "--entry", "1", "--measure", "P-PROCUREMENT", "--result",
                  "done", "--action", "x", "--date", "2026-01-15", "--document", "d"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--result: got \"done\", want applied, not-applicable or failed"));

  CommandResult csv =
      Ctl("auditor", {"-o", "csv", "stats", "--from", "2026-01-01", "--to", "2026-12-31"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  std::vector<std::string> rows = absl::StrSplit(csv.out, "\r\n", absl::SkipEmpty());
  ASSERT_EQ(rows.size(), 4u) << csv.out;
  EXPECT_EQ(rows[0],
            "department,measures_triggered,feedback_received,feedback_rate,"
            "median_days_to_feedback");
  // P-BIDDING names 住建局 and 发改委; P-PROCUREMENT 财政局; two entries each.
  std::vector<std::string> fields = absl::StrSplit(rows[3], ',');
  ASSERT_EQ(fields.size(), 5u);
  EXPECT_EQ(fields[0], "市财政局");
  EXPECT_EQ(fields[1], "2");
  EXPECT_EQ(fields[2], "1");
  EXPECT_EQ(fields[3], "0.5000");
  EXPECT_EQ(fields[4], "0");
  EXPECT_EQ(rows[1], "市住房和城乡建设局,2,0,0.0000,");
  EXPECT_EQ(rows[2], "市发展和改革委员会,2,0,0.0000,");

  CommandResult json =
      Ctl("approver", {"-o", "json", "stats", "--from", "2026-01-01", "--to", "2026-12-31"});
  v1::GetStatisticsResponse stats;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.out, &stats).ok()) << json.out;
  EXPECT_EQ(stats.entries(), 2u);
  EXPECT_EQ(stats.by_list(0).key(), "BLACK");
  EXPECT_EQ(stats.by_list(0).entries(), 2u);

  CommandResult table = Ctl("querier", {"stats", "--from", "2026-01-01", "--to", "2026-12-31"});
  EXPECT_THAT(table.out, HasSubstr("2 entries decided from 2026-01-01 to 2026-12-31"));
  EXPECT_THAT(table.out, HasSubstr("市财政局            2          1         0.5000  0"));
  CommandResult csv_elsewhere = Ctl("querier", {"-o", "csv", "measure", "list"});
  EXPECT_EQ(csv_elsewhere.exit_code, 2);
}

TEST_F(CreditctlDepartmentsTest, SubjectSearchTakesTraditionalAndFullWidthNames) {
  std::string file = WriteFile("one.csv", kHeader + CsvRow(kOrg, 1));
  ASSERT_EQ(Ctl("recorder", {"entry", "import", file}).exit_code, 0);
  CommandResult r = Ctl("auditor", {"subject", "search", "深圳　某某科技有限公司。"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "CODE                KIND  NAME\n"
            "91440300MA5FXXXX0U  org   深圳某某科技有限公司\n");
  CommandResult none = Ctl("auditor", {"subject", "search", "深圳某某"});
  EXPECT_EQ(none.out, "CODE  KIND  NAME\n");
  CommandResult denied = Ctl("querier", {"subject", "search", "深圳某某科技有限公司"});
  EXPECT_EQ(denied.exit_code, 17);
}

TEST_F(CreditctlDepartmentsTest, WatchPrintsVerifiedChangesAsJsonLines) {
  std::string file = WriteFile("one.csv", kHeader + CsvRow(kOrg, 1));
  ASSERT_EQ(Ctl("recorder", {"entry", "import", file}).exit_code, 0);
  absl::StatusOr<v1::GetTreeHeadResponse> head = server_.ClientAs("querier")->GetTreeHead({});
  ASSERT_TRUE(head.ok());
  const uint64_t last = head->tree_head().tree_size() - 1;
  CommandResult r = Ctl("querier", {"--server-key", server_.public_key_file(), "-o", "json",
                                    "watch", "--from", std::to_string(last), "--limit", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u) << r.out;
  v1::Change change;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[0], &change).ok()) << lines[0];
  EXPECT_EQ(change.sequence(), last);
  EXPECT_THAT(lines[0], HasSubstr("\"sequence\":\"" + std::to_string(last) + "\""));
  EXPECT_EQ(change.operation(), v1::OPERATION_ENTRY_RECORDED);
  EXPECT_EQ(change.entry_after().facts(), "");  // a querier's view

  // Its place kept in a state file: the next run goes on from there.
  std::string state = dir_.path() + "/follower.state";
  CommandResult all = Ctl("auditor", {"--server-key", server_.public_key_file(), "watch", "--state",
                                      state, "--limit", std::to_string(last + 1)});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_THAT(all.out, HasSubstr(std::to_string(last) + "  "));
  ASSERT_EQ(Ctl("recorder", {"entry", "import", WriteFile("next.csv", kHeader + CsvRow(kOrg2, 2))})
                .exit_code,
            0);
  CommandResult next = Ctl("auditor", {"--server-key", server_.public_key_file(), "watch",
                                       "--state", state, "--limit", "1"});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_THAT(next.out, ::testing::StartsWith(std::to_string(last + 1) + "  "));
  EXPECT_THAT(next.out, HasSubstr("ENTRY_RECORDED  entry 2  91350200MA2Y9J3T80  active"));

  CommandResult keyless = Ctl("querier", {"watch"});
  EXPECT_EQ(keyless.exit_code, 2);
  EXPECT_THAT(keyless.err, HasSubstr("watch: --server-key (or CREDIT_SERVER_KEY) required"));
}

}  // namespace
}  // namespace credit::testing
