// credit::LogVerifier — checks what a Credit Registry server says about one of its logs (the
// change log, or the query log with merkle::HeadDomain::kQueryLog), with
// mathematics rather than trust: tree-head signatures against a pinned public key, inclusion
// proofs of records, and consistency proofs between heads. It keeps the last head it trusted
// and refuses any head that would require the history behind that head to have changed.
//
// Thread-safe.
#ifndef CREDIT_CLIENT_INCLUDE_CREDIT_LOG_VERIFIER_H_
#define CREDIT_CLIENT_INCLUDE_CREDIT_LOG_VERIFIER_H_

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/merkle/tree_head.h"
#include "credit/registry/v1/resources.pb.h"

namespace credit {

namespace v1 = ::credit::registry::v1;

class LogVerifier {
 public:
  // `public_key`: the 32 raw bytes of the server's Ed25519 tree-head key; `domain`: which log's
  // heads this verifier accepts.
  explicit LogVerifier(std::string public_key,
                       merkle::HeadDomain domain = merkle::HeadDomain::kChangeLog);

  // Reads the key from a SubjectPublicKeyInfo PEM file (creditd writes one beside its key).
  static absl::StatusOr<std::unique_ptr<LogVerifier>> FromPublicKeyFile(
      const std::string& path, merkle::HeadDomain domain = merkle::HeadDomain::kChangeLog);

  // OK when `head` is well formed (a head of size 0 has the empty tree's root) and signed by the
  // pinned key. FAILED_PRECONDITION otherwise.
  absl::Status VerifyHead(const v1::SignedTreeHead& head) const;

  // OK when the leaf with `leaf_hash` is leaf `sequence` of the tree of the (signed) `head`.
  absl::Status VerifyInclusion(uint64_t sequence, absl::string_view leaf_hash,
                               const std::vector<std::string>& proof,
                               const v1::SignedTreeHead& head) const;

  // OK when `record` (canonical change-record bytes) is leaf `sequence` of `head`'s tree.
  absl::Status VerifyRecordInclusion(uint64_t sequence, absl::string_view record,
                                     const std::vector<std::string>& proof,
                                     const v1::SignedTreeHead& head) const;

  // Checks `head` against the trusted head with `proof`, a consistency proof between the smaller
  // and the larger of the two sizes, and trusts `head` when it is the larger. With no trusted
  // head yet, a validly signed head is trusted as it is. FAILED_PRECONDITION (nothing changes)
  // when the signature or the proof fails: the server showed a history that contradicts one it
  // showed before.
  absl::Status Observe(const v1::SignedTreeHead& head, const std::vector<std::string>& proof);

  // The head trusted so far, if any.
  std::optional<v1::SignedTreeHead> trusted() const;

  // Stores the trusted head in `path` (replacing it atomically) / trusts the head stored there,
  // after checking its signature. NOT_FOUND when the file does not exist.
  absl::Status SaveTrusted(const std::string& path) const;
  absl::Status LoadTrusted(const std::string& path);

 private:
  const std::string public_key_;
  const merkle::HeadDomain domain_;
  mutable std::mutex mu_;
  std::optional<v1::SignedTreeHead> trusted_;
};

}  // namespace credit

#endif  // CREDIT_CLIENT_INCLUDE_CREDIT_LOG_VERIFIER_H_
