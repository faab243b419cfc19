// ChangeLog: the verifiable change log over one Store. It appends hash-chained change records
// (common/changelog/record_format.md), keeps the RFC 6962 tree over them (the stored levels and,
// in memory, the upper ones), signs a tree head for every commit group, answers heads of any size
// and inclusion and consistency proofs, and commits mutations in groups: every mutation that
// arrives while a group is being written joins the next group, which is written with one synced
// batch and one signed head; each is answered only once its group is durable. A retried request
// (same identity and request id) gets its first answer and appends nothing.
//
// This is the seam a replicated log plugs into: appending a group of records durably (Mutate and
// the commit engine behind it), reading records and heads, proving.
//
// Thread-safe. Mutations are built one at a time, under the log's writer lock: state a domain
// service changes only inside its builds (and in the on_abort hook) is serialised by that lock.
// Reads run concurrently on the view published after the last committed group.
#ifndef CREDIT_SERVICE_CHANGELOG_CHANGE_LOG_H_
#define CREDIT_SERVICE_CHANGELOG_CHANGE_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/changelog/change_record.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/sha256.h"
#include "common/merkle/merkle.h"
#include "common/proto/deterministic.h"
#include "common/status/status_macros.h"
#include "credit/registry/v1/registry.pb.h"
#include "service/auth/caller.h"
#include "service/changelog/signed_tree.h"
#include "service/changelog/upper_nodes.h"
#include "service/clock/clock.h"
#include "service/metrics/counters.h"
#include "service/storage/store.h"

namespace credit {

namespace v1 = ::credit::registry::v1;

// What reads stand on: the head of the last committed group and the store snapshot taken right
// after it was written, so an answer and the head it cites always agree (ChangeLog::ReadView).
struct ChangeLogView {
  v1::SignedTreeHead head;
  std::shared_ptr<const StoreSnapshot> snapshot;
};

struct ChangeLogOptions {
  // Whether the tree's upper levels are read into memory after open (see UpperNodes). Off only in
  // tests of what proofs do before that has finished.
  bool load_tree_nodes = true;
  // The record format new records are written in; kChangeRecordVersionWithoutNonce only in tests
  // that make a folder as the previous version of creditd wrote it.
  uint8_t record_version = kChangeRecordVersion;
  // Runs, under the writer lock, when a group's write failed: the writer's state falls back to
  // what is durable, and so must the domain state its builds changed.
  std::function<void()> on_abort;
  // Where each commit group's size and synced-write time are counted; null: nowhere.
  CommitCounters* counters = nullptr;
  // Runs, under the writer lock, as each committed group's view is published, with the group's
  // writes: in-memory copies of stored tables apply the group here, in commit order, so that they
  // always match a published view.
  std::function<void(const WriteSet&, const std::shared_ptr<const ChangeLogView>&)> on_published;
};

class ChangeLog {
 public:
  using ReadView = ChangeLogView;

  struct Group;
  // One request's part of a commit group while its build runs: what a build appends and reads.
  class Mutation {
   public:
    const Caller& caller() const { return *caller_; }
    int64_t time_micros() const { return time_micros_; }
    // The group's writes; a build that fails is rolled back to where it started.
    WriteSet& out() { return *out_; }
    // Appends `record` (its sequence, time, actor, request id, chain and nonce filled in here),
    // with its tree nodes and its subject change index rows for `subjects`; returns its sequence.
    uint64_t Append(ChangeRecord& record, const std::vector<std::string>& subjects);
    // The id of the next entry: ids follow the log, so they roll back with it.
    uint64_t TakeEntryId();
    // A row as this mutation sees it: its own writes, then uncommitted groups', then the store
    // (read ahead, or read now).
    absl::StatusOr<std::optional<std::string>> Read(const Row& row) const;
    // Reads the stored values of `rows` that no uncommitted group has written, in one MultiGet,
    // for Read to find.
    absl::Status ReadAhead(std::vector<Row> rows);
    // Records that this mutation wrote `value` to `row` (for later mutations' Read).
    void Wrote(const Row& row, std::string value) { writes_[row] = std::move(value); }
    // Records that this mutation deleted `row`.
    void Erased(const Row& row) { writes_[row] = std::nullopt; }
    // Runs once the group is durable, under the writer lock.
    void OnCommit(std::function<void()> run) { on_commit_ = std::move(run); }
    std::optional<uint64_t> first_sequence() const { return first_sequence_; }
    uint64_t last_sequence() const { return last_sequence_; }

   private:
    friend class ChangeLog;
    Mutation(ChangeLog& log, const Caller& caller, std::string request_id, int64_t time_micros,
             WriteSet* out)
        : log_(log),
          caller_(&caller),
          request_id_(std::move(request_id)),
          time_micros_(time_micros),
          out_(out) {}
    ChangeLog& log_;
    const Caller* caller_;
    std::string request_id_;
    int64_t time_micros_;
    WriteSet* out_;
    absl::flat_hash_map<Row, std::optional<std::string>> writes_;
    absl::flat_hash_map<Row, std::optional<std::string>> read_ahead_;
    std::vector<UpperNodes::Node> upper_nodes_;
    std::optional<uint64_t> first_sequence_;
    uint64_t last_sequence_ = 0;
    std::function<void()> on_commit_;
  };

  // Resumes the log stored in `store` where it ended (no replay: the tree's edge is read from the
  // stored nodes); `signing_key` signs every head from now on. `store` and `clock` must outlive
  // the log.
  static absl::StatusOr<std::unique_ptr<ChangeLog>> Open(Store* store, SigningKey signing_key,
                                                         const Clock* clock,
                                                         ChangeLogOptions options);
  ~ChangeLog();

  // Runs one mutation: the idempotency check on (identity, request_id), then `build`, which
  // appends the mutation's change records and fills `response`; then the mutation joins the open
  // group and returns once the group is durable, its answer carrying the group's head and the
  // sequence of its last record. A retry of a committed request returns the stored answer without
  // calling `build`; reusing a request id for another request is INVALID_ARGUMENT.
  template <typename Response>
  absl::StatusOr<Response> Mutate(const Caller& caller, absl::string_view rpc,
                                  const google::protobuf::Message& request,
                                  absl::string_view request_id,
                                  absl::FunctionRef<absl::Status(Mutation&, Response&)> build) {
    Response response;
    ASSIGN_OR_RETURN(
        std::optional<std::string> stored,
        Run(
            caller, rpc, request, request_id, [&](Mutation& m) { return build(m, response); },
            [&response](uint64_t last_sequence, const v1::SignedTreeHead& head) {
              response.set_change_sequence(last_sequence);
              *response.mutable_tree_head() = head;
              return SerializeDeterministic(response);
            }));
    if (stored.has_value() && !response.ParseFromString(*stored)) {
      return absl::DataLossError(
          absl::StrCat("request_id: ", request_id, ": the stored answer does not parse"));
    }
    return response;
  }

  std::shared_ptr<const ReadView> CurrentView() const;
  // Waits up to `timeout` for a committed group to take the log past `size` records; whether one
  // has.
  bool AwaitGrowth(uint64_t size, absl::Duration timeout) const;

  // The signed head of `size`: the stored one where a commit group ended there, otherwise signed
  // afresh from the stored tree nodes and the time of its last record (Ed25519 is deterministic:
  // the same bytes every time). NOT_FOUND beyond the log's end.
  absl::StatusOr<v1::SignedTreeHead> HeadAt(uint64_t size, const ReadView& view) const;
  // The time of change `sequence`. NOT_FOUND when it does not exist.
  absl::StatusOr<int64_t> ChangeTime(uint64_t sequence, const StoreSnapshot* snapshot) const;
  // The answers of GetTreeHead, GetInclusionProof and GetConsistencyProof (requests validated
  // against the view's size here).
  absl::StatusOr<v1::GetTreeHeadResponse> TreeHead(const v1::GetTreeHeadRequest& request) const;
  absl::StatusOr<v1::GetInclusionProofResponse> InclusionProof(
      const v1::GetInclusionProofRequest& request) const;
  absl::StatusOr<v1::GetConsistencyProofResponse> ConsistencyProof(
      const v1::GetConsistencyProofRequest& request) const;
  // The audit path of change `sequence` in the tree of `size` (both within `snapshot`'s log).
  absl::StatusOr<std::vector<Hash256>> AuditPath(uint64_t sequence, uint64_t size,
                                                 const StoreSnapshot* snapshot) const;
  // The roots of the perfect subtrees covering the first `size` records, largest first
  // (merkle::CompactRange): what a follower starting at `size` extends.
  absl::StatusOr<std::vector<Hash256>> Frontier(uint64_t size, const StoreSnapshot* snapshot) const;
  v1::GetSigningKeyResponse SigningKeyInfo() const;
  const std::string& PublicKeyPem() const { return public_key_pem_; }

  // Runs `run` with the latest signed head while no group is being written and none can start:
  // the store holds exactly the log that head signs (backups). Reads go on meanwhile.
  absl::Status WithWritesPaused(absl::FunctionRef<absl::Status(const v1::SignedTreeHead&)> run);

  // Whether the tree's upper levels, as stored at open, are all in memory now.
  bool TreeNodesLoaded() const { return tree_->Loaded(); }
  // The signing key, which signs the query log's heads too (in their own domain).
  const SigningKey& signing_key() const { return signing_key_; }
  // The number of change records (the next sequence number) and the hash of the last one.
  uint64_t ChangeCount() const;
  Hash256 LastChangeHash() const;

 private:
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
  struct Pending {
    std::optional<std::string> value;
    uint64_t group_id = 0;
  };
  struct PendingRequest {
    Hash256 fingerprint;
    std::shared_ptr<Group> group;
  };
  ChangeLog(Store* store, SigningKey signing_key, const Clock* clock, ChangeLogOptions options);
  absl::Status Resume();

  // The part of Mutate that does not depend on the response type. `finish` makes the answer to
  // store once the group's head is known. The stored answer of a request answered before, or
  // nullopt once this one is committed.
  absl::StatusOr<std::optional<std::string>> Run(
      const Caller& caller, absl::string_view rpc, const google::protobuf::Message& request,
      absl::string_view request_id, absl::FunctionRef<absl::Status(Mutation&)> build,
      std::function<std::string(uint64_t, const v1::SignedTreeHead&)> finish);
  absl::StatusOr<std::optional<std::string>> StoredAnswer(const Row& request_row,
                                                          const Hash256& fingerprint,
                                                          absl::string_view request_id,
                                                          const Caller& caller)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  std::shared_ptr<Group> OpenGroup() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Writes the open group (this thread leads) or waits for another leader to write it.
  absl::Status AwaitCommit(const std::shared_ptr<Group>& group)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void CommitOpenGroup() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  Store* store_;
  const SigningKey signing_key_;
  const std::string public_key_pem_;
  const Clock* clock_;
  const ChangeLogOptions options_;

  // Guards the writer's state. Held while a mutation reads, validates and joins a group; let go
  // while a group's batch is written, so the next group fills meanwhile.
  mutable absl::Mutex write_mu_;
  LogState committed_ ABSL_GUARDED_BY(write_mu_);
  LogState tentative_ ABSL_GUARDED_BY(write_mu_);
  std::shared_ptr<Group> open_group_ ABSL_GUARDED_BY(write_mu_);
  bool committing_ ABSL_GUARDED_BY(write_mu_) = false;
  absl::CondVar idle_;  // signalled (with write_mu_) whenever a group's write ends
  uint64_t next_group_id_ ABSL_GUARDED_BY(write_mu_) = 1;
  // Writes of groups not yet durable, for the mutations that read them: row -> (value or
  // deletion, the group that wrote it).
  absl::flat_hash_map<Row, Pending> pending_ ABSL_GUARDED_BY(write_mu_);
  // Request rows of uncommitted mutations: a retry waits for its original's group.
  absl::flat_hash_map<Row, PendingRequest> pending_requests_ ABSL_GUARDED_BY(write_mu_);

  // The tree's nodes and heads as stored, with the upper levels in memory.
  std::unique_ptr<SignedTree> tree_;

  mutable absl::Mutex view_mu_;
  std::shared_ptr<const ReadView> view_ ABSL_GUARDED_BY(view_mu_);
};

}  // namespace credit

#endif  // CREDIT_SERVICE_CHANGELOG_CHANGE_LOG_H_
