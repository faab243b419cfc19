// Registry's entries: record (one or a thousand at once), correct, remove, read and list; and
// the writes every change of an entry makes (the entry, its subject index, the subject records).
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/changelog/change_record.h"
#include "common/encoding/big_endian.h"
#include "common/proto/deterministic.h"
#include "common/status/status_macros.h"
#include "service/registry/page_limits.h"
#include "service/registry/page_token.h"
#include "service/registry/presentation.h"
#include "service/registry/registry.h"
#include "service/registry/registry_internal.h"
#include "service/storage/subject_record.h"

namespace credit {

using registry_internal::CopyInputFields;
using registry_internal::NoSuchEntry;
using registry_internal::ParseEntry;
using registry_internal::PositionAsU64;
using registry_internal::StatusPart;
using registry_internal::ToTimestamp;

void Registry::NewEntry(const Caller& caller, Mutation& m, const v1::Entry& input,
                        v1::Entry* entry) {
  CopyInputFields(input, entry);
  entry->set_id(m.TakeEntryId());
  entry->set_status(v1::ACTIVE);
  entry->set_revision(1);
  entry->mutable_recorded_by()->set_identity(caller.identity);
  entry->mutable_recorded_by()->set_department(caller.department);
  *entry->mutable_create_time() = ToTimestamp(absl::FromUnixMicros(m.time_micros()));
  *entry->mutable_update_time() = entry->create_time();
}

absl::StatusOr<v1::RecordEntryResponse> Registry::RecordEntry(
    const Caller& caller, const v1::RecordEntryRequest& request) {
  auto build = [&](Mutation& m, v1::RecordEntryResponse& response)
                   ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::Status {
    RETURN_IF_ERROR(ValidateEntryInput(request.entry(), writer_catalogue_));
    NewEntry(caller, m, request.entry(), response.mutable_entry());
    return ChangeEntry(m, v1::ENTRY_RECORDED, nullptr, response.entry(), "");
  };
  ASSIGN_OR_RETURN(v1::RecordEntryResponse response,
                   (Mutate<v1::RecordEntryResponse>(caller, Rpc::kRecordEntry, request,
                                                    request.request_id(), build)));
  RedactEntry(caller, response.mutable_entry());
  return response;
}

absl::StatusOr<v1::ImportEntriesResponse> Registry::ImportEntries(
    const Caller& caller, const v1::ImportEntriesRequest& request) {
  RETURN_IF_ERROR(ValidateImportEntriesRequest(request));
  const int count = request.entries_size();
  auto build = [&](Mutation& m, v1::ImportEntriesResponse& response)
                   ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::Status {
    std::vector<Row> subjects;
    subjects.reserve(count);
    for (const v1::Entry& input : request.entries()) {
      subjects.push_back(Store::SubjectRecordRow(input.subject().code()));
    }
    RETURN_IF_ERROR(m.ReadAhead(std::move(subjects)));
    v1::Entry entry;
    for (int i = 0; i < count; ++i) {
      RETURN_IF_ERROR(ValidateEntryInput(request.entries(i), writer_catalogue_, "entries", i));
      entry.Clear();
      NewEntry(caller, m, request.entries(i), &entry);
      if (i == 0) response.set_first_entry_id(entry.id());
      RETURN_IF_ERROR(ChangeEntry(m, v1::ENTRY_RECORDED, nullptr, entry, ""));
    }
    response.set_count(static_cast<uint32_t>(count));
    response.set_first_change_sequence(*m.first_sequence());
    return absl::OkStatus();
  };
  return Mutate<v1::ImportEntriesResponse>(caller, Rpc::kImportEntries, request,
                                           request.request_id(), build);
}

absl::StatusOr<std::optional<v1::Entry>> Registry::ReadEntry(uint64_t id) const {
  ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                   store_->GetEntry(id, CurrentView()->snapshot.get()));
  if (!bytes.has_value()) return std::nullopt;
  return ParseEntry(*bytes, id);
}

absl::StatusOr<v1::Entry> Registry::EntryToChange(const Caller& caller, const Mutation& m,
                                                  uint64_t id, uint64_t revision) const {
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, m.Read(Store::EntryRow(id)));
  if (!bytes.has_value()) return NoSuchEntry(id);
  ASSIGN_OR_RETURN(v1::Entry entry, ParseEntry(*bytes, id));
  if (entry.recorded_by().department() != caller.department) {
    return absl::PermissionDeniedError(
        absl::StrCat("entry ", id, " was recorded by ", entry.recorded_by().department(),
                     "; department ", caller.department, " may not change it"));
  }
  if (entry.status() != v1::ACTIVE) {
    return absl::FailedPreconditionError(
        absl::StrCat("entry ", id, " is ", v1::EntryStatus_Name(entry.status()),
                     "; only ACTIVE entries can be corrected or removed"));
  }
  if (revision != 0 && revision != entry.revision()) {
    return absl::AbortedError(absl::StrCat("entry ", id, ": revision ", revision,
                                           " given, current revision is ", entry.revision(),
                                           "; read the entry again and retry"));
  }
  return entry;
}

absl::StatusOr<v1::UpdateEntryResponse> Registry::UpdateEntry(
    const Caller& caller, const v1::UpdateEntryRequest& request) {
  RETURN_IF_ERROR(ValidateUpdateEntryRequest(request));
  const v1::Entry& in = request.entry();
  auto build = [&](Mutation& m, v1::UpdateEntryResponse& response)
                   ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::Status {
    RETURN_IF_ERROR(ValidateEntryInput(in, writer_catalogue_));
    ASSIGN_OR_RETURN(v1::Entry before, EntryToChange(caller, m, in.id(), in.revision()));
    v1::Entry& after = *response.mutable_entry();
    after = before;
    CopyInputFields(in, &after);
    after.set_revision(before.revision() + 1);
    *after.mutable_update_time() = ToTimestamp(absl::FromUnixMicros(m.time_micros()));
    after.set_status_reason(request.reason());
    return ChangeEntry(m, v1::ENTRY_CORRECTED, &before, after, request.reason());
  };
  ASSIGN_OR_RETURN(v1::UpdateEntryResponse response,
                   (Mutate<v1::UpdateEntryResponse>(caller, Rpc::kUpdateEntry, request,
                                                    request.request_id(), build)));
  RedactEntry(caller, response.mutable_entry());
  return response;
}

absl::StatusOr<v1::RemoveEntryResponse> Registry::RemoveEntry(
    const Caller& caller, const v1::RemoveEntryRequest& request) {
  RETURN_IF_ERROR(ValidateRemoveEntryRequest(request));
  auto build = [&](Mutation& m, v1::RemoveEntryResponse& response)
                   ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::Status {
    ASSIGN_OR_RETURN(v1::Entry before,
                     EntryToChange(caller, m, request.entry_id(), request.revision()));
    v1::Entry& after = *response.mutable_entry();
    after = before;
    bool revoke = request.kind() == v1::REVOKE;
    after.set_status(revoke ? v1::REVOKED : v1::REPAIRED);
    after.set_revision(before.revision() + 1);
    *after.mutable_update_time() = ToTimestamp(absl::FromUnixMicros(m.time_micros()));
    after.set_status_reason(request.reason());
    return ChangeEntry(m, revoke ? v1::ENTRY_REVOKED : v1::ENTRY_REPAIRED, &before, after,
                       request.reason());
  };
  ASSIGN_OR_RETURN(v1::RemoveEntryResponse response,
                   (Mutate<v1::RemoveEntryResponse>(caller, Rpc::kRemoveEntry, request,
                                                    request.request_id(), build)));
  RedactEntry(caller, response.mutable_entry());
  return response;
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

  m.out().PutEntry(after.id(), record.after);
  m.Wrote(Store::EntryRow(after.id()), record.after);
  if (before == nullptr || subjects.size() == 2) {
    m.out().AddSubjectEntry(after.subject().code(), after.id());
  }
  if (subjects.size() == 2) m.out().RemoveSubjectEntry(before->subject().code(), after.id());
  uint64_t sequence = m.Append(record, subjects);

  // Each touched subject's status record: the entry in it while ACTIVE under that subject.
  for (const std::string& code : subjects) {
    const Row row = Store::SubjectRecordRow(code);
    ASSIGN_OR_RETURN(std::optional<std::string> stored, m.Read(row));
    SubjectRecord subject;
    if (stored.has_value()) {
      ASSIGN_OR_RETURN(subject, ParseSubjectRecord(*stored));
    }
    bool active_here = after.status() == v1::ACTIVE && after.subject().code() == code;
    std::string part = active_here ? StatusPart(after) : std::string();
    subject.Set(after.id(), active_here ? &part : nullptr);
    subject.last_change = sequence;
    std::string encoded = subject.Encode();
    m.out().PutSubjectRecord(code, encoded);
    m.Wrote(row, std::move(encoded));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::GetEntryResponse> Registry::GetEntry(const Caller& caller,
                                                        const v1::GetEntryRequest& request) {
  RETURN_IF_ERROR(ValidateGetEntryRequest(request));
  ASSIGN_OR_RETURN(std::optional<v1::Entry> entry, ReadEntry(request.entry_id()));
  if (!entry.has_value()) return NoSuchEntry(request.entry_id());
  v1::GetEntryResponse response;
  *response.mutable_entry() = *std::move(entry);
  // Reading an entry names its subject: a lookup like a status answer, traced the same way.
  query_log_->Append(caller, "GetEntry", "", {response.entry().subject().code()});
  RedactEntry(caller, response.mutable_entry());
  return response;
}

absl::StatusOr<v1::ListEntriesResponse> Registry::ListEntries(
    const Caller& caller, const v1::ListEntriesRequest& request) {
  RETURN_IF_ERROR(ValidateListEntriesRequest(request));
  const int page_size = PageSizeOf(request.page_size());
  const std::string& subject = request.subject_code();
  uint64_t fingerprint = FilterFingerprint(request);
  ASSIGN_OR_RETURN(std::string position, page_tokens_->Decode(request.page_token(), fingerprint));
  ASSIGN_OR_RETURN(uint64_t next_id, PositionAsU64(position));

  auto snapshot = store_->Snapshot();
  v1::ListEntriesResponse response;
  PageLimits limits(page_size);
  absl::Status status;
  // Takes entry `id` (its bytes when the scan has them) into the page; false when the page ends.
  auto take = [&](uint64_t id, std::optional<absl::string_view> stored) {
    if (!limits.Examine(response.entries_size())) {
      response.set_next_page_token(page_tokens_->Encode(fingerprint, BigEndian64(id)));
      return false;
    }
    absl::StatusOr<v1::Entry> entry = [&]() -> absl::StatusOr<v1::Entry> {
      if (stored.has_value()) return ParseEntry(*stored, id);
      ASSIGN_OR_RETURN(std::optional<std::string> bytes, store_->GetEntry(id, snapshot.get()));
      if (!bytes.has_value()) {
        return absl::DataLossError(
            absl::StrCat("subject index names entry ", id, ", which is not stored"));
      }
      return ParseEntry(*bytes, id);
    }();
    if (!entry.ok()) {
      status = entry.status();
      return false;
    }
    if ((request.list() != v1::LIST_KIND_UNSPECIFIED && entry->list() != request.list()) ||
        (request.status() != v1::ENTRY_STATUS_UNSPECIFIED && entry->status() != request.status()) ||
        (!request.authority().empty() && entry->authority() != request.authority()) ||
        (!request.category().empty() && entry->category() != request.category())) {
      return true;
    }
    RedactEntry(caller, &*entry);
    if (!limits.Fits(response.entries_size(), entry->ByteSizeLong())) {
      response.set_next_page_token(page_tokens_->Encode(fingerprint, BigEndian64(id)));
      return false;
    }
    *response.add_entries() = *std::move(entry);
    return true;
  };
  // By subject: walk that subject's index; otherwise all entries in id order.
  RETURN_IF_ERROR(subject.empty() ? store_->ScanEntries(next_id, snapshot.get(),
                                                        [&](uint64_t id, absl::string_view bytes) {
                                                          return take(id, bytes);
                                                        })
                                  : store_->ScanSubjectEntries(
                                        subject, next_id, snapshot.get(),
                                        [&](uint64_t id) { return take(id, std::nullopt); }));
  RETURN_IF_ERROR(status);
  // Listing by subject is a lookup of that subject: traced like a status answer, so that guessing
  // codes through it leaves the same trail.
  if (!subject.empty()) query_log_->Append(caller, "ListEntries", "", {subject});
  return response;
}

}  // namespace credit
