// CallLimiter: how many calls one identity may have in flight at once, so that one department's
// system (or one stolen certificate) looping on the service cannot take every handler thread
// from the others. Calls past an identity's limit are refused at once with RESOURCE_EXHAUSTED.
// Thread-safe.
#ifndef CREDIT_SERVICE_AUTH_CALL_LIMITER_H_
#define CREDIT_SERVICE_AUTH_CALL_LIMITER_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "service/auth/caller.h"

namespace credit {

class CallLimiter {
 public:
  // `default_limit`: for identities whose Caller::max_calls is 0.
  explicit CallLimiter(int default_limit) : default_limit_(default_limit) {}

  // One call in flight; it ends when the Slot is destroyed.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) noexcept;
    ~Slot();

   private:
    friend class CallLimiter;
    Slot(CallLimiter* limiter, std::string identity);
    CallLimiter* limiter_ = nullptr;
    std::string identity_;
  };

  // A slot for one call of `caller`, or RESOURCE_EXHAUSTED naming the identity and its limit
  // when that many of its calls are in flight already.
  absl::Status Enter(const Caller& caller, Slot* slot);

 private:
  void Leave(const std::string& identity);

  const int default_limit_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, int> in_flight_ ABSL_GUARDED_BY(mu_);
};

}  // namespace credit

#endif  // CREDIT_SERVICE_AUTH_CALL_LIMITER_H_
