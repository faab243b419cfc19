// Page tokens: opaque to clients, bound to the filters of the request that produced them.
// A token carries where the next page starts and a fingerprint of the request's filters; a token
// presented with other filters, or not produced here, is INVALID_ARGUMENT.
// Pure functions; thread-safe.
#ifndef CREDIT_SERVICE_REGISTRY_PAGE_TOKEN_H_
#define CREDIT_SERVICE_REGISTRY_PAGE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace credit {

// A fingerprint of every field of `request` but page_size and page_token.
uint64_t FilterFingerprint(const google::protobuf::Message& request);

// The token for a page that starts at `position` (a storage key or key suffix).
std::string EncodePageToken(uint64_t fingerprint, absl::string_view position);

// The position in `token`. Empty token: empty position (the first page).
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, uint64_t fingerprint);

}  // namespace credit

#endif  // CREDIT_SERVICE_REGISTRY_PAGE_TOKEN_H_
