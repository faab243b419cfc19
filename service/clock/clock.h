// The clock the registry reads "now" and "today" from. Injected so that tests can move time.
#ifndef CREDIT_SERVICE_CLOCK_CLOCK_H_
#define CREDIT_SERVICE_CLOCK_CLOCK_H_

#include <atomic>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace credit {

// Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock that stands still until told to move. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : micros_(absl::ToUnixMicros(start)) {}
  absl::Time Now() const override { return absl::FromUnixMicros(micros_.load()); }
  void Set(absl::Time t) { micros_.store(absl::ToUnixMicros(t)); }
  void Advance(absl::Duration d) { micros_.fetch_add(absl::ToInt64Microseconds(d)); }

 private:
  std::atomic<int64_t> micros_;
};

// The system clock moved by an offset an operator sets: `creditd --test-clock`, for black-box
// tests of time-driven transitions. It runs on from the time set, and only moves forward, so
// change record times never go backwards. Thread-safe.
class TestClock final : public Clock {
 public:
  absl::Time Now() const override {
    return absl::Now() + absl::Microseconds(offset_micros_.load());
  }
  // INVALID_ARGUMENT, changing nothing, when `t` is before Now().
  absl::Status Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    const absl::Time now = Now();
    if (t < now) {
      return absl::InvalidArgumentError(absl::StrCat("time: got ", absl::FormatTime(t), ", want ",
                                                     absl::FormatTime(now),
                                                     " or later (the clock only moves forward)"));
    }
    offset_micros_.store(absl::ToInt64Microseconds(t - absl::Now()));
    return absl::OkStatus();
  }

 private:
  absl::Mutex mu_;  // one Set at a time
  std::atomic<int64_t> offset_micros_{0};
};

}  // namespace credit

#endif  // CREDIT_SERVICE_CLOCK_CLOCK_H_
