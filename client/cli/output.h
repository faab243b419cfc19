// How creditctl prints: tables for people, protobuf JSON for scripts, and one error line on
// stderr whose first word is the gRPC code's name. Also the exit codes.
#ifndef CREDIT_CLIENT_CLI_OUTPUT_H_
#define CREDIT_CLIENT_CLI_OUTPUT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace credit::cli {

// kCsv only for the commands that write CSV (stats); main refuses it for the others.
enum class Format { kTable, kJson, kCsv };

// Exit codes: 0 success, 2 bad arguments (usage), 10 + the gRPC code for a failed call
// (13 INVALID_ARGUMENT, 15 NOT_FOUND, 17 PERMISSION_DENIED, 19 FAILED_PRECONDITION, 20 ABORTED,
// 24 UNAVAILABLE, 26 UNAUTHENTICATED, ...).
inline constexpr int kExitUsage = 2;
int ExitCodeFor(const absl::Status& status);

// The details of a server's error as lines for a terminal, each indented by two spaces: the
// reason and its metadata, the field violations when there are several, the failed preconditions.
// Empty for an error without details (one found by creditctl itself).
std::string DescribeDetails(const absl::Status& status);

// Prints "CODE_NAME: message" and the details to stderr and returns the exit code for it.
int Fail(const absl::Status& status);
// Prints "INVALID_ARGUMENT: message" and the usage text to stderr; returns kExitUsage.
int UsageError(const std::string& message, const std::string& usage);

// The message in protobuf's JSON mapping, as one document.
void PrintJson(const google::protobuf::Message& message);

// Columns padded to the widest cell; CJK characters count as two columns.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace credit::cli

#endif  // CREDIT_CLIENT_CLI_OUTPUT_H_
