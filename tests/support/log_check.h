// Checks of what creditd writes to its log, applied to every log a TestServer leaves: no line
// may hold a person's ID number in clear, and every access-log line must be a JSON object with
// the fields access_log.h names.
#ifndef CREDIT_TESTS_SUPPORT_LOG_CHECK_H_
#define CREDIT_TESTS_SUPPORT_LOG_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace credit::testing {

// The valid resident ID numbers (18 characters, region, birth date and check character as
// ValidateResidentId wants them) that stand alone in `text`, not inside a longer run of letters
// and digits (a hex hash, say).
std::vector<std::string> IdNumbersIn(absl::string_view text);

// OK when no line of the log at `path` holds an ID number and every line that starts with
// `{"time":` parses as a JSON object: a server event (level, event, message) or an access line
// (the access log's fields); otherwise FAILED_PRECONDITION naming the first offending line (its
// ID numbers masked).
absl::Status CheckServerLog(const std::string& path);

}  // namespace credit::testing

#endif  // CREDIT_TESTS_SUPPORT_LOG_CHECK_H_
