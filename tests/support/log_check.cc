#include "tests/support/log_check.h"

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/subject/subject_code.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace credit::testing {

std::vector<std::string> IdNumbersIn(absl::string_view text) {
  std::vector<std::string> found;
  size_t i = 0;
  while (i < text.size()) {
    if (!absl::ascii_isalnum(text[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && absl::ascii_isalnum(text[end])) ++end;
    absl::string_view run = text.substr(i, end - i);
    if (run.size() == 18 && ValidateResidentId(run, "").ok()) found.emplace_back(run);
    i = end;
  }
  return found;
}

absl::Status CheckServerLog(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  int number = 0;
  static constexpr const char* kFields[] = {"time",           "method",     "identity",
                                            "department",     "request_id", "subjects",
                                            "subjects_total", "code",       "duration_us"};
  while (std::getline(in, line)) {
    ++number;
    if (std::vector<std::string> ids = IdNumbersIn(line); !ids.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(path, ":", number, ": holds the ID number ",
                                                        MaskPersonCode(ids[0]), " in clear"));
    }
    if (!absl::StartsWith(line, "{\"time\":")) continue;
    google::protobuf::Struct object;
    if (!google::protobuf::util::JsonStringToMessage(line, &object).ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ":", number, ": a JSON line that does not parse: ", line));
    }
    if (object.fields().contains("event")) {  // a server event (service/events/event_log.h)
      for (const char* field : {"level", "message"}) {
        if (!object.fields().contains(field)) {
          return absl::FailedPreconditionError(
              absl::StrCat(path, ":", number, ": an event line without `", field, "`"));
        }
      }
      continue;
    }
    for (const char* field : kFields) {
      if (!object.fields().contains(field)) {
        return absl::FailedPreconditionError(
            absl::StrCat(path, ":", number, ": an access-log line without `", field, "`"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace credit::testing
