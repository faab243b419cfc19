// Registry: the domain logic of the credit lists over one Store. It records, corrects and
// removes entries, keeps the measures catalogue, answers credit status (now and at a past
// point), and appends exactly one hash-chained change record per mutation in the same synced
// write batch as the mutation — together with the Merkle tree nodes the record completes and the
// signed tree head of the new size. Status answers leave a trace in the query log.
//
// Definitions: registry.cc (opening, mutations), registry_reads.cc (entries, status, lists),
// registry_log.cc (tree heads, proofs, point-in-time status).
//
// Thread-safe. Mutations are serialised (one writer at a time, each answered only after its
// batch is durable); reads run concurrently with them on RocksDB snapshots.
//
// Every call takes the authenticated Caller: it names the actor of change records, the
// department whose measures a status answer lists, and whether personal ID numbers are shown
// unmasked. Role checks are the caller's job (see auth/caller.h); this layer checks ownership
// (only the recording department may change an entry).
#ifndef CREDIT_SERVICE_REGISTRY_REGISTRY_H_
#define CREDIT_SERVICE_REGISTRY_REGISTRY_H_

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/sha256.h"
#include "common/merkle/merkle.h"
#include "credit/registry/v1/registry.pb.h"
#include "service/auth/caller.h"
#include "service/clock/clock.h"
#include "service/registry/page_token.h"
#include "service/registry/query_log.h"
#include "service/registry/validation.h"
#include "service/storage/store.h"

namespace credit {

struct RegistryOptions {
  // The RocksDB folder; created when absent.
  std::string data_dir;
  // The zone in which dates (effective, expiry, "today") are counted.
  absl::TimeZone time_zone = absl::FixedTimeZone(8 * 3600);
  // How the store reaches its files (tests inject faults here).
  StoreOptions store;
  // Where CreateBackup puts backups; empty: backups are off.
  std::string backup_dir;
};

// The actor of changes the service makes by itself (seeding the catalogue).
inline constexpr char kSystemIdentity[] = "creditd";
inline constexpr char kSystemDepartment[] = "system";

class Registry {
 public:
  // Opens the store and resumes the change log where it ended; `signing_key` signs every tree
  // head from now on. `clock` must outlive the registry.
  static absl::StatusOr<std::unique_ptr<Registry>> Open(const RegistryOptions& options,
                                                        SigningKey signing_key, const Clock* clock);
  ~Registry();

  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Puts each of `measures` whose code the catalogue lacks, as the system actor, one audited
  // change each. Measures already present are left as they are, so a restart changes nothing.
  absl::Status SeedMeasures(const std::vector<v1::Measure>& measures);

  absl::StatusOr<v1::RecordEntryResponse> RecordEntry(const Caller& caller,
                                                      const v1::RecordEntryRequest& request);
  absl::StatusOr<v1::UpdateEntryResponse> UpdateEntry(const Caller& caller,
                                                      const v1::UpdateEntryRequest& request);
  absl::StatusOr<v1::RemoveEntryResponse> RemoveEntry(const Caller& caller,
                                                      const v1::RemoveEntryRequest& request);
  absl::StatusOr<v1::GetEntryResponse> GetEntry(const Caller& caller,
                                                const v1::GetEntryRequest& request);
  absl::StatusOr<v1::ListEntriesResponse> ListEntries(const Caller& caller,
                                                      const v1::ListEntriesRequest& request);
  absl::StatusOr<v1::GetCreditStatusResponse> GetCreditStatus(
      const Caller& caller, const v1::GetCreditStatusRequest& request);
  absl::StatusOr<v1::BatchGetCreditStatusResponse> BatchGetCreditStatus(
      const Caller& caller, const v1::BatchGetCreditStatusRequest& request);
  absl::StatusOr<v1::ListMeasuresResponse> ListMeasures(const Caller& caller,
                                                        const v1::ListMeasuresRequest& request);
  absl::StatusOr<v1::PutMeasureResponse> PutMeasure(const Caller& caller,
                                                    const v1::PutMeasureRequest& request);
  absl::StatusOr<v1::ListChangesResponse> ListChanges(const Caller& caller,
                                                      const v1::ListChangesRequest& request);
  absl::StatusOr<v1::GetTreeHeadResponse> GetTreeHead(const v1::GetTreeHeadRequest& request);
  absl::StatusOr<v1::GetInclusionProofResponse> GetInclusionProof(
      const v1::GetInclusionProofRequest& request);
  absl::StatusOr<v1::GetConsistencyProofResponse> GetConsistencyProof(
      const v1::GetConsistencyProofRequest& request);
  v1::GetSigningKeyResponse GetSigningKey() const;
  absl::StatusOr<v1::GetCreditStatusAtResponse> GetCreditStatusAt(
      const Caller& caller, const v1::GetCreditStatusAtRequest& request);
  absl::StatusOr<v1::ListQueriesResponse> ListQueries(const v1::ListQueriesRequest& request);
  absl::StatusOr<v1::CreateBackupResponse> CreateBackup();
  absl::StatusOr<v1::ListBackupsResponse> ListBackups();

  // Waits until every query-log record appended so far is durable.
  absl::Status FlushQueryLog();

  // The number of change records (the next sequence number) and the hash of the last one.
  uint64_t ChangeCount() const;
  Hash256 LastChangeHash() const;

 private:
  struct Mutation;

  Registry(std::unique_ptr<Store> store, SigningKey signing_key, const Clock* clock,
           absl::TimeZone time_zone);
  absl::Status Resume();

  // Runs one mutation: the idempotency check on (identity, request_id), then `build`, which
  // fills the write batch, the change record and `response`, then one synced write of all of it.
  // A retry of a committed request returns the stored response without calling `build`.
  template <typename Response>
  absl::StatusOr<Response> Mutate(const Caller& caller, Rpc rpc,
                                  const google::protobuf::Message& request,
                                  absl::string_view request_id,
                                  absl::FunctionRef<absl::Status(Mutation&, Response&)> build);

  absl::StatusOr<v1::CreditStatus> StatusOf(const Caller& caller, absl::string_view code,
                                            absl::string_view field, absl::string_view today,
                                            const rocksdb::Snapshot* snapshot) const;
  // The status answer for `entries` (all of one subject) judged on `date`.
  v1::CreditStatus BuildStatus(const Caller& caller, v1::SubjectKind kind, absl::string_view code,
                               std::vector<v1::Entry> entries, absl::string_view date) const;
  v1::SignedTreeHead SignHead(uint64_t size, int64_t timestamp_micros, const Hash256& root) const;
  // The stored head of `size` (signed afresh for the empty tree); NOT_FOUND if never reached.
  absl::StatusOr<v1::SignedTreeHead> HeadAt(uint64_t size, const rocksdb::Snapshot* snapshot) const;
  absl::StatusOr<v1::SignedTreeHead> LatestHead(const rocksdb::Snapshot* snapshot) const;
  absl::StatusOr<Hash256> ReadNode(int level, uint64_t index,
                                   const rocksdb::Snapshot* snapshot) const;
  absl::StatusOr<std::optional<v1::Entry>> ReadEntry(uint64_t id) const;
  // The stored entry `id` if `caller` may change it now: it exists (else NOT_FOUND), the caller's
  // department recorded it (else PERMISSION_DENIED), it is ACTIVE (else FAILED_PRECONDITION),
  // and `revision` is 0 or its current revision (else ABORTED).
  absl::StatusOr<v1::Entry> EntryToChange(const Caller& caller, uint64_t id,
                                          uint64_t revision) const;
  std::string Today() const;

  std::unique_ptr<Store> store_;
  const SigningKey signing_key_;
  const Hash256 key_id_;
  const Clock* clock_;
  absl::TimeZone time_zone_;
  std::unique_ptr<QueryLog> query_log_;
  std::unique_ptr<PageTokens> page_tokens_;
  std::string backup_dir_;
  std::mutex backup_mu_;  // one backup at a time

  // Held across a whole mutation: read, validate, write, advance.
  mutable absl::Mutex write_mu_;
  uint64_t next_sequence_ ABSL_GUARDED_BY(write_mu_) = 0;
  Hash256 last_hash_ ABSL_GUARDED_BY(write_mu_){};
  uint64_t next_entry_id_ ABSL_GUARDED_BY(write_mu_) = 1;
  // Record times never go backwards, so the log can be searched by time.
  int64_t last_time_micros_ ABSL_GUARDED_BY(write_mu_) = 0;
  merkle::CompactRange tree_ ABSL_GUARDED_BY(write_mu_);

  // The catalogue is small and read by every status answer: kept whole in memory, replaced
  // under the lock after each committed PutMeasure.
  mutable std::shared_mutex catalogue_mu_;
  MeasureCatalogue catalogue_;
};

}  // namespace credit

#endif  // CREDIT_SERVICE_REGISTRY_REGISTRY_H_
