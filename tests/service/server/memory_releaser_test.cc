#include "service/server/memory_releaser.h"

#include <gtest/gtest.h>
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/time/clock.h"

namespace credit {
namespace {

TEST(MemoryReleaserTest, ReleasesAtEachIntervalAndStopsAtOnceWhenDestroyed) {
  std::atomic<int> calls{0};
  auto releaser = std::make_unique<MemoryReleaser>(absl::Milliseconds(20), [&calls] { ++calls; });
  for (int i = 0; i < 500 && calls.load() < 3; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_GE(calls.load(), 3);
  absl::Time before = absl::Now();
  releaser.reset();
  int after_stop = calls.load();
  EXPECT_LT(absl::Now() - before, absl::Seconds(1));
  absl::SleepFor(absl::Milliseconds(60));
  EXPECT_EQ(calls.load(), after_stop);
}

TEST(MemoryReleaserTest, AnIntervalNotYetOverReleasesNothing) {
  std::atomic<int> calls{0};
  {
    MemoryReleaser releaser(absl::Hours(1), [&calls] { ++calls; });
  }
  EXPECT_EQ(calls.load(), 0);
}

#if defined(__GLIBC__)
long ResidentBytes() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
  std::fclose(f);
  return resident * sysconf(_SC_PAGESIZE);
}

// What free() keeps (it gives back only a large free top of the heap, and not even that with the
// trim threshold raised as here) goes back to the system when released.
TEST(MemoryReleaserTest, TheDefaultReleaseReturnsFreedMemoryToTheSystem) {
  constexpr int kBlocks = 800;
  constexpr size_t kBlockBytes = 100 << 10;  // below malloc's mmap threshold: from the heap
  ASSERT_EQ(mallopt(M_TRIM_THRESHOLD, 1 << 30), 1);
  std::vector<char*> blocks;
  for (int i = 0; i < kBlocks; ++i) {
    blocks.push_back(static_cast<char*>(std::malloc(kBlockBytes)));
    std::memset(blocks.back(), 1, kBlockBytes);
  }
  for (char* block : blocks) std::free(block);
  long kept = ResidentBytes();
  MemoryReleaser::ReleaseFreeMemory();
  long released = kept - ResidentBytes();
  mallopt(M_TRIM_THRESHOLD, 128 << 10);  // glibc's default
  EXPECT_GT(released, long{kBlocks} * static_cast<long>(kBlockBytes) / 2);
}
#endif

}  // namespace
}  // namespace credit
