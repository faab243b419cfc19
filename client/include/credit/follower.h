// credit::Follower — a department's verified copy of the change stream (WatchChanges). It keeps
// the tree of the changes it has taken as a compact range (one hash per set bit of its size) and
// the last signed head, and takes a batch only when every check passes:
//   - the head is signed by the key the follower was given (never one the server names);
//   - the batch starts where the follower stands and its changes are consecutive;
//   - each change carries the hash of the one before; each change sent with its record bytes
//     hashes to its stated hash, and the fields shown decode from those bytes;
//   - the changes' hashes extend the follower's tree to exactly the head's root.
// The last check makes a forked history impossible to feed it: a head whose tree does not
// contain the changes the follower took cannot have that root. Whatever fails, the follower
// stays where it was (FAILED_PRECONDITION naming the check).
//
// Changes shown at the status level (to roles that may not read case facts) come without record
// bytes: their hashes are chained and rooted like all others, but their fields cannot be checked
// against the hash.
//
// Not thread-safe.
#ifndef CREDIT_CLIENT_INCLUDE_CREDIT_FOLLOWER_H_
#define CREDIT_CLIENT_INCLUDE_CREDIT_FOLLOWER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "common/crypto/sha256.h"
#include "common/merkle/merkle.h"
#include "credit/log_verifier.h"
#include "credit/registry/v1/registry.pb.h"

namespace credit {

class Follower {
 public:
  // `public_key`: the 32 raw bytes of the server's Ed25519 tree-head key.
  explicit Follower(std::string public_key);
  static absl::StatusOr<Follower> FromPublicKeyFile(const std::string& path);

  // Takes one message of the stream. A follower that has taken nothing yet starts where the
  // message's changes start: at 0, or at the start_frontier the first message carries, checked
  // against its signed start_head.
  absl::Status Accept(const v1::WatchChangesResponse& batch);

  // The sequence of the next change it expects (the size of its tree).
  uint64_t next_sequence() const { return tree_.size(); }
  // The last head it took, if any.
  const std::optional<v1::SignedTreeHead>& head() const { return head_; }

  // Stores its state in `path` (replaced atomically) / resumes from the state stored there.
  // NOT_FOUND when the file does not exist; DATA_LOSS when it does not parse or its head is not
  // signed by the key.
  absl::Status Save(const std::string& path) const;
  absl::Status Load(const std::string& path);

 private:
  // The tree the first message's start_frontier stands for (from_sequence > 0), checked
  // against its signed start_head.
  absl::StatusOr<merkle::CompactRange> StartTree(const v1::WatchChangesResponse& batch) const;

  std::unique_ptr<LogVerifier> verifier_;
  bool started_ = false;
  merkle::CompactRange tree_;
  Hash256 last_hash_{};
  bool last_hash_known_ = false;  // not after a start from a frontier, until the first change
  std::optional<v1::SignedTreeHead> head_;
};

}  // namespace credit

#endif  // CREDIT_CLIENT_INCLUDE_CREDIT_FOLLOWER_H_
