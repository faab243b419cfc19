// creditctl log list|head|proof|verify
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/cli/commands.h"
#include "common/changelog/change_record.h"
#include "common/cli/args.h"
#include "common/crypto/sha256.h"
#include "common/merkle/merkle.h"
#include "common/proto/enum_names.h"
#include "credit/chains.h"
#include "credit/paging.h"
#include "google/protobuf/util/time_util.h"

namespace credit::cli {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  creditctl log list [--from N] [--subject CODE] [--actor IDENTITY]\n"
    "      [--since RFC3339] [--until RFC3339] [--limit N]\n"
    "  creditctl log head [--size N]          a signed tree head (verified with --server-key)\n"
    "  creditctl log proof --seq N [--size S] the inclusion proof of change N, verified\n"
    "  creditctl log verify                   walks the whole log: every record, hash and the\n"
    "      root against the signed head; names the first change that does not match\n";

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
  std::string name = ShortName(c.operation());
  for (char& ch : name) ch = static_cast<char>(std::tolower(ch));
  return name;
}

std::string Time(int64_t micros) {
  return absl::FormatTime(absl::RFC3339_full, absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

// The verifier to check with: the pinned key when given, else the server's own (trust on first
// use, said so on stderr).
absl::StatusOr<LogVerifier*> VerifierFor(Client& client, std::unique_ptr<LogVerifier>* owned) {
  if (client.verifier() != nullptr) return client.verifier();
  absl::StatusOr<v1::GetSigningKeyResponse> key = client.GetSigningKey();
  if (!key.ok()) return key.status();
  std::cerr << "note: checking with the key the server sent (key id "
            << ToHex(key->key_id()).substr(0, 16)
            << "); pass --server-key to check against a key you hold\n";
  *owned = std::make_unique<LogVerifier>(key->public_key());
  return owned->get();
}

int List(Context& context, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args =
      Args::Parse(argv, {"--from", "--subject", "--actor", "--since", "--until", "--limit"});
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
  absl::StatusOr<v1::ListChangesResponse> listed =
      ListAll<v1::ListChangesRequest, v1::ListChangesResponse>(
          request, [&](const v1::ListChangesRequest& r) { return (*client)->ListChanges(r); },
          &v1::ListChangesResponse::mutable_changes, *limit);
  if (!listed.ok()) return Fail(listed.status());
  const v1::ListChangesResponse& all = *listed;

  if (context.format == Format::kJson) {
    PrintJson(all);
    return 0;
  }
  Table table({"SEQ", "TIME", "ACTOR", "DEPARTMENT", "OPERATION", "OBJECT", "REASON", "HASH"});
  for (const v1::Change& c : all.changes()) {
    table.AddRow({absl::StrCat(c.sequence()), google::protobuf::util::TimeUtil::ToString(c.time()),
                  c.actor().identity(), c.actor().department(), Operation(c), Object(c), c.reason(),
                  ToHex(c.hash()).substr(0, 16)});
  }
  table.Print();
  return 0;
}

int Head(Context& context, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {"--size"});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  absl::StatusOr<uint64_t> size = args->Number("--size", 0);
  if (!size.ok()) return UsageError(std::string(size.status().message()), kUsage);
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  v1::GetTreeHeadRequest request;
  request.set_tree_size(*size);
  absl::StatusOr<v1::GetTreeHeadResponse> response = (*client)->GetTreeHead(request);
  if (!response.ok()) return Fail(response.status());
  std::unique_ptr<LogVerifier> owned;
  absl::StatusOr<LogVerifier*> verifier = VerifierFor(**client, &owned);
  if (!verifier.ok()) return Fail(verifier.status());
  if (absl::Status s = (*verifier)->VerifyHead(response->tree_head()); !s.ok()) return Fail(s);
  // Only the latest head moves the trusted head forward; the client checks consistency.
  if (*size == 0) {
    if (absl::Status s = (*client)->CheckHead(response->tree_head()); !s.ok()) return Fail(s);
  }
  if (context.format == Format::kJson) {
    PrintJson(*response);
    return 0;
  }
  const v1::SignedTreeHead& head = response->tree_head();
  Table table({"SIZE", "TIME", "ROOT", "KEY ID", "SIGNATURE"});
  table.AddRow({absl::StrCat(head.tree_size()), Time(head.timestamp_micros()),
                ToHex(head.root_hash()), ToHex(head.key_id()).substr(0, 16), "verified"});
  table.Print();
  return 0;
}

int Proof(Context& context, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {"--seq", "--size"});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  if (!args->Has("--seq")) return UsageError("--seq: required", kUsage);
  absl::StatusOr<uint64_t> seq = args->Number("--seq", 0);
  absl::StatusOr<uint64_t> size = args->Number("--size", 0);
  if (!seq.ok()) return UsageError(std::string(seq.status().message()), kUsage);
  if (!size.ok()) return UsageError(std::string(size.status().message()), kUsage);
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  v1::GetInclusionProofRequest request;
  request.set_sequence(*seq);
  request.set_tree_size(*size);
  absl::StatusOr<v1::GetInclusionProofResponse> response = (*client)->GetInclusionProof(request);
  if (!response.ok()) return Fail(response.status());
  std::unique_ptr<LogVerifier> owned;
  absl::StatusOr<LogVerifier*> verifier = VerifierFor(**client, &owned);
  if (!verifier.ok()) return Fail(verifier.status());
  std::vector<std::string> proof(response->proof().begin(), response->proof().end());
  if (absl::Status s =
          (*verifier)->VerifyInclusion(*seq, response->leaf_hash(), proof, response->tree_head());
      !s.ok()) {
    return Fail(s);
  }
  if (context.format == Format::kJson) {
    PrintJson(*response);
    return 0;
  }
  std::cout << "change " << *seq << " (leaf " << ToHex(response->leaf_hash())
            << ") is in the tree of " << response->tree_head().tree_size() << " changes, root "
            << ToHex(response->tree_head().root_hash()) << ": proof of " << proof.size()
            << " hashes verified\n";
  for (size_t i = 0; i < proof.size(); ++i)
    std::cout << "  " << i << "  " << ToHex(proof[i]) << "\n";
  return 0;
}

// Walks the whole log; returns the first change that does not match, or the verified size.
int Verify(Context& context, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  std::unique_ptr<LogVerifier> owned;
  absl::StatusOr<LogVerifier*> verifier = VerifierFor(**client, &owned);
  if (!verifier.ok()) return Fail(verifier.status());
  absl::StatusOr<v1::GetTreeHeadResponse> latest = (*client)->GetTreeHead({});
  if (!latest.ok()) return Fail(latest.status());
  const v1::SignedTreeHead& head = latest->tree_head();
  if (absl::Status s = (*verifier)->VerifyHead(head); !s.ok()) return Fail(s);
  if (absl::Status s = (*client)->CheckHead(head); !s.ok()) return Fail(s);

  auto mismatch = [](uint64_t sequence, const std::string& why) {
    return Fail(absl::FailedPreconditionError(absl::StrCat("change ", sequence, ": ", why)));
  };
  std::vector<Hash256> leaves;
  leaves.reserve(head.tree_size());
  ChangeChain chain;
  v1::ListChangesRequest request;
  request.set_page_size(1000);
  while (leaves.size() < head.tree_size()) {
    absl::StatusOr<v1::ListChangesResponse> page = (*client)->ListChanges(request);
    if (!page.ok()) return Fail(page.status());
    if (page->changes().empty()) {
      // Asking again would get the same page: stop rather than loop.
      return mismatch(leaves.size(), "the server answered a page without it (no progress)");
    }
    for (const v1::Change& change : page->changes()) {
      uint64_t n = leaves.size();
      if (n == head.tree_size()) break;
      if (change.sequence() != n) return mismatch(n, "missing from the log");
      if (change.record().empty()) {
        return mismatch(n, "its record bytes were withheld (needs an identity with unmask)");
      }
      if (absl::Status s = chain.Add(change.record()); !s.ok()) {
        return Fail(absl::FailedPreconditionError(s.message()));
      }
      if (AsBytes(chain.last_hash()) != change.hash()) {
        return mismatch(n, "its hash is not its record's");
      }
      leaves.push_back(chain.last_hash());
    }
    if (page->next_page_token().empty()) break;
    request.set_page_token(page->next_page_token());
  }
  if (leaves.size() < head.tree_size()) {
    return mismatch(leaves.size(), "missing from the log");
  }
  auto root_of = [&](uint64_t size) {
    merkle::CompactRange range;
    for (uint64_t i = 0; i < size; ++i)
      range.Append(leaves[i], [](int, uint64_t, const Hash256&) {});
    return range.Root();
  };
  if (AsBytes(root_of(leaves.size())) != head.root_hash()) {
    // The chain holds but the tree does not: the history was rewritten consistently. The signed
    // heads of smaller sizes find the first record that differs.
    uint64_t good = 0, bad = leaves.size();  // root of `good` matches, root of `bad` does not
    while (bad - good > 1) {
      uint64_t mid = good + (bad - good) / 2;
      v1::GetTreeHeadRequest at;
      at.set_tree_size(mid);
      absl::StatusOr<v1::GetTreeHeadResponse> old = (*client)->GetTreeHead(at);
      bool matches = old.ok() && (*verifier)->VerifyHead(old->tree_head()).ok() &&
                     old->tree_head().root_hash() == AsBytes(root_of(mid));
      (matches ? good : bad) = mid;
    }
    return mismatch(bad - 1, "the records up to it do not hash to the signed tree head's root");
  }
  if (context.format == Format::kJson) {
    PrintJson(head);
    return 0;
  }
  std::cout << "verified " << leaves.size() << " changes: every record hash, the hash chain, and "
            << "the root " << ToHex(head.root_hash()) << " of the tree head signed at "
            << Time(head.timestamp_micros()) << "\n";
  return 0;
}

}  // namespace

int RunLog(Context& context, const std::vector<std::string>& argv) {
  if (argv.empty()) return UsageError("log: want a verb", kUsage);
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (argv[0] == "list") return List(context, rest);
  if (argv[0] == "head") return Head(context, rest);
  if (argv[0] == "proof") return Proof(context, rest);
  if (argv[0] == "verify") return Verify(context, rest);
  return UsageError(absl::StrCat("log ", argv[0], ": unknown verb"), kUsage);
}

}  // namespace credit::cli
