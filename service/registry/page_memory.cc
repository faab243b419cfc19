#include "service/registry/page_memory.h"

#include <sys/mman.h>

#include <cstdint>
#include <new>
#include <utility>

namespace credit {

size_t PageMemory::RoundUp(size_t bytes) {
  const size_t page = bytes >= kHugePageBytes ? kHugePageBytes : kPageBytes;
  return (bytes + page - 1) / page * page;
}

PageMemory::PageMemory(size_t bytes) {
  if (bytes == 0) return;
  size_ = RoundUp(bytes);
  if (size_ < kHugePageBytes) {
    void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<char*>(p);
    return;
  }
  // Mapped one huge page longer, then trimmed at both ends to an aligned block.
  const size_t mapped = size_ + kHugePageBytes;
  void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<uintptr_t>(p);
  const uintptr_t aligned = (start + kHugePageBytes - 1) & ~uintptr_t{kHugePageBytes - 1};
  if (aligned > start) munmap(p, aligned - start);
  const uintptr_t end = start + mapped;
  if (end > aligned + size_)
    munmap(reinterpret_cast<void*>(aligned + size_), end - aligned - size_);
  data_ = reinterpret_cast<char*>(aligned);
  madvise(data_, size_, MADV_HUGEPAGE);  // a hint: EINVAL where the kernel has no THP
}

PageMemory::~PageMemory() {
  if (data_ != nullptr) munmap(data_, size_);
}

PageMemory::PageMemory(PageMemory&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

PageMemory& PageMemory::operator=(PageMemory&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

}  // namespace credit
