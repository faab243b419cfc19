// creditctl log list
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/cli/args.h"
#include "client/cli/commands.h"
#include "common/crypto/sha256.h"
#include "google/protobuf/util/time_util.h"

namespace credit::cli {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  creditctl log list [--from N] [--subject CODE] [--actor IDENTITY]\n"
    "      [--since RFC3339] [--until RFC3339] [--limit N]\n";

absl::Status ParseTime(const std::string& text, const char* flag,
                       google::protobuf::Timestamp* out) {
  if (!google::protobuf::util::TimeUtil::FromString(text, out)) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": got \"", text, "\", want an RFC 3339 time such as 2026-01-31T08:00:00+08:00"));
  }
  return absl::OkStatus();
}

std::string Object(const v1::Change& c) {
  if (c.has_entry_after()) return absl::StrCat("entry ", c.entry_after().id());
  if (c.has_measure_after()) return absl::StrCat("measure ", c.measure_after().code());
  return "-";
}

std::string Operation(const v1::Change& c) {
  std::string name = v1::Operation_Name(c.operation());
  for (char& ch : name) ch = static_cast<char>(std::tolower(ch));
  return name;
}

}  // namespace

int RunLog(Context& context, const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0] != "list") {
    return UsageError(argv.empty() ? "log: want a verb" : absl::StrCat("log ", argv[0], ": unknown verb"),
                      kUsage);
  }
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  absl::StatusOr<Args> args =
      Args::Parse(rest, {"--from", "--subject", "--actor", "--since", "--until", "--limit"});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  v1::ListChangesRequest request;
  absl::StatusOr<uint64_t> from = args->Number("--from", 0);
  if (!from.ok()) return UsageError(std::string(from.status().message()), kUsage);
  request.set_from_sequence(*from);
  request.set_subject_code(args->Get("--subject"));
  request.set_actor_identity(args->Get("--actor"));
  if (args->Has("--since")) {
    absl::Status s = ParseTime(args->Get("--since"), "--since", request.mutable_start_time());
    if (!s.ok()) return UsageError(std::string(s.message()), kUsage);
  }
  if (args->Has("--until")) {
    absl::Status s = ParseTime(args->Get("--until"), "--until", request.mutable_end_time());
    if (!s.ok()) return UsageError(std::string(s.message()), kUsage);
  }
  absl::StatusOr<uint64_t> limit = args->Number("--limit", 1000);
  if (!limit.ok()) return UsageError(std::string(limit.status().message()), kUsage);

  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  v1::ListChangesResponse all;
  do {
    request.set_page_size(static_cast<int>(std::min<uint64_t>(*limit - all.changes_size(), 1000)));
    absl::StatusOr<v1::ListChangesResponse> page = (*client)->ListChanges(request);
    if (!page.ok()) return Fail(page.status());
    for (v1::Change& c : *page->mutable_changes()) *all.add_changes() = std::move(c);
    all.set_next_page_token(page->next_page_token());
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty() && static_cast<uint64_t>(all.changes_size()) < *limit);

  if (context.format == Format::kJson) {
    PrintJson(all);
    return 0;
  }
  Table table({"SEQ", "TIME", "ACTOR", "DEPARTMENT", "OPERATION", "OBJECT", "REASON", "HASH"});
  for (const v1::Change& c : all.changes()) {
    table.AddRow({absl::StrCat(c.sequence()),
                  google::protobuf::util::TimeUtil::ToString(c.time()), c.actor().identity(),
                  c.actor().department(), Operation(c), Object(c), c.reason(),
                  ToHex(c.hash()).substr(0, 16)});
  }
  table.Print();
  return 0;
}

}  // namespace credit::cli
