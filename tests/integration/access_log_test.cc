// The access log against the real creditd: one JSON line per call, with who, what and how it
// ended, and no person's ID number in clear (TestServer checks that of every log it leaves).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <vector>

#include "absl/strings/match.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "service/events/event_log.h"
#include "tests/support/log_check.h"
#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kOrg[] = "91440300MA5FXXXX0U";
constexpr char kPerson[] = "440524198001010013";

std::vector<google::protobuf::Struct> AccessLines(const std::string& log) {
  std::vector<google::protobuf::Struct> lines;
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (!absl::StartsWith(line, "{\"time\":") || absl::StrContains(line, "\"event\":")) continue;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &lines.emplace_back()).ok())
        << line;
  }
  return lines;
}

std::string Text(const google::protobuf::Struct& line, const std::string& field) {
  auto it = line.fields().find(field);
  return it == line.fields().end() ? "<absent>" : it->second.string_value();
}

std::vector<std::string> Subjects(const google::protobuf::Struct& line) {
  std::vector<std::string> out;
  for (const auto& v : line.fields().at("subjects").list_value().values()) {
    out.push_back(v.string_value());
  }
  return out;
}

TEST(AccessLogTest, EveryCallLeavesOneLineNamingWhoWhatAndHowItEnded) {
  TestServer server;
  std::unique_ptr<Client> querier = server.ClientAs("querier");
  for (const char* code : {kOrg, kPerson}) {
    v1::GetCreditStatusRequest request;
    request.set_subject_code(code);
    request.set_purpose("政府采购资格审查");
    ASSERT_TRUE(querier->GetCreditStatus(request).ok());
  }
  EXPECT_EQ(querier->ListQueries({}).status().code(), absl::StatusCode::kPermissionDenied);
  std::unique_ptr<Client> recorder = server.ClientAs("recorder");
  v1::RecordEntryRequest record;
  *record.mutable_entry() = SampleEntry(kPerson);
  // A careless client that names its requests after the subject.
  record.set_request_id(std::string("import-") + kPerson + "-1");
  ASSERT_TRUE(recorder->RecordEntry(record).ok());
  querier.reset();
  recorder.reset();
  server.Stop();  // the access log is written out at shutdown at the latest

  std::vector<google::protobuf::Struct> lines = AccessLines(server.log_file());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(Text(lines[0], "method"), "GetCreditStatus");
  EXPECT_EQ(Text(lines[0], "identity"), "querier");
  EXPECT_EQ(Text(lines[0], "department"), "市财政局");
  EXPECT_EQ(Text(lines[0], "code"), "OK");
  EXPECT_EQ(Subjects(lines[0]), std::vector<std::string>{kOrg});
  EXPECT_EQ(lines[0].fields().at("subjects_total").number_value(), 1);
  EXPECT_GT(lines[0].fields().at("duration_us").number_value(), 0);
  EXPECT_EQ(Subjects(lines[1]), std::vector<std::string>{"440524********0013"});
  EXPECT_EQ(Text(lines[2], "method"), "ListQueries");
  EXPECT_EQ(Text(lines[2], "code"), "PERMISSION_DENIED");
  EXPECT_EQ(Text(lines[3], "method"), "RecordEntry");
  EXPECT_EQ(Text(lines[3], "identity"), "recorder");
  EXPECT_EQ(Text(lines[3], "request_id"), "import-440524********0013-1");
  EXPECT_EQ(Subjects(lines[3]), std::vector<std::string>{"440524********0013"});
  EXPECT_TRUE(CheckServerLog(server.log_file()).ok());
}

TEST(AccessLogTest, ABatchNamesItsFirstTenSubjectsAndCountsThemAll) {
  TestServer server;
  std::unique_ptr<Client> querier = server.ClientAs("querier");
  v1::BatchGetCreditStatusRequest batch;
  batch.set_purpose("政府采购资格审查");
  for (int i = 0; i < 12; ++i) batch.add_subject_codes(i % 2 ? kOrg : kPerson);
  ASSERT_TRUE(querier->BatchGetCreditStatus(batch).ok());
  querier.reset();
  server.Stop();
  std::vector<google::protobuf::Struct> lines = AccessLines(server.log_file());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Subjects(lines[0]).size(), 10u);
  EXPECT_EQ(Subjects(lines[0])[0], "440524********0013");
  EXPECT_EQ(Subjects(lines[0])[1], kOrg);
  EXPECT_EQ(lines[0].fields().at("subjects_total").number_value(), 12);
}

TEST(AccessLogTest, ServerEventsAreJsonLinesToo) {
  TestServer server;
  ASSERT_TRUE(server.AwaitEvent("status_index_ready", absl::Seconds(20)));
  server.Stop();
  std::ifstream in(server.log_file());
  std::vector<std::string> events;
  int index_ready = 0;  // filled on a thread of its own: before or after listening
  std::string line;
  while (std::getline(in, line)) {
    google::protobuf::Struct object;
    if (!absl::StartsWith(line, "{") ||
        !google::protobuf::util::JsonStringToMessage(line, &object).ok()) {
      continue;
    }
    if (object.fields().contains("event")) {
      std::string event = object.fields().at("level").string_value() + " " +
                          object.fields().at("event").string_value();
      if (event == "info status_index_ready") {
        ++index_ready;
      } else if (events.empty() || events.back() != event) {
        events.push_back(event);
      }
    }
  }
  // The tests' configuration has listings take effect at once: warnings (one per kind of listing
  // concerned); then the server's life, its status index saved as it stops.
  EXPECT_THAT(events, ::testing::ElementsAre("warning procedure_without_approval", "info listening",
                                             "info shutting_down", "info status_index_saved",
                                             "info stopped"));
  EXPECT_EQ(index_ready, 1);
}

TEST(AccessLogTest, AnEventLineEscapesWhatJsonMust) {
  const std::string line = EventLine(absl::FromUnixMicros(1765089001204518), EventLevel::kError,
                                     "call_failed", "a \"quoted\"\nline\\");
  EXPECT_EQ(
      line,
      "{\"time\":\"2025-12-07T06:30:01.204518Z\",\"level\":\"error\",\"event\":\"call_failed\","
      "\"message\":\"a \\\"quoted\\\"\\u000aline\\\\\"}");
}

TEST(AccessLogTest, TheLogCheckFindsAnIdNumberStandingAloneOnly) {
  EXPECT_EQ(IdNumbersIn(std::string("subject ") + kPerson + " asked"),
            std::vector<std::string>{kPerson});
  // Inside a longer run of letters and digits (a hash) it is not one; nor is a wrong check
  // character.
  EXPECT_TRUE(IdNumbersIn(std::string("ab") + kPerson + "cd").empty());
  EXPECT_TRUE(IdNumbersIn("440524198001010014").empty());
}

}  // namespace
}  // namespace credit::testing
