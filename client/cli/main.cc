// creditctl: the Credit Registry's command-line client.
//
//   creditctl [global flags] NOUN VERB [ARGS] [flags]
//
// Global flags (anywhere on the line): --endpoint HOST:PORT, --cacert FILE, --cert FILE,
// --key FILE (defaults from CREDIT_ENDPOINT, CREDIT_CACERT, CREDIT_CERT, CREDIT_KEY; endpoint
// default 127.0.0.1:50051), --server-key FILE and --trusted-head FILE (CREDIT_SERVER_KEY,
// CREDIT_TRUSTED_HEAD: verify every signed tree head and keep the last trusted one),
// -o table|json, --timeout SECONDS.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "client/cli/commands.h"

namespace {

constexpr char kUsage[] =
    "usage: creditctl [--endpoint HOST:PORT] [--cacert FILE] [--cert FILE] [--key FILE]\n"
    "                 [--server-key FILE] [--trusted-head FILE] [-o table|json|csv]\n"
    "                 [--timeout SECONDS] NOUN VERB [ARGS]\n"
    "\n"
    "  entry record|get|list|update|remove   listing decisions (recorder role)\n"
    "  status CODE [CODE ...] --purpose TEXT  credit status and the measures for your department\n"
    "  status CODE --at DATE --purpose TEXT   the status as it stood then, with evidence\n"
    "  measure list|put                       the joint reward and punishment catalogue\n"
    "  log list|head|proof|verify             the change log and its proofs\n"
    "  querylog list|verify                   who looked up whom (auditor role)\n"
    "  admin backup create|list               online backups (admin role)\n"
    "  feedback record                        report what your department did (querier role)\n"
    "  stats --from DATE --to DATE            counts for the assessment (-o csv for its forms)\n"
    "  watch [--from N] [--state FILE]        follow the change log, verified (needs "
    "--server-key)\n"
    "  subject search NAME                    subjects by name, in any width or script\n"
    "  health                                 SERVING (exit 0) or why not (probes, scripts)\n"
    "\n"
    "Global flags default to $CREDIT_ENDPOINT, $CREDIT_CACERT, $CREDIT_CERT, $CREDIT_KEY,\n"
    "$CREDIT_SERVER_KEY, $CREDIT_TRUSTED_HEAD.\n"
    "Exit codes: 0 ok, 2 bad arguments, 10 + gRPC code when the call failed\n"
    "(13 INVALID_ARGUMENT, 15 NOT_FOUND, 17 PERMISSION_DENIED, 19 FAILED_PRECONDITION,\n"
    "20 ABORTED, 24 UNAVAILABLE, 26 UNAUTHENTICATED).\n";

std::string Env(const char* name, const std::string& fallback = "") {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  using credit::cli::UsageError;
  credit::ClientOptions options;
  options.endpoint = Env("CREDIT_ENDPOINT", "127.0.0.1:50051");
  options.ca_file = Env("CREDIT_CACERT");
  options.cert_file = Env("CREDIT_CERT");
  options.key_file = Env("CREDIT_KEY");
  options.server_key_file = Env("CREDIT_SERVER_KEY");
  options.trusted_head_file = Env("CREDIT_TRUSTED_HEAD");
  credit::cli::Context context;

  std::vector<std::string> rest;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    }
    std::string name = arg, value;
    bool inline_value = false;
    if (size_t eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inline_value = true;
    }
    bool global = name == "--endpoint" || name == "--cacert" || name == "--cert" ||
                  name == "--key" || name == "-o" || name == "--output" || name == "--timeout" ||
                  name == "--server-key" || name == "--trusted-head";
    if (!global) {
      rest.push_back(arg);
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= argc) return UsageError(name + ": missing its value", kUsage);
      value = argv[++i];
    }
    if (name == "--endpoint") {
      options.endpoint = value;
    } else if (name == "--cacert") {
      options.ca_file = value;
    } else if (name == "--cert") {
      options.cert_file = value;
    } else if (name == "--key") {
      options.key_file = value;
    } else if (name == "--server-key") {
      options.server_key_file = value;
    } else if (name == "--trusted-head") {
      options.trusted_head_file = value;
    } else if (name == "--timeout") {
      double seconds = 0;
      if (!absl::SimpleAtod(value, &seconds) || seconds <= 0) {
        return UsageError("--timeout: got \"" + value + "\", want seconds > 0", kUsage);
      }
      options.deadline = absl::Seconds(seconds);
    } else if (value == "json") {
      context.format = credit::cli::Format::kJson;
    } else if (value == "table") {
      context.format = credit::cli::Format::kTable;
    } else if (value == "csv") {
      context.format = credit::cli::Format::kCsv;
    } else {
      return UsageError(name + ": got \"" + value + "\", want table, json or csv", kUsage);
    }
  }
  if (rest.empty()) return UsageError("want a command", kUsage);
  context.server_key_file = options.server_key_file;

  std::unique_ptr<credit::Client> client;
  context.client = [&]() -> absl::StatusOr<credit::Client*> {
    if (!client) {
      absl::StatusOr<std::unique_ptr<credit::Client>> connected = credit::Client::Connect(options);
      if (!connected.ok()) return connected.status();
      client = *std::move(connected);
    }
    return client.get();
  };

  std::string noun = rest[0];
  std::vector<std::string> args(rest.begin() + 1, rest.end());
  if (noun == "stats") return credit::cli::RunStats(context, args);
  if (context.format == credit::cli::Format::kCsv) {
    return UsageError("-o csv: only stats writes CSV", kUsage);
  }
  if (noun == "feedback") return credit::cli::RunFeedback(context, args);
  if (noun == "watch") return credit::cli::RunWatch(context, args);
  if (noun == "subject") return credit::cli::RunSubject(context, args);
  if (noun == "entry") return credit::cli::RunEntry(context, args);
  if (noun == "status") return credit::cli::RunStatus(context, args);
  if (noun == "measure") return credit::cli::RunMeasure(context, args);
  if (noun == "log") return credit::cli::RunLog(context, args);
  if (noun == "querylog") return credit::cli::RunQueryLog(context, args);
  if (noun == "admin") return credit::cli::RunAdmin(context, args);
  if (noun == "health") return credit::cli::RunHealth(context, args);
  return UsageError("unknown command \"" + noun + "\"", kUsage);
}
