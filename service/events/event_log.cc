#include "service/events/event_log.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace credit {

void AppendJsonString(absl::string_view text, std::string* out) {
  out->push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

std::string EventLine(absl::Time time, EventLevel level, absl::string_view event,
                      absl::string_view message) {
  std::string line = "{\"time\":";
  AppendJsonString(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone()), &line);
  line += ",\"level\":";
  AppendJsonString(level == EventLevel::kInfo      ? "info"
                   : level == EventLevel::kWarning ? "warning"
                                                   : "error",
                   &line);
  line += ",\"event\":";
  AppendJsonString(event, &line);
  line += ",\"message\":";
  AppendJsonString(message, &line);
  line += "}";
  return line;
}

void LogEvent(EventLevel level, absl::string_view event, absl::string_view message) {
  std::string line = EventLine(absl::Now(), level, event, message);
  line.push_back('\n');
  absl::string_view rest = line;
  while (!rest.empty()) {
    ssize_t n = ::write(2, rest.data(), rest.size());
    if (n <= 0) return;  // nowhere to log to
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace credit
