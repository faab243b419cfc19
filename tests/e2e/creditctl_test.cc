// creditctl, the binary, against the real creditd: output formats, exit codes, error lines.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "google/protobuf/util/json_util.h"
#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kOrg[] = "91440300MA5FXXXX0U";
constexpr char kPerson[] = "440524198001010013";

class CreditctlTest : public ::testing::Test {
 protected:
  CommandResult Ctl(const std::string& identity, std::vector<std::string> args) {
    return Creditctl(server_, identity, args);
  }

  CommandResult RecordBlack(const std::string& code, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"entry",       "record",
                                     "--subject",   code,
                                     "--name",      "深圳某某科技有限公司",
                                     "--list",      "black",
                                     "--category",  "tax",
                                     "--facts",     "逃避缴纳税款",
                                     "--basis",     "《税收征收管理法》第六十三条",
                                     "--authority", "市税务局",
                                     "--document",  "深税〔2026〕12号",
                                     "--decided",   "2026-01-10",
                                     "--effective", "2026-01-15",
                                     "--expires",   "2099-01-14",
                                     "--severity",  "general",
                                     "--measures",  "P-PROCUREMENT,P-BIDDING"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Ctl("recorder", args);
  }

  TestServer server_;
};

TEST_F(CreditctlTest, HealthSaysServingOrWhyNot) {
  CommandResult up = Ctl("querier", {"health"});
  EXPECT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(up.out, "SERVING\n");
  EXPECT_EQ(Ctl("querier", {"health", "now"}).exit_code, 2);
  server_.Stop();
  CommandResult down = Ctl("querier", {"--timeout", "2", "health"});
  EXPECT_EQ(down.exit_code, 24);  // 10 + UNAVAILABLE
  EXPECT_EQ(down.out, "");
}

TEST_F(CreditctlTest, RecordPrintsTheEntryAsATable) {
  CommandResult r = RecordBlack(kOrg);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("ID  SUBJECT             NAME"));
  EXPECT_THAT(
      r.out,
      HasSubstr("\n1   91440300MA5FXXXX0U  深圳某某科技有限公司  black  general   active  1  "));
}

TEST_F(CreditctlTest, JsonOutputIsTheResponseMessage) {
  ASSERT_EQ(RecordBlack(kOrg).exit_code, 0);
  CommandResult r = Ctl("auditor", {"-o", "json", "entry", "get", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  v1::GetEntryResponse response;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &response).ok()) << r.out;
  EXPECT_EQ(response.entry().id(), 1u);
  EXPECT_EQ(response.entry().subject().code(), kOrg);
  EXPECT_EQ(response.entry().document_number(), "深税〔2026〕12号");
  EXPECT_EQ(response.entry().status(), v1::ENTRY_STATUS_ACTIVE);
}

TEST_F(CreditctlTest, StatusShowsTheMeasuresOfTheQueryingDepartment) {
  ASSERT_EQ(RecordBlack(kOrg).exit_code, 0);
  CommandResult r = Ctl("querier", {"status", kOrg, "--purpose", "资格审查"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("91440300MA5FXXXX0U  深圳某某科技有限公司  black"));
  EXPECT_THAT(r.out, HasSubstr("measures your department must apply:\n"));
  EXPECT_THAT(r.out, HasSubstr("P-PROCUREMENT  punishment  限制参与政府采购活动"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("P-BIDDING")));
}

TEST_F(CreditctlTest, StatusInTheBasicViewNamesMeasuresByCodeOnly) {
  ASSERT_EQ(RecordBlack(kOrg).exit_code, 0);
  CommandResult r = Ctl("querier", {"status", kOrg, "--view", "basic", "--purpose", "资格审查"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("measures your department must apply:\n"));
  EXPECT_THAT(r.out, HasSubstr("CODE           ENTRIES\nP-PROCUREMENT  1"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("深圳某某科技有限公司")));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("限制参与政府采购活动")));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("entries in force")));

  CommandResult wrong = Ctl("querier", {"status", kOrg, "--view", "wide", "--purpose", "资格审查"});
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_THAT(wrong.err, HasSubstr("INVALID_ARGUMENT: --view: got \"wide\", want basic or full"));
}

TEST_F(CreditctlTest, SeveralCodesAreOneBatchWithPerSubjectErrors) {
  ASSERT_EQ(RecordBlack(kPerson).exit_code, 0);
  CommandResult r = Ctl(
      "querier", {"-o", "json", "status", kPerson, "91440300MA5FXXXX0X", "--purpose", "资格审查"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  v1::BatchGetCreditStatusResponse response;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &response).ok()) << r.out;
  ASSERT_EQ(response.results_size(), 2);
  EXPECT_EQ(response.results(0).status().subject().code(), "440524********0013");
  EXPECT_TRUE(response.results(0).status().on_black_list());
  EXPECT_EQ(response.results(1).error().code(), 3);
  // The querier may not see the number in clear: not in the answer, not anywhere in it.
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr(kPerson)));
}

TEST_F(CreditctlTest, UpdateReadsModifiesAndWritesBack) {
  ASSERT_EQ(RecordBlack(kOrg).exit_code, 0);
  CommandResult r = Ctl(
      "recorder", {"entry", "update", "1", "--expires", "2030-12-31", "--reason", "有效期更正"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("active  2    2026-01-15  2030-12-31"));
  CommandResult stale = Ctl("recorder", {"entry", "update", "1", "--revision", "1", "--facts", "x",
                                         "--reason", "过期的读取"});
  EXPECT_EQ(stale.exit_code, 20);  // 10 + ABORTED
  EXPECT_EQ(stale.err,
            "ABORTED: entry 1: revision 1 given, current revision is 2; read the entry again and "
            "retry\n"
            "  reason: REVISION_CHANGED current_revision=2 entry_id=1 revision=1\n");
}

TEST_F(CreditctlTest, RemoveThenLogListsTheChanges) {
  ASSERT_EQ(RecordBlack(kOrg).exit_code, 0);
  CommandResult removed = Ctl("recorder", {"entry", "remove", "1", "--reason", "行政复议撤销",
                                           "--revoking-document", "深税复〔2026〕3号"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_THAT(removed.out, HasSubstr("revoked"));
  CommandResult log = Ctl("auditor", {"log", "list", "--subject", kOrg});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_THAT(log.out, StartsWith("SEQ  TIME"));
  EXPECT_THAT(log.out, HasSubstr("recorder  市中小企业局  entry_recorded  entry 1"));
  EXPECT_THAT(log.out, HasSubstr("recorder  市中小企业局  entry_revoked   entry 1  行政复议撤销"));
}

TEST_F(CreditctlTest, MeasureListAndPut) {
  CommandResult put = Ctl("admin", {"measure", "put", "--code", "P-TRAVEL", "--name",
                                    "限制乘坐飞机", "--kind", "punishment", "--departments",
                                    "市中级人民法院,市财政局", "--basis", "限高规定第三条"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  CommandResult list = Ctl("querier", {"measure", "list", "--kind", "punishment"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("P-TRAVEL"));
  EXPECT_THAT(list.out, HasSubstr("市中级人民法院,市财政局"));
  EXPECT_THAT(list.out, ::testing::Not(HasSubstr("I-GREEN-CHANNEL")));
}

TEST_F(CreditctlTest, ExitCodesAndErrorLines) {
  CommandResult usage = Ctl("recorder", {"entry", "record", "--subject", kOrg});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.err, StartsWith("INVALID_ARGUMENT: --name: required\nusage:"));

  CommandResult unknown = Ctl("recorder", {"entry", "frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);

  // Every invalid field of the entry, each on a line of its own.
  CommandResult fields = Ctl("recorder", {"entry",       "record",
                                          "--subject",   "91440300MA5FXXXX0X",
                                          "--name",      "某某公司",
                                          "--list",      "black",
                                          "--category",  "tax",
                                          "--facts",     "逃避缴纳税款",
                                          "--basis",     "第六十三条",
                                          "--authority", "市税务局",
                                          "--document",  "深税〔2026〕13号",
                                          "--decided",   "2026-01-10",
                                          "--effective", "2026-01-15",
                                          "--expires",   "2026-01-01",
                                          "--severity",  "general",
                                          "--measures",  "I-GREEN-CHANNEL"});
  EXPECT_EQ(fields.exit_code, 13);
  EXPECT_EQ(fields.err,
            "INVALID_ARGUMENT: entry.subject.code: unified social credit code check character is "
            "'X', want 'U' (and 2 more fields: see the details)\n"
            "  reason: CHECK_CHARACTER_MISMATCH field=entry.subject.code got=X want=U\n"
            "  field entry.subject.code: unified social credit code check character is 'X', want "
            "'U'\n"
            "  field entry.expiry_date: got 2026-01-01, want a date on or after effective_date "
            "2026-01-15\n"
            "  field entry.measure_codes[0]: I-GREEN-CHANNEL is a INCENTIVE measure, want a "
            "PUNISHMENT measure for a BLACK entry\n");

  CommandResult denied = RecordBlack(kOrg);
  denied = Ctl("querier", {"entry", "remove", "1", "--reason", "x", "--revoking-document",
                           "深税复〔2026〕3号"});
  EXPECT_EQ(denied.exit_code, 17);
  EXPECT_EQ(denied.err,
            "PERMISSION_DENIED: role querier of identity querier may not call RemoveEntry "
            "(needs recorder)\n"
            "  reason: ROLE_NOT_PERMITTED method=RemoveEntry roles=recorder\n");

  CommandResult missing = Ctl("auditor", {"entry", "get", "99"});
  EXPECT_EQ(missing.exit_code, 15);
  EXPECT_EQ(missing.err,
            "NOT_FOUND: entry 99: no such entry\n  reason: ENTRY_NOT_FOUND entry_id=99\n");

  CommandResult invalid = Ctl("querier", {"status", "91440300MA5FXXXX0X", "--purpose", "资格审查"});
  EXPECT_EQ(invalid.exit_code, 13);
  EXPECT_EQ(invalid.err,
            "INVALID_ARGUMENT: subject_code: unified social credit code check character is 'X', "
            "want 'U'\n"
            "  reason: CHECK_CHARACTER_MISMATCH field=subject_code got=X want=U\n");
}

TEST_F(CreditctlTest, ServerDownIsUnavailable) {
  server_.Stop();
  CommandResult r = Ctl("querier", {"--timeout", "2", "status", kOrg, "--purpose", "资格审查"});
  EXPECT_EQ(r.exit_code, 24);
  EXPECT_THAT(r.err, StartsWith("UNAVAILABLE: "));
}

TEST_F(CreditctlTest, EnvironmentVariablesGiveTheDefaults) {
  CommandResult r = RunCommand(
      {CREDITCTL_PATH, "measure", "list"},
      {"CREDIT_ENDPOINT=" + server_.endpoint(), "CREDIT_CACERT=" + DevPki().dir + "/ca.pem",
       "CREDIT_CERT=" + DevPki().dir + "/querier.pem",
       "CREDIT_KEY=" + DevPki().dir + "/querier.key"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("P-PROCUREMENT"));
}

// 300 entries with 4000-character facts make ~7 MB of change records: more than gRPC's default
// receive limit in one answer. Pages end by bytes, so listing and verifying the log still work.
TEST_F(CreditctlTest, ALogOfLongRecordsIsListedAndVerifiedPageByPage) {
  // Six imports of 50: one of 300 would pass the server's receive limit.
  std::unique_ptr<Client> recorder = server_.ClientAs("recorder");
  absl::StatusOr<v1::ImportEntriesResponse> imported;
  std::string facts;
  for (int i = 0; i < 4000; ++i) facts += "税";
  for (int call = 0; call < 6; ++call) {
    v1::ImportEntriesRequest import;
    for (int i = 0; i < 50; ++i) {
      v1::Entry* e = import.add_entries();
      *e = SampleEntry(kOrg, facts);
      e->set_document_number("深税〔2026〕" + std::to_string(call * 50 + i) + "号");
    }
    imported = recorder->ImportEntries(import);
    ASSERT_TRUE(imported.ok()) << imported.status();
  }
  const uint64_t size = imported->tree_head().tree_size();

  v1::ListChangesRequest request;
  request.set_page_size(1000);
  absl::StatusOr<v1::ListChangesResponse> page = server_.ClientAs("auditor")->ListChanges(request);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_LT(page->ByteSizeLong(), size_t{1100} << 10);
  EXPECT_LT(page->changes_size(), 300);
  EXPECT_FALSE(page->next_page_token().empty());

  CommandResult verify = Ctl("auditor", {"log", "verify"});
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(verify.out, StartsWith("verified " + std::to_string(size) + " changes: "));
  CommandResult list = Ctl("auditor", {"-o", "json", "log", "list", "--limit", "1000"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
}

// The procedure's verbs on a server with the default rules and a test clock: each moves the entry
// as the README's table says, and prints it.
class CreditctlProcedureTest : public ::testing::Test {
 protected:
  CommandResult Ctl(const std::string& identity, std::vector<std::string> args) {
    return Creditctl(server_, identity, args);
  }
  // Proposes decision `document` on kOrg; its id.
  std::string Propose(const std::string& document) {
    CommandResult r =
        Ctl("recorder",
            {"-o",          "json",       "entry",      "record",     "--subject",  kOrg,
             "--name",      "某某公司",   "--list",     "watch",      "--severity", "minor",
             "--category",  "tax",        "--facts",    "未按期申报", "--basis",    "第六十二条",
             "--authority", "市税务局",   "--document", document,     "--decided",  "2026-01-10",
             "--effective", "2026-01-15", "--expires",  "2099-01-14"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    v1::RecordEntryResponse response;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &response).ok()) << r.out;
    return std::to_string(response.entry().id());
  }

  TestServer server_{{}, DevPki().dir + "/creditd.yaml", /*test_clock=*/true};
};

TEST_F(CreditctlProcedureTest, EveryVerbMovesTheEntryAndSaysWhereItIs) {
  std::string rejected = Propose("税〔2026〕1号");
  CommandResult r = Ctl("approver", {"entry", "reject", rejected, "--reason", "依据不足"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("watch  minor     rejected  2"));

  std::string id = Propose("税〔2026〕2号");
  r = Ctl("approver", {"entry", "approve", id, "--revision", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("watch  minor     notice  2"));
  r = Ctl("recorder", {"entry", "object", id, "--grounds", "已按期申报"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("watch  minor     objected  3"));
  r = Ctl("approver", {"entry", "resolve", id, "--reason", "x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("INVALID_ARGUMENT: entry resolve: want exactly one of --uphold "
                                "and --dismiss\nusage"));
  r = Ctl("approver", {"entry", "resolve", id, "--dismiss", "--reason", "异议不成立"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("watch  minor     notice  4"));

  r = Ctl("admin", {"admin", "set-time", "2099-01-01T09:00:00+08:00"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(", 1 transition(s) made"));
  r = Ctl("recorder", {"entry", "repair", id, "--evidence", "已补报", "--commitment", "承诺"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Ctl("approver", {"entry", "repair-reject", id, "--reason", "材料不全"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("watch  minor     active  7"));
  r = Ctl("approver", {"entry", "repair-approve", id});
  EXPECT_EQ(r.exit_code, 19);
  EXPECT_EQ(r.err,
            "FAILED_PRECONDITION: entry 2 is ACTIVE, which allows only: object "
            "(FileObjection), apply for repair (ApplyForRepair), correct (UpdateEntry), "
            "revoke (RemoveEntry); not decide the repair application (ApproveRepair, "
            "RejectRepair)\n"
            "  reason: ILLEGAL_TRANSITION action=decide the repair application (ApproveRepair, "
            "RejectRepair) entry_id=2 status=ACTIVE\n"
            "  precondition ENTRY_STATUS of entries/2: the entry is ACTIVE, which allows only: "
            "object (FileObjection), apply for repair (ApplyForRepair), correct (UpdateEntry), "
            "revoke (RemoveEntry)\n");

  CommandResult listed = Ctl("auditor", {"entry", "list", "--status", "rejected"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("\n" + rejected + "   "));
  EXPECT_THAT(listed.out, ::testing::Not(HasSubstr("\n" + id + "   ")));
  CommandResult bad = Ctl("auditor", {"entry", "list", "--status", "pending"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, StartsWith("INVALID_ARGUMENT: --status: got \"pending\", want proposed, "
                                  "notice, active, objected, rejected, revoked, repaired or "
                                  "expired\n"));
}

TEST_F(CreditctlProcedureTest, SetTimeNeedsATestClock) {
  TestServer plain;
  CommandResult r = Creditctl(plain, "admin", {"admin", "set-time", "2099-01-01T00:00:00Z"});
  EXPECT_EQ(r.exit_code, 19);
  EXPECT_THAT(r.err, StartsWith("FAILED_PRECONDITION: SetTime: this server runs on the system "
                                "clock"));
  r = Creditctl(plain, "admin", {"admin", "set-time", "tomorrow"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("INVALID_ARGUMENT: set-time: got \"tomorrow\", want an RFC 3339 "
                                "time"));
}

}  // namespace
}  // namespace credit::testing
