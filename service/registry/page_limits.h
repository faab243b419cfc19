// PageLimits: where one page of a list call ends. At page_size items; after kMaxScanPerCall
// stored items examined, so that a selective filter cannot turn one call into a scan of the whole
// store; or before an item that would take the page's bytes past kMaxPageBytes, so that every
// page fits any client's receive limit (a single item is always sent). The page then carries a
// token for where the next one starts. Not thread-safe: one per call.
#ifndef CREDIT_SERVICE_REGISTRY_PAGE_LIMITS_H_
#define CREDIT_SERVICE_REGISTRY_PAGE_LIMITS_H_

#include <cstddef>

#include "service/registry/validation.h"

namespace credit {

inline constexpr int kMaxScanPerCall = 10000;

class PageLimits {
 public:
  explicit PageLimits(int page_size) : page_size_(page_size) {}

  // Before the next stored item is examined, with the page's item count so far: false when the
  // page ends before it.
  bool Examine(int items) { return items < page_size_ && ++scanned_ <= kMaxScanPerCall; }

  // Before an item of `bytes` joins the page (of `items` so far): false when the page ends
  // before it.
  bool Fits(int items, size_t bytes) {
    if (items > 0 && bytes_ + bytes > kMaxPageBytes) return false;
    bytes_ += bytes;
    return true;
  }

 private:
  const int page_size_;
  int scanned_ = 0;
  size_t bytes_ = 0;
};

}  // namespace credit

#endif  // CREDIT_SERVICE_REGISTRY_PAGE_LIMITS_H_
