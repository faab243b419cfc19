// MemoryReleaser: hands the memory malloc keeps after frees back to the system, periodically.
//
// glibc's malloc gives each busy thread an arena of its own and keeps what is freed there for
// reuse. With dozens of handler threads building answers of up to hundreds of kilobytes, that
// kept memory grows by hundreds of megabytes over a long run (229 MB of 823 MB at 10 million
// entries after the benchmark's scenarios: bench/README.md), against the 1 GiB the server is
// meant to stay within. malloc_trim returns the free pages of every arena; it takes each arena's
// lock briefly and the pages it returns are faulted in again when malloc reuses them (every 5 s
// cost 64 recorders ~10 % of their throughput here), so it runs on its own thread, every 30 s.
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
