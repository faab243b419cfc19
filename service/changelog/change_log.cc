#include "service/changelog/change_log.h"

#include <algorithm>
#include <cstring>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/merkle/tree_head.h"
#include "common/status/error_details.h"
#include "common/status/error_reasons.h"
#include "service/failpoint/failpoint.h"
#include "service/registry/validation.h"

namespace credit {

// One commit group: mutations that share one synced write and one signed head.
struct ChangeLog::Group {
  explicit Group(const Store& store) : writes(store) {}
  uint64_t id = 0;
  WriteSet writes;
  // Per member: its request's row, and what stores its answer once the group's head is known.
  std::vector<Row> request_keys;
  std::vector<std::function<std::string(const v1::SignedTreeHead&)>> finishers;
  std::vector<std::function<void()>> on_commit;
  std::vector<UpperNodes::Node> upper_nodes;  // its members', in order
  bool done = false;
  absl::Status status;
  // Members wait on it (with write_mu_). Signalled when the group is done, and once when it may
  // be written and nobody is writing: then the member woken leads. (Others waiting for the
  // group, such as a retry of a member's request, wait on idle_.)
  absl::CondVar changed;
};

ChangeLog::ChangeLog(Store* store, SigningKey signing_key, const Clock* clock,
                     ChangeLogOptions options)
    : store_(store),
      signing_key_(std::move(signing_key)),
      public_key_pem_(signing_key_.PublicPem()),
      clock_(clock),
      options_(std::move(options)) {
  SignedTree::Options tree;
  tree.tree = Tree::kChanges;
  tree.domain = merkle::HeadDomain::kChangeLog;
  tree.keep_upper_nodes = true;
  tree.record_time = [this](uint64_t sequence, const StoreSnapshot* snapshot) {
    return ChangeTime(sequence, snapshot);
  };
  tree_ = std::make_unique<SignedTree>(store_, signing_key_, std::move(tree));
}

ChangeLog::~ChangeLog() = default;

absl::StatusOr<std::unique_ptr<ChangeLog>> ChangeLog::Open(Store* store, SigningKey signing_key,
                                                           const Clock* clock,
                                                           ChangeLogOptions options) {
  auto log = std::unique_ptr<ChangeLog>(
      new ChangeLog(store, std::move(signing_key), clock, std::move(options)));
  RETURN_IF_ERROR(log->Resume());
  if (log->options_.load_tree_nodes) log->tree_->StartLoading();
  return log;
}

absl::Status ChangeLog::Resume() {
  absl::MutexLock lock(&write_mu_);
  LogState& state = committed_;
  ASSIGN_OR_RETURN(auto last_change, store_->LastChange());
  if (last_change.has_value()) {
    const auto& [sequence, bytes] = *last_change;
    ASSIGN_OR_RETURN(ChangeRecord last, DecodeChangeRecord(bytes));
    if (last.sequence != sequence) {
      return absl::DataLossError(absl::StrCat("change record under key ", sequence,
                                              " says it is sequence ", last.sequence));
    }
    state.next_sequence = sequence + 1;
    state.last_hash = ChangeRecordHash(bytes);
    state.last_time_micros = last.time_micros;
  }
  // The tree's right edge, from the nodes stored with the records: no replay of the log.
  ASSIGN_OR_RETURN(state.tree, tree_->Resume(state.next_sequence, state.last_hash));
  ASSIGN_OR_RETURN(uint64_t last_entry_id, store_->LastEntryId());
  state.next_entry_id = last_entry_id + 1;
  tentative_ = committed_;
  auto view = std::make_shared<ReadView>();
  view->snapshot = store_->Snapshot();
  ASSIGN_OR_RETURN(view->head, tree_->LatestHead(view->snapshot.get()));
  if (view->head.tree_size() != committed_.next_sequence) {
    return absl::DataLossError(absl::StrCat("the last signed tree head is of size ",
                                            view->head.tree_size(), ", the log holds ",
                                            committed_.next_sequence, " records"));
  }
  absl::MutexLock view_lock(&view_mu_);
  view_ = std::move(view);
  return absl::OkStatus();
}

uint64_t ChangeLog::ChangeCount() const {
  absl::MutexLock lock(&write_mu_);
  return committed_.next_sequence;
}

Hash256 ChangeLog::LastChangeHash() const {
  absl::MutexLock lock(&write_mu_);
  return committed_.last_hash;
}

std::shared_ptr<const ChangeLog::ReadView> ChangeLog::CurrentView() const {
  absl::MutexLock lock(&view_mu_);
  return view_;
}

bool ChangeLog::AwaitGrowth(uint64_t size, absl::Duration timeout) const {
  absl::MutexLock lock(&view_mu_);
  auto grown = [this, size]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(view_mu_) {
    return view_->head.tree_size() > size;
  };
  return view_mu_.AwaitWithTimeout(absl::Condition(&grown), timeout);
}

// ---- the write path ----

absl::StatusOr<std::optional<std::string>> ChangeLog::Run(
    const Caller& caller, absl::string_view rpc, const google::protobuf::Message& request,
    absl::string_view request_id, absl::FunctionRef<absl::Status(Mutation&)> build,
    std::function<std::string(uint64_t, const v1::SignedTreeHead&)> finish) {
  RETURN_IF_ERROR(ValidateRequestId(request_id));
  // The answer to a retry is only returned for the very same request.
  Hash256 fingerprint = Sha256({rpc, SerializeDeterministic(request)});
  Row request_row = Store::RequestRow(caller.identity, request_id);

  absl::MutexLock lock(&write_mu_);
  ASSIGN_OR_RETURN(std::optional<std::string> stored,
                   StoredAnswer(request_row, fingerprint, request_id, caller));
  if (stored.has_value()) return stored;

  std::shared_ptr<Group> group = OpenGroup();
  Mutation m(*this, caller, std::string(request_id),
             std::max(absl::ToUnixMicros(clock_->Now()), tentative_.last_time_micros),
             &group->writes);
  const LogState before = tentative_;
  const WriteSet::Mark mark = group->writes.SetMark();
  if (absl::Status built = build(m); !built.ok()) {
    group->writes.RollbackTo(mark);
    tentative_ = before;
    return built;
  }
  group->writes.DropMark();
  for (auto& [row, value] : m.writes_) pending_[row] = Pending{std::move(value), group->id};
  pending_requests_[request_row] = PendingRequest{fingerprint, group};
  group->request_keys.push_back(std::move(request_row));
  group->finishers.push_back([finish = std::move(finish), fingerprint,
                              last = m.last_sequence_](const v1::SignedTreeHead& head) {
    return absl::StrCat(AsBytes(fingerprint), finish(last, head));
  });
  if (m.on_commit_) group->on_commit.push_back(std::move(m.on_commit_));
  group->upper_nodes.insert(group->upper_nodes.end(), m.upper_nodes_.begin(), m.upper_nodes_.end());
  RETURN_IF_ERROR(AwaitCommit(group));
  return std::nullopt;
}

absl::StatusOr<std::optional<std::string>> ChangeLog::StoredAnswer(const std::string& request_key,
                                                                   const Hash256& fingerprint,
                                                                   absl::string_view request_id,
                                                                   const Caller& caller) {
  auto different = [&] {
    return FieldError("request_id",
                      absl::StrCat(request_id, " was already used by ", caller.identity,
                                   " for a different request; want a new request_id for each "
                                   "request"),
                      reason::kRequestIdReused, {{"request_id", request_id}});
  };
  // A retry that overtakes its original waits for the original's group to end.
  for (auto pending = pending_requests_.find(request_key); pending != pending_requests_.end();
       pending = pending_requests_.find(request_key)) {
    if (pending->second.fingerprint != fingerprint) return different();
    std::shared_ptr<Group> group = pending->second.group;
    while (!group->done) idle_.Wait(&write_mu_);
  }
  ASSIGN_OR_RETURN(std::optional<std::string> stored, store_->GetRow(request_key));
  if (!stored.has_value()) return std::nullopt;
  if (stored->size() < fingerprint.size() ||
      absl::string_view(*stored).substr(0, fingerprint.size()) != AsBytes(fingerprint)) {
    return different();
  }
  return stored->substr(fingerprint.size());
}

std::shared_ptr<ChangeLog::Group> ChangeLog::OpenGroup() {
  if (open_group_ == nullptr) {
    open_group_ = std::make_shared<Group>(*store_);
    open_group_->id = next_group_id_++;
  }
  return open_group_;
}

absl::StatusOr<std::optional<std::string>> ChangeLog::Mutation::Read(const Row& row) const
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (auto own = writes_.find(row); own != writes_.end()) return own->second;
  if (auto other = log_.pending_.find(row); other != log_.pending_.end()) {
    return other->second.value;
  }
  if (auto ahead = read_ahead_.find(row); ahead != read_ahead_.end()) return ahead->second;
  return log_.store_->GetRow(row);
}

absl::Status ChangeLog::Mutation::ReadAhead(std::vector<Row> rows) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  std::erase_if(rows, [&](const Row& row) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return writes_.contains(row) || log_.pending_.contains(row) || read_ahead_.contains(row);
  });
  if (rows.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> values, log_.store_->MultiGetRows(rows));
  for (size_t i = 0; i < values.size(); ++i) {
    read_ahead_.emplace(std::move(rows[i]), std::move(values[i]));
  }
  return absl::OkStatus();
}

uint64_t ChangeLog::Mutation::TakeEntryId() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  return log_.tentative_.next_entry_id++;
}

uint64_t ChangeLog::Mutation::Append(ChangeRecord& record, const std::vector<std::string>& subjects)
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  LogState& state = log_.tentative_;
  record.sequence = state.next_sequence;
  record.time_micros = time_micros_;
  record.previous_hash = state.last_hash;
  record.version = log_.options_.record_version;
  if (record.version != kChangeRecordVersionWithoutNonce) record.nonce = NewRecordNonce();
  record.actor_identity = caller_->identity;
  record.actor_department = caller_->department;
  record.request_id = request_id_;
  std::string encoded = EncodeChangeRecord(record);
  Hash256 hash = ChangeRecordHash(encoded);
  out_->PutChange(record.sequence, encoded);
  state.tree.Append(hash, [&](int level, uint64_t index, const Hash256& node) {
    out_->PutTreeNode(level, index, AsBytes(node));
    if (level >= UpperNodes::kLowestLevel) upper_nodes_.push_back({level, index, node});
  });
  for (const std::string& subject : subjects) out_->AddSubjectChange(subject, record.sequence);
  state.next_sequence = record.sequence + 1;
  state.last_hash = hash;
  state.last_time_micros = record.time_micros;
  if (!first_sequence_.has_value()) first_sequence_ = record.sequence;
  last_sequence_ = record.sequence;
  return record.sequence;
}

absl::Status ChangeLog::AwaitCommit(const std::shared_ptr<Group>& group) {
  while (!group->done) {
    if (!committing_ && open_group_ == group) {
      CommitOpenGroup();
    } else {
      group->changed.Wait(&write_mu_);
    }
  }
  return group->status;
}

void ChangeLog::CommitOpenGroup() {
  std::shared_ptr<Group> group = std::move(open_group_);
  open_group_ = nullptr;
  committing_ = true;
  const LogState end = tentative_;

  FailPoint(kFailBeforeSigning);
  v1::SignedTreeHead head = tree_->Sign(end.tree.size(), end.last_time_micros, end.tree.Root());
  group->writes.PutHead(end.tree.size(), SerializeDeterministic(head));
  for (size_t i = 0; i < group->request_keys.size(); ++i) {
    group->writes.PutRequestAnswer(group->request_keys[i], group->finishers[i](head));
  }

  // The next group fills while this one is written.
  write_mu_.Unlock();
  FailPoint(kFailBeforeWrite);
  const absl::Time write_start = absl::Now();
  absl::Status status = store_->Commit(&group->writes);
  if (options_.counters != nullptr) {
    options_.counters->group_members.Observe(static_cast<double>(group->request_keys.size()));
    options_.counters->write_seconds.Observe(absl::ToDoubleSeconds(absl::Now() - write_start));
  }
  std::shared_ptr<const StoreSnapshot> snapshot;
  if (status.ok()) {
    FailPoint(kFailAfterWrite);
    snapshot = store_->Snapshot();
  }
  write_mu_.Lock();

  if (status.ok()) {
    committed_ = end;
    tree_->AddCommitted(group->upper_nodes);
    for (const auto& run : group->on_commit) run();
    auto view = std::make_shared<ReadView>();
    view->head = std::move(head);
    view->snapshot = std::move(snapshot);
    {
      absl::MutexLock view_lock(&view_mu_);
      view_ = view;
    }
    if (options_.on_published) options_.on_published(group->writes, view);
    for (auto it = pending_.begin(); it != pending_.end();) {
      // Keys a later group wrote again stay pending for it.
      if (it->second.group_id == group->id) {
        pending_.erase(it++);
      } else {
        ++it;
      }
    }
    for (const std::string& key : group->request_keys) pending_requests_.erase(key);
  } else {
    // Nothing of this group is durable, and the open group was built on top of it: both fail,
    // and the writer's state falls back to what is durable. Callers retry with the same
    // request_id; nothing of theirs was written.
    tentative_ = committed_;
    pending_.clear();
    pending_requests_.clear();
    if (options_.on_abort) options_.on_abort();
    if (open_group_ != nullptr) {
      open_group_->status = absl::Status(
          status.code(),
          absl::StrCat("an earlier write failed, so this one was not made: ", status.message()));
      open_group_->done = true;
      open_group_->changed.SignalAll();
      open_group_ = nullptr;
    }
  }
  group->status = std::move(status);
  group->done = true;
  committing_ = false;
  group->changed.SignalAll();
  // One member of the group that filled meanwhile leads the next write.
  if (open_group_ != nullptr) open_group_->changed.Signal();
  idle_.SignalAll();
}

absl::Status ChangeLog::WithWritesPaused(
    absl::FunctionRef<absl::Status(const v1::SignedTreeHead&)> run) {
  absl::MutexLock lock(&write_mu_);
  while (committing_) idle_.Wait(&write_mu_);
  ASSIGN_OR_RETURN(v1::SignedTreeHead head, tree_->LatestHead(nullptr));
  return run(head);
}

// ---- reads ----

absl::StatusOr<int64_t> ChangeLog::ChangeTime(uint64_t sequence,
                                              const StoreSnapshot* snapshot) const {
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, store_->GetChange(sequence, snapshot));
  if (!bytes.has_value()) {
    return absl::NotFoundError(absl::StrCat("change ", sequence, " does not exist"));
  }
  ASSIGN_OR_RETURN(ChangeRecord record, DecodeChangeRecord(*bytes));
  return record.time_micros;
}

absl::StatusOr<v1::SignedTreeHead> ChangeLog::HeadAt(uint64_t size, const ReadView& view) const {
  return tree_->HeadAt(size, &view.head, view.snapshot.get());
}

absl::StatusOr<v1::GetTreeHeadResponse> ChangeLog::TreeHead(
    const v1::GetTreeHeadRequest& request) const {
  std::shared_ptr<const ReadView> view = CurrentView();
  v1::GetTreeHeadResponse response;
  ASSIGN_OR_RETURN(
      *response.mutable_tree_head(),
      HeadAt(request.tree_size() == 0 ? view->head.tree_size() : request.tree_size(), *view));
  return response;
}

absl::StatusOr<v1::GetInclusionProofResponse> ChangeLog::InclusionProof(
    const v1::GetInclusionProofRequest& request) const {
  std::shared_ptr<const ReadView> view = CurrentView();
  RETURN_IF_ERROR(ValidateGetInclusionProofRequest(request, view->head.tree_size()));
  const uint64_t size = request.tree_size() == 0 ? view->head.tree_size() : request.tree_size();
  return tree_->InclusionProof(request.sequence(), size, view->head, view->snapshot.get());
}

absl::StatusOr<v1::GetConsistencyProofResponse> ChangeLog::ConsistencyProof(
    const v1::GetConsistencyProofRequest& request) const {
  std::shared_ptr<const ReadView> view = CurrentView();
  RETURN_IF_ERROR(ValidateGetConsistencyProofRequest(request, view->head.tree_size()));
  const uint64_t to = request.to_size() == 0 ? view->head.tree_size() : request.to_size();
  return tree_->ConsistencyProof(request.from_size(), to, view->head, view->snapshot.get());
}

absl::StatusOr<std::vector<Hash256>> ChangeLog::AuditPath(uint64_t sequence, uint64_t size,
                                                          const StoreSnapshot* snapshot) const {
  return tree_->AuditPath(sequence, size, snapshot);
}

absl::StatusOr<std::vector<Hash256>> ChangeLog::Frontier(uint64_t size,
                                                         const StoreSnapshot* snapshot) const {
  return tree_->Frontier(size, snapshot);
}

v1::GetSigningKeyResponse ChangeLog::SigningKeyInfo() const {
  v1::GetSigningKeyResponse response;
  response.set_public_key(signing_key_.PublicKey());
  response.set_public_key_pem(signing_key_.PublicPem());
  response.set_key_id(std::string(AsBytes(tree_->key_id())));
  return response;
}

}  // namespace credit
