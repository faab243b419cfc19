#include "service/auth/call_limiter.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/error_details.h"
#include "common/status/error_reasons.h"

namespace credit {

CallLimiter::Slot::Slot(CallLimiter* limiter, std::string identity)
    : limiter_(limiter), identity_(std::move(identity)) {}

CallLimiter::Slot::Slot(Slot&& other) noexcept
    : limiter_(std::exchange(other.limiter_, nullptr)), identity_(std::move(other.identity_)) {}

CallLimiter::Slot& CallLimiter::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    if (limiter_ != nullptr) limiter_->Leave(identity_);
    limiter_ = std::exchange(other.limiter_, nullptr);
    identity_ = std::move(other.identity_);
  }
  return *this;
}

CallLimiter::Slot::~Slot() {
  if (limiter_ != nullptr) limiter_->Leave(identity_);
}

absl::Status CallLimiter::Enter(const Caller& caller, Slot* slot) {
  const int limit = caller.max_calls > 0 ? caller.max_calls : default_limit_;
  {
    absl::MutexLock lock(&mu_);
    int& count = in_flight_[caller.identity];
    if (count >= limit) {
      return WithErrorInfo(absl::ResourceExhaustedError(absl::StrCat(
                               "identity ", caller.identity, " has ", count,
                               " calls in flight, its limit: retry when one has ended")),
                           reason::kTooManyCallsInFlight, {{"limit", absl::StrCat(limit)}});
    }
    ++count;
  }
  *slot = Slot(this, caller.identity);
  return absl::OkStatus();
}

void CallLimiter::Leave(const std::string& identity) {
  absl::MutexLock lock(&mu_);
  auto it = in_flight_.find(identity);
  if (it != in_flight_.end() && --it->second == 0) in_flight_.erase(it);
}

}  // namespace credit
