// PageMemory: a block of anonymous memory mapped for one large array that is read at random
// (the status index's table shards and arena chunks). Blocks of 2 MiB and more are whole, aligned
// 2 MiB pages offered to the kernel for transparent huge pages (madvise MADV_HUGEPAGE), so that a
// lookup's random reads do not also miss the TLB and walk the page tables (docs/performance.md,
// "Shards and huge pages"). Where huge pages are off (transparent_hugepage=never) the block is
// ordinary memory. Smaller blocks are whole 4 KiB pages. The memory starts zeroed. Move-only.
#ifndef CREDIT_SERVICE_REGISTRY_PAGE_MEMORY_H_
#define CREDIT_SERVICE_REGISTRY_PAGE_MEMORY_H_

#include <cstddef>

namespace credit {

class PageMemory {
 public:
  static constexpr size_t kHugePageBytes = size_t{2} << 20;
  static constexpr size_t kPageBytes = size_t{4} << 10;

  PageMemory() = default;
  // At least `bytes`, rounded up to whole pages (huge pages from kHugePageBytes up). Throws
  // std::bad_alloc when no memory is left, as operator new does.
  explicit PageMemory(size_t bytes);
  ~PageMemory();
  PageMemory(PageMemory&& other) noexcept;
  PageMemory& operator=(PageMemory&& other) noexcept;
  PageMemory(const PageMemory&) = delete;
  PageMemory& operator=(const PageMemory&) = delete;

  char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace credit

#endif  // CREDIT_SERVICE_REGISTRY_PAGE_MEMORY_H_
