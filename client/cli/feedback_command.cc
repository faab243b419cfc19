// creditctl feedback record, and creditctl stats: joint punishment's 反馈 and the counts the
// city's assessment takes.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/cli/commands.h"
#include "common/cli/args.h"

namespace credit::cli {
namespace {

constexpr char kFeedbackUsage[] =
    "usage:\n"
    "  creditctl feedback record --entry ID --measure CODE\n"
    "      --result applied|not-applicable|failed --action TEXT --date YYYY-MM-DD\n"
    "      --document NO [--request-id ID]\n";

constexpr char kStatsUsage[] =
    "usage: creditctl stats --from YYYY-MM-DD --to YYYY-MM-DD [-o table|json|csv]\n"
    "  entries decided in the range, by list, category, severity, authority, state and month,\n"
    "  and each implementing department's feedback (the CSV: one row per department)\n";

absl::StatusOr<v1::Feedback::Result> ParseResult(const std::string& text) {
  if (text == "applied") return v1::Feedback::RESULT_APPLIED;
  if (text == "not-applicable") return v1::Feedback::RESULT_NOT_APPLICABLE;
  if (text == "failed") return v1::Feedback::RESULT_FAILED;
  return absl::InvalidArgumentError(
      absl::StrCat("--result: got \"", text, "\", want applied, not-applicable or failed"));
}

std::string ResultName(v1::Feedback::Result result) {
  switch (result) {
    case v1::Feedback::RESULT_APPLIED:
      return "applied";
    case v1::Feedback::RESULT_NOT_APPLICABLE:
      return "not-applicable";
    case v1::Feedback::RESULT_FAILED:
      return "failed";
    default:
      return "-";
  }
}

int Record(Context& context, const std::vector<std::string>& argv) {
  const std::vector<std::string> required = {"--entry",  "--measure", "--result",
                                             "--action", "--date",    "--document"};
  std::set<std::string> accepted(required.begin(), required.end());
  accepted.insert("--request-id");
  absl::StatusOr<Args> args = Args::Parse(argv, accepted);
  if (!args.ok()) return UsageError(std::string(args.status().message()), kFeedbackUsage);
  for (const std::string& flag : required) {
    if (!args->Has(flag)) return UsageError(absl::StrCat(flag, ": required"), kFeedbackUsage);
  }
  absl::StatusOr<uint64_t> entry = ParseNumber(args->Get("--entry"), "--entry");
  if (!entry.ok()) return UsageError(std::string(entry.status().message()), kFeedbackUsage);
  absl::StatusOr<v1::Feedback::Result> result = ParseResult(args->Get("--result"));
  if (!result.ok()) return UsageError(std::string(result.status().message()), kFeedbackUsage);
  v1::RecordFeedbackRequest request;
  v1::Feedback* feedback = request.mutable_feedback();
  feedback->set_entry_id(*entry);
  feedback->set_measure_code(args->Get("--measure"));
  feedback->set_result(*result);
  feedback->set_action(args->Get("--action"));
  feedback->set_action_date(args->Get("--date"));
  feedback->set_document_number(args->Get("--document"));
  request.set_request_id(args->Get("--request-id"));
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<v1::RecordFeedbackResponse> response = (*client)->RecordFeedback(request);
  if (!response.ok()) return Fail(response.status());
  if (context.format == Format::kJson) {
    PrintJson(*response);
    return 0;
  }
  const v1::Feedback& f = response->feedback();
  Table table({"ENTRY", "MEASURE", "DEPARTMENT", "RESULT", "DATE", "DOCUMENT", "REV", "ACTION"});
  table.AddRow({absl::StrCat(f.entry_id()), f.measure_code(), f.department(),
                ResultName(f.result()), f.action_date(), f.document_number(),
                absl::StrCat(f.revision()), f.action()});
  table.Print();
  return 0;
}

// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string Rate(double rate) { return absl::StrFormat("%.4f", rate); }
std::string Days(const v1::DepartmentStatistics& d) {
  return d.has_median_days_to_feedback() ? absl::StrFormat("%g", d.median_days_to_feedback()) : "";
}

void PrintCounts(const std::string& dimension,
                 const google::protobuf::RepeatedPtrField<v1::Count>& counts) {
  Table table({dimension, "ENTRIES"});
  for (const v1::Count& count : counts) table.AddRow({count.key(), absl::StrCat(count.entries())});
  table.Print();
  std::cout << "\n";
}

int Stats(Context& context, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {"--from", "--to"});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kStatsUsage);
  if (!args->positionals().empty()) {
    return UsageError(absl::StrCat("stats: unexpected \"", args->positionals()[0], "\""),
                      kStatsUsage);
  }
  for (const char* flag : {"--from", "--to"}) {
    if (!args->Has(flag)) return UsageError(absl::StrCat(flag, ": required"), kStatsUsage);
  }
  v1::GetStatisticsRequest request;
  request.set_from_date(args->Get("--from"));
  request.set_to_date(args->Get("--to"));
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<v1::GetStatisticsResponse> stats = (*client)->GetStatistics(request);
  if (!stats.ok()) return Fail(stats.status());
  if (context.format == Format::kJson) {
    PrintJson(*stats);
    return 0;
  }
  if (context.format == Format::kCsv) {
    std::cout << "department,measures_triggered,feedback_received,feedback_rate,"
                 "median_days_to_feedback\r\n";
    for (const v1::DepartmentStatistics& d : stats->departments()) {
      std::cout << CsvField(d.department()) << "," << d.measures_triggered() << ","
                << d.feedback_received() << "," << Rate(d.feedback_rate()) << "," << Days(d)
                << "\r\n";
    }
    return 0;
  }
  std::cout << stats->entries() << " entries decided from " << stats->from_date() << " to "
            << stats->to_date() << ", states as of " << stats->as_of_date() << "\n\n";
  PrintCounts("LIST", stats->by_list());
  PrintCounts("CATEGORY", stats->by_category());
  PrintCounts("SEVERITY", stats->by_severity());
  PrintCounts("AUTHORITY", stats->by_authority());
  PrintCounts("STATE", stats->by_state());
  PrintCounts("MONTH", stats->by_month());
  Table table({"DEPARTMENT", "TRIGGERED", "FEEDBACK", "RATE", "MEDIAN DAYS"});
  for (const v1::DepartmentStatistics& d : stats->departments()) {
    std::string days = Days(d);
    table.AddRow({d.department(), absl::StrCat(d.measures_triggered()),
                  absl::StrCat(d.feedback_received()), Rate(d.feedback_rate()),
                  days.empty() ? "-" : days});
  }
  table.Print();
  return 0;
}

}  // namespace

int RunFeedback(Context& context, const std::vector<std::string>& argv) {
  if (argv.empty()) return UsageError("feedback: want a verb", kFeedbackUsage);
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (argv[0] == "record") return Record(context, rest);
  return UsageError(absl::StrCat("feedback ", argv[0], ": unknown verb"), kFeedbackUsage);
}

int RunStats(Context& context, const std::vector<std::string>& argv) {
  return Stats(context, argv);
}

}  // namespace credit::cli
