// SHA-256 through OpenSSL's EVP interface. Thread-safe: every call uses its own context.
#ifndef CREDIT_COMMON_CRYPTO_SHA256_H_
#define CREDIT_COMMON_CRYPTO_SHA256_H_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/strings/string_view.h"

namespace credit {

using Hash256 = std::array<uint8_t, 32>;

// SHA-256 of the concatenation of `parts`. Aborts if OpenSSL fails, which only happens when the
// process is out of memory or the library is broken: no caller could recover.
Hash256 Sha256(std::initializer_list<absl::string_view> parts);

absl::string_view AsBytes(const Hash256& hash);
std::string ToHex(absl::string_view bytes);

}  // namespace credit

#endif  // CREDIT_COMMON_CRYPTO_SHA256_H_
