// Registry's reads: entries, credit status, the catalogue, the change log.
#include <algorithm>
#include <limits>
#include <mutex>
#include <shared_mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/encoding/big_endian.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "service/registry/page_token.h"
#include "service/registry/presentation.h"
#include "service/registry/registry.h"
#include "service/registry/registry_internal.h"
#include "service/storage/subject_record.h"

namespace credit {

using registry_internal::InForce;
using registry_internal::kMaxScanPerCall;
using registry_internal::NoSuchEntry;
using registry_internal::ParseEntry;
using registry_internal::PositionAsU64;
using registry_internal::ReadStatusPart;
using registry_internal::StatusPartView;

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
  int scanned = 0;
  size_t page_bytes = 0;
  absl::Status status;
  // Takes entry `id` (its bytes when the scan has them) into the page; false when the page ends.
  auto take = [&](uint64_t id, std::optional<absl::string_view> stored) {
    if (response.entries_size() == page_size || ++scanned > kMaxScanPerCall) {
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
    const size_t size = entry->ByteSizeLong();
    if (response.entries_size() > 0 && page_bytes + size > kMaxPageBytes) {
      response.set_next_page_token(page_tokens_->Encode(fingerprint, BigEndian64(id)));
      return false;
    }
    page_bytes += size;
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
  if (view == v1::BASIC) {
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
    case v1::RED:
      status->set_on_red_list(true);
      break;
    case v1::BLACK:
      status->set_on_black_list(true);
      break;
    case v1::WATCH:
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
  for (v1::Entry& entry : *status->mutable_entries()) RedactEntry(caller, &entry);
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

absl::StatusOr<v1::GetCreditStatusResponse> Registry::GetCreditStatus(
    const Caller& caller, const v1::GetCreditStatusRequest& request) {
  ASSIGN_OR_RETURN(v1::SubjectKind kind, ValidateGetCreditStatusRequest(request));
  const std::string& code = request.subject_code();
  std::shared_ptr<const ReadView> view = CurrentView();
  ASSIGN_OR_RETURN(std::optional<std::string> stored,
                   store_->GetSubjectRecord(code, view->snapshot.get()));
  v1::GetCreditStatusResponse response;
  absl::string_view code_view = code;
  v1::CreditStatus* status = response.mutable_status();
  std::optional<uint64_t> last_change;
  RETURN_IF_ERROR(StatusesFrom(caller, request.view(), {&code_view, 1}, {&kind, 1}, {&stored, 1},
                               view->snapshot.get(), Today(), {&status, 1}, {&last_change, 1}));
  if (last_change.has_value()) response.set_change_sequence(*last_change);
  *response.mutable_tree_head() = view->head;
  query_log_->Append(caller, "GetCreditStatus", request.purpose(), {code});
  return response;
}

absl::StatusOr<v1::BatchGetCreditStatusResponse> Registry::BatchGetCreditStatus(
    const Caller& caller, const v1::BatchGetCreditStatusRequest& request) {
  RETURN_IF_ERROR(ValidateBatchGetCreditStatusRequest(request));
  const size_t count = request.subject_codes_size();
  // Malformed codes are answered one by one; the well-formed ones are read in one MultiGet and
  // answered in place.
  v1::BatchGetCreditStatusResponse response;
  response.mutable_results()->Reserve(static_cast<int>(count));
  std::vector<absl::string_view> valid_codes;
  std::vector<v1::SubjectKind> valid_kinds;
  std::vector<v1::CreditStatus*> answers;
  valid_codes.reserve(count);
  valid_kinds.reserve(count);
  answers.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const std::string& code = request.subject_codes(i);
    v1::SubjectStatusResult* result = response.add_results();
    absl::StatusOr<v1::SubjectKind> kind = ValidateSubjectCode(code, "subject_codes");
    if (!kind.ok()) {  // again, to name the code's place
      absl::Status error =
          ValidateSubjectCode(code, absl::StrCat("subject_codes[", i, "]")).status();
      result->mutable_error()->set_code(static_cast<int>(error.code()));
      result->mutable_error()->set_message(std::string(error.message()));
      continue;
    }
    valid_codes.push_back(code);
    valid_kinds.push_back(*kind);
    answers.push_back(result->mutable_status());
  }
  std::shared_ptr<const ReadView> view = CurrentView();
  ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> stored,
                   store_->MultiGetSubjectRecords(valid_codes, view->snapshot.get()));
  std::vector<std::optional<uint64_t>> last_changes(valid_codes.size());
  // A storage failure is the whole call's failure, not the subject's.
  RETURN_IF_ERROR(StatusesFrom(caller, request.view(), valid_codes, valid_kinds, stored,
                               view->snapshot.get(), Today(), answers,
                               absl::MakeSpan(last_changes)));
  *response.mutable_tree_head() = view->head;
  query_log_->Append(caller, "BatchGetCreditStatus", request.purpose(), valid_codes);
  return response;
}

absl::StatusOr<v1::ListMeasuresResponse> Registry::ListMeasures(
    const Caller& caller, const v1::ListMeasuresRequest& request) {
  RETURN_IF_ERROR(ValidateListMeasuresRequest(request));
  const int page_size = PageSizeOf(request.page_size());
  uint64_t fingerprint = FilterFingerprint(request);
  ASSIGN_OR_RETURN(std::string next_code, page_tokens_->Decode(request.page_token(), fingerprint));
  v1::ListMeasuresResponse response;
  std::shared_lock lock(catalogue_mu_);
  for (auto it = catalogue_.lower_bound(next_code); it != catalogue_.end(); ++it) {
    if (request.kind() != v1::MEASURE_KIND_UNSPECIFIED && it->second.kind() != request.kind()) {
      continue;
    }
    if (response.measures_size() == page_size) {
      response.set_next_page_token(page_tokens_->Encode(fingerprint, it->first));
      break;
    }
    *response.add_measures() = it->second;
  }
  return response;
}

absl::StatusOr<v1::ListChangesResponse> Registry::ListChanges(
    const Caller& caller, const v1::ListChangesRequest& request) {
  RETURN_IF_ERROR(ValidateListChangesRequest(request));
  const int page_size = PageSizeOf(request.page_size());
  const std::string& subject = request.subject_code();
  int64_t start_micros = std::numeric_limits<int64_t>::min();
  int64_t end_micros = std::numeric_limits<int64_t>::max();
  if (request.has_start_time()) {
    start_micros = google::protobuf::util::TimeUtil::TimestampToMicroseconds(request.start_time());
  }
  if (request.has_end_time()) {
    end_micros = google::protobuf::util::TimeUtil::TimestampToMicroseconds(request.end_time());
  }
  uint64_t fingerprint = FilterFingerprint(request);
  ASSIGN_OR_RETURN(std::string position, page_tokens_->Decode(request.page_token(), fingerprint));
  ASSIGN_OR_RETURN(uint64_t next, PositionAsU64(position));
  next = std::max(next, request.from_sequence());

  auto snapshot = store_->Snapshot();
  v1::ListChangesResponse response;
  int scanned = 0;
  size_t page_bytes = 0;
  absl::Status status;
  // Takes change `sequence` (its bytes when the scan has them) into the page; false when the
  // page ends.
  auto take = [&](uint64_t sequence, std::optional<absl::string_view> stored) {
    if (response.changes_size() == page_size || ++scanned > kMaxScanPerCall) {
      response.set_next_page_token(page_tokens_->Encode(fingerprint, BigEndian64(sequence)));
      return false;
    }
    absl::StatusOr<v1::Change> change = [&]() -> absl::StatusOr<v1::Change> {
      if (stored.has_value()) return ChangeFromRecord(sequence, *stored);
      ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                       store_->GetChange(sequence, snapshot.get()));
      if (!bytes.has_value()) {
        return absl::DataLossError(
            absl::StrCat("subject index names change ", sequence, ", which is not stored"));
      }
      return ChangeFromRecord(sequence, *bytes);
    }();
    if (!change.ok()) {
      status = change.status();
      return false;
    }
    int64_t micros = google::protobuf::util::TimeUtil::TimestampToMicroseconds(change->time());
    if ((!request.actor_identity().empty() &&
         change->actor().identity() != request.actor_identity()) ||
        micros < start_micros || micros >= end_micros) {
      return true;
    }
    RedactChange(caller, &*change);
    const size_t size = change->ByteSizeLong();
    if (response.changes_size() > 0 && page_bytes + size > kMaxPageBytes) {
      response.set_next_page_token(page_tokens_->Encode(fingerprint, BigEndian64(sequence)));
      return false;
    }
    page_bytes += size;
    *response.add_changes() = *std::move(change);
    return true;
  };
  RETURN_IF_ERROR(
      subject.empty()
          ? store_->ScanChanges(
                next, snapshot.get(),
                [&](uint64_t sequence, absl::string_view bytes) { return take(sequence, bytes); })
          : store_->ScanSubjectChanges(subject, next, snapshot.get(), [&](uint64_t sequence) {
              return take(sequence, std::nullopt);
            }));
  RETURN_IF_ERROR(status);
  return response;
}

}  // namespace credit
