#include "service/server/access_log.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/subject/subject_code.h"
#include "service/events/event_log.h"

namespace credit {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr size_t kFlushBytes = 64 << 10;
constexpr size_t kAtomicWrite = PIPE_BUF;
constexpr std::chrono::milliseconds kFlushEvery(100);
// Digit runs this long in a request id could be an ID number (15 digits: the first generation).
constexpr size_t kLongestClearDigitRun = 14;

// `id` with each run of more than kLongestClearDigitRun digits masked as MaskPersonCode masks
// (first six and last four kept when the run is 18 long, all of it otherwise).
std::string ScrubRequestId(absl::string_view id) {
  std::string out;
  out.reserve(id.size());
  size_t i = 0;
  while (i < id.size()) {
    size_t end = i;
    while (end < id.size() && (absl::ascii_isdigit(id[end]) ||
                               (end > i && end - i == 17 && (id[end] == 'X' || id[end] == 'x')))) {
      ++end;
    }
    if (end == i) {
      out.push_back(id[i++]);
      continue;
    }
    absl::string_view run = id.substr(i, end - i);
    out += run.size() > kLongestClearDigitRun ? MaskPersonCode(run) : std::string(run);
    i = end;
  }
  return out;
}

void AddSubject(absl::string_view code, AccessLog::Call* call) {
  if (call->subjects.size() < AccessLog::kMaxSubjectsShown) {
    call->subjects.push_back(AccessLog::ShownCode(code));
  }
  ++call->subjects_total;
}

// The subject code of an Entry message (its `subject`'s `code`), if it has one.
void AddEntrySubject(const Message& entry, AccessLog::Call* call) {
  const FieldDescriptor* subject = entry.GetDescriptor()->FindFieldByName("subject");
  if (subject == nullptr || subject->type() != FieldDescriptor::TYPE_MESSAGE ||
      subject->is_repeated() || !entry.GetReflection()->HasField(entry, subject)) {
    return;
  }
  const Message& s = entry.GetReflection()->GetMessage(entry, subject);
  const FieldDescriptor* code = s.GetDescriptor()->FindFieldByName("code");
  if (code == nullptr || code->type() != FieldDescriptor::TYPE_STRING || code->is_repeated()) {
    return;
  }
  std::string scratch;
  AddSubject(s.GetReflection()->GetStringReference(s, code, &scratch), call);
}

}  // namespace

namespace {
bool IsPipe(int fd) {
  struct stat st;
  return fstat(fd, &st) != 0 || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
}
}  // namespace

AccessLog::AccessLog(int fd) : fd_(fd), to_pipe_(IsPipe(fd)), writer_([this] { Run(); }) {}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

std::string AccessLog::ShownCode(absl::string_view code) {
  if (code.size() == 18 && ValidateUscc(code, "").ok() &&
      ClassifySubjectCode(code, "").value_or(CodeKind::kPerson) == CodeKind::kOrganization) {
    return std::string(code);
  }
  return MaskPersonCode(code);
}

void AccessLog::Describe(const Message& request, Call* call) {
  const google::protobuf::Descriptor* type = request.GetDescriptor();
  const Reflection* reflection = request.GetReflection();
  std::string scratch;
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    const std::string& name = field->name();
    if (field->type() == FieldDescriptor::TYPE_STRING && !field->is_repeated()) {
      if (name == "request_id") {
        call->request_id = ScrubRequestId(reflection->GetStringReference(request, field, &scratch));
      } else if (name == "subject_code" && reflection->HasField(request, field)) {
        AddSubject(reflection->GetStringReference(request, field, &scratch), call);
      }
    } else if (field->type() == FieldDescriptor::TYPE_STRING && name == "subject_codes") {
      for (int k = 0; k < reflection->FieldSize(request, field); ++k) {
        AddSubject(reflection->GetRepeatedStringReference(request, field, k, &scratch), call);
      }
    } else if (field->type() == FieldDescriptor::TYPE_MESSAGE && name == "entry" &&
               !field->is_repeated() && reflection->HasField(request, field)) {
      AddEntrySubject(reflection->GetMessage(request, field), call);
    } else if (field->type() == FieldDescriptor::TYPE_MESSAGE && name == "entries" &&
               field->is_repeated()) {
      for (int k = 0; k < reflection->FieldSize(request, field); ++k) {
        AddEntrySubject(reflection->GetRepeatedMessage(request, field, k), call);
      }
    }
  }
}

std::string AccessLog::Line(const Call& call) {
  std::string line;
  AppendLine(call, &line);
  return line;
}

void AccessLog::AppendLine(const Call& call, std::string* out) {
  std::string& line = *out;
  // The time to the second is formatted once a second per thread; the microseconds by hand.
  thread_local int64_t formatted_second = -1;
  thread_local std::string second_text;
  const int64_t micros = absl::ToUnixMicros(call.time);
  const int64_t second = micros >= 0 ? micros / 1000000 : (micros - 999999) / 1000000;
  if (second != formatted_second) {
    second_text =
        absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(second), absl::UTCTimeZone());
    formatted_second = second;
  }
  absl::StrAppend(&line, "{\"time\":\"", second_text, ".",
                  absl::Dec(micros - second * 1000000, absl::kZeroPad6), "Z\"");
  line += ",\"method\":";
  AppendJsonString(call.method, &line);
  line += ",\"identity\":";
  if (call.caller != nullptr) {
    AppendJsonString(call.caller->identity, &line);
    line += ",\"department\":";
    AppendJsonString(call.caller->department, &line);
  } else {
    line += "null,\"department\":null";
  }
  line += ",\"request_id\":";
  AppendJsonString(call.request_id, &line);
  line += ",\"subjects\":[";
  for (size_t i = 0; i < call.subjects.size(); ++i) {
    if (i > 0) line += ',';
    AppendJsonString(call.subjects[i], &line);
  }
  absl::StrAppend(&line, "],\"subjects_total\":", call.subjects_total, ",\"code\":");
  AppendJsonString(absl::StatusCodeToString(call.code), &line);
  absl::StrAppend(&line, ",\"duration_us\":", absl::ToInt64Microseconds(call.duration), "}");
}

void AccessLog::Record(const Call& call) {
  // Each answering thread builds its lines in a buffer of its own, which keeps its memory.
  thread_local std::string line;
  line.clear();
  AppendLine(call, &line);
  line.push_back('\n');
  bool full;
  {
    std::lock_guard lock(mu_);
    pending_ += line;
    full = pending_.size() >= kFlushBytes;
  }
  if (full) wake_.notify_one();
}

void AccessLog::Run() {
  std::string out;  // the lines being written; its memory goes back to pending_ each time
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait_for(lock, kFlushEvery, [&] { return stop_ || pending_.size() >= kFlushBytes; });
    out.clear();
    out.swap(pending_);
    const bool stopping = stop_;
    lock.unlock();
    WriteOut(out);
    lock.lock();
    if (stopping && pending_.empty()) return;
  }
}

// To a pipe (journald), in whole lines of at most PIPE_BUF bytes a write: the pipe keeps such a
// write whole, so the server's other stderr lines never land inside one of these. To a file, all
// at once (O_APPEND writes are whole).
void AccessLog::WriteOut(const std::string& bytes) {
  absl::string_view rest = bytes;
  while (!rest.empty()) {
    size_t size = rest.size();
    if (to_pipe_ && size > kAtomicWrite) {
      size_t end = rest.substr(0, kAtomicWrite).rfind('\n');
      size = end == absl::string_view::npos ? kAtomicWrite : end + 1;
    }
    ssize_t n = ::write(fd_, rest.data(), size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to log to: the lines are dropped, the service goes on
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace credit
