// creditctl subject search NAME: subjects by name, full-width or half-width, traditional or
// simplified, spaced or not.
#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "common/cli/args.h"
#include "credit/paging.h"

namespace credit::cli {
namespace {

constexpr char kUsage[] =
    "usage: creditctl subject search NAME [--limit N]\n"
    "  the subjects whose recorded names fold like NAME (recorder, approver, auditor roles)\n";

int Search(Context& context, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {"--limit"});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  if (args->positionals().size() != 1) return UsageError("subject search: want one NAME", kUsage);
  absl::StatusOr<uint64_t> limit = args->Number("--limit", 1000);
  if (!limit.ok()) return UsageError(std::string(limit.status().message()), kUsage);
  v1::SearchSubjectsRequest request;
  request.set_name(args->positionals()[0]);
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<v1::SearchSubjectsResponse> found =
      ListAll<v1::SearchSubjectsRequest, v1::SearchSubjectsResponse>(
          request, [&](const v1::SearchSubjectsRequest& r) { return (*client)->SearchSubjects(r); },
          &v1::SearchSubjectsResponse::mutable_subjects, *limit);
  if (!found.ok()) return Fail(found.status());
  if (context.format == Format::kJson) {
    PrintJson(*found);
    return 0;
  }
  Table table({"CODE", "KIND", "NAME"});
  for (const v1::Subject& s : found->subjects()) {
    table.AddRow({s.code(), s.kind() == v1::SUBJECT_KIND_PERSON ? "person" : "org", s.name()});
  }
  table.Print();
  return 0;
}

}  // namespace

int RunSubject(Context& context, const std::vector<std::string>& argv) {
  if (argv.empty()) return UsageError("subject: want a verb", kUsage);
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (argv[0] == "search") return Search(context, rest);
  return UsageError(absl::StrCat("subject ", argv[0], ": unknown verb"), kUsage);
}

}  // namespace credit::cli
