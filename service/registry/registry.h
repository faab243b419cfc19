// Registry: the domain of the credit lists over one Store and its ChangeLog. It records,
// corrects and removes entries, keeps the measures catalogue, answers credit status (now and at a
// past point), and appends one change record for every change through the change log
// (service/changelog/change_log.h), which commits them in groups with signed tree heads. Status
// answers leave a trace in the query log.
//
// Definitions: registry.cc (opening), entries.cc (record, correct, revoke, read, list),
// procedure.cc (the listing procedure's transitions, made by callers and by time; the state
// machine itself is service/procedure/lifecycle.h), feedback.cc (departments' feedback and the
// statistics), watch.cc (the change stream), search.cc (subjects by name), status.cc (status now,
// in batches, at a past moment), catalogue.cc (measures), audit.cc (the change log, proofs, the
// query log, backups).
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
#include <mutex>
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
#include "service/procedure/lifecycle.h"
#include "service/procedure/rules.h"
#include "service/registry/page_token.h"
#include "service/registry/query_log.h"
#include "service/registry/status_index.h"
#include "service/registry/validation.h"
#include "service/search/name_folder.h"
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
  // The memory the server is meant to stay within; the block cache gets what the memtables, the
  // status index, RocksDB's filters and indexes and a reserve for the rest leave of it
  // (FitBlockCache), up to
  // store.block_cache_bytes. 0: the block cache keeps store.block_cache_bytes.
  uint64_t memory_budget_bytes = 0;
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
  // The listing procedure's rules (config key `procedure`).
  ProcedureRules procedure;
  // Whether a thread makes the time-driven transitions every procedure.sweep_interval (they are
  // made at open, and by RunDueTransitions, either way).
  bool sweep_periodically = true;
  // Where the change log counts its commit groups (the metrics endpoint); null: nowhere.
  CommitCounters* commit_counters = nullptr;
};

// The most time-driven transitions one commit group holds (RunDueTransitions).
inline constexpr int kMaxDueTransitionsPerGroup = 500;

// The actor of changes the service makes by itself (seeding the catalogue, time-driven
// transitions).
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

  // The listing procedure (procedure.cc).
  absl::StatusOr<v1::EntryTransitionResponse> ApproveEntry(const Caller& caller,
                                                           const v1::ApproveEntryRequest& request);
  absl::StatusOr<v1::EntryTransitionResponse> RejectEntry(const Caller& caller,
                                                          const v1::RejectEntryRequest& request);
  absl::StatusOr<v1::EntryTransitionResponse> FileObjection(
      const Caller& caller, const v1::FileObjectionRequest& request);
  absl::StatusOr<v1::EntryTransitionResponse> ResolveObjection(
      const Caller& caller, const v1::ResolveObjectionRequest& request);
  absl::StatusOr<v1::EntryTransitionResponse> ApplyForRepair(
      const Caller& caller, const v1::ApplyForRepairRequest& request);
  absl::StatusOr<v1::EntryTransitionResponse> ApproveRepair(
      const Caller& caller, const v1::ApproveRepairRequest& request);
  absl::StatusOr<v1::EntryTransitionResponse> RejectRepair(const Caller& caller,
                                                           const v1::RejectRepairRequest& request);
  // Makes every time-driven transition due by the clock's today (notice ended, publication
  // ended, expired), each its own change record with the system as actor, in groups of at most
  // kMaxDueTransitionsPerGroup; returns how many were made. One run at a time.
  absl::StatusOr<uint32_t> RunDueTransitions();
  // Records many entries in one call: all of them or none, each its own change record, one
  // synced write (the bulk import path).
  absl::StatusOr<v1::ImportEntriesResponse> ImportEntries(const Caller& caller,
                                                          const v1::ImportEntriesRequest& request);
  // Joint punishment's feedback and the assessment's statistics (feedback.cc).
  absl::StatusOr<v1::RecordFeedbackResponse> RecordFeedback(
      const Caller& caller, const v1::RecordFeedbackRequest& request);
  absl::StatusOr<v1::GetStatisticsResponse> GetStatistics(const v1::GetStatisticsRequest& request);
  // The change stream (watch.cc): calls `send` with each batch of changes from
  // request.from_sequence on, as `caller` may see them, each with its signed head; when it has
  // sent all there is, waits for the next commit. Returns when `send` returns false (the consumer
  // is gone) or `stopped()` is true (checked at least every second).
  absl::Status WatchChanges(const Caller& caller, const v1::WatchChangesRequest& request,
                            absl::FunctionRef<bool(const v1::WatchChangesResponse&)> send,
                            absl::FunctionRef<bool()> stopped);
  // Subjects by folded name (search.cc).
  absl::StatusOr<v1::SearchSubjectsResponse> SearchSubjects(
      const Caller& caller, const v1::SearchSubjectsRequest& request);
  absl::StatusOr<v1::GetEntryResponse> GetEntry(const Caller& caller,
                                                const v1::GetEntryRequest& request);
  absl::StatusOr<v1::ListEntriesResponse> ListEntries(const Caller& caller,
                                                      const v1::ListEntriesRequest& request);
  // Status answers are built in `response` (empty; the server's lies on an arena of the call's).
  absl::Status GetCreditStatus(const Caller& caller, const v1::GetCreditStatusRequest& request,
                               v1::GetCreditStatusResponse* response);
  absl::Status BatchGetCreditStatus(const Caller& caller,
                                    const v1::BatchGetCreditStatusRequest& request,
                                    v1::BatchGetCreditStatusResponse* response);
  // The same, answered in a message of their own.
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
  // The query log's signed heads and proofs (QueryLog).
  absl::StatusOr<v1::GetQueryTreeHeadResponse> GetQueryTreeHead(
      const v1::GetQueryTreeHeadRequest& request) const;
  absl::StatusOr<v1::GetQueryInclusionProofResponse> GetQueryInclusionProof(
      const v1::GetQueryInclusionProofRequest& request) const;
  absl::StatusOr<v1::GetQueryConsistencyProofResponse> GetQueryConsistencyProof(
      const v1::GetQueryConsistencyProofRequest& request) const;
  absl::StatusOr<v1::CreateBackupResponse> CreateBackup();
  absl::StatusOr<v1::ListBackupsResponse> ListBackups();

  // Waits until every query-log record appended so far is durable.
  absl::Status FlushQueryLog();

  // For the metrics endpoint: the latest signed head of the change log; query records queued and
  // not yet written; time-driven transitions made since open.
  v1::SignedTreeHead LatestHead() const { return log_->CurrentView()->head; }
  uint64_t QueryLogBacklog() const;
  uint64_t ClockTransitions() const { return clock_transitions_.load(std::memory_order_relaxed); }
  // RocksDB's figures (Store::ReadFigures).
  Store::Figures StoreFigures() const;

  // Whether the Merkle tree's upper levels, as stored at open, are all in memory now.
  bool TreeNodesLoaded() const { return log_->TreeNodesLoaded(); }
  // The in-memory status index (status_index.h), filled after open on a thread of its own:
  // waits up to `timeout` for it; whether BASIC answers come from it now.
  bool AwaitStatusIndex(absl::Duration timeout) const { return status_index_->AwaitReady(timeout); }
  StatusIndex::Figures StatusIndexFigures() const { return status_index_->figures(); }

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
  // it: the entry, the subject index, the status records of the subjects it touches, and the
  // procedure's deadline and decision indexes.
  // `folded_name`: the subject name folded (NameFolder) beforehand, or null to fold it here.
  absl::Status ChangeEntry(Mutation& m, v1::Operation operation, const v1::Entry* before,
                           const v1::Entry& after, const std::string& reason,
                           const std::string* folded_name = nullptr);
  // A new entry's output fields: id, status (PROPOSED, or further when its rule needs no
  // approval), revision, recorder, times. ALREADY_EXISTS when an entry that has not ended holds
  // the same decision.
  absl::Status NewEntry(const Caller& caller, Mutation& m, const v1::Entry& input,
                        v1::Entry* entry);
  // The checks of an entry's input that need the procedure's rules: severity given for black and
  // watch entries and not for red ones, a publication period within its severity's.
  absl::Status CheckAgainstRules(const v1::Entry& entry) const;
  // Moves `entry` (approved on `today`, or needing no approval) to NOTICE, or to ACTIVE when its
  // notice period is 0 days.
  void StartNotice(absl::CivilDay today, v1::Entry* entry) const;
  // Runs one transition of the listing procedure on entry `id`: reads it as EntryToChange does
  // for `action`, lets `apply` change it (and name the operation and reason), then records it.
  template <typename Request>
  absl::StatusOr<v1::EntryTransitionResponse> Transition(
      const Caller& caller, Rpc rpc, const Request& request, procedure::Action action,
      absl::FunctionRef<absl::Status(Mutation&, const v1::Entry& before, v1::Entry& after,
                                     v1::Operation& operation, std::string& reason)>
          apply);
  // When a caller's change left `entry` with a time-driven transition already due (an objection
  // dismissed after its notice period, a correction moving the expiry into the past), makes it
  // now, as the system, before the caller is answered.
  void MakeDueTransitions(const v1::Entry& entry);
  // ImportEntries with validate_only: every entry's problem, against the committed log.
  absl::StatusOr<v1::ImportEntriesResponse> CheckImport(
      const v1::ImportEntriesRequest& request) const;
  // Fields an entry stored before the procedure existed lacks: its severity.
  void FillDefaults(v1::Entry* entry) const;

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
  // Resizes the block cache to what the memory budget leaves (RegistryOptions::
  // memory_budget_bytes), when the status index's memory has moved by 32 MiB since the last time
  // or 10 s have passed (RocksDB's filters and indexes grow with the data).
  void FitBlockCache();
  // Fills `out[i]` with the BASIC answer for `codes[i]` (valid, of `kinds[i]`) from the status
  // index, judged on `day` (`today` formatted), and sets each subject's last change. The view the
  // answers stand on, or null when the index cannot give them (not filled yet, or a subject it
  // leaves to storage): then nothing is filled.
  std::shared_ptr<const ReadView> BasicStatusesFromIndex(
      const Caller& caller, absl::Span<const absl::string_view> codes,
      absl::Span<const v1::SubjectKind> kinds, absl::CivilDay day, absl::string_view today,
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
  // The entry `id` if `caller` may do `action` to it now: it exists (else NOT_FOUND), the
  // caller's department recorded it (else PERMISSION_DENIED), `revision` is 0 or its current
  // revision (else ABORTED), and its state allows `action` (else FAILED_PRECONDITION).
  absl::StatusOr<v1::Entry> EntryToChange(const Caller& caller, const Mutation& m, uint64_t id,
                                          uint64_t revision, procedure::Action action) const;
  std::string Today() const;
  absl::CivilDay TodayDay() const;
  // The thread that calls RunDueTransitions every procedure.sweep_interval until the registry
  // closes.
  void SweepPeriodically();
  // At open: loads the status index a clean close saved, else starts filling it from storage.
  void LoadOrFillStatusIndex();
  // At close, once nothing writes: saves the status index for the next open.
  void SaveStatusIndex();

  std::unique_ptr<Store> store_;
  std::unique_ptr<ChangeLog> log_;
  // Declared after the store and the log: closed first (its fill reads the store).
  std::unique_ptr<StatusIndex> status_index_;
  // Where the status index is saved at close and loaded at open (status_index.h).
  std::string status_index_path_;
  uint64_t memory_budget_bytes_ = 0;
  StoreOptions store_options_;
  std::mutex fit_mu_;
  // The last fit: the index's memory then, and when. Guarded by fit_mu_.
  std::optional<uint64_t> fitted_index_bytes_;
  absl::Time fitted_at_;
  const Clock* clock_;
  absl::TimeZone time_zone_;
  std::unique_ptr<QueryLog> query_log_;
  std::unique_ptr<PageTokens> page_tokens_;
  std::unique_ptr<NameFolder> name_folder_;
  ProcedureRules rules_;
  std::mutex sweep_mu_;  // one RunDueTransitions at a time
  std::atomic<uint64_t> clock_transitions_{0};
  absl::Mutex sweeper_mu_;
  bool closing_ ABSL_GUARDED_BY(sweeper_mu_) = false;
  std::thread sweeper_;
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
