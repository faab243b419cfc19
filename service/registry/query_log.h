// QueryLog: the trace every status answer and every read of entries by subject leaves — who
// asked, about which subjects (as salted hashes), when and why — in a hash-chained log of its own
// (the `queries` column family).
//
// Appending must not slow status answers, so Append() only queues: one writer thread turns
// everything queued within 2 ms of a first record into one synced write batch (group commit). A
// record is durable within those 2 ms and one write's time after Append() returns; Flush() waits
// for that. If the process dies, records queued in the last few milliseconds can be lost; the
// chain stays intact.
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
#include "common/crypto/sha256.h"
#include "credit/registry/v1/registry.pb.h"
#include "service/auth/caller.h"
#include "service/clock/clock.h"
#include "service/registry/page_token.h"
#include "service/storage/store.h"

namespace credit {

namespace v1 = ::credit::registry::v1;

class QueryLog {
 public:
  // Resumes the chain stored in `store` (creating the salt on first use) and starts the writer.
  // `store` and `clock` must outlive the log.
  // `page_tokens` must outlive the log.
  static absl::StatusOr<std::unique_ptr<QueryLog>> Open(Store* store, const Clock* clock,
                                                        const PageTokens* page_tokens);

  // Writes what is queued, then stops the writer.
  ~QueryLog();

  // Queues one record; returns at once. `unmasked`: the answer showed a person's ID number in
  // clear (ShowsPersonInClear).
  void Append(const Caller& caller, absl::string_view rpc, absl::string_view purpose,
              const std::vector<absl::string_view>& subject_codes, bool unmasked = false);

  // Blocks until every record queued before the call is durable; the last write error if one
  // failed (the records stay queued and are retried).
  absl::Status Flush();

  // SHA-256(salt || code).
  std::string SubjectHash(absl::string_view code) const;

  // Records in sequence order, filtered; each with its hash.
  absl::StatusOr<v1::ListQueriesResponse> List(const v1::ListQueriesRequest& request) const;

 private:
  QueryLog(Store* store, const Clock* clock, const PageTokens* page_tokens, std::string salt,
           uint64_t next_sequence, Hash256 last_hash);
  void Run();
  Hash256 SubjectDigest(absl::string_view code) const;

  Store* store_;
  const Clock* clock_;
  const PageTokens* page_tokens_;
  const std::string salt_;

  std::mutex mu_;
  std::condition_variable wake_;     // the writer waits on it for work
  std::condition_variable written_;  // Flush() waits on it
  // Each record's fields 2 to 6, serialised (QueryRecordPieces' body): one allocation per record,
  // handed from the answering thread to the writer; and its unmasked flag.
  struct Queued {
    std::string body;
    bool unmasked = false;
  };
  std::deque<Queued> queue_;
  uint64_t queued_ = 0;   // records ever queued
  uint64_t durable_ = 0;  // records ever written
  absl::Status last_error_;
  bool stop_ = false;
  // Owned by the writer thread.
  uint64_t next_sequence_;
  Hash256 last_hash_;
  std::thread writer_;
};

}  // namespace credit

#endif  // CREDIT_SERVICE_REGISTRY_QUERY_LOG_H_
