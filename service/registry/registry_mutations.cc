// Registry's mutations: entries (record, import, correct, remove) and the measures catalogue.
// Each builds its change records through ChangeEntry/AddRecord and commits through Mutate.
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/proto/deterministic.h"
#include "common/status/status_macros.h"
#include "service/registry/presentation.h"
#include "service/registry/registry.h"
#include "service/registry/registry_internal.h"

namespace credit {

using registry_internal::CopyInputFields;
using registry_internal::NoSuchEntry;
using registry_internal::ParseEntry;
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

absl::StatusOr<v1::PutMeasureResponse> Registry::PutMeasure(const Caller& caller,
                                                            const v1::PutMeasureRequest& request) {
  RETURN_IF_ERROR(ValidateMeasure(request.measure()));
  auto build = [&](Mutation& m, v1::PutMeasureResponse& response)
                   ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::Status {
    v1::Measure& after = *response.mutable_measure();
    after = request.measure();
    auto existing = writer_catalogue_.find(after.code());
    ChangeRecord record;
    record.operation = v1::MEASURE_PUT;
    record.object_type = ObjectType::kMeasure;
    if (existing != writer_catalogue_.end()) {
      after.set_revision(existing->second.revision() + 1);
      record.before = SerializeDeterministic(existing->second);
    } else {
      after.set_revision(1);
    }
    record.after = SerializeDeterministic(after);
    m.out().PutMeasure(after.code(), record.after);
    m.Append(record, {});
    writer_catalogue_[after.code()] = after;
    m.OnCommit([this, after] {
      std::unique_lock lock(catalogue_mu_);
      catalogue_[after.code()] = after;
    });
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
