#include "service/registry/page_memory.h"

#include <sys/mman.h>

#include <cstdint>
#include <new>
#include <utility>

namespace credit {

PageMemory::PageMemory(size_t bytes) {
  if (bytes == 0) return;
  const bool huge = bytes >= kHugePageBytes;
  const size_t page = huge ? kHugePageBytes : kPageBytes;
  size_ = (bytes + page - 1) / page * page;
  // mmap aligns to 4 KiB; for huge pages it maps one more, and the ends are trimmed to alignment.
  const size_t mapped = huge ? size_ + kHugePageBytes : size_;
  void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<uintptr_t>(p);
  const uintptr_t aligned = (start + page - 1) & ~uintptr_t{page - 1};
  const uintptr_t end = start + mapped;
  if (aligned > start) munmap(p, aligned - start);
  if (end > aligned + size_) {
    munmap(reinterpret_cast<void*>(aligned + size_), end - aligned - size_);
  }
  data_ = reinterpret_cast<char*>(aligned);
  if (huge) madvise(data_, size_, MADV_HUGEPAGE);  // a hint: EINVAL where the kernel has no THP
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
