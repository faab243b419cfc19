#include "service/registry/registry.h"

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/changelog/change_record.h"
#include "common/merkle/tree_head.h"
#include "common/proto/deterministic.h"
#include "common/status/status_macros.h"
#include "common/text/date.h"
#include "service/failpoint/failpoint.h"
#include "service/registry/presentation.h"
#include "service/registry/registry_internal.h"
#include "service/storage/keys.h"

namespace credit {

using registry_internal::CopyInputFields;
using registry_internal::NoSuchEntry;
using registry_internal::ParseEntry;
using registry_internal::ToTimestamp;

struct Registry::Mutation {
  rocksdb::WriteBatch batch;
  ChangeRecord record;
  // Subject codes whose subject_changes index lists this record.
  std::vector<std::string> subjects;
  // Runs after the batch is durable, still under write_mu_: advances in-memory state.
  std::function<void()> on_commit;
};

Registry::Registry(std::unique_ptr<Store> store, SigningKey signing_key, const Clock* clock,
                   absl::TimeZone time_zone)
    : store_(std::move(store)),
      signing_key_(std::move(signing_key)),
      key_id_(merkle::KeyId(signing_key_.PublicKey())),
      clock_(clock),
      time_zone_(time_zone) {}

// The query log's writer must stop before the store it writes to closes.
Registry::~Registry() { query_log_.reset(); }

absl::StatusOr<std::unique_ptr<Registry>> Registry::Open(const RegistryOptions& options,
                                                         SigningKey signing_key,
                                                         const Clock* clock) {
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(options.data_dir, options.store));
  auto registry = std::unique_ptr<Registry>(
      new Registry(std::move(store), std::move(signing_key), clock, options.time_zone));
  registry->backup_dir_ = options.backup_dir;
  RETURN_IF_ERROR(registry->Resume());
  ASSIGN_OR_RETURN(std::string token_key, registry->store_->GetOrCreateSecret("page_token_key"));
  registry->page_tokens_ = std::make_unique<PageTokens>(std::move(token_key));
  ASSIGN_OR_RETURN(registry->query_log_,
                   QueryLog::Open(registry->store_.get(), clock, registry->page_tokens_.get()));
  return registry;
}

absl::Status Registry::Resume() {
  absl::MutexLock lock(&write_mu_);
  {
    auto it = store_->NewIterator(Family::kChanges);
    it->SeekToLast();
    if (it->Valid()) {
      uint64_t sequence = keys::ReadU64(View(it->key()));
      ASSIGN_OR_RETURN(ChangeRecord last, DecodeChangeRecord(View(it->value())));
      if (last.sequence != sequence) {
        return absl::DataLossError(absl::StrCat("change record under key ", sequence,
                                                " says it is sequence ", last.sequence));
      }
      next_sequence_ = sequence + 1;
      last_hash_ = ChangeRecordHash(View(it->value()));
      last_time_micros_ = last.time_micros;
    }
    RETURN_IF_ERROR(FromRocksStatus(it->status(), "reading the change log"));
  }
  // The tree's right edge, from the nodes stored with the records: no replay of the log.
  ASSIGN_OR_RETURN(tree_,
                   merkle::CompactRange::Load(next_sequence_, [&](int level, uint64_t index) {
                     return ReadNode(level, index, nullptr);
                   }));
  if (next_sequence_ > 0) {
    ASSIGN_OR_RETURN(Hash256 leaf, ReadNode(0, next_sequence_ - 1, nullptr));
    if (leaf != last_hash_) {
      return absl::DataLossError(absl::StrCat("change ", next_sequence_ - 1,
                                              ": its tree leaf differs from the record's hash"));
    }
  }
  {
    auto it = store_->NewIterator(Family::kEntries);
    it->SeekToLast();
    if (it->Valid()) next_entry_id_ = keys::ReadU64(View(it->key())) + 1;
    RETURN_IF_ERROR(FromRocksStatus(it->status(), "reading entries"));
  }
  auto it = store_->NewIterator(Family::kMeasures);
  std::unique_lock catalogue_lock(catalogue_mu_);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    v1::Measure measure;
    if (!measure.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(
          absl::StrCat("measure ", View(it->key()), ": stored bytes do not parse"));
    }
    catalogue_[measure.code()] = std::move(measure);
  }
  return FromRocksStatus(it->status(), "reading the measures catalogue");
}

uint64_t Registry::ChangeCount() const {
  absl::MutexLock lock(&write_mu_);
  return next_sequence_;
}

Hash256 Registry::LastChangeHash() const {
  absl::MutexLock lock(&write_mu_);
  return last_hash_;
}

std::string Registry::Today() const {
  return FormatDate(absl::ToCivilDay(clock_->Now(), time_zone_));
}

template <typename Response>
absl::StatusOr<Response> Registry::Mutate(
    const Caller& caller, Rpc rpc, const google::protobuf::Message& request,
    absl::string_view request_id, absl::FunctionRef<absl::Status(Mutation&, Response&)> build) {
  RETURN_IF_ERROR(ValidateRequestId(request_id));
  // The answer to a retry is only returned for the very same request.
  Hash256 fingerprint = Sha256({RpcName(rpc), SerializeDeterministic(request)});
  std::string request_key = keys::Request(caller.identity, request_id);

  absl::MutexLock lock(&write_mu_);
  ASSIGN_OR_RETURN(std::optional<std::string> stored, store_->Get(Family::kRequests, request_key));
  if (stored.has_value()) {
    if (stored->size() < fingerprint.size() ||
        absl::string_view(*stored).substr(0, fingerprint.size()) != AsBytes(fingerprint)) {
      return absl::InvalidArgumentError(
          absl::StrCat("request_id: ", request_id, " was already used by ", caller.identity,
                       " for a different request; want a new request_id for each request"));
    }
    Response response;
    if (!response.ParseFromArray(stored->data() + fingerprint.size(),
                                 static_cast<int>(stored->size() - fingerprint.size()))) {
      return absl::DataLossError(
          absl::StrCat("request_id: ", request_id, ": the stored answer does not parse"));
    }
    return response;
  }

  Mutation m;
  m.record.sequence = next_sequence_;
  m.record.time_micros = std::max(absl::ToUnixMicros(clock_->Now()), last_time_micros_);
  m.record.previous_hash = last_hash_;
  m.record.actor_identity = caller.identity;
  m.record.actor_department = caller.department;
  m.record.request_id = std::string(request_id);
  Response response;
  RETURN_IF_ERROR(build(m, response));
  response.set_change_sequence(m.record.sequence);

  std::string encoded = EncodeChangeRecord(m.record);
  std::string sequence_key = keys::U64(m.record.sequence);
  m.batch.Put(store_->Handle(Family::kChanges), sequence_key, encoded);
  FailPoint(kFailBeforeSigning);
  Hash256 record_hash = ChangeRecordHash(encoded);
  merkle::CompactRange tree = tree_;
  tree.Append(record_hash, [&](int level, uint64_t index, const Hash256& node) {
    m.batch.Put(store_->Handle(Family::kTreeNodes), keys::TreeNode(level, index),
                ToSlice(AsBytes(node)));
  });
  *response.mutable_tree_head() = SignHead(tree.size(), m.record.time_micros, tree.Root());
  m.batch.Put(store_->Handle(Family::kHeads), keys::U64(tree.size()),
              SerializeDeterministic(response.tree_head()));
  for (const std::string& subject : m.subjects) {
    m.batch.Put(store_->Handle(Family::kSubjectChanges),
                keys::SubjectItem(subject, m.record.sequence), "");
  }
  m.batch.Put(store_->Handle(Family::kRequests), request_key,
              absl::StrCat(AsBytes(fingerprint), SerializeDeterministic(response)));
  FailPoint(kFailBeforeWrite);
  RETURN_IF_ERROR(store_->Write(&m.batch));
  FailPoint(kFailAfterWrite);

  ++next_sequence_;
  last_hash_ = record_hash;
  last_time_micros_ = m.record.time_micros;
  tree_ = std::move(tree);
  if (m.on_commit) m.on_commit();
  return response;
}

absl::StatusOr<v1::RecordEntryResponse> Registry::RecordEntry(
    const Caller& caller, const v1::RecordEntryRequest& request) {
  auto build = [&](Mutation& m, v1::RecordEntryResponse& response) -> absl::Status {
    RETURN_IF_ERROR(ValidateEntryInput(request.entry(), catalogue_));
    v1::Entry& entry = *response.mutable_entry();
    CopyInputFields(request.entry(), &entry);
    entry.set_id(next_entry_id_);
    entry.set_status(v1::ACTIVE);
    entry.set_revision(1);
    entry.mutable_recorded_by()->set_identity(caller.identity);
    entry.mutable_recorded_by()->set_department(caller.department);
    *entry.mutable_create_time() = ToTimestamp(absl::FromUnixMicros(m.record.time_micros));
    *entry.mutable_update_time() = entry.create_time();

    m.batch.Put(store_->Handle(Family::kEntries), keys::U64(entry.id()),
                SerializeDeterministic(entry));
    m.batch.Put(store_->Handle(Family::kSubjectEntries),
                keys::SubjectItem(entry.subject().code(), entry.id()), "");
    m.record.operation = v1::ENTRY_RECORDED;
    m.record.object_type = ObjectType::kEntry;
    m.record.after = SerializeDeterministic(entry);
    m.subjects = {entry.subject().code()};
    m.on_commit = [this] { ++next_entry_id_; };
    return absl::OkStatus();
  };
  ASSIGN_OR_RETURN(v1::RecordEntryResponse response,
                   (Mutate<v1::RecordEntryResponse>(caller, Rpc::kRecordEntry, request,
                                                    request.request_id(), build)));
  RedactEntry(caller, response.mutable_entry());
  return response;
}

absl::StatusOr<std::optional<v1::Entry>> Registry::ReadEntry(uint64_t id) const {
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, store_->Get(Family::kEntries, keys::U64(id)));
  if (!bytes.has_value()) return std::nullopt;
  return ParseEntry(*bytes, id);
}

absl::StatusOr<v1::Entry> Registry::EntryToChange(const Caller& caller, uint64_t id,
                                                  uint64_t revision) const {
  ASSIGN_OR_RETURN(std::optional<v1::Entry> entry, ReadEntry(id));
  if (!entry.has_value()) return NoSuchEntry(id);
  if (entry->recorded_by().department() != caller.department) {
    return absl::PermissionDeniedError(
        absl::StrCat("entry ", id, " was recorded by ", entry->recorded_by().department(),
                     "; department ", caller.department, " may not change it"));
  }
  if (entry->status() != v1::ACTIVE) {
    return absl::FailedPreconditionError(
        absl::StrCat("entry ", id, " is ", v1::EntryStatus_Name(entry->status()),
                     "; only ACTIVE entries can be corrected or removed"));
  }
  if (revision != 0 && revision != entry->revision()) {
    return absl::AbortedError(absl::StrCat("entry ", id, ": revision ", revision,
                                           " given, current revision is ", entry->revision(),
                                           "; read the entry again and retry"));
  }
  return *std::move(entry);
}

absl::StatusOr<v1::UpdateEntryResponse> Registry::UpdateEntry(
    const Caller& caller, const v1::UpdateEntryRequest& request) {
  const v1::Entry& in = request.entry();
  if (in.id() == 0) {
    return absl::InvalidArgumentError("entry.id: required, want the id of the entry to correct");
  }
  if (in.revision() == 0) {
    return absl::InvalidArgumentError(
        "entry.revision: required, want the revision of the entry as you read it");
  }
  RETURN_IF_ERROR(ValidateReason(request.reason()));
  auto build = [&](Mutation& m, v1::UpdateEntryResponse& response) -> absl::Status {
    RETURN_IF_ERROR(ValidateEntryInput(in, catalogue_));
    ASSIGN_OR_RETURN(v1::Entry before, EntryToChange(caller, in.id(), in.revision()));
    v1::Entry& after = *response.mutable_entry();
    after = before;
    CopyInputFields(in, &after);
    after.set_revision(before.revision() + 1);
    *after.mutable_update_time() = ToTimestamp(absl::FromUnixMicros(m.record.time_micros));
    after.set_status_reason(request.reason());

    const std::string& old_code = before.subject().code();
    const std::string& new_code = after.subject().code();
    m.batch.Put(store_->Handle(Family::kEntries), keys::U64(after.id()),
                SerializeDeterministic(after));
    m.subjects = {old_code};
    if (new_code != old_code) {
      m.batch.Delete(store_->Handle(Family::kSubjectEntries),
                     keys::SubjectItem(old_code, after.id()));
      m.batch.Put(store_->Handle(Family::kSubjectEntries), keys::SubjectItem(new_code, after.id()),
                  "");
      m.subjects.push_back(new_code);
    }
    m.record.operation = v1::ENTRY_CORRECTED;
    m.record.object_type = ObjectType::kEntry;
    m.record.reason = request.reason();
    m.record.before = SerializeDeterministic(before);
    m.record.after = SerializeDeterministic(after);
    return absl::OkStatus();
  };
  ASSIGN_OR_RETURN(v1::UpdateEntryResponse response,
                   (Mutate<v1::UpdateEntryResponse>(caller, Rpc::kUpdateEntry, request,
                                                    request.request_id(), build)));
  RedactEntry(caller, response.mutable_entry());
  return response;
}

absl::StatusOr<v1::RemoveEntryResponse> Registry::RemoveEntry(
    const Caller& caller, const v1::RemoveEntryRequest& request) {
  if (request.entry_id() == 0) {
    return absl::InvalidArgumentError("entry_id: required, want the id of the entry to remove");
  }
  if (request.kind() != v1::REVOKE && request.kind() != v1::REPAIR) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind: got ", request.kind(), ", want REVOKE or REPAIR"));
  }
  RETURN_IF_ERROR(ValidateReason(request.reason()));
  auto build = [&](Mutation& m, v1::RemoveEntryResponse& response) -> absl::Status {
    ASSIGN_OR_RETURN(v1::Entry before,
                     EntryToChange(caller, request.entry_id(), request.revision()));
    v1::Entry& after = *response.mutable_entry();
    after = before;
    bool revoke = request.kind() == v1::REVOKE;
    after.set_status(revoke ? v1::REVOKED : v1::REPAIRED);
    after.set_revision(before.revision() + 1);
    *after.mutable_update_time() = ToTimestamp(absl::FromUnixMicros(m.record.time_micros));
    after.set_status_reason(request.reason());

    m.batch.Put(store_->Handle(Family::kEntries), keys::U64(after.id()),
                SerializeDeterministic(after));
    m.subjects = {after.subject().code()};
    m.record.operation = revoke ? v1::ENTRY_REVOKED : v1::ENTRY_REPAIRED;
    m.record.object_type = ObjectType::kEntry;
    m.record.reason = request.reason();
    m.record.before = SerializeDeterministic(before);
    m.record.after = SerializeDeterministic(after);
    return absl::OkStatus();
  };
  ASSIGN_OR_RETURN(v1::RemoveEntryResponse response,
                   (Mutate<v1::RemoveEntryResponse>(caller, Rpc::kRemoveEntry, request,
                                                    request.request_id(), build)));
  RedactEntry(caller, response.mutable_entry());
  return response;
}

absl::StatusOr<v1::PutMeasureResponse> Registry::PutMeasure(const Caller& caller,
                                                            const v1::PutMeasureRequest& request) {
  RETURN_IF_ERROR(ValidateMeasure(request.measure()));
  auto build = [&](Mutation& m, v1::PutMeasureResponse& response) -> absl::Status {
    v1::Measure& after = *response.mutable_measure();
    after = request.measure();
    auto existing = catalogue_.find(after.code());
    after.set_revision(existing == catalogue_.end() ? 1 : existing->second.revision() + 1);

    m.batch.Put(store_->Handle(Family::kMeasures), after.code(), SerializeDeterministic(after));
    m.record.operation = v1::MEASURE_PUT;
    m.record.object_type = ObjectType::kMeasure;
    if (existing != catalogue_.end()) m.record.before = SerializeDeterministic(existing->second);
    m.record.after = SerializeDeterministic(after);
    m.on_commit = [this, after] {
      std::unique_lock lock(catalogue_mu_);
      catalogue_[after.code()] = after;
    };
    return absl::OkStatus();
  };
  return Mutate<v1::PutMeasureResponse>(caller, Rpc::kPutMeasure, request, request.request_id(),
                                        build);
}

absl::Status Registry::SeedMeasures(const std::vector<v1::Measure>& measures) {
  Caller system{kSystemIdentity, kSystemDepartment, static_cast<uint32_t>(Role::kAdmin), true};
  for (const v1::Measure& measure : measures) {
    {
      std::shared_lock lock(catalogue_mu_);
      if (catalogue_.contains(measure.code())) continue;
    }
    v1::PutMeasureRequest request;
    *request.mutable_measure() = measure;
    request.set_request_id(absl::StrCat("seed-", measure.code()));
    absl::StatusOr<v1::PutMeasureResponse> response = PutMeasure(system, request);
    if (!response.ok()) {
      return absl::Status(
          response.status().code(),
          absl::StrCat("seeding measure ", measure.code(), ": ", response.status().message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace credit
