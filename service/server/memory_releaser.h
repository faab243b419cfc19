// MemoryReleaser: hands the memory malloc keeps after frees back to the system, periodically.
//
// glibc's malloc gives each busy thread an arena of its own and keeps what is freed there for
// reuse; with dozens of handler threads that kept memory grows by hundreds of megabytes over a
// long run (docs/performance.md, "Memory"). malloc_trim returns the free pages of every arena; it
// takes each arena's lock briefly and the pages come back as faults when malloc reuses them, so
// it runs on its own thread at a period of minutes, not seconds.
#ifndef CREDIT_SERVICE_SERVER_MEMORY_RELEASER_H_
#define CREDIT_SERVICE_SERVER_MEMORY_RELEASER_H_

#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace credit {

class MemoryReleaser {
 public:
  // Calls `release` every `interval` until destroyed; by default, malloc_trim(0) under glibc and
  // nothing elsewhere.
  explicit MemoryReleaser(absl::Duration interval,
                          std::function<void()> release = ReleaseFreeMemory);
  // Stops the thread at once (it does not wait out the interval).
  ~MemoryReleaser();
  MemoryReleaser(const MemoryReleaser&) = delete;
  MemoryReleaser& operator=(const MemoryReleaser&) = delete;

  static void ReleaseFreeMemory();

 private:
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace credit

#endif  // CREDIT_SERVICE_SERVER_MEMORY_RELEASER_H_
