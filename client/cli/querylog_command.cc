// creditctl querylog list
#include <iostream>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "common/cli/args.h"
#include "common/crypto/sha256.h"
#include "common/querylog/query_record_hash.h"
#include "credit/chains.h"
#include "credit/paging.h"
#include "google/protobuf/util/time_util.h"

namespace credit::cli {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  creditctl querylog list [--from N] [--subject CODE] [--actor IDENTITY] [--limit N]\n"
    "      who asked for whose credit status, when, and why (auditor role)\n"
    "  creditctl querylog verify\n"
    "      walks the whole query log and checks its hash chain; names the first record that\n"
    "      does not match\n";

int Verify(Context& context, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  v1::ListQueriesRequest request;
  request.set_page_size(1000);
  QueryChain chain;
  auto mismatch = [](uint64_t sequence, const std::string& why) {
    return Fail(absl::FailedPreconditionError(absl::StrCat("query ", sequence, ": ", why)));
  };
  while (true) {
    absl::StatusOr<v1::ListQueriesResponse> page = (*client)->ListQueries(request);
    if (!page.ok()) return Fail(page.status());
    if (page->queries().empty() && !page->next_page_token().empty()) {
      return mismatch(chain.size(), "the server answered a page without it (no progress)");
    }
    for (const v1::QueryRecord& record : page->queries()) {
      const uint64_t n = chain.size();
      if (record.sequence() != n) return mismatch(n, "missing from the log");
      absl::StatusOr<Hash256> hash = chain.Add(record);
      if (!hash.ok()) return Fail(absl::FailedPreconditionError(hash.status().message()));
      if (AsBytes(*hash) != record.hash()) return mismatch(n, "its hash is not its content's");
    }
    if (page->next_page_token().empty()) break;
    request.set_page_token(page->next_page_token());
  }
  std::cout << "verified " << chain.size() << " queries: every record hash and the hash chain\n";
  return 0;
}

int List(Context& context, const std::vector<std::string>& rest) {
  absl::StatusOr<Args> args = Args::Parse(rest, {"--from", "--subject", "--actor", "--limit"});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  absl::StatusOr<uint64_t> from = args->Number("--from", 0);
  absl::StatusOr<uint64_t> limit = args->Number("--limit", 1000);
  if (!from.ok()) return UsageError(std::string(from.status().message()), kUsage);
  if (!limit.ok()) return UsageError(std::string(limit.status().message()), kUsage);
  v1::ListQueriesRequest request;
  request.set_from_sequence(*from);
  request.set_subject_code(args->Get("--subject"));
  request.set_actor_identity(args->Get("--actor"));
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<v1::ListQueriesResponse> listed =
      ListAll<v1::ListQueriesRequest, v1::ListQueriesResponse>(
          request, [&](const v1::ListQueriesRequest& r) { return (*client)->ListQueries(r); },
          &v1::ListQueriesResponse::mutable_queries, *limit);
  if (!listed.ok()) return Fail(listed.status());
  const v1::ListQueriesResponse& all = *listed;
  if (context.format == Format::kJson) {
    PrintJson(all);
    return 0;
  }
  Table table(
      {"SEQ", "TIME", "ACTOR", "DEPARTMENT", "RPC", "SUBJECTS", "UNMASKED", "PURPOSE", "HASH"});
  for (const v1::QueryRecord& q : all.queries()) {
    table.AddRow({absl::StrCat(q.sequence()), google::protobuf::util::TimeUtil::ToString(q.time()),
                  q.actor().identity(), q.actor().department(), q.rpc(),
                  absl::StrCat(q.subject_hashes_size()), q.unmasked() ? "yes" : "-", q.purpose(),
                  ToHex(q.hash()).substr(0, 16)});
  }
  table.Print();
  return 0;
}

}  // namespace

int RunQueryLog(Context& context, const std::vector<std::string>& argv) {
  if (argv.empty()) return UsageError("querylog: want a verb", kUsage);
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (argv[0] == "list") return List(context, rest);
  if (argv[0] == "verify") return Verify(context, rest);
  return UsageError(absl::StrCat("querylog ", argv[0], ": unknown verb"), kUsage);
}

}  // namespace credit::cli
