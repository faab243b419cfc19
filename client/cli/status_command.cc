// creditctl status CODE [CODE ...]
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "client/cli/commands.h"
#include "common/cli/args.h"
#include "common/crypto/sha256.h"
#include "common/status/grpc_status.h"
#include "google/protobuf/util/time_util.h"

namespace credit::cli {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  creditctl status CODE [CODE ...] --purpose TEXT [--view basic|full]\n"
    "      several codes are one batch, at most 1000; --view basic: the lists and the codes of\n"
    "      the measures your department must apply, without entries and texts (default: full)\n"
    "  creditctl status CODE --at DATE|RFC3339 --purpose TEXT\n"
    "  creditctl status CODE --at-size N --purpose TEXT\n"
    "      the status as it stood then (a DATE means the end of that day, UTC+8; a size, after\n"
    "      the first N changes), with the change records it rests on, verified against a\n"
    "      signed tree head when --server-key is given\n";

// "2025-03-01" -> the last microsecond of that day in UTC+8; RFC 3339 times as they are.
absl::Status ParseMoment(const std::string& text, google::protobuf::Timestamp* out) {
  if (text.size() == 10) {
    absl::CivilDay day;
    if (!absl::ParseCivilTime(text, &day)) {
      return absl::InvalidArgumentError("--at: got \"" + text + "\", want YYYY-MM-DD or RFC 3339");
    }
    absl::Time end =
        absl::FromCivil(day + 1, absl::FixedTimeZone(8 * 3600)) - absl::Microseconds(1);
    *out = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(end));
    return absl::OkStatus();
  }
  if (!google::protobuf::util::TimeUtil::FromString(text, out)) {
    return absl::InvalidArgumentError("--at: got \"" + text + "\", want YYYY-MM-DD or RFC 3339");
  }
  return absl::OkStatus();
}

std::string Lists(const v1::CreditStatus& status) {
  std::vector<std::string> lists;
  if (status.on_black_list()) lists.push_back("black");
  if (status.on_watch_list()) lists.push_back("watch");
  if (status.on_red_list()) lists.push_back("red");
  return lists.empty() ? "-" : absl::StrJoin(lists, ",");
}

std::string Measures(const v1::CreditStatus& status) {
  std::vector<std::string> codes;
  for (const auto& m : status.measures()) codes.push_back(m.measure().code());
  return codes.empty() ? "-" : absl::StrJoin(codes, ",");
}

void PrintOne(const v1::CreditStatus& status, bool basic = false) {
  Table summary({"SUBJECT", "NAME", "LISTS", "AS OF"});
  summary.AddRow(
      {status.subject().code(), status.subject().name(), Lists(status), status.as_of_date()});
  summary.Print();
  if (!status.entries().empty()) {
    std::cout << "\nentries in force:\n";
    // Why the subject is restricted: each entry's state (an open objection may keep the measures),
    // severity, publication and validity.
    Table entries({"ID", "LIST", "STATUS", "SEVERITY", "CATEGORY", "AUTHORITY", "DOCUMENT",
                   "EFFECTIVE", "EXPIRES", "PUBLISHED UNTIL"});
    for (const v1::Entry& e : status.entries()) {
      entries.AddRow({absl::StrCat(e.id()), ListName(e.list()), StatusName(e.status()),
                      SeverityName(e.severity()), e.category(), e.authority(), e.document_number(),
                      e.effective_date(), e.expiry_date(), PublishedUntil(e)});
    }
    entries.Print();
  }
  std::cout << "\nmeasures your department must apply:\n";
  if (status.measures().empty()) {
    std::cout << "none\n";
    return;
  }
  if (basic) {  // measures by code only
    Table measures({"CODE", "ENTRIES"});
    for (const v1::ApplicableMeasure& m : status.measures()) {
      measures.AddRow({m.measure().code(), absl::StrJoin(m.entry_ids(), ",")});
    }
    measures.Print();
    return;
  }
  Table measures({"CODE", "KIND", "MEASURE", "ENTRIES", "LEGAL BASIS"});
  for (const v1::ApplicableMeasure& m : status.measures()) {
    measures.AddRow({m.measure().code(),
                     m.measure().kind() == v1::MEASURE_KIND_INCENTIVE ? "incentive" : "punishment",
                     m.measure().name(), absl::StrJoin(m.entry_ids(), ","),
                     m.measure().legal_basis()});
  }
  measures.Print();
}

int RunStatusAt(Context& context, v1::GetCreditStatusAtRequest request) {
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<v1::GetCreditStatusAtResponse> response = (*client)->GetCreditStatusAt(request);
  if (!response.ok()) return Fail(response.status());
  if (context.format == Format::kJson) {
    PrintJson(*response);
    return 0;
  }
  PrintOne(response->status());
  const v1::SignedTreeHead& head = response->tree_head();
  int withheld = 0;  // records this identity sees by hash and status-level fields only
  for (const v1::Evidence& e : response->evidence()) withheld += e.change().record().empty();
  std::cout << "\nas recorded in the first " << head.tree_size() << " changes (root "
            << ToHex(head.root_hash()) << "), from " << response->evidence_size()
            << " change record(s): "
            << ((*client)->verifier() != nullptr
                    ? "signature and inclusion proofs verified, the status recomputed from them"
                    : "not verified (give --server-key to verify)");
  if (withheld > 0 && (*client)->verifier() != nullptr) {
    std::cout << " (" << withheld
              << " of them shown to this identity by hash and status-level fields, not bytes)";
  }
  std::cout << "\n";
  return 0;
}

}  // namespace

int RunStatus(Context& context, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {"--purpose", "--at", "--at-size", "--view"});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  const std::vector<std::string>& codes = args->positionals();
  if (codes.empty()) return UsageError("status: want at least one subject CODE", kUsage);
  if (!args->Has("--purpose")) {
    return UsageError("--purpose: required, say why you ask (it is kept in the query log)", kUsage);
  }
  std::string purpose = args->Get("--purpose");
  std::string view_name = args->Get("--view", "full");
  if (view_name != "basic" && view_name != "full") {
    return UsageError("--view: got \"" + view_name + "\", want basic or full", kUsage);
  }
  v1::StatusView view = view_name == "basic" ? v1::STATUS_VIEW_BASIC : v1::STATUS_VIEW_FULL;
  if (args->Has("--at") || args->Has("--at-size")) {
    if (codes.size() != 1) return UsageError("--at: takes exactly one CODE", kUsage);
    if (args->Has("--view")) return UsageError("--view: not with --at or --at-size", kUsage);
    if (args->Has("--at") && args->Has("--at-size")) {
      return UsageError("--at, --at-size: give one of them", kUsage);
    }
    v1::GetCreditStatusAtRequest request;
    request.set_subject_code(codes[0]);
    request.set_purpose(purpose);
    if (args->Has("--at")) {
      if (absl::Status s = ParseMoment(args->Get("--at"), request.mutable_time()); !s.ok()) {
        return UsageError(std::string(s.message()), kUsage);
      }
    } else {
      absl::StatusOr<uint64_t> size = args->Number("--at-size", 0);
      if (!size.ok()) return UsageError(std::string(size.status().message()), kUsage);
      request.set_tree_size(*size);
    }
    return RunStatusAt(context, std::move(request));
  }
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());

  if (codes.size() == 1) {
    v1::GetCreditStatusRequest request;
    request.set_subject_code(codes[0]);
    request.set_purpose(purpose);
    request.set_view(view);
    absl::StatusOr<v1::GetCreditStatusResponse> response = (*client)->GetCreditStatus(request);
    if (!response.ok()) return Fail(response.status());
    if (context.format == Format::kJson) {
      PrintJson(*response);
    } else {
      PrintOne(response->status(), view == v1::STATUS_VIEW_BASIC);
    }
    return 0;
  }

  v1::BatchGetCreditStatusRequest request;
  request.set_purpose(purpose);
  request.set_view(view);
  for (const std::string& code : codes) request.add_subject_codes(code);
  absl::StatusOr<v1::BatchGetCreditStatusResponse> response =
      (*client)->BatchGetCreditStatus(request);
  if (!response.ok()) return Fail(response.status());
  if (context.format == Format::kJson) {
    PrintJson(*response);
    return 0;
  }
  Table table({"SUBJECT", "NAME", "LISTS", "MEASURES FOR YOU", "ERROR"});
  for (int i = 0; i < response->results_size(); ++i) {
    const v1::SubjectStatusResult& result = response->results(i);
    if (result.has_error()) {
      table.AddRow({codes[i], "", "", "",
                    absl::StrCat(absl::StatusCodeToString(
                                     static_cast<absl::StatusCode>(result.error().code())),
                                 ": ", result.error().message())});
    } else {
      const v1::CreditStatus& s = result.status();
      table.AddRow({s.subject().code(), s.subject().name(), Lists(s), Measures(s), ""});
    }
  }
  table.Print();
  return 0;
}

}  // namespace credit::cli
