#include "common/crypto/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace credit {
namespace {

// OpenSSL 3 looks an algorithm named by EVP_sha256() up in its provider store, under a global
// lock, on every EVP_DigestInit: for the 65-byte inputs of Merkle nodes that lookup, and the
// context's allocation, cost more than the hash. So the algorithm is fetched once, and each
// thread keeps one context.
const EVP_MD* Sha256Algorithm() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return md;
}

struct ThreadContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~ThreadContext() { EVP_MD_CTX_free(ctx); }
};

}  // namespace

Hash256 Sha256(std::initializer_list<absl::string_view> parts) {
  thread_local ThreadContext context;
  EVP_MD_CTX* ctx = context.ctx;
  const EVP_MD* md = Sha256Algorithm();
  Hash256 out{};
  unsigned int len = 0;
  bool ok = ctx != nullptr && md != nullptr && EVP_DigestInit_ex2(ctx, md, nullptr) == 1;
  for (absl::string_view part : parts) {
    ok = ok && EVP_DigestUpdate(ctx, part.data(), part.size()) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == out.size();
  if (!ok) std::abort();
  return out;
}

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex2(ctx_, Sha256Algorithm(), nullptr) != 1) std::abort();
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(ctx_); }

void Sha256Stream::Update(absl::string_view bytes) {
  if (EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) != 1) std::abort();
}

Hash256 Sha256Stream::Finish() {
  Hash256 out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, out.data(), &len) != 1 || len != out.size() ||
      EVP_DigestInit_ex2(ctx_, Sha256Algorithm(), nullptr) != 1) {
    std::abort();
  }
  return out;
}

absl::string_view AsBytes(const Hash256& hash) {
  return {reinterpret_cast<const char*>(hash.data()), hash.size()};
}

std::string ToHex(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    auto b = static_cast<uint8_t>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

}  // namespace credit
