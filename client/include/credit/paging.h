// credit::ListAll — a whole collection from a paginated list call (AIP-158 pages: page_size,
// page_token, next_page_token), so that callers print or process it instead of paging by hand.
// Thread-safe as the `list` it is given.
#ifndef CREDIT_CLIENT_INCLUDE_CREDIT_PAGING_H_
#define CREDIT_CLIENT_INCLUDE_CREDIT_PAGING_H_

#include <algorithm>
#include <cstdint>
#include <limits>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace credit {

// Calls `list` with `request`, page after page, and gathers each page's items (the repeated field
// `items` names, e.g. &v1::ListEntriesResponse::mutable_entries) into one response, until the
// last page or `limit` items. Pages ask for at most 1000 items (the servers' maximum) and no more
// than are still wanted. The answer's next_page_token is where a further listing would go on
// (empty when the collection ended). The first failing call's status is returned as it is.
template <typename Request, typename Response, typename Item>
absl::StatusOr<Response> ListAll(Request request,
                                 absl::FunctionRef<absl::StatusOr<Response>(const Request&)> list,
                                 google::protobuf::RepeatedPtrField<Item>* (Response::*items)(),
                                 uint64_t limit = std::numeric_limits<uint64_t>::max()) {
  Response all;
  google::protobuf::RepeatedPtrField<Item>* gathered = (all.*items)();
  do {
    uint64_t wanted = limit - static_cast<uint64_t>(gathered->size());
    request.set_page_size(static_cast<int>(std::min<uint64_t>(wanted, 1000)));
    absl::StatusOr<Response> page = list(request);
    if (!page.ok()) return page.status();
    for (Item& item : *((*page).*items)()) *gathered->Add() = std::move(item);
    all.set_next_page_token(page->next_page_token());
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty() && static_cast<uint64_t>(gathered->size()) < limit);
  return all;
}

}  // namespace credit

#endif  // CREDIT_CLIENT_INCLUDE_CREDIT_PAGING_H_
