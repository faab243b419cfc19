// Registry's name search: subjects by the folded form of a name (service/search/name_folder.h).
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "service/registry/presentation.h"
#include "service/registry/registry.h"

namespace credit {

absl::StatusOr<v1::SearchSubjectsResponse> Registry::SearchSubjects(
    const Caller& caller, const v1::SearchSubjectsRequest& request) {
  RETURN_IF_ERROR(ValidateSearchSubjectsRequest(request));
  const std::string folded = name_folder_->Fold(request.name());
  if (folded.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("name: got \"", request.name(),
                     "\", want a name with more than white space and punctuation"));
  }
  const int page_size = PageSizeOf(request.page_size());
  const uint64_t fingerprint = FilterFingerprint(request);
  ASSIGN_OR_RETURN(std::string from_code, page_tokens_->Decode(request.page_token(), fingerprint));
  std::shared_ptr<const ReadView> view = CurrentView();
  v1::SearchSubjectsResponse response;
  std::vector<std::string> codes;
  RETURN_IF_ERROR(store_->ScanNames(
      folded, from_code, view->snapshot.get(), [&](absl::string_view code, absl::string_view name) {
        if (response.subjects_size() == page_size) {
          response.set_next_page_token(page_tokens_->Encode(fingerprint, code));
          return false;
        }
        v1::Subject* subject = response.add_subjects();
        subject->set_code(std::string(code));
        subject->set_name(std::string(name));
        absl::StatusOr<v1::SubjectKind> kind = ValidateSubjectCode(code, "code");
        subject->set_kind(kind.ok() ? *kind : v1::SUBJECT_KIND_ORGANIZATION);
        codes.emplace_back(code);
        return true;
      }));
  const std::vector<absl::string_view> found(codes.begin(), codes.end());
  query_log_->Append(caller, "SearchSubjects", "", found, ShowsPersonInClear(caller, found));
  for (v1::Subject& subject : *response.mutable_subjects()) RedactSubject(caller, &subject);
  return response;
}

}  // namespace credit
