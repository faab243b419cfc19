// creditctl querylog list|verify
#include <iostream>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "common/cli/args.h"
#include "common/crypto/sha256.h"
#include "common/merkle/merkle.h"
#include "common/merkle/tree_head.h"
#include "common/querylog/query_record_hash.h"
#include "credit/chains.h"
#include "credit/log_verifier.h"
#include "credit/paging.h"
#include "google/protobuf/util/time_util.h"

namespace credit::cli {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  creditctl querylog list [--from N] [--subject CODE] [--actor IDENTITY] [--limit N]\n"
    "      who asked for whose credit status, when, and why (auditor role)\n"
    "  creditctl querylog verify [--head FILE]\n"
    "      walks the whole query log: every record's hash, the hash chain and the root of the\n"
    "      signed query-log head (checked with --server-key); names the first record that does\n"
    "      not match. With --head: also that the log still holds, unchanged, the records of the\n"
    "      head kept in FILE (a truncated or rewritten log fails), then keeps the new head there\n";

// The verifier of query-log heads: the pinned key when given, else the server's own (trust on
// first use, said so on stderr).
absl::StatusOr<std::unique_ptr<LogVerifier>> QueryHeadVerifier(Context& context, Client& client) {
  if (!context.server_key_file.empty()) {
    return LogVerifier::FromPublicKeyFile(context.server_key_file, merkle::HeadDomain::kQueryLog);
  }
  absl::StatusOr<v1::GetSigningKeyResponse> key = client.GetSigningKey();
  if (!key.ok()) return key.status();
  std::cerr << "note: checking with the key the server sent (key id "
            << ToHex(key->key_id()).substr(0, 16)
            << "); pass --server-key to check against a key you hold\n";
  return std::make_unique<LogVerifier>(key->public_key(), merkle::HeadDomain::kQueryLog);
}

int Verify(Context& context, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {"--head"});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  const std::string kept_file = args->Get("--head");
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<std::unique_ptr<LogVerifier>> verifier = QueryHeadVerifier(context, **client);
  if (!verifier.ok()) return Fail(verifier.status());
  auto mismatch = [](uint64_t sequence, const std::string& why) {
    return Fail(absl::FailedPreconditionError(absl::StrCat("query ", sequence, ": ", why)));
  };

  // The head kept from an earlier run, checked against the key before anything else.
  std::optional<v1::SignedTreeHead> kept;
  if (!kept_file.empty()) {
    absl::Status loaded = (*verifier)->LoadTrusted(kept_file);
    // A head of an empty log constrains nothing.
    if (loaded.ok() && (*verifier)->trusted()->tree_size() > 0) {
      kept = (*verifier)->trusted();
    } else if (loaded.ok()) {
      verifier = QueryHeadVerifier(context, **client);  // trusting nothing yet
      if (!verifier.ok()) return Fail(verifier.status());
    } else if (loaded.code() != absl::StatusCode::kNotFound) {
      return Fail(loaded);
    }
  }
  absl::StatusOr<v1::GetQueryTreeHeadResponse> latest = (*client)->GetQueryTreeHead({});
  if (!latest.ok()) return Fail(latest.status());
  const v1::SignedTreeHead& head = latest->tree_head();
  if (absl::Status s = (*verifier)->VerifyHead(head); !s.ok()) return Fail(s);
  if (kept.has_value()) {
    if (head.tree_size() < kept->tree_size()) {
      return Fail(absl::FailedPreconditionError(absl::StrCat(
          "the query log holds ", head.tree_size(), " records, fewer than the ", kept->tree_size(),
          " of the head kept in ", kept_file, ": records were taken away")));
    }
    v1::GetQueryConsistencyProofRequest request;
    request.set_from_size(kept->tree_size());
    request.set_to_size(head.tree_size());
    absl::StatusOr<v1::GetQueryConsistencyProofResponse> proof =
        (*client)->GetQueryConsistencyProof(request);
    if (!proof.ok()) return Fail(proof.status());
    absl::Status consistent = (*verifier)->Observe(
        head, std::vector<std::string>(proof->proof().begin(), proof->proof().end()));
    if (!consistent.ok()) {
      return Fail(absl::FailedPreconditionError(
          absl::StrCat("the query log is not the one the head kept in ", kept_file,
                       " signed: ", consistent.message())));
    }
  } else {
    (*verifier)->Observe(head, {}).IgnoreError();  // verified above
  }

  // Every record up to the head's size, read again and hashed here.
  v1::ListQueriesRequest request;
  request.set_page_size(1000);
  QueryChain chain;
  merkle::CompactRange tree;
  std::optional<Hash256> kept_root;
  while (chain.size() < head.tree_size()) {
    absl::StatusOr<v1::ListQueriesResponse> page = (*client)->ListQueries(request);
    if (!page.ok()) return Fail(page.status());
    if (page->queries().empty()) {
      return mismatch(chain.size(), "missing from the log its signed head covers");
    }
    for (const v1::QueryRecord& record : page->queries()) {
      const uint64_t n = chain.size();
      if (n == head.tree_size()) break;
      if (record.sequence() != n) return mismatch(n, "missing from the log");
      absl::StatusOr<Hash256> hash = chain.Add(record);
      if (!hash.ok()) return Fail(absl::FailedPreconditionError(hash.status().message()));
      if (AsBytes(*hash) != record.hash()) return mismatch(n, "its hash is not its content's");
      tree.Append(*hash, [](int, uint64_t, const Hash256&) {});
      if (kept.has_value() && tree.size() == kept->tree_size()) kept_root = tree.Root();
    }
    if (page->next_page_token().empty()) break;
    request.set_page_token(page->next_page_token());
  }
  if (chain.size() < head.tree_size()) {
    return mismatch(chain.size(), "missing from the log its signed head covers");
  }
  if (AsBytes(tree.Root()) != head.root_hash()) {
    return Fail(absl::FailedPreconditionError(absl::StrCat(
        "the ", head.tree_size(), " query records do not hash to the signed head's root")));
  }
  if (kept.has_value() && AsBytes(*kept_root) != kept->root_hash()) {
    return Fail(
        absl::FailedPreconditionError(absl::StrCat("the first ", kept->tree_size(),
                                                   " query records do not hash to the root of "
                                                   "the head kept in ",
                                                   kept_file)));
  }
  if (!kept_file.empty()) {
    if (absl::Status s = (*verifier)->SaveTrusted(kept_file); !s.ok()) return Fail(s);
  }
  if (context.format == Format::kJson) {
    PrintJson(head);
    return 0;
  }
  std::cout << "verified " << head.tree_size()
            << " queries: every record hash, the hash chain and the root "
            << ToHex(head.root_hash()) << " of the query-log head signed at "
            << google::protobuf::util::TimeUtil::ToString(
                   google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
                       head.timestamp_micros()))
            << "\n";
  if (kept.has_value()) {
    std::cout << "consistent with the head kept in " << kept_file << " (" << kept->tree_size()
              << " queries); the new head is kept there\n";
  } else if (!kept_file.empty()) {
    std::cout << "head kept in " << kept_file << "\n";
  }
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
