// The tree-head signing key on disk: a PKCS#8 PEM file readable only by its owner, and its
// public key beside it as FILE.pub (SubjectPublicKeyInfo PEM) for verifiers to take.
#ifndef CREDIT_SERVICE_SIGNING_SIGNING_KEY_FILE_H_
#define CREDIT_SERVICE_SIGNING_SIGNING_KEY_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/crypto/ed25519.h"

namespace credit {

// Reads the key in `path`; when the file does not exist, generates a key and writes it (mode
// 0600, synced, via a temporary file and rename) and its public key to `path`.pub. Rewrites a
// missing or stale .pub. Never prints the key. INVALID_ARGUMENT when the file holds no Ed25519
// key, INTERNAL when it cannot be written.
absl::StatusOr<SigningKey> LoadOrCreateSigningKey(const std::string& path);

}  // namespace credit

#endif  // CREDIT_SERVICE_SIGNING_SIGNING_KEY_FILE_H_
