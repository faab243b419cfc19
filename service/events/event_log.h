// The running server's events — it listens, reloads identities, stops; a background task failed
// and will retry; a call failed on the server's side — as one JSON object per line on stderr, for
// journald: {"time":"2026-12-07T06:30:01.204518Z","level":"info","event":"listening",
// "message":"listening on 127.0.0.1:50051 (mTLS), data in /var/lib/credit-registry/data"}.
// `event` is a fixed snake_case name to filter on; `message` is for people, and never holds a
// person's ID number in clear. A refusal to start (a bad configuration) stays one plain line,
// for whoever started it. Each line is one write(2): lines of different threads never mix.
// Thread-safe.
#ifndef CREDIT_SERVICE_EVENTS_EVENT_LOG_H_
#define CREDIT_SERVICE_EVENTS_EVENT_LOG_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace credit {

enum class EventLevel { kInfo, kWarning, kError };

void LogEvent(EventLevel level, absl::string_view event, absl::string_view message);

// The line LogEvent writes at `time`, without its newline.
std::string EventLine(absl::Time time, EventLevel level, absl::string_view event,
                      absl::string_view message);

// Appends `text` to `out` as a JSON string, quotes included (UTF-8 passes through).
void AppendJsonString(absl::string_view text, std::string* out);

}  // namespace credit

#endif  // CREDIT_SERVICE_EVENTS_EVENT_LOG_H_
