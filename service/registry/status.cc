// Registry's credit status: one subject, a batch, and a subject at a past moment with the change
// records the answer rests on.
#include <algorithm>
#include <shared_mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/error_details.h"
#include "common/status/status_macros.h"
#include "common/text/date.h"
#include "google/protobuf/util/time_util.h"
#include "service/registry/presentation.h"
#include "service/registry/registry.h"
#include "service/registry/registry_internal.h"
#include "service/storage/subject_record.h"

namespace credit {

using registry_internal::InForce;
using registry_internal::ParseEntry;
using registry_internal::ReadStatusPart;
using registry_internal::StatusPartView;

absl::Status Registry::StatusesFrom(const Caller& caller, v1::StatusView view,
                                    absl::Span<const absl::string_view> codes,
                                    absl::Span<const v1::SubjectKind> kinds,
                                    absl::Span<const std::optional<std::string>> stored,
                                    const StoreSnapshot* snapshot, absl::string_view today,
                                    absl::Span<v1::CreditStatus* const> out,
                                    absl::Span<std::optional<uint64_t>> last_changes) const {
  // The status parts of every subject's entries in force, subject after subject: subject i's
  // are parts[begins[i]] up to parts[begins[i + 1]].
  std::vector<StatusPartView> parts;
  std::vector<size_t> begins(codes.size() + 1);
  for (size_t i = 0; i < codes.size(); ++i) {
    begins[i] = parts.size();
    if (!stored[i].has_value()) continue;
    ASSIGN_OR_RETURN(SubjectRecordView record, DecodeSubjectRecord(*stored[i]));
    last_changes[i] = record.last_change;
    for (const auto& item : record.active) {
      StatusPartView& part = parts.emplace_back();
      RETURN_IF_ERROR(ReadStatusPart(item.entry, item.id, &part));
      if (!InForce(part, today)) parts.pop_back();
    }
  }
  begins[codes.size()] = parts.size();
  auto parts_of = [&](size_t i) {
    return absl::MakeConstSpan(parts).subspan(begins[i], begins[i + 1] - begins[i]);
  };
  if (view == v1::STATUS_VIEW_BASIC) {
    for (size_t i = 0; i < codes.size(); ++i) {
      BuildBasicStatus(caller, kinds[i], codes[i], parts_of(i), today, out[i]);
    }
    return absl::OkStatus();
  }
  // FULL: the entries in force, read whole with one MultiGet.
  std::vector<uint64_t> ids;
  ids.reserve(parts.size());
  for (const StatusPartView& part : parts) ids.push_back(part.id);
  std::vector<std::optional<std::string>> whole;
  if (!ids.empty()) {
    ASSIGN_OR_RETURN(whole, store_->MultiGetEntries(ids, snapshot));
  }
  for (size_t i = 0; i < codes.size(); ++i) {
    std::vector<v1::Entry> entries;
    entries.reserve(begins[i + 1] - begins[i]);
    for (size_t p = begins[i]; p < begins[i + 1]; ++p) {
      if (!whole[p].has_value()) {
        return absl::DataLossError(absl::StrCat("the status record of a subject names entry ",
                                                parts[p].id, ", which is not stored"));
      }
      ASSIGN_OR_RETURN(entries.emplace_back(), ParseEntry(*whole[p], parts[p].id));
    }
    BuildStatus(caller, kinds[i], codes[i], std::move(entries), today, out[i]);
  }
  return absl::OkStatus();
}

namespace {

// What every answer states: whom it is about and on which day it was judged.
void StartStatus(v1::SubjectKind kind, absl::string_view code, absl::string_view date,
                 v1::CreditStatus* status) {
  status->mutable_subject()->set_kind(kind);
  status->mutable_subject()->set_code(std::string(code));
  status->set_as_of_date(std::string(date));
}

void SetListFlag(v1::ListKind list, v1::CreditStatus* status) {
  switch (list) {
    case v1::LIST_KIND_RED:
      status->set_on_red_list(true);
      break;
    case v1::LIST_KIND_BLACK:
      status->set_on_black_list(true);
      break;
    case v1::LIST_KIND_WATCH:
      status->set_on_watch_list(true);
      break;
    default:
      break;
  }
}

}  // namespace

void Registry::BuildStatus(const Caller& caller, v1::SubjectKind kind, absl::string_view code,
                           std::vector<v1::Entry> entries, absl::string_view date,
                           v1::CreditStatus* status) const {
  StartStatus(kind, code, date, status);
  std::erase_if(entries, [date](const v1::Entry& entry) { return !InForce(entry, date); });
  std::sort(entries.begin(), entries.end(),
            [](const v1::Entry& a, const v1::Entry& b) { return a.id() < b.id(); });
  std::vector<std::pair<absl::string_view, uint64_t>> measure_entries;
  for (const v1::Entry& entry : entries) {
    SetListFlag(entry.list(), status);
    for (const std::string& measure : entry.measure_codes()) {
      measure_entries.emplace_back(measure, entry.id());
    }
  }
  AddMeasures(caller, measure_entries, /*full=*/true, status);
  // Moved into the answer only now: measure_entries points into them.
  for (v1::Entry& entry : entries) {
    status->mutable_subject()->set_name(entry.subject().name());
    *status->add_entries() = std::move(entry);
  }
  RedactSubject(caller, status->mutable_subject());
  const bool may_read_facts = MayReadFacts(caller);
  for (v1::Entry& entry : *status->mutable_entries()) {
    if (!may_read_facts) ReduceEntryToStatusLevel(&entry);
    RedactEntry(caller, &entry);
  }
}

void Registry::BuildBasicStatus(const Caller& caller, v1::SubjectKind kind, absl::string_view code,
                                absl::Span<const StatusPartView> parts, absl::string_view date,
                                v1::CreditStatus* status) const {
  StartStatus(kind, code, date, status);
  if (!parts.empty()) {
    thread_local std::vector<std::pair<absl::string_view, uint64_t>> measure_entries;
    measure_entries.clear();
    for (const StatusPartView& part : parts) {
      SetListFlag(part.list, status);
      for (absl::string_view measure : part.measure_codes) {
        measure_entries.emplace_back(measure, part.id);
      }
    }
    AddMeasures(caller, measure_entries, /*full=*/false, status);
  }
  RedactSubject(caller, status->mutable_subject());
}

void Registry::AddMeasures(const Caller& caller,
                           std::vector<std::pair<absl::string_view, uint64_t>>& measure_entries,
                           bool full, v1::CreditStatus* status) const {
  // By code, and within a code by id.
  std::sort(measure_entries.begin(), measure_entries.end());
  std::shared_lock lock(catalogue_mu_);
  v1::ApplicableMeasure* applicable = nullptr;
  for (size_t i = 0; i < measure_entries.size(); ++i) {
    const auto& [measure_code, id] = measure_entries[i];
    if (i > 0 && measure_code == measure_entries[i - 1].first) {
      if (applicable != nullptr) applicable->add_entry_ids(id);
      continue;
    }
    applicable = nullptr;
    auto measure = catalogue_.find(measure_code);
    if (measure == catalogue_.end()) continue;
    const auto& departments = measure->second.departments();
    if (std::find(departments.begin(), departments.end(), caller.department) == departments.end()) {
      continue;
    }
    applicable = status->add_measures();
    if (full) {
      *applicable->mutable_measure() = measure->second;
    } else {
      applicable->mutable_measure()->set_code(std::string(measure_code));
    }
    applicable->add_entry_ids(id);
  }
}

std::shared_ptr<const Registry::ReadView> Registry::BasicStatusesFromIndex(
    const Caller& caller, absl::Span<const absl::string_view> codes,
    absl::Span<const v1::SubjectKind> kinds, absl::CivilDay day, absl::string_view today,
    absl::Span<v1::CreditStatus* const> out,
    absl::Span<std::optional<uint64_t>> last_changes) const {
  thread_local StatusIndex::Found found;
  std::shared_ptr<const ReadView> view = status_index_->Read(codes, day, &found);
  if (view == nullptr || found.needs_storage) return nullptr;
  const auto parts = absl::MakeConstSpan(found.parts);
  for (size_t i = 0; i < codes.size(); ++i) {
    BuildBasicStatus(caller, kinds[i], codes[i],
                     parts.subspan(found.begins[i], found.begins[i + 1] - found.begins[i]), today,
                     out[i]);
    last_changes[i] = found.last_changes[i];
  }
  return view;
}

absl::StatusOr<v1::GetCreditStatusResponse> Registry::GetCreditStatus(
    const Caller& caller, const v1::GetCreditStatusRequest& request) {
  v1::GetCreditStatusResponse response;
  RETURN_IF_ERROR(GetCreditStatus(caller, request, &response));
  return response;
}

absl::StatusOr<v1::BatchGetCreditStatusResponse> Registry::BatchGetCreditStatus(
    const Caller& caller, const v1::BatchGetCreditStatusRequest& request) {
  v1::BatchGetCreditStatusResponse response;
  RETURN_IF_ERROR(BatchGetCreditStatus(caller, request, &response));
  return response;
}

absl::Status Registry::GetCreditStatus(const Caller& caller,
                                       const v1::GetCreditStatusRequest& request,
                                       v1::GetCreditStatusResponse* response) {
  ASSIGN_OR_RETURN(v1::SubjectKind kind, ValidateGetCreditStatusRequest(request));
  const std::string& code = request.subject_code();
  const absl::CivilDay day = TodayDay();
  const std::string today = FormatDate(day);
  absl::string_view code_view = code;
  v1::CreditStatus* status = response->mutable_status();
  std::optional<uint64_t> last_change;
  std::shared_ptr<const ReadView> view;
  if (request.view() == v1::STATUS_VIEW_BASIC) {
    view = BasicStatusesFromIndex(caller, {&code_view, 1}, {&kind, 1}, day, today, {&status, 1},
                                  {&last_change, 1});
  }
  if (view == nullptr) {
    view = CurrentView();
    ASSIGN_OR_RETURN(std::optional<std::string> stored,
                     store_->GetSubjectRecord(code, view->snapshot.get()));
    RETURN_IF_ERROR(StatusesFrom(caller, request.view(), {&code_view, 1}, {&kind, 1}, {&stored, 1},
                                 view->snapshot.get(), today, {&status, 1}, {&last_change, 1}));
  }
  if (last_change.has_value()) response->set_change_sequence(*last_change);
  *response->mutable_tree_head() = view->head;
  query_log_->Append(caller, "GetCreditStatus", request.purpose(), {code},
                     ShowsPersonInClear(caller, absl::MakeConstSpan(&kind, 1)));
  return absl::OkStatus();
}

absl::Status Registry::BatchGetCreditStatus(const Caller& caller,
                                            const v1::BatchGetCreditStatusRequest& request,
                                            v1::BatchGetCreditStatusResponse* response) {
  RETURN_IF_ERROR(ValidateBatchGetCreditStatusRequest(request));
  const size_t count = request.subject_codes_size();
  // Malformed codes are answered one by one; the well-formed ones are read together (from the
  // status index, or from storage in one MultiGet) and answered in place.
  response->mutable_results()->Reserve(static_cast<int>(count));
  thread_local std::vector<absl::string_view> valid_codes;
  thread_local std::vector<v1::SubjectKind> valid_kinds;
  thread_local std::vector<v1::CreditStatus*> answers;
  thread_local std::vector<std::optional<uint64_t>> last_changes;
  valid_codes.clear();
  valid_kinds.clear();
  answers.clear();
  for (size_t i = 0; i < count; ++i) {
    const std::string& code = request.subject_codes(i);
    v1::SubjectStatusResult* result = response->add_results();
    absl::StatusOr<v1::SubjectKind> kind = ValidateSubjectCode(code, "subject_codes");
    if (!kind.ok()) {  // again, to name the code's place
      absl::Status error =
          ValidateSubjectCode(code, absl::StrCat("subject_codes[", i, "]")).status();
      ToRpcStatus(error, result->mutable_error());
      continue;
    }
    valid_codes.push_back(code);
    valid_kinds.push_back(*kind);
    answers.push_back(result->mutable_status());
  }
  last_changes.assign(valid_codes.size(), std::nullopt);
  const absl::CivilDay day = TodayDay();
  const std::string today = FormatDate(day);
  std::shared_ptr<const ReadView> view;
  if (request.view() == v1::STATUS_VIEW_BASIC) {
    view = BasicStatusesFromIndex(caller, valid_codes, valid_kinds, day, today, answers,
                                  absl::MakeSpan(last_changes));
  }
  if (view == nullptr) {
    view = CurrentView();
    ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> stored,
                     store_->MultiGetSubjectRecords(valid_codes, view->snapshot.get()));
    // A storage failure is the whole call's failure, not the subject's.
    RETURN_IF_ERROR(StatusesFrom(caller, request.view(), valid_codes, valid_kinds, stored,
                                 view->snapshot.get(), today, answers,
                                 absl::MakeSpan(last_changes)));
  }
  *response->mutable_tree_head() = view->head;
  query_log_->Append(caller, "BatchGetCreditStatus", request.purpose(), valid_codes,
                     ShowsPersonInClear(caller, valid_kinds));
  return absl::OkStatus();
}

absl::StatusOr<v1::GetCreditStatusAtResponse> Registry::GetCreditStatusAt(
    const Caller& caller, const v1::GetCreditStatusAtRequest& request) {
  std::shared_ptr<const ReadView> view = CurrentView();
  const StoreSnapshot* snapshot = view->snapshot.get();
  const v1::SignedTreeHead& latest = view->head;
  ASSIGN_OR_RETURN(v1::SubjectKind kind,
                   ValidateGetCreditStatusAtRequest(request, latest.tree_size()));

  // The tree size the answer stands on, and the moment whose date judges what was in force.
  uint64_t size = 0;
  int64_t moment_micros = 0;
  if (request.at_case() == v1::GetCreditStatusAtRequest::kTreeSize) {
    size = request.tree_size();
    ASSIGN_OR_RETURN(v1::SignedTreeHead head, log_->HeadAt(size, *view));
    moment_micros = head.timestamp_micros();
  } else {
    moment_micros = google::protobuf::util::TimeUtil::TimestampToMicroseconds(request.time());
    // A head is timestamped with its last record and record times never go backwards:
    // binary search for the largest size whose last record is not later than the moment.
    uint64_t low = 0, high = latest.tree_size();
    while (low < high) {
      uint64_t mid = low + (high - low + 1) / 2;
      ASSIGN_OR_RETURN(int64_t time, log_->ChangeTime(mid - 1, snapshot));
      if (time <= moment_micros) {
        low = mid;
      } else {
        high = mid - 1;
      }
    }
    size = low;
  }

  // The last change of each of the subject's entries within the first `size` records.
  std::map<uint64_t, std::pair<uint64_t, v1::Change>> last_change;  // entry id -> (seq, change)
  {
    // The subject's changes within the tree, read first: the bound applies before any record.
    std::vector<uint64_t> sequences;
    bool over = false;
    RETURN_IF_ERROR(
        store_->ScanSubjectChanges(request.subject_code(), 0, snapshot, [&](uint64_t sequence) {
          if (sequence >= size) return false;
          if (sequences.size() == registry_internal::kMaxPointInTimeChanges) {
            over = true;
            return false;
          }
          sequences.push_back(sequence);
          return true;
        }));
    if (over) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "subject_code: the subject has more than ", registry_internal::kMaxPointInTimeChanges,
          " changes in the tree of size ", size,
          ", more than a point-in-time answer reads; an auditor reads them with ListChanges"));
    }
    for (uint64_t sequence : sequences) {
      ASSIGN_OR_RETURN(std::optional<std::string> bytes, store_->GetChange(sequence, snapshot));
      if (!bytes.has_value()) {
        return absl::DataLossError(
            absl::StrCat("subject index names change ", sequence, ", which is not stored"));
      }
      ASSIGN_OR_RETURN(v1::Change change, ChangeFromRecord(sequence, *bytes));
      // A correction that moved the entry to another subject ends its story here. The id is
      // read before the change is moved into the map.
      const uint64_t entry_id = change.entry_after().id();
      last_change.insert_or_assign(entry_id, std::make_pair(sequence, std::move(change)));
    }
  }

  v1::GetCreditStatusAtResponse response;
  const bool may_read_facts = MayReadFacts(caller);
  std::vector<v1::Entry> entries;
  for (auto& [id, item] : last_change) {
    uint64_t sequence = item.first;
    v1::Change& change = item.second;
    if (change.entry_after().subject().code() == request.subject_code()) {
      entries.push_back(change.entry_after());
    }
    v1::Evidence* evidence = response.add_evidence();
    ASSIGN_OR_RETURN(std::vector<Hash256> proof, log_->AuditPath(sequence, size, snapshot));
    for (const Hash256& p : proof) evidence->add_inclusion_proof(std::string(AsBytes(p)));
    if (!may_read_facts) ReduceToStatusLevel(&change);
    RedactChange(caller, &change);
    *evidence->mutable_change() = std::move(change);
  }
  std::string date = FormatDate(absl::ToCivilDay(absl::FromUnixMicros(moment_micros), time_zone_));
  BuildStatus(caller, kind, request.subject_code(), std::move(entries), date,
              response.mutable_status());
  ASSIGN_OR_RETURN(*response.mutable_tree_head(), log_->HeadAt(size, *view));
  query_log_->Append(caller, "GetCreditStatusAt", request.purpose(), {request.subject_code()},
                     ShowsPersonInClear(caller, absl::MakeConstSpan(&kind, 1)));
  return response;
}

}  // namespace credit
