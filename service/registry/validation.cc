#include "service/registry/validation.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/proto/enum_names.h"
#include "common/status/error_details.h"
#include "common/status/error_reasons.h"
#include "common/status/status_macros.h"
#include "common/subject/subject_code.h"
#include "common/text/date.h"
#include "common/text/utf8.h"
#include "google/protobuf/util/time_util.h"

namespace credit {
namespace {

std::string Path(absl::string_view parent, absl::string_view field) {
  return absl::StrCat(parent, ".", field);
}

// A required date; its text is comparable with other validated dates as a string.
absl::Status ValidateDate(absl::string_view value, absl::string_view field, bool required) {
  if (value.empty()) {
    if (!required) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(field, ": required, want a date YYYY-MM-DD"));
  }
  absl::StatusOr<absl::CivilDay> day = ParseDate(value);
  if (!day.ok())
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", day.status().message()));
  return absl::OkStatus();
}

bool IsCodeCharacter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

absl::Status ValidateText(absl::string_view value, absl::string_view field, size_t max_chars,
                          bool required, bool line_breaks) {
  std::optional<size_t> length = Utf8Length(value);
  if (!length) return absl::InvalidArgumentError(absl::StrCat(field, ": not valid UTF-8"));
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    // C1 controls are U+0080-U+009F: 0xC2 then 0x80-0x9F in UTF-8.
    bool c1 = c == 0xC2 && i + 1 < value.size() && static_cast<unsigned char>(value[i + 1]) < 0xA0;
    if (c < 0x20 || c == 0x7F || c1) {
      if (line_breaks && (c == '\n' || c == '\r')) continue;
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": holds control character U+",
                       absl::StrFormat("%04X", c1 ? value[i + 1] & 0xFF : c),
                       line_breaks ? ", want text with no control characters but line breaks"
                                   : ", want text with no control characters or line breaks"));
    }
  }
  if (*length == 0 && required) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": required, want 1 to ", max_chars, " characters"));
  }
  if (*length > max_chars) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": got ", *length, " characters, want at most ", max_chars));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::SubjectKind> ValidateSubjectCode(absl::string_view code,
                                                    absl::string_view field) {
  ASSIGN_OR_RETURN(CodeKind kind, ClassifySubjectCode(code, field));
  return kind == CodeKind::kPerson ? v1::SUBJECT_KIND_PERSON : v1::SUBJECT_KIND_ORGANIZATION;
}

namespace {

// The checks of ValidateEntryInput, naming fields from the entry down ("subject.name"): the
// caller's part of the path is put in front only when there is an error, so that a valid entry
// (each of an import's thousand) builds no strings. Every violation is named, not only the first:
// a check that depends on another field (dates in order) runs only when that field is valid.
absl::Status CheckEntryFields(const v1::Entry& entry, const MeasureCatalogue& catalogue) {
  FieldViolations violations;
  const v1::Subject& subject = entry.subject();
  const bool kind_known = subject.kind() == v1::SUBJECT_KIND_UNSPECIFIED ||
                          subject.kind() == v1::SUBJECT_KIND_ORGANIZATION ||
                          subject.kind() == v1::SUBJECT_KIND_PERSON;
  if (!kind_known) {
    violations.Check(absl::InvalidArgumentError(
        absl::StrCat("subject.kind: got ", subject.kind(), ", want ORGANIZATION or PERSON")));
  }
  // The kind is the code's, as the server classifies it by its shape: a client's word does not
  // turn a resident ID number into an organisation code shown unmasked.
  absl::StatusOr<v1::SubjectKind> kind = ValidateSubjectCode(subject.code(), "subject.code");
  violations.Check(kind.status());
  if (kind.ok() && kind_known && subject.kind() != v1::SUBJECT_KIND_UNSPECIFIED &&
      *kind != subject.kind()) {
    violations.Check(
        FieldError("subject.kind",
                   absl::StrCat("got ", ShortName(subject.kind()), ", want ", ShortName(*kind),
                                " (the code is a valid ",
                                *kind == v1::SUBJECT_KIND_PERSON ? "resident ID number"
                                                                 : "unified social credit code",
                                "), or leave it unset"),
                   reason::kSubjectKindMismatch));
  }
  violations.Check(ValidateText(TrimName(subject.name()), "subject.name", kMaxNameChars));

  const bool list_known = entry.list() == v1::LIST_KIND_RED ||
                          entry.list() == v1::LIST_KIND_BLACK ||
                          entry.list() == v1::LIST_KIND_WATCH;
  if (!list_known) {
    violations.Check(absl::InvalidArgumentError(
        absl::StrCat("list: got ", ShortName(entry.list()), ", want RED, BLACK or WATCH")));
  }
  violations.Check(ValidateText(entry.category(), "category", kMaxCategoryChars));
  violations.Check(ValidateText(entry.facts(), "facts", kMaxFactsChars, true, true));
  violations.Check(ValidateText(entry.legal_basis(), "legal_basis", kMaxBasisChars));
  violations.Check(ValidateText(entry.authority(), "authority", kMaxAuthorityChars));
  violations.Check(ValidateText(entry.document_number(), "document_number", kMaxDocumentChars));

  const bool decided = violations.Check(ValidateDate(entry.decision_date(), "decision_date", true));
  const bool effective =
      violations.Check(ValidateDate(entry.effective_date(), "effective_date", true));
  const bool expires = violations.Check(ValidateDate(entry.expiry_date(), "expiry_date", true));
  // Validated dates compare correctly as strings.
  if (decided && effective && entry.effective_date() < entry.decision_date()) {
    violations.Check(absl::InvalidArgumentError(absl::StrCat(
        "effective_date: got ", entry.effective_date(), ", want a date on or after decision_date ",
        entry.decision_date(), " (a listing takes effect after it is decided)")));
  }
  if (effective && expires && entry.expiry_date() < entry.effective_date()) {
    violations.Check(absl::InvalidArgumentError(
        absl::StrCat("expiry_date: got ", entry.expiry_date(),
                     ", want a date on or after effective_date ", entry.effective_date())));
  }
  const bool starts =
      violations.Check(ValidateDate(entry.publicity_start(), "publicity_start", false));
  const bool ends = violations.Check(ValidateDate(entry.publicity_end(), "publicity_end", false));
  if (starts && ends) {
    if (entry.publicity_start().empty() != entry.publicity_end().empty()) {
      violations.Check(absl::InvalidArgumentError(
          absl::StrCat(entry.publicity_start().empty() ? "publicity_start" : "publicity_end",
                       ": required when the other publicity date is set, want both or neither")));
    } else if (decided && !entry.publicity_start().empty() &&
               entry.publicity_start() < entry.decision_date()) {
      violations.Check(absl::InvalidArgumentError(
          absl::StrCat("publicity_start: got ", entry.publicity_start(),
                       ", want a date on or after decision_date ", entry.decision_date())));
    } else if (entry.publicity_end() < entry.publicity_start()) {
      violations.Check(absl::InvalidArgumentError(
          absl::StrCat("publicity_end: got ", entry.publicity_end(),
                       ", want a date on or after publicity_start ", entry.publicity_start())));
    }
  }

  if (static_cast<size_t>(entry.measure_codes_size()) > kMaxMeasuresPerEntry) {
    violations.Check(
        absl::InvalidArgumentError(absl::StrCat("measure_codes: got ", entry.measure_codes_size(),
                                                " codes, want at most ", kMaxMeasuresPerEntry)));
    return violations.ToStatus();
  }
  v1::MeasureKind want =
      entry.list() == v1::LIST_KIND_RED ? v1::MEASURE_KIND_INCENTIVE : v1::MEASURE_KIND_PUNISHMENT;
  const auto& codes = entry.measure_codes();
  for (int i = 0; i < codes.size(); ++i) {
    const std::string& code = codes[i];
    // At most kMaxMeasuresPerEntry codes: the earlier ones are searched in place.
    if (std::find(codes.begin(), codes.begin() + i, code) != codes.begin() + i) {
      violations.Check(absl::InvalidArgumentError(
          absl::StrCat("measure_codes[", i, "]: ", code, " is listed twice")));
      continue;
    }
    auto it = catalogue.find(code);
    if (it == catalogue.end()) {
      violations.Check(FieldError(
          absl::StrCat("measure_codes[", i, "]"),
          absl::StrCat("got \"", code.substr(0, 64), "\", want a code of the measures catalogue"),
          reason::kUnknownMeasure));
      continue;
    }
    if (list_known && it->second.kind() != want) {
      violations.Check(FieldError(
          absl::StrCat("measure_codes[", i, "]"),
          absl::StrCat(code, " is a ", ShortName(it->second.kind()), " measure, want a ",
                       ShortName(want), " measure for a ", ShortName(entry.list()), " entry"),
          reason::kMeasureKindMismatch));
    }
  }
  return violations.ToStatus();
}

}  // namespace

absl::Status ValidateEntryInput(const v1::Entry& entry, const MeasureCatalogue& catalogue,
                                absl::string_view field) {
  absl::Status status = CheckEntryFields(entry, catalogue);
  if (status.ok()) return status;
  return PrefixFieldPaths(status, absl::StrCat(field, "."));
}

absl::Status ValidateEntryInput(const v1::Entry& entry, const MeasureCatalogue& catalogue,
                                absl::string_view list_field, int index) {
  absl::Status status = CheckEntryFields(entry, catalogue);
  if (status.ok()) return status;
  return PrefixFieldPaths(status, absl::StrCat(list_field, "[", index, "]."));
}

absl::Status ValidateMeasure(const v1::Measure& measure, absl::string_view field) {
  const std::string& code = measure.code();
  if (code.empty() || code.size() > 32 || !std::all_of(code.begin(), code.end(), IsCodeCharacter)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".code: got \"", code.substr(0, 64),
                     "\", want 1 to 32 characters of A-Z, 0-9, '-' and '_'"));
  }
  RETURN_IF_ERROR(ValidateText(measure.name(), Path(field, "name"), kMaxNameChars));
  if (measure.kind() != v1::MEASURE_KIND_PUNISHMENT &&
      measure.kind() != v1::MEASURE_KIND_INCENTIVE) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".kind: got ", measure.kind(), ", want PUNISHMENT or INCENTIVE"));
  }
  if (measure.departments().empty() ||
      static_cast<size_t>(measure.departments_size()) > kMaxDepartmentsPerMeasure) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".departments: got ",
                                                   measure.departments_size(), ", want 1 to ",
                                                   kMaxDepartmentsPerMeasure, " departments"));
  }
  for (int i = 0; i < measure.departments_size(); ++i) {
    RETURN_IF_ERROR(ValidateText(measure.departments(i),
                                 absl::StrCat(field, ".departments[", i, "]"), kMaxAuthorityChars));
  }
  return ValidateText(measure.legal_basis(), Path(field, "legal_basis"), kMaxBasisChars);
}

absl::Status ValidateRequestId(absl::string_view request_id) {
  if (request_id.empty() || request_id.size() > kMaxRequestIdChars) {
    return absl::InvalidArgumentError(
        absl::StrCat("request_id: got ", request_id.size(),
                     " characters, want 1 to 128 printable ASCII characters, unique per request"));
  }
  for (char c : request_id) {
    if (c < 0x21 || c > 0x7E) {
      return absl::InvalidArgumentError(
          "request_id: want printable ASCII characters without spaces");
    }
  }
  return absl::OkStatus();
}

absl::string_view TrimName(absl::string_view name) {
  // ASCII white space and the ideographic space U+3000 (E3 80 80), which Chinese input methods
  // type in full-width mode.
  constexpr absl::string_view kIdeographicSpace = "\xE3\x80\x80";
  for (bool trimmed = true; trimmed;) {
    trimmed = false;
    name = absl::StripAsciiWhitespace(name);
    if (absl::ConsumePrefix(&name, kIdeographicSpace)) trimmed = true;
    if (absl::ConsumeSuffix(&name, kIdeographicSpace)) trimmed = true;
  }
  return name;
}

absl::Status ValidateReason(absl::string_view reason) {
  return ValidateText(reason, "reason", kMaxReasonChars);
}

absl::Status ValidatePurpose(absl::string_view purpose) {
  return ValidateText(purpose, "purpose", kMaxPurposeChars);
}

absl::Status ValidateTimestamp(const google::protobuf::Timestamp& time, absl::string_view field) {
  constexpr int64_t kMinSeconds = -62135596800;  // 0001-01-01T00:00:00Z
  constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z
  if (time.seconds() < kMinSeconds || time.seconds() > kMaxSeconds || time.nanos() < 0 ||
      time.nanos() > 999999999) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": got seconds ", time.seconds(), ", nanos ", time.nanos(),
        "; want a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, nanos 0 to 999999999"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ValidatePageSize(int32_t page_size) {
  if (page_size == 0) return kDefaultPageSize;
  if (page_size < 0 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: got ", page_size, ", want 0 (default 100) to ", kMaxPageSize));
  }
  return page_size;
}

int PageSizeOf(int32_t page_size) { return page_size == 0 ? kDefaultPageSize : page_size; }

namespace {

absl::Status ValidateView(v1::StatusView view) {
  if (v1::StatusView_IsValid(view)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("view: got ", view, ", want BASIC or FULL (or unset: FULL)"));
}

// An optional subject-code filter.
absl::Status ValidateSubjectFilter(absl::string_view code) {
  if (code.empty()) return absl::OkStatus();
  return ValidateSubjectCode(code, "subject_code").status();
}

}  // namespace

absl::Status ValidateGetEntryRequest(const v1::GetEntryRequest& request) {
  if (request.entry_id() == 0) {
    return absl::InvalidArgumentError("entry_id: required, want an entry id (1 or more)");
  }
  return absl::OkStatus();
}

// The request validators below name every invalid field (FieldViolations), in field order; a
// check that needs another field valid runs only when it is.

absl::Status ValidateListEntriesRequest(const v1::ListEntriesRequest& request) {
  FieldViolations v;
  v.Check(ValidatePageSize(request.page_size()).status());
  if (!v1::ListKind_IsValid(request.list())) {
    v.Check(absl::InvalidArgumentError(
        absl::StrCat("list: got ", request.list(), ", want RED, BLACK or WATCH")));
  }
  if (!v1::EntryStatus_IsValid(request.status())) {
    v.Check(absl::InvalidArgumentError(
        absl::StrCat("status: got ", request.status(), ", want an EntryStatus")));
  }
  v.Check(ValidateSubjectFilter(request.subject_code()));
  v.Check(ValidateText(request.authority(), "authority", kMaxAuthorityChars, false));
  v.Check(ValidateText(request.category(), "category", kMaxCategoryChars, false));
  return v.ToStatus();
}

absl::Status ValidateUpdateEntryRequest(const v1::UpdateEntryRequest& request) {
  FieldViolations v;
  if (request.entry().id() == 0) {
    v.Check(absl::InvalidArgumentError("entry.id: required, want the id of the entry to correct"));
  }
  if (request.entry().revision() == 0) {
    v.Check(absl::InvalidArgumentError(
        "entry.revision: required, want the revision of the entry as you read it"));
  }
  v.Check(ValidateReason(request.reason()));
  return v.ToStatus();
}

absl::Status ValidateRemoveEntryRequest(const v1::RemoveEntryRequest& request) {
  FieldViolations v;
  if (request.entry_id() == 0) {
    v.Check(absl::InvalidArgumentError("entry_id: required, want the id of the entry to remove"));
  }
  if (request.kind() == v1::REMOVAL_KIND_REPAIR) {
    v.Check(absl::InvalidArgumentError(
        "kind: got REPAIR, want REVOKE; credit repair is a procedure of its own: ApplyForRepair, "
        "then an approver's ApproveRepair"));
  } else if (request.kind() != v1::REMOVAL_KIND_REVOKE) {
    v.Check(
        absl::InvalidArgumentError(absl::StrCat("kind: got ", request.kind(), ", want REVOKE")));
  }
  v.Check(ValidateText(request.revoking_document(), "revoking_document", kMaxDocumentChars));
  v.Check(ValidateReason(request.reason()));
  return v.ToStatus();
}

namespace {

absl::Status ValidateEntryId(uint64_t entry_id) {
  if (entry_id == 0) {
    return absl::InvalidArgumentError("entry_id: required, want the id of the entry");
  }
  return absl::OkStatus();
}

// The entry id and one more field of a transition's request.
absl::Status ValidateEntryIdAnd(uint64_t entry_id, const absl::Status& other) {
  FieldViolations v;
  v.Check(ValidateEntryId(entry_id));
  v.Check(other);
  return v.ToStatus();
}

}  // namespace

absl::Status ValidateApproveEntryRequest(const v1::ApproveEntryRequest& request) {
  return ValidateEntryId(request.entry_id());
}

absl::Status ValidateRejectEntryRequest(const v1::RejectEntryRequest& request) {
  return ValidateEntryIdAnd(request.entry_id(), ValidateReason(request.reason()));
}

absl::Status ValidateFileObjectionRequest(const v1::FileObjectionRequest& request) {
  return ValidateEntryIdAnd(request.entry_id(),
                            ValidateText(request.grounds(), "grounds", kMaxFactsChars, true, true));
}

absl::Status ValidateResolveObjectionRequest(const v1::ResolveObjectionRequest& request) {
  FieldViolations v;
  v.Check(ValidateEntryId(request.entry_id()));
  if (request.resolution() != v1::ResolveObjectionRequest::RESOLUTION_UPHOLD &&
      request.resolution() != v1::ResolveObjectionRequest::RESOLUTION_DISMISS) {
    v.Check(absl::InvalidArgumentError(
        absl::StrCat("resolution: got ", request.resolution(), ", want UPHOLD or DISMISS")));
  }
  v.Check(ValidateReason(request.reason()));
  return v.ToStatus();
}

absl::Status ValidateApplyForRepairRequest(const v1::ApplyForRepairRequest& request) {
  FieldViolations v;
  v.Check(ValidateEntryId(request.entry_id()));
  v.Check(ValidateText(request.evidence(), "evidence", kMaxFactsChars, true, true));
  v.Check(ValidateText(request.commitment(), "commitment", kMaxFactsChars, true, true));
  return v.ToStatus();
}

absl::Status ValidateApproveRepairRequest(const v1::ApproveRepairRequest& request) {
  return ValidateEntryIdAnd(request.entry_id(),
                            ValidateText(request.reason(), "reason", kMaxReasonChars, false));
}

absl::Status ValidateRejectRepairRequest(const v1::RejectRepairRequest& request) {
  return ValidateEntryIdAnd(request.entry_id(), ValidateReason(request.reason()));
}

absl::Status ValidateRecordFeedbackRequest(const v1::RecordFeedbackRequest& request) {
  FieldViolations v;
  v.Check(ValidateRequestId(request.request_id()));
  if (!request.has_feedback()) {
    v.Check(absl::InvalidArgumentError("feedback: required, want the department's report"));
    return v.ToStatus();
  }
  const v1::Feedback& f = request.feedback();
  if (f.entry_id() == 0) {
    v.Check(absl::InvalidArgumentError("feedback.entry_id: required, want the id of the entry"));
  }
  if (f.measure_code().empty()) {
    v.Check(absl::InvalidArgumentError(
        "feedback.measure_code: required, want one of the entry's measure codes"));
  }
  if (f.result() == v1::Feedback::RESULT_UNSPECIFIED || !v1::Feedback::Result_IsValid(f.result())) {
    v.Check(absl::InvalidArgumentError(absl::StrCat("feedback.result: got ", f.result(),
                                                    ", want APPLIED, NOT_APPLICABLE or FAILED")));
  }
  v.Check(ValidateText(f.action(), "feedback.action", kMaxReasonChars, true, true));
  v.Check(ValidateDate(f.action_date(), "feedback.action_date", true));
  v.Check(ValidateText(f.document_number(), "feedback.document_number", kMaxDocumentChars));
  if (!f.department().empty() || f.has_reported_by() || f.has_report_time() ||
      f.has_first_report_time() || f.revision() != 0) {
    v.Check(absl::InvalidArgumentError(
        "feedback: department, reported_by, report_time, first_report_time and revision are "
        "output only, want them empty"));
  }
  return v.ToStatus();
}

absl::Status ValidateSearchSubjectsRequest(const v1::SearchSubjectsRequest& request) {
  FieldViolations v;
  v.Check(ValidateText(request.name(), "name", kMaxNameChars));
  v.Check(ValidatePageSize(request.page_size()).status());
  return v.ToStatus();
}

absl::Status ValidateGetStatisticsRequest(const v1::GetStatisticsRequest& request) {
  FieldViolations v;
  const bool from = v.Check(ValidateDate(request.from_date(), "from_date", true));
  const bool to = v.Check(ValidateDate(request.to_date(), "to_date", true));
  if (from && to && request.to_date() < request.from_date()) {
    v.Check(absl::InvalidArgumentError(absl::StrCat("to_date: got ", request.to_date(),
                                                    ", want a date on or after from_date ",
                                                    request.from_date())));
  }
  return v.ToStatus();
}

absl::Status ValidateImportEntriesRequest(const v1::ImportEntriesRequest& request) {
  int count = request.entries_size();
  if (count == 0 || count > kMaxImportEntries) {
    return absl::InvalidArgumentError(
        absl::StrCat("entries: got ", count, " entries, want 1 to ", kMaxImportEntries));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::SubjectKind> ValidateGetCreditStatusRequest(
    const v1::GetCreditStatusRequest& request) {
  FieldViolations v;
  absl::StatusOr<v1::SubjectKind> kind =
      ValidateSubjectCode(request.subject_code(), "subject_code");
  v.Check(kind.status());
  v.Check(ValidatePurpose(request.purpose()));
  v.Check(ValidateView(request.view()));
  if (!v.ok()) return v.ToStatus();
  return kind;
}

absl::Status ValidateBatchGetCreditStatusRequest(const v1::BatchGetCreditStatusRequest& request) {
  FieldViolations v;
  size_t count = request.subject_codes_size();
  if (count == 0 || count > kMaxBatchSubjects) {
    v.Check(absl::InvalidArgumentError(
        absl::StrCat("subject_codes: got ", count, " codes, want 1 to ", kMaxBatchSubjects)));
  }
  v.Check(ValidatePurpose(request.purpose()));
  v.Check(ValidateView(request.view()));
  return v.ToStatus();
}

absl::Status ValidateListMeasuresRequest(const v1::ListMeasuresRequest& request) {
  FieldViolations v;
  v.Check(ValidatePageSize(request.page_size()).status());
  if (!v1::MeasureKind_IsValid(request.kind())) {
    v.Check(absl::InvalidArgumentError(
        absl::StrCat("kind: got ", request.kind(), ", want PUNISHMENT or INCENTIVE")));
  }
  return v.ToStatus();
}

absl::Status ValidateListChangesRequest(const v1::ListChangesRequest& request) {
  FieldViolations v;
  v.Check(ValidatePageSize(request.page_size()).status());
  v.Check(ValidateSubjectFilter(request.subject_code()));
  v.Check(ValidateText(request.actor_identity(), "actor_identity", kMaxIdentityChars, false));
  const bool start =
      !request.has_start_time() || v.Check(ValidateTimestamp(request.start_time(), "start_time"));
  const bool end =
      !request.has_end_time() || v.Check(ValidateTimestamp(request.end_time(), "end_time"));
  if (start && end && request.has_start_time() && request.has_end_time() &&
      google::protobuf::util::TimeUtil::TimestampToMicroseconds(request.end_time()) <
          google::protobuf::util::TimeUtil::TimestampToMicroseconds(request.start_time())) {
    v.Check(absl::InvalidArgumentError("end_time: want a time at or after start_time"));
  }
  return v.ToStatus();
}

absl::Status ValidateListQueriesRequest(const v1::ListQueriesRequest& request) {
  FieldViolations v;
  v.Check(ValidatePageSize(request.page_size()).status());
  v.Check(ValidateSubjectFilter(request.subject_code()));
  v.Check(ValidateText(request.actor_identity(), "actor_identity", kMaxIdentityChars, false));
  return v.ToStatus();
}

absl::StatusOr<v1::SubjectKind> ValidateGetCreditStatusAtRequest(
    const v1::GetCreditStatusAtRequest& request, uint64_t log_size) {
  ASSIGN_OR_RETURN(v1::SubjectKind kind,
                   ValidateSubjectCode(request.subject_code(), "subject_code"));
  RETURN_IF_ERROR(ValidatePurpose(request.purpose()));
  switch (request.at_case()) {
    case v1::GetCreditStatusAtRequest::kTreeSize:
      if (request.tree_size() > log_size) {
        return absl::InvalidArgumentError(
            absl::StrCat("tree_size: got ", request.tree_size(), ", want at most ", log_size));
      }
      return kind;
    case v1::GetCreditStatusAtRequest::kTime:
      RETURN_IF_ERROR(ValidateTimestamp(request.time(), "time"));
      return kind;
    default:
      return absl::InvalidArgumentError("at: required, want a time or a tree_size");
  }
}

absl::Status ValidateGetInclusionProofRequest(const v1::GetInclusionProofRequest& request,
                                              uint64_t log_size) {
  uint64_t size = request.tree_size() == 0 ? log_size : request.tree_size();
  if (size > log_size || request.sequence() >= size) {
    return absl::InvalidArgumentError(
        absl::StrCat("sequence, tree_size: got ", request.sequence(), ", ", size,
                     "; want sequence < tree_size <= ", log_size, " (the current size)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateGetConsistencyProofRequest(const v1::GetConsistencyProofRequest& request,
                                                uint64_t log_size) {
  uint64_t to = request.to_size() == 0 ? log_size : request.to_size();
  if (request.from_size() == 0 || request.from_size() > to || to > log_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("from_size, to_size: got ", request.from_size(), ", ", to,
                     "; want 1 <= from_size <= to_size <= ", log_size, " (the current size)"));
  }
  return absl::OkStatus();
}

}  // namespace credit
