// creditctl status CODE [CODE ...]
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/args.h"
#include "client/cli/commands.h"
#include "common/status/grpc_status.h"

namespace credit::cli {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  creditctl status CODE [CODE ...]   (several codes are asked in one batch, at most 1000)\n";

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

void PrintOne(const v1::CreditStatus& status) {
  Table summary({"SUBJECT", "NAME", "LISTS", "AS OF"});
  summary.AddRow({status.subject().code(), status.subject().name(), Lists(status),
                  status.as_of_date()});
  summary.Print();
  if (!status.entries().empty()) {
    std::cout << "\nentries in force:\n";
    Table entries({"ID", "LIST", "CATEGORY", "AUTHORITY", "DOCUMENT", "EFFECTIVE", "EXPIRES"});
    for (const v1::Entry& e : status.entries()) {
      entries.AddRow({absl::StrCat(e.id()), ListName(e.list()), e.category(), e.authority(),
                      e.document_number(), e.effective_date(), e.expiry_date()});
    }
    entries.Print();
  }
  std::cout << "\nmeasures your department must apply:\n";
  if (status.measures().empty()) {
    std::cout << "none\n";
    return;
  }
  Table measures({"CODE", "KIND", "MEASURE", "ENTRIES", "LEGAL BASIS"});
  for (const v1::ApplicableMeasure& m : status.measures()) {
    measures.AddRow({m.measure().code(),
                     m.measure().kind() == v1::INCENTIVE ? "incentive" : "punishment",
                     m.measure().name(), absl::StrJoin(m.entry_ids(), ","),
                     m.measure().legal_basis()});
  }
  measures.Print();
}

}  // namespace

int RunStatus(Context& context, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  const std::vector<std::string>& codes = args->positionals();
  if (codes.empty()) return UsageError("status: want at least one subject CODE", kUsage);
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());

  if (codes.size() == 1) {
    v1::GetCreditStatusRequest request;
    request.set_subject_code(codes[0]);
    absl::StatusOr<v1::GetCreditStatusResponse> response = (*client)->GetCreditStatus(request);
    if (!response.ok()) return Fail(response.status());
    if (context.format == Format::kJson) {
      PrintJson(*response);
    } else {
      PrintOne(response->status());
    }
    return 0;
  }

  v1::BatchGetCreditStatusRequest request;
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
                    absl::StrCat(StatusCodeName(static_cast<absl::StatusCode>(result.error().code())),
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
