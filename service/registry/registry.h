// Registry: the domain logic of the credit lists over one Store. It records, corrects and
// removes entries, keeps the measures catalogue, answers credit status (now and at a past
// point), and appends one hash-chained change record for every change in the same synced write
// batch as the change — together with the Merkle tree nodes the records complete and the signed
// tree head of the size the batch ends at. Status answers leave a trace in the query log.
//
// Definitions: registry.cc (opening, group commit), registry_mutations.cc (entries, measures),
// registry_reads.cc (entries, status, lists), registry_log.cc (tree heads, proofs, point-in-time
// status).
//
// Thread-safe. Mutations are ordered one at a time and committed in groups: every mutation that
// arrives while a group is being written joins the next group, which is written with one synced
// batch and one signed tree head; each is answered only once its group is durable. Reads run
// concurrently on the snapshot taken after the last committed group.
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
#include "service/clock/clock.h"
#include "service/registry/page_token.h"
#include "service/registry/query_log.h"
#include "service/registry/upper_nodes.h"
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
  bool TreeNodesLoaded() const { return upper_nodes_->Loaded(); }

  // The number of change records (the next sequence number) and the hash of the last one.
  uint64_t ChangeCount() const;
  Hash256 LastChangeHash() const;

 private:
  struct Mutation;
  struct Group;
  // The log's end as the writer sees it. `committed_` is what is durable; `tentative_` runs ahead
  // of it by the groups not yet written, and falls back to `committed_` when a write fails.
  struct LogState {
    uint64_t next_sequence = 0;
    Hash256 last_hash{};
    uint64_t next_entry_id = 1;
    // Record times never go backwards, so the log can be searched by time.
    int64_t last_time_micros = 0;
    merkle::CompactRange tree;
  };
  // What reads stand on: the head of the last committed group and the RocksDB snapshot taken
  // right after it was written, so an answer and the head it cites always agree.
  struct ReadView {
    v1::SignedTreeHead head;
    std::shared_ptr<const StoreSnapshot> snapshot;
  };

  Registry(std::unique_ptr<Store> store, SigningKey signing_key, const Clock* clock,
           absl::TimeZone time_zone);
  absl::Status Resume(size_t rebuild_chunk_bytes);

  // Runs one mutation: the idempotency check on (identity, request_id), then `build`, which adds
  // the mutation's change records (AddRecord, ChangeEntry) and fills `response`. The mutation
  // joins the open commit group and returns once the group is durable: many mutations share one
  // synced write and one signed tree head, each still its own change record. A retry of a
  // committed request returns the stored response without calling `build`.
  template <typename Response>
  absl::StatusOr<Response> Mutate(const Caller& caller, Rpc rpc,
                                  const google::protobuf::Message& request,
                                  absl::string_view request_id,
                                  absl::FunctionRef<absl::Status(Mutation&, Response&)> build);
  // The parts of Mutate that do not depend on the response type.
  absl::StatusOr<std::optional<std::string>> StoredAnswer(const std::string& request_key,
                                                          const Hash256& fingerprint,
                                                          absl::string_view request_id,
                                                          const Caller& caller)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  std::shared_ptr<Group> OpenGroup() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status Join(const std::shared_ptr<Group>& group, Mutation& m, std::string request_key,
                    const Hash256& fingerprint,
                    std::function<std::string(const v1::SignedTreeHead&)> finish)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Writes the open group (this thread leads) or waits for another leader to write it.
  absl::Status AwaitCommit(const std::shared_ptr<Group>& group)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void CommitOpenGroup() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  // Appends `record` (its sequence, time, actor and chain filled in here) to `m`, with its tree
  // nodes and its subject_changes index rows for `subjects`; returns its sequence.
  uint64_t AddRecord(Mutation& m, ChangeRecord& record, const std::vector<std::string>& subjects)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Records a change of one entry (`before` null for a new one) with every write that goes with
  // it: the entry, the subject index, and the status records of the subjects it touches.
  absl::Status ChangeEntry(Mutation& m, v1::Operation operation, const v1::Entry* before,
                           const v1::Entry& after, const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // A value as the writer sees it: this mutation's own writes, then uncommitted groups', then
  // the store (read ahead, or read now).
  absl::StatusOr<std::optional<std::string>> ReadForWrite(const Mutation& m, const Row& row) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Reads the stored values of `keys` that no uncommitted group has written, in one MultiGet,
  // for ReadForWrite to find: an import's thousand subjects (point reads were 5.6 % of a 2 M
  // import's CPU, the MultiGet is 3.2 %). While write_mu_ is held, a stored value changes only
  // through a group whose keys are pending, so what is read ahead stays current for the build.
  absl::Status ReadAhead(Mutation& m, std::vector<Row> rows) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // A new entry's output fields: id, status, revision, recorder, times.
  void NewEntry(const Caller& caller, const Mutation& m, const v1::Entry& input, v1::Entry* entry)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  std::shared_ptr<const ReadView> CurrentView() const;
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
  v1::SignedTreeHead SignHead(uint64_t size, int64_t timestamp_micros, const Hash256& root) const;
  // The signed head of `size`: the stored one where a commit group ended there, otherwise signed
  // afresh from the stored tree nodes and the time of its last record (Ed25519 is deterministic:
  // the same bytes every time). NOT_FOUND beyond the log's end.
  absl::StatusOr<v1::SignedTreeHead> HeadAt(uint64_t size, const StoreSnapshot* snapshot) const;
  // The same, as `view` sees it: its own head, held in memory, when `size` is its size.
  absl::StatusOr<v1::SignedTreeHead> HeadAt(uint64_t size, const ReadView& view) const;
  // The head stored where a commit group ended at `size`; nullopt where none did.
  absl::StatusOr<std::optional<v1::SignedTreeHead>> StoredHead(uint64_t size,
                                                               const StoreSnapshot* snapshot) const;
  // The time of a head of `size` (1 or more): its last record's. NOT_FOUND beyond the log's end.
  absl::StatusOr<int64_t> HeadTime(uint64_t size, const StoreSnapshot* snapshot) const;
  absl::StatusOr<v1::SignedTreeHead> LatestHead(const StoreSnapshot* snapshot) const;
  absl::StatusOr<int64_t> ChangeTime(uint64_t sequence, const StoreSnapshot* snapshot) const;
  absl::StatusOr<Hash256> ReadNode(int level, uint64_t index, const StoreSnapshot* snapshot) const;
  // The Merkle nodes `ids`, read together: upper levels from memory, the rest with one MultiGet.
  using NodeId = std::pair<int, uint64_t>;  // (level, index)
  using NodeMap = absl::flat_hash_map<NodeId, Hash256>;
  absl::StatusOr<NodeMap> ReadNodes(const std::vector<NodeId>& ids,
                                    const StoreSnapshot* snapshot) const;
  // Runs `compute` with every Merkle node it reads fetched in one ReadNodes.
  template <typename T>
  absl::StatusOr<T> WithNodes(
      const StoreSnapshot* snapshot,
      absl::FunctionRef<absl::StatusOr<T>(merkle::NodeReader)> compute) const;
  absl::StatusOr<std::optional<v1::Entry>> ReadEntry(uint64_t id) const;
  // The entry `id` if `caller` may change it now: it exists (else NOT_FOUND), the caller's
  // department recorded it (else PERMISSION_DENIED), it is ACTIVE (else FAILED_PRECONDITION),
  // and `revision` is 0 or its current revision (else ABORTED).
  absl::StatusOr<v1::Entry> EntryToChange(const Caller& caller, const Mutation& m, uint64_t id,
                                          uint64_t revision) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  std::string Today() const;

  std::unique_ptr<Store> store_;
  const SigningKey signing_key_;
  const Hash256 key_id_;
  const Clock* clock_;
  absl::TimeZone time_zone_;
  std::unique_ptr<QueryLog> query_log_;
  std::unique_ptr<PageTokens> page_tokens_;
  std::string backup_dir_;
  uint8_t record_version_ = kChangeRecordVersion;
  std::mutex backup_mu_;  // one backup at a time

  // Guards the writer's state. Held while a mutation reads, validates and joins a group; let go
  // while a group's batch is written, so the next group fills meanwhile.
  mutable absl::Mutex write_mu_;
  LogState committed_ ABSL_GUARDED_BY(write_mu_);
  LogState tentative_ ABSL_GUARDED_BY(write_mu_);
  std::shared_ptr<Group> open_group_ ABSL_GUARDED_BY(write_mu_);
  bool committing_ ABSL_GUARDED_BY(write_mu_) = false;
  absl::CondVar idle_;  // signalled (with write_mu_) whenever a group's write ends
  uint64_t next_group_id_ ABSL_GUARDED_BY(write_mu_) = 1;
  // Writes of groups not yet durable, for the mutations that read them (entries, subjects):
  // family + key -> (value or deletion, the group that wrote it).
  struct Pending {
    std::optional<std::string> value;
    uint64_t group_id = 0;
  };
  absl::flat_hash_map<std::string, Pending> pending_ ABSL_GUARDED_BY(write_mu_);
  // Request keys of uncommitted mutations: a retry waits for its original's group.
  struct PendingRequest {
    Hash256 fingerprint;
    std::shared_ptr<Group> group;
  };
  absl::flat_hash_map<std::string, PendingRequest> pending_requests_ ABSL_GUARDED_BY(write_mu_);
  // The catalogue as mutations see it (ahead of catalogue_ by uncommitted PutMeasures).
  MeasureCatalogue writer_catalogue_ ABSL_GUARDED_BY(write_mu_);

  // Merkle nodes of level UpperNodes::kLowestLevel and up, in memory (loaded at open by
  // node_loader_, then kept up to date by each committed group).
  std::unique_ptr<UpperNodes> upper_nodes_;
  std::atomic<bool> stopping_{false};
  std::thread node_loader_;
  // Nodes below this level are hashed from their leaves (at most 16 of them, in one or two data
  // blocks) rather than read: with the levels above in memory, a proof reads one or two blocks.
  static constexpr int kHashedNodeLevels = UpperNodes::kLowestLevel;

  mutable absl::Mutex view_mu_;
  std::shared_ptr<const ReadView> view_ ABSL_GUARDED_BY(view_mu_);

  // The committed catalogue: small and read by every status answer, so kept whole in memory and
  // replaced under the lock after each committed PutMeasure.
  mutable std::shared_mutex catalogue_mu_;
  MeasureCatalogue catalogue_;
};

}  // namespace credit

#endif  // CREDIT_SERVICE_REGISTRY_REGISTRY_H_
