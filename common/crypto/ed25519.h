// Ed25519 (RFC 8032, PureEdDSA) through OpenSSL's EVP interface: the key that signs tree heads
// and the check clients make. SigningKey is immutable after creation and thread-safe.
#ifndef CREDIT_COMMON_CRYPTO_ED25519_H_
#define CREDIT_COMMON_CRYPTO_ED25519_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace credit {

class SigningKey {
 public:
  // A new random key.
  static absl::StatusOr<SigningKey> Generate();
  // A key from its PKCS#8 PEM (a "BEGIN PRIVATE KEY" block). INVALID_ARGUMENT when the text
  // is not an Ed25519 private key.
  static absl::StatusOr<SigningKey> FromPem(absl::string_view pem);

  std::string PrivatePem() const;
  // SubjectPublicKeyInfo PEM (a "BEGIN PUBLIC KEY" block).
  std::string PublicPem() const;
  // The 32 raw bytes of the public key.
  std::string PublicKey() const;
  // The 64-byte signature of `message`.
  std::string Sign(absl::string_view message) const;

 private:
  explicit SigningKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
  std::shared_ptr<EVP_PKEY> key_;
};

// The 32 raw bytes of the Ed25519 public key in a SubjectPublicKeyInfo PEM.
absl::StatusOr<std::string> PublicKeyFromPem(absl::string_view pem);

// True when `signature` is `public_key`'s (32 raw bytes) signature of `message`.
bool VerifyEd25519(absl::string_view public_key, absl::string_view message,
                   absl::string_view signature);

}  // namespace credit

#endif  // CREDIT_COMMON_CRYPTO_ED25519_H_
