// credit::ChangeChain and credit::QueryChain — the checks of a whole log read in order, the same
// whichever way it is read (pages of ListChanges and ListQueries by creditctl, the stored log by
// `creditd verify`). A change log's records must each decode, name their own sequence and carry
// the hash of the record before; their hashes build the RFC 6962 tree whose root a signed head
// states. A query log's records are hash-chained likewise (they have no tree).
// Not thread-safe: one chain per walk.
#ifndef CREDIT_CLIENT_INCLUDE_CREDIT_CHAINS_H_
#define CREDIT_CLIENT_INCLUDE_CREDIT_CHAINS_H_

#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/sha256.h"
#include "common/merkle/merkle.h"
#include "credit/registry/v1/resources.pb.h"

namespace credit {

namespace v1 = ::credit::registry::v1;

class ChangeChain {
 public:
  // Called with each Merkle node a record completes (level, index, hash).
  using NodeSink = absl::FunctionRef<void(int, uint64_t, const Hash256&)>;

  // Checks `record` (canonical record bytes) as change size() and takes it into the tree.
  // DATA_LOSS "change N: why" otherwise: it does not decode, it names another sequence, or the
  // previous hash it carries is not the last record's (then the change named is the one before:
  // that is the record that differs from what its successor recorded).
  absl::Status Add(absl::string_view record);
  // The same for a record decoded and hashed elsewhere: its stated sequence, the previous hash it
  // carries and its own hash.
  absl::Status AddHashed(uint64_t sequence, const Hash256& previous_hash, const Hash256& hash,
                         NodeSink node);

  // How many records were taken, the last one's hash (zeros before the first), and the root of
  // the tree of them all.
  uint64_t size() const { return tree_.size(); }
  const Hash256& last_hash() const { return last_hash_; }
  Hash256 Root() const { return tree_.Root(); }

 private:
  merkle::CompactRange tree_;
  Hash256 last_hash_{};
};

class QueryChain {
 public:
  // Checks `record` as query size() and returns its hash: it names that sequence, and carries the
  // last record's hash (32 zero bytes for the first). DATA_LOSS "query N: why" otherwise (a wrong
  // previous hash names the query before, as ChangeChain does).
  absl::StatusOr<Hash256> Add(const v1::QueryRecord& record);
  uint64_t size() const { return size_; }

 private:
  uint64_t size_ = 0;
  Hash256 last_hash_{};
};

}  // namespace credit

#endif  // CREDIT_CLIENT_INCLUDE_CREDIT_CHAINS_H_
