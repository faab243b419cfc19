// QueryLog: the trace every status answer and every read of entries by subject leaves — who
// asked, about which subjects (as salted hashes), whether the answer was unmasked, when and why —
// in a verifiable log of its own: hash-chained records (the `queries` column family) under an
// RFC 6962 tree with a signed head for every write (`query_nodes`, `query_heads`), read and
// proven by a SignedTree as the change log's is. Heads are signed with the registry's key in the
// query domain (common/merkle/tree_head_format.md), so neither log's head passes for the other's.
//
// Appending must not slow status answers, so Append() only queues: one writer thread turns
// everything queued within 2 ms of a first record into one synced write batch (group commit) with
// the tree nodes and the head. A record is durable within those 2 ms and one write's time after
// Append() returns; Flush() waits for that. If the process dies, records queued in the last few
// milliseconds can be lost; the chain and the tree stay intact.
// Thread-safe.
#ifndef CREDIT_SERVICE_REGISTRY_QUERY_LOG_H_
#define CREDIT_SERVICE_REGISTRY_QUERY_LOG_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/sha256.h"
#include "common/merkle/merkle.h"
#include "credit/registry/v1/registry.pb.h"
#include "service/auth/caller.h"
#include "service/changelog/signed_tree.h"
#include "service/clock/clock.h"
#include "service/registry/page_token.h"
#include "service/storage/store.h"

namespace credit {

namespace v1 = ::credit::registry::v1;

class QueryLog {
 public:
  // Resumes the chain and the tree stored in `store` (creating the salt on first use; extending
  // the tree over records stored without it, by versions before it, with one head) and starts
  // the writer; `signing_key` signs its heads. DATA_LOSS when the stored records end before the
  // last signed head (records were taken away). `store`, `clock` and `page_tokens` must outlive
  // the log.
  static absl::StatusOr<std::unique_ptr<QueryLog>> Open(Store* store, const Clock* clock,
                                                        const PageTokens* page_tokens,
                                                        SigningKey signing_key);

  // Writes what is queued, then stops the writer.
  ~QueryLog();

  // Queues one record; returns at once. `unmasked`: the answer showed a person's ID number in
  // clear (ShowsPersonInClear).
  void Append(const Caller& caller, absl::string_view rpc, absl::string_view purpose,
              const std::vector<absl::string_view>& subject_codes, bool unmasked = false);

  // Blocks until every record queued before the call is durable; the last write error if one
  // failed (the records stay queued and are retried).
  absl::Status Flush();
  // Records queued and not yet durable.
  uint64_t Backlog();

  // SHA-256(salt || code).
  std::string SubjectHash(absl::string_view code) const;

  // Records in sequence order, filtered; each with its hash.
  absl::StatusOr<v1::ListQueriesResponse> List(const v1::ListQueriesRequest& request) const;

  // The answers of GetQueryTreeHead, GetQueryInclusionProof and GetQueryConsistencyProof, over
  // the records durable when they are asked (requests validated here).
  absl::StatusOr<v1::GetQueryTreeHeadResponse> TreeHead(
      const v1::GetQueryTreeHeadRequest& request) const;
  absl::StatusOr<v1::GetQueryInclusionProofResponse> InclusionProof(
      const v1::GetQueryInclusionProofRequest& request) const;
  absl::StatusOr<v1::GetQueryConsistencyProofResponse> ConsistencyProof(
      const v1::GetQueryConsistencyProofRequest& request) const;

 private:
  // Each record's fields 2 to 6, serialised (QueryRecordPieces' body): one allocation per record,
  // handed from the answering thread to the writer; its unmasked flag and time.
  struct Queued {
    std::string body;
    bool unmasked = false;
    int64_t time_micros = 0;
  };
  // The last write's head and the store as it stood right after it.
  struct ReadView {
    v1::SignedTreeHead head;
    std::shared_ptr<const StoreSnapshot> snapshot;
  };

  QueryLog(Store* store, const Clock* clock, const PageTokens* page_tokens, std::string salt,
           SigningKey signing_key);
  // Reads the chain's and the tree's ends, extends the tree over records stored without it.
  absl::Status Resume();
  void Run();
  // Writes `records` after the durable ones, with their tree nodes and head, in one synced batch.
  absl::Status WriteGroup(const std::vector<Queued>& records);
  std::shared_ptr<const ReadView> CurrentView() const;
  Hash256 SubjectDigest(absl::string_view code) const;

  Store* store_;
  const Clock* clock_;
  const PageTokens* page_tokens_;
  const std::string salt_;

  std::mutex mu_;
  std::condition_variable wake_;     // the writer waits on it for work
  std::condition_variable written_;  // Flush() waits on it
  std::deque<Queued> queue_;
  uint64_t queued_ = 0;   // records ever queued
  uint64_t durable_ = 0;  // records ever written
  absl::Status last_error_;
  bool stop_ = false;
  // Owned by the writer thread (and Resume, before it starts).
  uint64_t next_sequence_ = 0;
  Hash256 last_hash_{};
  merkle::CompactRange tree_edge_;
  int64_t last_head_time_ = 0;
  std::thread writer_;

  std::unique_ptr<SignedTree> tree_;
  mutable std::mutex view_mu_;
  std::shared_ptr<const ReadView> view_;  // guarded by view_mu_
};

}  // namespace credit

#endif  // CREDIT_SERVICE_REGISTRY_QUERY_LOG_H_
