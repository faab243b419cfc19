// AccessLog: one JSON line per call, for journald (creditd's stderr): when, which method, who
// (identity and department, or the certificate's refusal), the request id, the subjects the
// request names, the answer's code and how long the call took. A subject code is shown only as
// anyone may see it: an organisation's valid USCC in clear, anything else — a person's ID number,
// a malformed code — masked (MaskPersonCode); a run of 15 or more digits in a request id is
// masked likewise. So no line holds a person's ID number in clear.
//
// A call never waits for the disk: lines are gathered in memory and written by a thread of its
// own every 100 ms, or as soon as 64 KiB are waiting. Lines gathered when the process dies are
// lost; the query log and the change log, not this, are the record of who saw and changed what.
// Thread-safe.
#ifndef CREDIT_SERVICE_SERVER_ACCESS_LOG_H_
#define CREDIT_SERVICE_SERVER_ACCESS_LOG_H_

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "service/auth/caller.h"

namespace credit {

class AccessLog {
 public:
  // At most this many subjects are named in a line; `subjects_total` counts them all.
  static constexpr size_t kMaxSubjectsShown = 10;

  struct Call {
    absl::Time time;
    absl::string_view method;
    const Caller* caller = nullptr;  // null when the certificate named no identity
    std::string request_id;
    std::vector<std::string> subjects;  // as shown (ShownCode), at most kMaxSubjectsShown
    size_t subjects_total = 0;
    absl::StatusCode code = absl::StatusCode::kOk;
    absl::Duration duration;
  };

  // Writes to `fd` (stderr by default).
  explicit AccessLog(int fd = 2);
  // Writes what is gathered, then stops the writer.
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void Record(const Call& call);

  // The request id and subject codes `request` names: its `request_id`, `subject_code`,
  // `subject_codes`, and the subject codes of its `entry` or `entries`; into `call`, as shown.
  static void Describe(const google::protobuf::Message& request, Call* call);
  // A subject code as a log line may show it.
  static std::string ShownCode(absl::string_view code);
  // The line for `call`, without its newline.
  static std::string Line(const Call& call);

 private:
  static void AppendLine(const Call& call, std::string* out);
  void Run();
  void WriteOut(const std::string& bytes);

  const int fd_;
  const bool to_pipe_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::string pending_;
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace credit

#endif  // CREDIT_SERVICE_SERVER_ACCESS_LOG_H_
