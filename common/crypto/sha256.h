// SHA-256 through OpenSSL's EVP interface. Thread-safe: every call uses its own context.
#ifndef CREDIT_COMMON_CRYPTO_SHA256_H_
#define CREDIT_COMMON_CRYPTO_SHA256_H_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/strings/string_view.h"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace credit {

using Hash256 = std::array<uint8_t, 32>;

// SHA-256 of the concatenation of `parts`. Aborts if OpenSSL fails, which only happens when the
// process is out of memory or the library is broken: no caller could recover.
Hash256 Sha256(std::initializer_list<absl::string_view> parts);

// SHA-256 of bytes given piece by piece (a file as it is written or read). Not thread-safe.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;

  void Update(absl::string_view bytes);
  // The hash of everything given; the stream starts again empty.
  Hash256 Finish();

 private:
  ::evp_md_ctx_st* ctx_;
};

absl::string_view AsBytes(const Hash256& hash);
std::string ToHex(absl::string_view bytes);

}  // namespace credit

#endif  // CREDIT_COMMON_CRYPTO_SHA256_H_
