// creditctl watch: follows the change log as it grows, checking every batch with a Follower
// against the tree-head key the user holds, and prints each change as it is taken.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "common/cli/args.h"
#include "common/proto/enum_names.h"
#include "credit/follower.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace credit::cli {
namespace {

constexpr char kUsage[] =
    "usage: creditctl --server-key FILE watch [--from N] [--state FILE] [--limit N] [-o json]\n"
    "  Prints each change of the log from change N (default 0, or where --state left off) as it\n"
    "  is committed, after checking it against the signed heads (--server-key: the tree-head\n"
    "  public key you trust). --state FILE keeps the follower's place and tree between runs;\n"
    "  --limit N stops after the batch that brings the count to N or more. -o json: one JSON\n"
    "  object per line.\n";

void PrintChange(const Context& context, const v1::Change& change) {
  if (context.format == Format::kJson) {
    std::string line;
    google::protobuf::util::JsonPrintOptions options;
    options.always_print_primitive_fields = true;
    google::protobuf::util::MessageToJsonString(change, &line, options);
    std::cout << line << "\n";
    return;
  }
  std::string what = ShortName(change.operation());
  if (change.has_entry_after()) {
    absl::StrAppend(&what, "  entry ", change.entry_after().id(), "  ",
                    change.entry_after().subject().code(), "  ",
                    StatusName(change.entry_after().status()));
  } else if (change.has_measure_after()) {
    absl::StrAppend(&what, "  measure ", change.measure_after().code());
  } else if (change.has_feedback_after()) {
    absl::StrAppend(&what, "  entry ", change.feedback_after().entry_id(), "  ",
                    change.feedback_after().measure_code(), "  ",
                    change.feedback_after().department());
  }
  std::cout << change.sequence() << "  "
            << google::protobuf::util::TimeUtil::ToString(change.time()) << "  " << what << "\n";
}

}  // namespace

int RunWatch(Context& context, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {"--from", "--state", "--limit"});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  if (!args->positionals().empty())
    return UsageError("watch takes no positional arguments", kUsage);
  if (context.server_key_file.empty()) {
    return UsageError(
        "watch: --server-key (or CREDIT_SERVER_KEY) required: the changes are "
        "checked against the tree-head key you trust",
        kUsage);
  }
  absl::StatusOr<uint64_t> from = args->Number("--from", 0);
  absl::StatusOr<uint64_t> limit = args->Number("--limit", 0);
  if (!from.ok()) return UsageError(std::string(from.status().message()), kUsage);
  if (!limit.ok()) return UsageError(std::string(limit.status().message()), kUsage);
  absl::StatusOr<Follower> follower = Follower::FromPublicKeyFile(context.server_key_file);
  if (!follower.ok()) return Fail(follower.status());
  const std::string state = args->Get("--state");
  if (!state.empty()) {
    absl::Status loaded = follower->Load(state);
    if (loaded.ok()) {
      if (args->Has("--from") && *from != follower->next_sequence()) {
        return UsageError(absl::StrCat("--from ", *from, ": the state in ", state,
                                       " stands at change ", follower->next_sequence()),
                          kUsage);
      }
      *from = follower->next_sequence();
    } else if (loaded.code() != absl::StatusCode::kNotFound) {
      return Fail(loaded);
    }
  }
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  uint64_t printed = 0;
  absl::Status failed;
  absl::Status streamed =
      (*client)->WatchChanges(*from, [&](const v1::WatchChangesResponse& batch) {
        if (absl::Status s = follower->Accept(batch); !s.ok()) {
          failed = s;
          return false;
        }
        if (!state.empty()) {
          if (absl::Status s = follower->Save(state); !s.ok()) {
            failed = s;
            return false;
          }
        }
        // Whole batches: what is printed is what the follower (and its state) took.
        for (const v1::Change& change : batch.changes()) {
          PrintChange(context, change);
          ++printed;
        }
        std::cout.flush();
        return *limit == 0 || printed < *limit;
      });
  if (!failed.ok()) return Fail(failed);
  if (!streamed.ok()) return Fail(streamed);
  return 0;
}

}  // namespace credit::cli
