// creditctl's commands, one file each: NOUN VERB [ARGS] [--flags]. Each Run* function returns
// the process exit code (see output.h).
#ifndef CREDIT_CLIENT_CLI_COMMANDS_H_
#define CREDIT_CLIENT_CLI_COMMANDS_H_

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/cli/output.h"
#include "credit/client.h"

namespace credit::cli {

class Args;

struct Context {
  Format format = Format::kTable;
  // Connects on first use, so that usage errors are reported without touching the network.
  std::function<absl::StatusOr<Client*>()> client;
  // --server-key: the tree-head public key the user trusts (PEM), empty when not given.
  std::string server_key_file;
};

int RunEntry(Context& context, const std::vector<std::string>& argv);
int RunStatus(Context& context, const std::vector<std::string>& argv);
int RunMeasure(Context& context, const std::vector<std::string>& argv);
int RunLog(Context& context, const std::vector<std::string>& argv);
int RunQueryLog(Context& context, const std::vector<std::string>& argv);
int RunAdmin(Context& context, const std::vector<std::string>& argv);
int RunFeedback(Context& context, const std::vector<std::string>& argv);
int RunStats(Context& context, const std::vector<std::string>& argv);
int RunWatch(Context& context, const std::vector<std::string>& argv);
int RunSubject(Context& context, const std::vector<std::string>& argv);
// `health` (admin_command.cc): the server's health check, for probes and scripts.
int RunHealth(Context& context, const std::vector<std::string>& argv);
// The listing procedure's verbs of `entry` (procedure_command.cc); nullopt when `verb` is none.
std::optional<int> RunProcedureVerb(Context& context, const std::string& verb,
                                    const std::vector<std::string>& argv);

// `entry import FILE [--dry-run]` (import_command.cc).
int RunImport(Context& context, const std::vector<std::string>& argv);

// The flags that set an entry's input fields: `entry record`, `entry update`, and (without the
// dashes) the columns of `entry import`.
const std::set<std::string>& EntryFieldFlags();
// Applies those of them given in `args` to `entry`; INVALID_ARGUMENT naming the flag for a value
// it does not take.
absl::Status ApplyFieldFlags(const Args& args, v1::Entry* entry);

// Shared by the commands that show entries and subjects.
std::string ListName(int list_kind);       // "black"
std::string StatusName(int entry_status);  // "active"
std::string SeverityName(int severity);    // "general", "-" when unset
// The last day of the entry's publication, "-" when it is not (or no longer) published.
std::string PublishedUntil(const v1::Entry& entry);
// Prints an answer that carries one entry: as a table row, or the whole answer as JSON. 0.
int PrintEntryResponse(const Context& context, const google::protobuf::Message& response,
                       const v1::Entry& entry);
template <typename Response>
int PrintEntryResponse(const Context& context, const Response& response) {
  return PrintEntryResponse(context, response, response.entry());
}

}  // namespace credit::cli

#endif  // CREDIT_CLIENT_CLI_COMMANDS_H_
