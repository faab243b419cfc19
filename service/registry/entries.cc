// Registry's entries: record (one or a thousand at once), correct, remove, read and list; and
// the writes every change of an entry makes (the entry, its subject index, the subject records).
#include <shared_mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/changelog/change_record.h"
#include "common/encoding/big_endian.h"
#include "common/proto/deterministic.h"
#include "common/proto/enum_names.h"
#include "common/status/error_details.h"
#include "common/status/error_reasons.h"
#include "common/status/status_macros.h"
#include "service/registry/page_limits.h"
#include "service/registry/page_token.h"
#include "service/registry/presentation.h"
#include "service/registry/registry.h"
#include "service/registry/registry_internal.h"
#include "service/storage/subject_record.h"

namespace credit {
namespace {

// The procedure's indexes as `before` (null for a new entry) becomes `after`: the deadline of its
// next time-driven transition, and the decision it holds while it has not ended. A decision row
// another entry holds (two entries of one decision stored before the check existed) is left to
// that entry.
absl::Status IndexProcedure(ChangeLog::Mutation& m, const v1::Entry* before,
                            const v1::Entry& after) {
  const std::string due_before = before != nullptr ? procedure::DueDate(*before) : "";
  const std::string due_after = procedure::DueDate(after);
  if (due_before != due_after) {
    if (!due_before.empty()) m.out().RemoveDeadline(due_before, after.id());
    if (!due_after.empty()) m.out().AddDeadline(due_after, after.id());
  }
  const Row held_before = before != nullptr && !procedure::Ended(before->status())
                              ? registry_internal::DecisionRowOf(*before)
                              : Row();
  const Row held_after =
      procedure::Ended(after.status()) ? Row() : registry_internal::DecisionRowOf(after);
  if (held_before == held_after) return absl::OkStatus();
  if (!held_before.empty()) {
    ASSIGN_OR_RETURN(std::optional<std::string> holder, m.Read(held_before));
    if (holder.has_value() && ReadBigEndian64(*holder) == after.id()) {
      m.out().RemoveDecision(held_before);
      m.Erased(held_before);
    }
  }
  if (!held_after.empty()) {
    m.out().PutDecision(held_after, after.id());
    m.Wrote(held_after, BigEndian64(after.id()));
  }
  return absl::OkStatus();
}

// ALREADY_EXISTS naming the entry that holds `entry`'s decision (row `decision`), with `advice`
// after it; OK when none does.
absl::Status DecisionHeld(uint64_t holder, const v1::Entry& entry, absl::string_view advice) {
  return WithErrorInfo(
      absl::AlreadyExistsError(absl::StrCat(
          "entry ", holder, " already holds decision ", entry.document_number(), " of ",
          entry.authority(), " on this subject's ", ShortName(entry.list()), " listing", advice)),
      reason::kDecisionAlreadyRecorded, {{"entry_id", absl::StrCat(holder)}});
}

constexpr char kRecordAgainAdvice[] =
    "; correct that entry with UpdateEntry instead of recording it again";

absl::Status DecisionFree(const ChangeLog::Mutation& m, const Row& decision, const v1::Entry& entry,
                          absl::string_view advice) {
  ASSIGN_OR_RETURN(std::optional<std::string> holder, m.Read(decision));
  if (!holder.has_value()) return absl::OkStatus();
  return DecisionHeld(ReadBigEndian64(*holder), entry, advice);
}

// Whether `stored` holds exactly the input `input` would record: the same file imported again.
// A publication period the input left to the registry is not compared.
bool SameInput(const v1::Entry& stored, const v1::Entry& input) {
  v1::Entry a, b;
  registry_internal::CopyInputFields(stored, &a);
  registry_internal::CopyInputFields(input, &b);
  if (input.publicity_start().empty() && input.publicity_end().empty()) {
    a.clear_publicity_start();
    a.clear_publicity_end();
  }
  return SerializeDeterministic(a) == SerializeDeterministic(b);
}

// `status` as a request's `entry` field says it.
absl::Status InEntry(absl::Status status) {
  if (status.ok()) return status;
  return PrefixFieldPaths(status, "entry.");
}

}  // namespace

using registry_internal::CopyInputFields;
using registry_internal::DecisionRowOf;
using registry_internal::Distinct;
using registry_internal::InPlace;
using registry_internal::NoSuchEntry;
using registry_internal::ParseEntry;
using registry_internal::PositionAsU64;
using registry_internal::StatusPart;
using registry_internal::ToTimestamp;

absl::Status Registry::NewEntry(const Caller& caller, Mutation& m, const v1::Entry& input,
                                v1::Entry* entry) {
  CopyInputFields(input, entry);
  const Row decision = DecisionRowOf(*entry);
  RETURN_IF_ERROR(DecisionFree(m, decision, *entry, kRecordAgainAdvice));
  entry->set_id(m.TakeEntryId());
  entry->set_status(v1::ENTRY_STATUS_PROPOSED);
  entry->set_revision(1);
  entry->mutable_recorded_by()->set_identity(caller.identity);
  entry->mutable_recorded_by()->set_department(caller.department);
  *entry->mutable_create_time() = ToTimestamp(absl::FromUnixMicros(m.time_micros()));
  *entry->mutable_update_time() = entry->create_time();
  if (!rules_.RuleFor(*entry).approval_required) StartNotice(TodayDay(), entry);
  return absl::OkStatus();
}

absl::Status Registry::CheckAgainstRules(const v1::Entry& entry) const {
  if (entry.list() == v1::LIST_KIND_RED) {
    if (entry.severity() != v1::SEVERITY_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat("severity: got ", ShortName(entry.severity()),
                       ", want it unset for a RED entry (severity grades failings)"));
    }
    return absl::OkStatus();
  }
  if (entry.severity() != v1::SEVERITY_MINOR && entry.severity() != v1::SEVERITY_GENERAL &&
      entry.severity() != v1::SEVERITY_SERIOUS) {
    return absl::InvalidArgumentError(absl::StrCat("severity: got ", ShortName(entry.severity()),
                                                   ", want MINOR, GENERAL or SERIOUS for a ",
                                                   ShortName(entry.list()), " entry"));
  }
  return procedure::CheckPublicationPeriod(entry, rules_.RuleFor(entry), entry.severity());
}

absl::StatusOr<v1::RecordEntryResponse> Registry::RecordEntry(
    const Caller& caller, const v1::RecordEntryRequest& request) {
  // Folded here, not under the writer's lock (some µs of OpenCC per name).
  const std::string folded = name_folder_->Fold(request.entry().subject().name());
  auto build = [&](Mutation& m, v1::RecordEntryResponse& response)
                   ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::Status {
    RETURN_IF_ERROR(ValidateEntryInput(request.entry(), writer_catalogue_));
    RETURN_IF_ERROR(InEntry(CheckAgainstRules(request.entry())));
    RETURN_IF_ERROR(NewEntry(caller, m, request.entry(), response.mutable_entry()));
    return ChangeEntry(m, v1::OPERATION_ENTRY_RECORDED, nullptr, response.entry(), "", &folded);
  };
  ASSIGN_OR_RETURN(v1::RecordEntryResponse response,
                   (Mutate<v1::RecordEntryResponse>(caller, Rpc::kRecordEntry, request,
                                                    request.request_id(), build)));
  MakeDueTransitions(response.entry());
  RedactEntry(caller, response.mutable_entry());
  return response;
}

absl::StatusOr<v1::ImportEntriesResponse> Registry::CheckImport(
    const v1::ImportEntriesRequest& request) const {
  MeasureCatalogue catalogue;
  {
    std::shared_lock lock(catalogue_mu_);
    catalogue = catalogue_;
  }
  std::shared_ptr<const ReadView> view = CurrentView();
  const int count = request.entries_size();
  std::vector<Row> decisions;
  decisions.reserve(count);
  for (const v1::Entry& input : request.entries()) decisions.push_back(DecisionRowOf(input));
  ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> holders,
                   store_->MultiGetRows(decisions, view->snapshot.get()));
  std::vector<uint64_t> holder_ids;
  for (const std::optional<std::string>& holder : holders) {
    if (holder.has_value()) holder_ids.push_back(ReadBigEndian64(*holder));
  }
  std::vector<std::optional<std::string>> held;
  if (!holder_ids.empty()) {
    ASSIGN_OR_RETURN(held, store_->MultiGetEntries(holder_ids, view->snapshot.get()));
  }
  v1::ImportEntriesResponse response;
  absl::flat_hash_map<Row, int> first_in_request;
  size_t next_held = 0;
  for (int i = 0; i < count; ++i) {
    const v1::Entry& input = request.entries(i);
    absl::Status problem = ValidateEntryInput(input, catalogue, "entries", i);
    if (problem.ok()) problem = InPlace(CheckAgainstRules(input), "entries", i);
    v1::EntryProblem found;
    if (problem.ok() && holders[i].has_value()) {
      const uint64_t holder = holder_ids[next_held];
      const std::optional<std::string>& bytes = held[next_held];
      if (bytes.has_value()) {
        ASSIGN_OR_RETURN(v1::Entry stored, ParseEntry(*bytes, holder));
        found.set_same_input(SameInput(stored, input));
      }
      found.set_holder_entry_id(holder);
      problem = InPlace(DecisionHeld(holder, input, kRecordAgainAdvice), "entries", i, ": ");
    } else if (problem.ok()) {
      auto [first, inserted] = first_in_request.emplace(decisions[i], i);
      if (!inserted) {
        problem = InPlace(absl::AlreadyExistsError(absl::StrCat(
                              "the same decision as entries[", first->second, "] of this request")),
                          "entries", i, ": ");
      }
    }
    if (holders[i].has_value()) ++next_held;
    if (problem.ok()) continue;
    found.set_index(i);
    ToRpcStatus(problem, found.mutable_error());
    *response.add_problems() = std::move(found);
  }
  return response;
}

absl::StatusOr<v1::ImportEntriesResponse> Registry::ImportEntries(
    const Caller& caller, const v1::ImportEntriesRequest& request) {
  RETURN_IF_ERROR(ValidateImportEntriesRequest(request));
  if (request.validate_only()) return CheckImport(request);
  const int count = request.entries_size();
  // Folded by the calling thread, not under the writer's lock: imports in flight fold in parallel.
  std::vector<std::string> folded;
  folded.reserve(count);
  for (const v1::Entry& input : request.entries()) {
    folded.push_back(name_folder_->Fold(input.subject().name()));
  }
  auto build = [&](Mutation& m, v1::ImportEntriesResponse& response)
                   ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::Status {
    // Each entry reads its subject's record and its decision's holder: all of them first, in one
    // MultiGet per table rather than a point read each under the writer's lock.
    std::vector<Row> rows;
    rows.reserve(2 * count);
    for (const v1::Entry& input : request.entries()) {
      rows.push_back(Store::SubjectRecordRow(input.subject().code()));
      rows.push_back(DecisionRowOf(input));
    }
    RETURN_IF_ERROR(m.ReadAhead(std::move(rows)));
    v1::Entry entry;
    for (int i = 0; i < count; ++i) {
      RETURN_IF_ERROR(ValidateEntryInput(request.entries(i), writer_catalogue_, "entries", i));
      RETURN_IF_ERROR(InPlace(CheckAgainstRules(request.entries(i)), "entries", i));
      entry.Clear();
      RETURN_IF_ERROR(InPlace(NewEntry(caller, m, request.entries(i), &entry), "entries", i, ": "));
      if (i == 0) response.set_first_entry_id(entry.id());
      RETURN_IF_ERROR(ChangeEntry(m, v1::OPERATION_ENTRY_RECORDED, nullptr, entry, "", &folded[i]));
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
                                                  uint64_t id, uint64_t revision,
                                                  procedure::Action action) const {
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, m.Read(Store::EntryRow(id)));
  if (!bytes.has_value()) return NoSuchEntry(id);
  ASSIGN_OR_RETURN(v1::Entry entry, ParseEntry(*bytes, id));
  FillDefaults(&entry);
  if (entry.recorded_by().department() != caller.department) {
    return WithErrorInfo(
        absl::PermissionDeniedError(absl::StrCat(
            "entry ", id, " was recorded by ", entry.recorded_by().department(), "; department ",
            caller.department, " may not act on it (谁认定、谁负责)")),
        reason::kOtherDepartmentsEntry,
        {{"entry_id", absl::StrCat(id)}, {"department", entry.recorded_by().department()}});
  }
  if (revision != 0 && revision != entry.revision()) {
    return WithErrorInfo(absl::AbortedError(absl::StrCat(
                             "entry ", id, ": revision ", revision, " given, current revision is ",
                             entry.revision(), "; read the entry again and retry")),
                         reason::kRevisionChanged,
                         {{"entry_id", absl::StrCat(id)},
                          {"revision", absl::StrCat(revision)},
                          {"current_revision", absl::StrCat(entry.revision())}});
  }
  RETURN_IF_ERROR(procedure::CheckAllowed(entry, action));
  return entry;
}

absl::StatusOr<v1::UpdateEntryResponse> Registry::UpdateEntry(
    const Caller& caller, const v1::UpdateEntryRequest& request) {
  RETURN_IF_ERROR(ValidateUpdateEntryRequest(request));
  const v1::Entry& in = request.entry();
  auto build = [&](Mutation& m, v1::UpdateEntryResponse& response)
                   ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::Status {
    RETURN_IF_ERROR(ValidateEntryInput(in, writer_catalogue_));
    RETURN_IF_ERROR(InEntry(CheckAgainstRules(in)));
    ASSIGN_OR_RETURN(v1::Entry before,
                     EntryToChange(caller, m, in.id(), in.revision(), procedure::Action::kCorrect));
    v1::Entry& after = *response.mutable_entry();
    after = before;
    CopyInputFields(in, &after);
    // A publication period the registry set stays unless the correction gives one.
    if (in.publicity_start().empty() && before.status() == v1::ENTRY_STATUS_ACTIVE) {
      after.set_publicity_start(before.publicity_start());
      after.set_publicity_end(before.publicity_end());
    }
    if (const Row decision = DecisionRowOf(after); decision != DecisionRowOf(before)) {
      RETURN_IF_ERROR(DecisionFree(m, decision, after, ""));
    }
    after.set_revision(before.revision() + 1);
    *after.mutable_update_time() = ToTimestamp(absl::FromUnixMicros(m.time_micros()));
    after.set_status_reason(request.reason());
    return ChangeEntry(m, v1::OPERATION_ENTRY_CORRECTED, &before, after, request.reason());
  };
  ASSIGN_OR_RETURN(v1::UpdateEntryResponse response,
                   (Mutate<v1::UpdateEntryResponse>(caller, Rpc::kUpdateEntry, request,
                                                    request.request_id(), build)));
  MakeDueTransitions(response.entry());
  RedactEntry(caller, response.mutable_entry());
  return response;
}

absl::StatusOr<v1::RemoveEntryResponse> Registry::RemoveEntry(
    const Caller& caller, const v1::RemoveEntryRequest& request) {
  RETURN_IF_ERROR(ValidateRemoveEntryRequest(request));
  auto build = [&](Mutation& m, v1::RemoveEntryResponse& response)
                   ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::Status {
    ASSIGN_OR_RETURN(v1::Entry before,
                     EntryToChange(caller, m, request.entry_id(), request.revision(),
                                   procedure::Action::kRevoke));
    v1::Entry& after = *response.mutable_entry();
    after = before;
    after.set_status(v1::ENTRY_STATUS_REVOKED);
    after.set_publication_ended(true);
    after.set_revoking_document(request.revoking_document());
    after.set_revision(before.revision() + 1);
    *after.mutable_update_time() = ToTimestamp(absl::FromUnixMicros(m.time_micros()));
    after.set_status_reason(request.reason());
    return ChangeEntry(m, v1::OPERATION_ENTRY_REVOKED, &before, after, request.reason());
  };
  ASSIGN_OR_RETURN(v1::RemoveEntryResponse response,
                   (Mutate<v1::RemoveEntryResponse>(caller, Rpc::kRemoveEntry, request,
                                                    request.request_id(), build)));
  RedactEntry(caller, response.mutable_entry());
  return response;
}

absl::Status Registry::ChangeEntry(Mutation& m, v1::Operation operation, const v1::Entry* before,
                                   const v1::Entry& after, const std::string& reason,
                                   const std::string* folded_name) {
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
  RETURN_IF_ERROR(IndexProcedure(m, before, after));
  // The name index keeps every name an entry gave its subject (a correction's old name stays
  // findable); steps that leave the name alone do not fold it again.
  if (before == nullptr || before->subject().name() != after.subject().name() ||
      subjects.size() == 2) {
    const std::string folded =
        folded_name != nullptr ? *folded_name : name_folder_->Fold(after.subject().name());
    if (!folded.empty()) m.out().PutName(folded, after.subject().code(), after.subject().name());
  }
  uint64_t sequence = m.Append(record, subjects);

  // Each touched subject's status record: the entry in it while in force under that subject.
  for (const std::string& code : subjects) {
    const Row row = Store::SubjectRecordRow(code);
    ASSIGN_OR_RETURN(std::optional<std::string> stored, m.Read(row));
    SubjectRecord subject;
    if (stored.has_value()) {
      ASSIGN_OR_RETURN(subject, ParseSubjectRecord(*stored));
    }
    bool in_force_here = procedure::StateInForce(after) && after.subject().code() == code;
    std::string part = in_force_here ? StatusPart(after) : std::string();
    subject.Set(after.id(), in_force_here ? &part : nullptr);
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
  FillDefaults(&*entry);
  *response.mutable_entry() = *std::move(entry);
  // Reading an entry names its subject: a lookup like a status answer, traced the same way.
  query_log_->Append(caller, "GetEntry", "", {response.entry().subject().code()},
                     ShowsPersonInClear(caller, {response.entry().subject().code()}));
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
  std::vector<std::string> codes;  // the subjects of the entries taken
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
    FillDefaults(&*entry);
    std::string code = entry->subject().code();  // before masking: the query log hashes it
    RedactEntry(caller, &*entry);
    if (!limits.Fits(response.entries_size(), entry->ByteSizeLong())) {
      response.set_next_page_token(page_tokens_->Encode(fingerprint, BigEndian64(id)));
      return false;
    }
    *response.add_entries() = *std::move(entry);
    codes.push_back(std::move(code));
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
  // Every page is traced under the subjects it shows (and a listing by subject under that
  // subject even when it has no entries), so that reading entries leaves the trail a status
  // answer leaves.
  if (!subject.empty() && codes.empty()) codes.push_back(subject);
  std::vector<absl::string_view> seen = Distinct(codes);
  query_log_->Append(caller, "ListEntries", "", seen, ShowsPersonInClear(caller, seen));
  return response;
}

}  // namespace credit
