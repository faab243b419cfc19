#include "client/cli/output.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status/error_details.h"
#include "common/status/grpc_status.h"
#include "google/protobuf/util/json_util.h"

namespace credit::cli {
namespace {

// Display columns of UTF-8 text: wide (East Asian) characters take two.
size_t DisplayWidth(const std::string& text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    auto b = static_cast<unsigned char>(text[i]);
    uint32_t cp = b;
    int len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : 4;
    if (len > 1) {
      cp = b & (0x7F >> len);
      for (int k = 1; k < len && i + k < text.size(); ++k) {
        cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
      }
    }
    width += (cp >= 0x1100 &&
              (cp <= 0x115F || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
               (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
               (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6)))
                 ? 2
                 : 1;
    i += len;
  }
  return width;
}

}  // namespace

int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return 0;
  return 10 + static_cast<int>(status.code());
}

std::string DescribeDetails(const absl::Status& status) {
  std::string out;
  if (std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status)) {
    absl::StrAppend(&out, "  reason: ", info->reason());
    // In key order, so that the line reads the same every time.
    std::map<std::string, std::string> metadata(info->metadata().begin(), info->metadata().end());
    for (const auto& [key, value] : metadata) absl::StrAppend(&out, " ", key, "=", value);
    out += "\n";
  }
  // One violation is the message itself.
  const std::vector<google::rpc::BadRequest::FieldViolation> violations = FieldViolationsOf(status);
  if (violations.size() > 1) {
    for (const auto& violation : violations) {
      absl::StrAppend(&out, "  field ", violation.field(), ": ", violation.description(), "\n");
    }
  }
  if (std::optional<google::rpc::PreconditionFailure> failure = PreconditionFailureOf(status)) {
    for (const auto& violation : failure->violations()) {
      absl::StrAppend(&out, "  precondition ", violation.type(), " of ", violation.subject(), ": ",
                      violation.description(), "\n");
    }
  }
  return out;
}

int Fail(const absl::Status& status) {
  std::cerr << absl::StatusCodeToString(status.code()) << ": " << status.message() << "\n"
            << DescribeDetails(status) << std::flush;
  return ExitCodeFor(status);
}

int UsageError(const std::string& message, const std::string& usage) {
  std::cerr << "INVALID_ARGUMENT: " << message << "\n" << usage;
  return kExitUsage;
}

void PrintJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = false;
  std::string json;
  // Only a message with invalid UTF-8 fails to print, and the server sends none; print what
  // there is rather than nothing.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::cout << json;
  if (json.empty() || json.back() != '\n') std::cout << "\n";
}

void Table::Print() const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
  }
  for (const auto& row : rows_) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - DisplayWidth(row[c]) + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

}  // namespace credit::cli
