#include "service/registry/page_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"
#include "common/encoding/big_endian.h"
#include "common/proto/deterministic.h"
#include "google/protobuf/descriptor.h"

namespace credit {
namespace {

constexpr char kTokenVersion = 2;
constexpr size_t kTagSize = 16;

absl::Status BadToken() {
  return absl::InvalidArgumentError(
      "page_token: not a token this call issued for these filters; want the next_page_token of "
      "the previous page, with the same filters");
}

}  // namespace

uint64_t FilterFingerprint(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> filters(request.New());
  filters->CopyFrom(request);
  const auto* descriptor = filters->GetDescriptor();
  const auto* reflection = filters->GetReflection();
  for (const char* name : {"page_size", "page_token"}) {
    if (const auto* field = descriptor->FindFieldByName(name)) {
      reflection->ClearField(filters.get(), field);
    }
  }
  Hash256 hash = Sha256({descriptor->full_name(), SerializeDeterministic(*filters)});
  return ReadBigEndian64(AsBytes(hash));
}

std::string PageTokens::Tag(uint64_t fingerprint, absl::string_view position) const {
  std::string message = absl::StrCat(BigEndian64(fingerprint), position);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac,
           &size) == nullptr) {
    std::abort();  // HMAC-SHA-256 fails only without memory
  }
  return std::string(reinterpret_cast<const char*>(mac), kTagSize);
}

std::string PageTokens::Encode(uint64_t fingerprint, absl::string_view position) const {
  std::string raw =
      absl::StrCat(absl::string_view(&kTokenVersion, 1), position, Tag(fingerprint, position));
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::string> PageTokens::Decode(absl::string_view token,
                                               uint64_t fingerprint) const {
  if (token.empty()) return std::string();
  std::string raw;
  if (token.size() > 1024 || !absl::WebSafeBase64Unescape(token, &raw) ||
      raw.size() < 1 + kTagSize || raw[0] != kTokenVersion) {
    return BadToken();
  }
  std::string position = raw.substr(1, raw.size() - 1 - kTagSize);
  std::string tag = Tag(fingerprint, position);
  if (CRYPTO_memcmp(tag.data(), raw.data() + raw.size() - kTagSize, kTagSize) != 0) {
    return BadToken();
  }
  return position;
}

}  // namespace credit
