#include "service/registry/registry.h"

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/changelog/change_record.h"
#include "common/status/status_macros.h"
#include "common/subject/subject_code.h"
#include "common/text/date.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/time_util.h"
#include "service/registry/presentation.h"
#include "service/registry/page_token.h"
#include "service/storage/keys.h"

namespace credit {
namespace {

// A list call examines at most this many stored items before it answers with what it found and
// a token to go on: a selective filter must not turn one call into a scan of the whole store.
constexpr int kMaxScanPerCall = 10000;

std::string Serialize(const google::protobuf::Message& message) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

bool InForce(const v1::Entry& entry, absl::string_view today) {
  return entry.status() == v1::ACTIVE && entry.effective_date() <= today &&
         today <= entry.expiry_date();
}

void InferSubjectKind(v1::Subject* subject) {
  if (subject->kind() != v1::SUBJECT_KIND_UNSPECIFIED) return;
  absl::StatusOr<v1::SubjectKind> kind = ValidateSubjectCode(subject->code(), "subject.code");
  if (kind.ok()) subject->set_kind(*kind);
}

// Copies the input fields of `in` over `out`, leaving out's output-only fields.
void CopyInputFields(const v1::Entry& in, v1::Entry* out) {
  *out->mutable_subject() = in.subject();
  InferSubjectKind(out->mutable_subject());
  out->set_list(in.list());
  out->set_category(in.category());
  out->set_facts(in.facts());
  out->set_legal_basis(in.legal_basis());
  out->set_authority(in.authority());
  out->set_document_number(in.document_number());
  out->set_decision_date(in.decision_date());
  out->set_publicity_start(in.publicity_start());
  out->set_publicity_end(in.publicity_end());
  out->set_effective_date(in.effective_date());
  out->set_expiry_date(in.expiry_date());
  *out->mutable_measure_codes() = in.measure_codes();
}

absl::StatusOr<v1::Entry> ParseEntry(absl::string_view bytes, uint64_t id) {
  v1::Entry entry;
  if (!entry.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("entry ", id, ": stored bytes do not parse"));
  }
  return entry;
}

absl::Status NoSuchEntry(uint64_t id) {
  return absl::NotFoundError(absl::StrCat("entry ", id, ": no such entry"));
}

absl::StatusOr<uint64_t> PositionAsU64(absl::string_view position) {
  if (position.empty()) return 0;
  if (position.size() != 8) return absl::InvalidArgumentError("page_token: malformed");
  return keys::ReadU64(position);
}

}  // namespace

struct Registry::Mutation {
  rocksdb::WriteBatch batch;
  ChangeRecord record;
  // Subject codes whose subject_changes index lists this record.
  std::vector<std::string> subjects;
  // Runs after the batch is durable, still under write_mu_: advances in-memory state.
  std::function<void()> on_commit;
};

Registry::Registry(std::unique_ptr<Store> store, const Clock* clock, absl::TimeZone time_zone)
    : store_(std::move(store)), clock_(clock), time_zone_(time_zone) {}

absl::StatusOr<std::unique_ptr<Registry>> Registry::Open(const RegistryOptions& options,
                                                         const Clock* clock) {
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(options.data_dir));
  auto registry =
      std::unique_ptr<Registry>(new Registry(std::move(store), clock, options.time_zone));
  RETURN_IF_ERROR(registry->Resume());
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
    }
    RETURN_IF_ERROR(FromRocksStatus(it->status(), "reading the change log"));
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
  Hash256 fingerprint = Sha256({RpcName(rpc), Serialize(request)});
  std::string request_key = keys::Request(caller.identity, request_id);

  absl::MutexLock lock(&write_mu_);
  ASSIGN_OR_RETURN(std::optional<std::string> stored,
                   store_->Get(Family::kRequests, request_key));
  if (stored.has_value()) {
    if (stored->size() < fingerprint.size() ||
        absl::string_view(*stored).substr(0, fingerprint.size()) != AsBytes(fingerprint)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "request_id: ", request_id, " was already used by ", caller.identity,
          " for a different request; want a new request_id for each request"));
    }
    Response response;
    if (!response.ParseFromArray(stored->data() + fingerprint.size(),
                                 static_cast<int>(stored->size() - fingerprint.size()))) {
      return absl::DataLossError(absl::StrCat("request_id: ", request_id,
                                              ": the stored answer does not parse"));
    }
    return response;
  }

  absl::Time now = clock_->Now();
  Mutation m;
  m.record.sequence = next_sequence_;
  m.record.time_micros = absl::ToUnixMicros(now);
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
  for (const std::string& subject : m.subjects) {
    m.batch.Put(store_->Handle(Family::kSubjectChanges),
                keys::SubjectItem(subject, m.record.sequence), "");
  }
  m.batch.Put(store_->Handle(Family::kRequests), request_key,
              absl::StrCat(AsBytes(fingerprint), Serialize(response)));
  RETURN_IF_ERROR(store_->Write(&m.batch));

  ++next_sequence_;
  last_hash_ = ChangeRecordHash(encoded);
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

    m.batch.Put(store_->Handle(Family::kEntries), keys::U64(entry.id()), Serialize(entry));
    m.batch.Put(store_->Handle(Family::kSubjectEntries),
                keys::SubjectItem(entry.subject().code(), entry.id()), "");
    m.record.operation = v1::ENTRY_RECORDED;
    m.record.object_type = ObjectType::kEntry;
    m.record.after = Serialize(entry);
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
    m.batch.Put(store_->Handle(Family::kEntries), keys::U64(after.id()), Serialize(after));
    m.subjects = {old_code};
    if (new_code != old_code) {
      m.batch.Delete(store_->Handle(Family::kSubjectEntries),
                     keys::SubjectItem(old_code, after.id()));
      m.batch.Put(store_->Handle(Family::kSubjectEntries),
                  keys::SubjectItem(new_code, after.id()), "");
      m.subjects.push_back(new_code);
    }
    m.record.operation = v1::ENTRY_CORRECTED;
    m.record.object_type = ObjectType::kEntry;
    m.record.reason = request.reason();
    m.record.before = Serialize(before);
    m.record.after = Serialize(after);
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

    m.batch.Put(store_->Handle(Family::kEntries), keys::U64(after.id()), Serialize(after));
    m.subjects = {after.subject().code()};
    m.record.operation = revoke ? v1::ENTRY_REVOKED : v1::ENTRY_REPAIRED;
    m.record.object_type = ObjectType::kEntry;
    m.record.reason = request.reason();
    m.record.before = Serialize(before);
    m.record.after = Serialize(after);
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

    m.batch.Put(store_->Handle(Family::kMeasures), after.code(), Serialize(after));
    m.record.operation = v1::MEASURE_PUT;
    m.record.object_type = ObjectType::kMeasure;
    if (existing != catalogue_.end()) m.record.before = Serialize(existing->second);
    m.record.after = Serialize(after);
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
      return absl::Status(response.status().code(),
                          absl::StrCat("seeding measure ", measure.code(), ": ",
                                       response.status().message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::GetEntryResponse> Registry::GetEntry(const Caller& caller,
                                                        const v1::GetEntryRequest& request) {
  if (request.entry_id() == 0) {
    return absl::InvalidArgumentError("entry_id: required, want an entry id (1 or more)");
  }
  ASSIGN_OR_RETURN(std::optional<v1::Entry> entry, ReadEntry(request.entry_id()));
  if (!entry.has_value()) return NoSuchEntry(request.entry_id());
  v1::GetEntryResponse response;
  *response.mutable_entry() = *std::move(entry);
  RedactEntry(caller, response.mutable_entry());
  return response;
}

absl::StatusOr<v1::ListEntriesResponse> Registry::ListEntries(
    const Caller& caller, const v1::ListEntriesRequest& request) {
  ASSIGN_OR_RETURN(int page_size, ValidatePageSize(request.page_size()));
  if (!v1::ListKind_IsValid(request.list())) {
    return absl::InvalidArgumentError(
        absl::StrCat("list: got ", request.list(), ", want RED, BLACK or WATCH"));
  }
  if (!v1::EntryStatus_IsValid(request.status())) {
    return absl::InvalidArgumentError(
        absl::StrCat("status: got ", request.status(), ", want an EntryStatus"));
  }
  const std::string& subject = request.subject_code();
  if (!subject.empty()) RETURN_IF_ERROR(ValidateSubjectCode(subject, "subject_code").status());
  uint64_t fingerprint = FilterFingerprint(request);
  ASSIGN_OR_RETURN(std::string position, DecodePageToken(request.page_token(), fingerprint));
  ASSIGN_OR_RETURN(uint64_t next_id, PositionAsU64(position));

  auto snapshot = store_->Snapshot();
  // By subject: walk that subject's index; otherwise all entries in id order.
  std::unique_ptr<rocksdb::Iterator> it =
      store_->NewIterator(subject.empty() ? Family::kEntries : Family::kSubjectEntries,
                          snapshot.get());
  std::string start = subject.empty() ? keys::U64(next_id) : keys::SubjectItem(subject, next_id);
  v1::ListEntriesResponse response;
  int scanned = 0;
  for (it->Seek(start); it->Valid(); it->Next()) {
    absl::string_view key = View(it->key());
    if (!subject.empty() && !absl::StartsWith(key, subject)) break;
    uint64_t id = subject.empty() ? keys::ReadU64(key) : keys::SubjectItemId(key);
    if (response.entries_size() == page_size || ++scanned > kMaxScanPerCall) {
      response.set_next_page_token(EncodePageToken(fingerprint, keys::U64(id)));
      break;
    }
    v1::Entry entry;
    if (subject.empty()) {
      ASSIGN_OR_RETURN(entry, ParseEntry(View(it->value()), id));
    } else {
      ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                       store_->Get(Family::kEntries, keys::U64(id), snapshot.get()));
      if (!bytes.has_value()) {
        return absl::DataLossError(absl::StrCat("subject index names entry ", id,
                                                ", which is not stored"));
      }
      ASSIGN_OR_RETURN(entry, ParseEntry(*bytes, id));
    }
    if ((request.list() != v1::LIST_KIND_UNSPECIFIED && entry.list() != request.list()) ||
        (request.status() != v1::ENTRY_STATUS_UNSPECIFIED && entry.status() != request.status()) ||
        (!request.authority().empty() && entry.authority() != request.authority()) ||
        (!request.category().empty() && entry.category() != request.category())) {
      continue;
    }
    RedactEntry(caller, &entry);
    *response.add_entries() = std::move(entry);
  }
  RETURN_IF_ERROR(FromRocksStatus(it->status(), "listing entries"));
  return response;
}

absl::StatusOr<v1::CreditStatus> Registry::StatusOf(const Caller& caller, absl::string_view code,
                                                    absl::string_view field,
                                                    absl::string_view today,
                                                    const rocksdb::Snapshot* snapshot) const {
  ASSIGN_OR_RETURN(v1::SubjectKind kind, ValidateSubjectCode(code, field));
  std::vector<std::string> entry_keys;
  {
    auto it = store_->NewIterator(Family::kSubjectEntries, snapshot);
    for (it->Seek(ToSlice(code)); it->Valid() && it->key().starts_with(ToSlice(code));
         it->Next()) {
      entry_keys.push_back(keys::U64(keys::SubjectItemId(View(it->key()))));
    }
    RETURN_IF_ERROR(FromRocksStatus(it->status(), "reading the subject index"));
  }
  ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> values,
                   store_->MultiGet(Family::kEntries, entry_keys, snapshot));

  v1::CreditStatus status;
  status.mutable_subject()->set_kind(kind);
  status.mutable_subject()->set_code(std::string(code));
  status.set_as_of_date(std::string(today));
  std::map<std::string, std::vector<uint64_t>> measure_entries;
  for (size_t i = 0; i < values.size(); ++i) {
    uint64_t id = keys::ReadU64(entry_keys[i]);
    if (!values[i].has_value()) {
      return absl::DataLossError(
          absl::StrCat("subject index names entry ", id, ", which is not stored"));
    }
    ASSIGN_OR_RETURN(v1::Entry entry, ParseEntry(*values[i], id));
    if (!InForce(entry, today)) continue;
    switch (entry.list()) {
      case v1::RED: status.set_on_red_list(true); break;
      case v1::BLACK: status.set_on_black_list(true); break;
      case v1::WATCH: status.set_on_watch_list(true); break;
      default: break;
    }
    for (const std::string& measure : entry.measure_codes()) {
      measure_entries[measure].push_back(id);
    }
    status.mutable_subject()->set_name(entry.subject().name());
    *status.add_entries() = std::move(entry);
  }
  {
    std::shared_lock lock(catalogue_mu_);
    for (auto& [measure_code, ids] : measure_entries) {
      auto measure = catalogue_.find(measure_code);
      if (measure == catalogue_.end()) continue;
      const auto& departments = measure->second.departments();
      if (std::find(departments.begin(), departments.end(), caller.department) ==
          departments.end()) {
        continue;
      }
      v1::ApplicableMeasure* applicable = status.add_measures();
      *applicable->mutable_measure() = measure->second;
      applicable->mutable_entry_ids()->Add(ids.begin(), ids.end());
    }
  }
  RedactSubject(caller, status.mutable_subject());
  for (v1::Entry& entry : *status.mutable_entries()) RedactEntry(caller, &entry);
  return status;
}

absl::StatusOr<v1::GetCreditStatusResponse> Registry::GetCreditStatus(
    const Caller& caller, const v1::GetCreditStatusRequest& request) {
  auto snapshot = store_->Snapshot();
  v1::GetCreditStatusResponse response;
  ASSIGN_OR_RETURN(*response.mutable_status(),
                   StatusOf(caller, request.subject_code(), "subject_code", Today(),
                            snapshot.get()));
  return response;
}

absl::StatusOr<v1::BatchGetCreditStatusResponse> Registry::BatchGetCreditStatus(
    const Caller& caller, const v1::BatchGetCreditStatusRequest& request) {
  size_t count = request.subject_codes_size();
  if (count == 0 || count > kMaxBatchSubjects) {
    return absl::InvalidArgumentError(absl::StrCat("subject_codes: got ", count,
                                                   " codes, want 1 to ", kMaxBatchSubjects));
  }
  auto snapshot = store_->Snapshot();
  std::string today = Today();
  v1::BatchGetCreditStatusResponse response;
  for (size_t i = 0; i < count; ++i) {
    std::string field = absl::StrCat("subject_codes[", i, "]");
    absl::StatusOr<v1::CreditStatus> status =
        StatusOf(caller, request.subject_codes(i), field, today, snapshot.get());
    v1::SubjectStatusResult* result = response.add_results();
    if (status.ok()) {
      *result->mutable_status() = *std::move(status);
    } else if (status.status().code() == absl::StatusCode::kInvalidArgument) {
      result->mutable_error()->set_code(static_cast<int>(status.status().code()));
      result->mutable_error()->set_message(std::string(status.status().message()));
    } else {
      // A storage failure is the whole call's failure, not the subject's.
      return status.status();
    }
  }
  return response;
}

absl::StatusOr<v1::ListMeasuresResponse> Registry::ListMeasures(
    const Caller& caller, const v1::ListMeasuresRequest& request) {
  ASSIGN_OR_RETURN(int page_size, ValidatePageSize(request.page_size()));
  if (!v1::MeasureKind_IsValid(request.kind())) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind: got ", request.kind(), ", want PUNISHMENT or INCENTIVE"));
  }
  uint64_t fingerprint = FilterFingerprint(request);
  ASSIGN_OR_RETURN(std::string next_code, DecodePageToken(request.page_token(), fingerprint));
  v1::ListMeasuresResponse response;
  std::shared_lock lock(catalogue_mu_);
  for (auto it = catalogue_.lower_bound(next_code); it != catalogue_.end(); ++it) {
    if (request.kind() != v1::MEASURE_KIND_UNSPECIFIED && it->second.kind() != request.kind()) {
      continue;
    }
    if (response.measures_size() == page_size) {
      response.set_next_page_token(EncodePageToken(fingerprint, it->first));
      break;
    }
    *response.add_measures() = it->second;
  }
  return response;
}

absl::StatusOr<v1::ListChangesResponse> Registry::ListChanges(
    const Caller& caller, const v1::ListChangesRequest& request) {
  ASSIGN_OR_RETURN(int page_size, ValidatePageSize(request.page_size()));
  const std::string& subject = request.subject_code();
  if (!subject.empty()) RETURN_IF_ERROR(ValidateSubjectCode(subject, "subject_code").status());
  int64_t start_micros = std::numeric_limits<int64_t>::min();
  int64_t end_micros = std::numeric_limits<int64_t>::max();
  if (request.has_start_time()) {
    start_micros = google::protobuf::util::TimeUtil::TimestampToMicroseconds(request.start_time());
  }
  if (request.has_end_time()) {
    end_micros = google::protobuf::util::TimeUtil::TimestampToMicroseconds(request.end_time());
  }
  if (end_micros < start_micros) {
    return absl::InvalidArgumentError("end_time: want a time at or after start_time");
  }
  uint64_t fingerprint = FilterFingerprint(request);
  ASSIGN_OR_RETURN(std::string position, DecodePageToken(request.page_token(), fingerprint));
  ASSIGN_OR_RETURN(uint64_t next, PositionAsU64(position));
  next = std::max(next, request.from_sequence());

  auto snapshot = store_->Snapshot();
  std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(
      subject.empty() ? Family::kChanges : Family::kSubjectChanges, snapshot.get());
  std::string start = subject.empty() ? keys::U64(next) : keys::SubjectItem(subject, next);
  v1::ListChangesResponse response;
  int scanned = 0;
  for (it->Seek(start); it->Valid(); it->Next()) {
    absl::string_view key = View(it->key());
    if (!subject.empty() && !absl::StartsWith(key, subject)) break;
    uint64_t sequence = subject.empty() ? keys::ReadU64(key) : keys::SubjectItemId(key);
    if (response.changes_size() == page_size || ++scanned > kMaxScanPerCall) {
      response.set_next_page_token(EncodePageToken(fingerprint, keys::U64(sequence)));
      break;
    }
    std::string bytes;
    if (subject.empty()) {
      bytes = std::string(View(it->value()));
    } else {
      ASSIGN_OR_RETURN(std::optional<std::string> stored,
                       store_->Get(Family::kChanges, keys::U64(sequence), snapshot.get()));
      if (!stored.has_value()) {
        return absl::DataLossError(
            absl::StrCat("subject index names change ", sequence, ", which is not stored"));
      }
      bytes = *std::move(stored);
    }
    ASSIGN_OR_RETURN(v1::Change change, ChangeFromRecord(sequence, bytes));
    int64_t micros = google::protobuf::util::TimeUtil::TimestampToMicroseconds(change.time());
    if ((!request.actor_identity().empty() &&
         change.actor().identity() != request.actor_identity()) ||
        micros < start_micros || micros >= end_micros) {
      continue;
    }
    RedactChange(caller, &change);
    *response.add_changes() = std::move(change);
  }
  RETURN_IF_ERROR(FromRocksStatus(it->status(), "listing changes"));
  return response;
}

}  // namespace credit
