#include "service/server/memory_releaser.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <utility>

namespace credit {

MemoryReleaser::MemoryReleaser(absl::Duration interval, std::function<void()> release) {
  thread_ = std::thread([this, interval, release = std::move(release)] {
    absl::MutexLock lock(&mu_);
    while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval)) {
      mu_.Unlock();
      release();
      mu_.Lock();
    }
  });
}

MemoryReleaser::~MemoryReleaser() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void MemoryReleaser::ReleaseFreeMemory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace credit
