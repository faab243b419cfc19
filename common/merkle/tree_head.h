// Signed tree heads: what the server vouches for — the log had `tree_size` records with
// `root_hash` at `timestamp` — in the byte format of tree_head_format.md. Pure functions.
#ifndef CREDIT_COMMON_MERKLE_TREE_HEAD_H_
#define CREDIT_COMMON_MERKLE_TREE_HEAD_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "common/crypto/sha256.h"

namespace credit::merkle {

struct TreeHead {
  uint64_t tree_size = 0;
  // Microseconds since 1970-01-01T00:00:00Z.
  int64_t timestamp_micros = 0;
  Hash256 root_hash{};
  // SHA-256 of the signing key's 32 raw public-key bytes.
  Hash256 key_id{};
};

// Which log a head is of. Each signs under its own label (tree_head_format.md), so a query-log
// head can never be passed off as a change-log head of the same size and root, or the reverse.
enum class HeadDomain { kChangeLog, kQueryLog };

// The exact bytes the Ed25519 signature covers.
std::string TreeHeadSigningInput(const TreeHead& head, HeadDomain domain = HeadDomain::kChangeLog);

// The key id of a raw Ed25519 public key.
Hash256 KeyId(absl::string_view public_key);

// OK when `signature` is `public_key`'s signature of `head` and head.key_id names that key;
// FAILED_PRECONDITION saying which check failed otherwise.
absl::Status VerifyTreeHeadSignature(const TreeHead& head, absl::string_view signature,
                                     absl::string_view public_key,
                                     HeadDomain domain = HeadDomain::kChangeLog);

}  // namespace credit::merkle

#endif  // CREDIT_COMMON_MERKLE_TREE_HEAD_H_
