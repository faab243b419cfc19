// Page tokens: opaque to clients, bound to the filters of the request that produced them, and
// unforgeable. A token carries where the next page starts and an HMAC-SHA-256 tag, under the
// registry's own secret key, over that position and a fingerprint of the request's filters.
// A token presented with other filters, altered, or not made by this registry is
// INVALID_ARGUMENT. Thread-safe (immutable).
#ifndef CREDIT_SERVICE_REGISTRY_PAGE_TOKEN_H_
#define CREDIT_SERVICE_REGISTRY_PAGE_TOKEN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace credit {

// A fingerprint of every field of `request` but page_size and page_token.
uint64_t FilterFingerprint(const google::protobuf::Message& request);

class PageTokens {
 public:
  // `key`: the secret (32 random bytes kept in the store's meta family).
  explicit PageTokens(std::string key) : key_(std::move(key)) {}

  // The token for a page of the request with `fingerprint` that starts at `position` (a storage
  // key; tokens for positions of up to 256 bytes always decode, far above the 32 used).
  std::string Encode(uint64_t fingerprint, absl::string_view position) const;

  // The position in `token`. Empty token: empty position (the first page).
  absl::StatusOr<std::string> Decode(absl::string_view token, uint64_t fingerprint) const;

 private:
  std::string Tag(uint64_t fingerprint, absl::string_view position) const;
  std::string key_;
};

}  // namespace credit

#endif  // CREDIT_SERVICE_REGISTRY_PAGE_TOKEN_H_
