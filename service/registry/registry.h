// Registry: the domain of the credit lists over one Store and its ChangeLog. It records,
// corrects and removes entries, keeps the measures catalogue, answers credit status (now and at a
// past point), and appends one change record for every change through the change log
// (service/changelog/change_log.h), which commits them in groups with signed tree heads. Status
// answers leave a trace in the query log.
//
// Definitions: registry.cc (opening), entries.cc (record, correct, remove, read, list),
// status.cc (status now, in batches, at a past moment), catalogue.cc (measures), audit.cc
// (the change log, proofs, the query log, backups).
//
// Thread-safe. Mutations are built one at a time under the change log's writer lock; reads run
// concurrently on the view the log published after its last committed group.
//
// Every call takes the authenticated Caller: it names the actor of change records, the
// department whose measures a status answer lists, and whether personal ID numbers are shown
// unmasked. Role checks are the caller's job (see auth/caller.h); this layer checks ownership
// (only the recording department may change an entry).
#ifndef CREDIT_SERVICE_REGISTRY_REGISTRY_H_
#define CREDIT_SERVICE_REGISTRY_REGISTRY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/changelog/change_record.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/sha256.h"
#include "common/merkle/merkle.h"
#include "credit/registry/v1/registry.pb.h"
#include "service/auth/caller.h"
#include "service/changelog/change_log.h"
#include "service/clock/clock.h"
#include "service/registry/page_token.h"
#include "service/registry/query_log.h"
#include "service/registry/validation.h"
#include "service/storage/store.h"

namespace credit {

namespace registry_internal {
struct StatusPartView;
}  // namespace registry_internal

struct RegistryOptions {
  // The RocksDB folder; created when absent.
  std::string data_dir;
  // The zone in which dates (effective, expiry, "today") are counted.
  absl::TimeZone time_zone = absl::FixedTimeZone(8 * 3600);
  // How the store reaches its files (tests inject faults here).
  StoreOptions store;
  // Where CreateBackup puts backups; empty: backups are off.
  std::string backup_dir;
  // When the subjects family is rebuilt at open (a folder of an older format), records are
  // gathered and written in chunks of about this many bytes, so memory stays bounded at any size.
  size_t rebuild_chunk_bytes = 64 << 20;
  // Whether the Merkle tree's upper levels are read into memory after open (see UpperNodes).
  // Off only in tests of what proofs do before that has finished.
  bool load_tree_nodes = true;
  // The change-record format new records are written in. kChangeRecordVersionWithoutNonce only
  // in tests that make a folder as the previous version of creditd wrote it.
  uint8_t record_version = kChangeRecordVersion;
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
  // Records many entries in one call: all of them or none, each its own change record, one
  // synced write (the bulk import path).
  absl::StatusOr<v1::ImportEntriesResponse> ImportEntries(const Caller& caller,
                                                          const v1::ImportEntriesRequest& request);
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

  // Whether the Merkle tree's upper levels, as stored at open, are all in memory now.
  bool TreeNodesLoaded() const { return log_->TreeNodesLoaded(); }

  // The number of change records (the next sequence number) and the hash of the last one.
  uint64_t ChangeCount() const { return log_->ChangeCount(); }
  Hash256 LastChangeHash() const { return log_->LastChangeHash(); }

 private:
  using Mutation = ChangeLog::Mutation;
  using ReadView = ChangeLog::ReadView;

  Registry(std::unique_ptr<Store> store, const Clock* clock, absl::TimeZone time_zone);

  // Runs one mutation through the change log (ChangeLog::Mutate).
  template <typename Response>
  absl::StatusOr<Response> Mutate(const Caller& caller, Rpc rpc,
                                  const google::protobuf::Message& request,
                                  absl::string_view request_id,
                                  absl::FunctionRef<absl::Status(Mutation&, Response&)> build) {
    return log_->Mutate<Response>(caller, RpcName(rpc), request, request_id, build);
  }
  // Records a change of one entry (`before` null for a new one) with every write that goes with
  // it: the entry, the subject index, and the status records of the subjects it touches.
  absl::Status ChangeEntry(Mutation& m, v1::Operation operation, const v1::Entry* before,
                           const v1::Entry& after, const std::string& reason);
  // A new entry's output fields: id, status, revision, recorder, times.
  void NewEntry(const Caller& caller, Mutation& m, const v1::Entry& input, v1::Entry* entry);

  std::shared_ptr<const ReadView> CurrentView() const { return log_->CurrentView(); }
  // Fills `out[i]` with the answer for `codes[i]` (valid, of `kinds[i]`) from its record in the
  // subjects family (`stored[i]`, read at `snapshot`), judged on `today`. A FULL answer reads the
  // entries in force with one MultiGet; a BASIC one reads nothing more. Sets each subject's last
  // change.
  absl::Status StatusesFrom(const Caller& caller, v1::StatusView view,
                            absl::Span<const absl::string_view> codes,
                            absl::Span<const v1::SubjectKind> kinds,
                            absl::Span<const std::optional<std::string>> stored,
                            const StoreSnapshot* snapshot, absl::string_view today,
                            absl::Span<v1::CreditStatus* const> out,
                            absl::Span<std::optional<uint64_t>> last_changes) const;
  // Fills `status` with the FULL answer for `entries` (all of one subject) judged on `date`.
  void BuildStatus(const Caller& caller, v1::SubjectKind kind, absl::string_view code,
                   std::vector<v1::Entry> entries, absl::string_view date,
                   v1::CreditStatus* status) const;
  // Fills `status` with the BASIC answer for `parts` (the status parts of one subject's entries in
  // force on `date`, ascending id): list flags and the measures by code only.
  void BuildBasicStatus(const Caller& caller, v1::SubjectKind kind, absl::string_view code,
                        absl::Span<const registry_internal::StatusPartView> parts,
                        absl::string_view date, v1::CreditStatus* status) const;
  // Adds to `status` the measures of `measure_entries` ((measure code, entry id) for each measure
  // of each entry in force; reordered here) that apply to the caller's department, each with the
  // ids of the entries that call for it: whole with `full`, by code otherwise.
  void AddMeasures(const Caller& caller,
                   std::vector<std::pair<absl::string_view, uint64_t>>& measure_entries, bool full,
                   v1::CreditStatus* status) const;
  absl::StatusOr<std::optional<v1::Entry>> ReadEntry(uint64_t id) const;
  // The entry `id` if `caller` may change it now: it exists (else NOT_FOUND), the caller's
  // department recorded it (else PERMISSION_DENIED), it is ACTIVE (else FAILED_PRECONDITION),
  // and `revision` is 0 or its current revision (else ABORTED).
  absl::StatusOr<v1::Entry> EntryToChange(const Caller& caller, const Mutation& m, uint64_t id,
                                          uint64_t revision) const;
  std::string Today() const;

  std::unique_ptr<Store> store_;
  std::unique_ptr<ChangeLog> log_;
  const Clock* clock_;
  absl::TimeZone time_zone_;
  std::unique_ptr<QueryLog> query_log_;
  std::unique_ptr<PageTokens> page_tokens_;
  std::string backup_dir_;
  std::mutex backup_mu_;  // one backup at a time

  // The catalogue as mutations see it (ahead of catalogue_ by uncommitted PutMeasures). Changed
  // only in builds and in the change log's on_abort hook: serialised by the log's writer lock.
  MeasureCatalogue writer_catalogue_;

  // The committed catalogue: small and read by every status answer, so kept whole in memory and
  // replaced under the lock after each committed PutMeasure.
  mutable std::shared_mutex catalogue_mu_;
  MeasureCatalogue catalogue_;
};

}  // namespace credit

#endif  // CREDIT_SERVICE_REGISTRY_REGISTRY_H_
