#include "service/registry/registry.h"

#include <iostream>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/changelog/change_record.h"
#include "common/merkle/tree_head.h"
#include "common/proto/deterministic.h"
#include "common/status/status_macros.h"
#include "common/text/date.h"
#include "service/failpoint/failpoint.h"
#include "service/registry/group_commit.h"
#include "service/registry/registry_internal.h"
#include "service/storage/migrations.h"
#include "service/storage/subject_record.h"

namespace credit {
namespace {

using registry_internal::ParseEntry;
using registry_internal::StatusPart;

}  // namespace

Registry::Registry(std::unique_ptr<Store> store, SigningKey signing_key, const Clock* clock,
                   absl::TimeZone time_zone)
    : store_(std::move(store)),
      signing_key_(std::move(signing_key)),
      key_id_(merkle::KeyId(signing_key_.PublicKey())),
      clock_(clock),
      time_zone_(time_zone) {}

// The node loader and the query log's writer must stop before the store they use closes.
Registry::~Registry() {
  stopping_ = true;
  if (node_loader_.joinable()) node_loader_.join();
  query_log_.reset();
}

absl::StatusOr<std::unique_ptr<Registry>> Registry::Open(const RegistryOptions& options,
                                                         SigningKey signing_key,
                                                         const Clock* clock) {
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(options.data_dir, options.store));
  auto registry = std::unique_ptr<Registry>(
      new Registry(std::move(store), std::move(signing_key), clock, options.time_zone));
  registry->backup_dir_ = options.backup_dir;
  registry->record_version_ = options.record_version;
  RETURN_IF_ERROR(registry->Resume(options.rebuild_chunk_bytes));
  ASSIGN_OR_RETURN(std::string token_key, registry->store_->GetOrCreateSecret("page_token_key"));
  registry->page_tokens_ = std::make_unique<PageTokens>(std::move(token_key));
  ASSIGN_OR_RETURN(registry->query_log_,
                   QueryLog::Open(registry->store_.get(), clock, registry->page_tokens_.get()));
  if (options.load_tree_nodes) {
    Registry* r = registry.get();
    r->node_loader_ = std::thread([r] {
      absl::Time start = absl::Now();
      absl::Status loaded = r->upper_nodes_->Load(*r->store_, r->stopping_);
      if (!loaded.ok()) {
        // Proofs still read what is missing from the store, and report it there.
        std::cerr << "creditd: Merkle tree nodes not loaded: " << loaded << "\n";
      } else if (uint64_t count = r->upper_nodes_->NodeCount();
                 count > 0 && r->upper_nodes_->Loaded()) {
        std::cerr << "creditd: Merkle tree nodes of levels " << UpperNodes::kLowestLevel
                  << " and up in memory: " << count << " (" << count * sizeof(Hash256) / 1024
                  << " KiB), read in " << absl::ToInt64Milliseconds(absl::Now() - start) << " ms\n";
      }
    });
  }
  return registry;
}

absl::Status Registry::Resume(size_t rebuild_chunk_bytes) {
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
  upper_nodes_ = std::make_unique<UpperNodes>(state.next_sequence);
  // The tree's right edge, from the nodes stored with the records: no replay of the log.
  ASSIGN_OR_RETURN(state.tree,
                   merkle::CompactRange::Load(state.next_sequence, [&](int level, uint64_t index) {
                     return ReadNode(level, index, nullptr);
                   }));
  if (state.next_sequence > 0) {
    ASSIGN_OR_RETURN(Hash256 leaf, ReadNode(0, state.next_sequence - 1, nullptr));
    if (leaf != state.last_hash) {
      return absl::DataLossError(absl::StrCat("change ", state.next_sequence - 1,
                                              ": its tree leaf differs from the record's hash"));
    }
  }
  ASSIGN_OR_RETURN(uint64_t last_entry_id, store_->LastEntryId());
  state.next_entry_id = last_entry_id + 1;
  tentative_ = committed_;
  {
    std::unique_lock catalogue_lock(catalogue_mu_);
    absl::Status parsed;
    RETURN_IF_ERROR(store_->ScanMeasures([&](absl::string_view code, absl::string_view bytes) {
      v1::Measure measure;
      if (!measure.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        if (parsed.ok()) {
          parsed =
              absl::DataLossError(absl::StrCat("measure ", code, ": stored bytes do not parse"));
        }
        return;
      }
      catalogue_[measure.code()] = std::move(measure);
    }));
    RETURN_IF_ERROR(parsed);
    writer_catalogue_ = catalogue_;
  }
  RETURN_IF_ERROR(BuildSubjectRecords(
      *store_, rebuild_chunk_bytes,
      [](uint64_t id, absl::string_view bytes)
          -> absl::StatusOr<std::optional<std::pair<std::string, std::string>>> {
        ASSIGN_OR_RETURN(v1::Entry entry, ParseEntry(bytes, id));
        if (entry.status() != v1::ACTIVE) return std::nullopt;
        return std::make_pair(entry.subject().code(), StatusPart(entry));
      }));
  RETURN_IF_ERROR(DropHashedTreeLevels(*store_));
  auto view = std::make_shared<ReadView>();
  view->snapshot = store_->Snapshot();
  ASSIGN_OR_RETURN(view->head, LatestHead(view->snapshot.get()));
  if (view->head.tree_size() != committed_.next_sequence) {
    return absl::DataLossError(absl::StrCat("the last signed tree head is of size ",
                                            view->head.tree_size(), ", the log holds ",
                                            committed_.next_sequence, " records"));
  }
  absl::MutexLock view_lock(&view_mu_);
  view_ = std::move(view);
  return absl::OkStatus();
}

uint64_t Registry::ChangeCount() const {
  absl::MutexLock lock(&write_mu_);
  return committed_.next_sequence;
}

Hash256 Registry::LastChangeHash() const {
  absl::MutexLock lock(&write_mu_);
  return committed_.last_hash;
}

std::string Registry::Today() const {
  return FormatDate(absl::ToCivilDay(clock_->Now(), time_zone_));
}

std::shared_ptr<const Registry::ReadView> Registry::CurrentView() const {
  absl::MutexLock lock(&view_mu_);
  return view_;
}

// ---- the write path ----

absl::StatusOr<std::optional<std::string>> Registry::StoredAnswer(const std::string& request_key,
                                                                  const Hash256& fingerprint,
                                                                  absl::string_view request_id,
                                                                  const Caller& caller) {
  auto different = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("request_id: ", request_id, " was already used by ", caller.identity,
                     " for a different request; want a new request_id for each request"));
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

std::shared_ptr<Registry::Group> Registry::OpenGroup() {
  if (open_group_ == nullptr) {
    open_group_ = std::make_shared<Group>(*store_);
    open_group_->id = next_group_id_++;
  }
  return open_group_;
}

absl::StatusOr<std::optional<std::string>> Registry::ReadForWrite(const Mutation& m,
                                                                  const Row& row) const {
  if (auto own = m.writes.find(row); own != m.writes.end()) return own->second;
  if (auto other = pending_.find(row); other != pending_.end()) return other->second.value;
  if (auto ahead = m.read_ahead.find(row); ahead != m.read_ahead.end()) return ahead->second;
  return store_->GetRow(row);
}

absl::Status Registry::ReadAhead(Mutation& m, std::vector<Row> rows) const {
  std::erase_if(rows, [&](const Row& row) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return m.writes.contains(row) || pending_.contains(row) || m.read_ahead.contains(row);
  });
  if (rows.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> values, store_->MultiGetRows(rows));
  for (size_t i = 0; i < values.size(); ++i) {
    m.read_ahead.emplace(std::move(rows[i]), std::move(values[i]));
  }
  return absl::OkStatus();
}

uint64_t Registry::AddRecord(Mutation& m, ChangeRecord& record,
                             const std::vector<std::string>& subjects) {
  LogState& state = tentative_;
  record.sequence = state.next_sequence;
  record.time_micros = m.time_micros;
  record.previous_hash = state.last_hash;
  record.version = record_version_;
  if (record.version != kChangeRecordVersionWithoutNonce) record.nonce = NewRecordNonce();
  record.actor_identity = m.caller->identity;
  record.actor_department = m.caller->department;
  record.request_id = m.request_id;
  std::string encoded = EncodeChangeRecord(record);
  Hash256 hash = ChangeRecordHash(encoded);
  m.out->PutChange(record.sequence, encoded);
  state.tree.Append(hash, [&](int level, uint64_t index, const Hash256& node) {
    m.out->PutTreeNode(level, index, AsBytes(node));
    if (level >= UpperNodes::kLowestLevel) m.upper_nodes.push_back({level, index, node});
  });
  for (const std::string& subject : subjects) m.out->AddSubjectChange(subject, record.sequence);
  state.next_sequence = record.sequence + 1;
  state.last_hash = hash;
  state.last_time_micros = record.time_micros;
  if (!m.first_sequence.has_value()) m.first_sequence = record.sequence;
  m.last_sequence = record.sequence;
  return record.sequence;
}

absl::Status Registry::ChangeEntry(Mutation& m, v1::Operation operation, const v1::Entry* before,
                                   const v1::Entry& after, const std::string& reason) {
  ChangeRecord record;
  record.operation = static_cast<uint8_t>(operation);
  record.object_type = ObjectType::kEntry;
  record.reason = reason;
  if (before != nullptr) record.before = SerializeDeterministic(*before);
  record.after = SerializeDeterministic(after);
  std::vector<std::string> subjects = {after.subject().code()};
  if (before != nullptr && before->subject().code() != after.subject().code()) {
    subjects.push_back(before->subject().code());
  }

  m.out->PutEntry(after.id(), record.after);
  m.writes[Store::EntryRow(after.id())] = record.after;
  if (before == nullptr || subjects.size() == 2) {
    m.out->AddSubjectEntry(after.subject().code(), after.id());
  }
  if (subjects.size() == 2) m.out->RemoveSubjectEntry(before->subject().code(), after.id());
  uint64_t sequence = AddRecord(m, record, subjects);

  // Each touched subject's status record: the entry in it while ACTIVE under that subject.
  for (const std::string& code : subjects) {
    const Row row = Store::SubjectRecordRow(code);
    ASSIGN_OR_RETURN(std::optional<std::string> stored, ReadForWrite(m, row));
    SubjectRecord subject;
    if (stored.has_value()) {
      ASSIGN_OR_RETURN(subject, ParseSubjectRecord(*stored));
    }
    bool active_here = after.status() == v1::ACTIVE && after.subject().code() == code;
    std::string part = active_here ? StatusPart(after) : std::string();
    subject.Set(after.id(), active_here ? &part : nullptr);
    subject.last_change = sequence;
    std::string encoded = subject.Encode();
    m.out->PutSubjectRecord(code, encoded);
    m.writes[row] = std::move(encoded);
  }
  return absl::OkStatus();
}

absl::Status Registry::Join(const std::shared_ptr<Group>& group, Mutation& m,
                            std::string request_key, const Hash256& fingerprint,
                            std::function<std::string(const v1::SignedTreeHead&)> finish) {
  for (auto& [key, value] : m.writes) {
    pending_[key] = Pending{std::move(value), group->id};
  }
  pending_requests_[request_key] = PendingRequest{fingerprint, group};
  group->request_keys.push_back(std::move(request_key));
  group->finishers.push_back(std::move(finish));
  if (m.on_commit) group->on_commit.push_back(std::move(m.on_commit));
  group->upper_nodes.insert(group->upper_nodes.end(), m.upper_nodes.begin(), m.upper_nodes.end());
  return AwaitCommit(group);
}

absl::Status Registry::AwaitCommit(const std::shared_ptr<Group>& group) {
  while (!group->done) {
    if (!committing_ && open_group_ == group) {
      CommitOpenGroup();
    } else {
      group->changed.Wait(&write_mu_);
    }
  }
  return group->status;
}

void Registry::CommitOpenGroup() {
  std::shared_ptr<Group> group = std::move(open_group_);
  open_group_ = nullptr;
  committing_ = true;
  const LogState end = tentative_;

  FailPoint(kFailBeforeSigning);
  v1::SignedTreeHead head = SignHead(end.tree.size(), end.last_time_micros, end.tree.Root());
  group->writes.PutHead(end.tree.size(), SerializeDeterministic(head));
  for (size_t i = 0; i < group->request_keys.size(); ++i) {
    group->writes.PutRequestAnswer(group->request_keys[i], group->finishers[i](head));
  }

  // The next group fills while this one is written.
  write_mu_.Unlock();
  FailPoint(kFailBeforeWrite);
  absl::Status status = store_->Commit(&group->writes);
  std::shared_ptr<const StoreSnapshot> snapshot;
  if (status.ok()) {
    FailPoint(kFailAfterWrite);
    snapshot = store_->Snapshot();
  }
  write_mu_.Lock();

  if (status.ok()) {
    committed_ = end;
    upper_nodes_->AddCommitted(group->upper_nodes);
    for (const auto& run : group->on_commit) run();
    auto view = std::make_shared<ReadView>();
    view->head = std::move(head);
    view->snapshot = std::move(snapshot);
    {
      absl::MutexLock view_lock(&view_mu_);
      view_ = std::move(view);
    }
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
    {
      std::shared_lock lock(catalogue_mu_);
      writer_catalogue_ = catalogue_;
    }
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

}  // namespace credit
