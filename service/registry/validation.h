// Validation of request messages: pure functions, unit-tested without a server. Each returns OK
// or INVALID_ARGUMENT whose message starts with the field path and says what was expected,
// e.g. "entry.expiry_date: got 2024-01-01, want a date on or after effective_date 2025-01-01".
#ifndef CREDIT_SERVICE_REGISTRY_VALIDATION_H_
#define CREDIT_SERVICE_REGISTRY_VALIDATION_H_

#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "credit/registry/v1/registry.pb.h"
#include "credit/registry/v1/resources.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace credit {

namespace v1 = ::credit::registry::v1;

// The measures catalogue, by code.
using MeasureCatalogue = std::map<std::string, v1::Measure, std::less<>>;

// Bounds of text fields, in Unicode code points.
inline constexpr size_t kMaxNameChars = 200;
inline constexpr size_t kMaxCategoryChars = 64;
inline constexpr size_t kMaxFactsChars = 4000;
inline constexpr size_t kMaxBasisChars = 1000;
inline constexpr size_t kMaxAuthorityChars = 100;
inline constexpr size_t kMaxDocumentChars = 100;
inline constexpr size_t kMaxReasonChars = 1000;
inline constexpr size_t kMaxPurposeChars = 200;
inline constexpr size_t kMaxIdentityChars = 128;
inline constexpr size_t kMaxRequestIdChars = 128;
inline constexpr size_t kMaxMeasuresPerEntry = 32;
inline constexpr size_t kMaxDepartmentsPerMeasure = 64;
inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;
// The bytes of items one list answer may carry: a page ends early, with a token to go on, rather
// than grow past what a client accepts (gRPC's default receive limit is 4 MiB; 1000 change
// records of long facts would be ~25 MiB). A single item is always sent.
inline constexpr size_t kMaxPageBytes = 1 << 20;
inline constexpr size_t kMaxBatchSubjects = 1000;
inline constexpr int kMaxImportEntries = 1000;

// Well-formed UTF-8 of 1 to `max_chars` code points (0 to max_chars when not `required`), without
// control characters (C0, DEL, C1), save line breaks (\n, \r) where `line_breaks` allows them.
absl::Status ValidateText(absl::string_view value, absl::string_view field, size_t max_chars,
                          bool required = true, bool line_breaks = false);

// A subject code of either kind; the subject's kind when valid.
absl::StatusOr<v1::SubjectKind> ValidateSubjectCode(absl::string_view code,
                                                    absl::string_view field);

// The input fields of an entry, against the catalogue: subject (code, kind if given, name), list,
// texts, dates (effective <= expiry, publicity start <= end), measures that exist and fit the
// list. Output-only fields are not looked at.
absl::Status ValidateEntryInput(const v1::Entry& entry, const MeasureCatalogue& catalogue,
                                absl::string_view field = "entry");
// The same for element `index` of a repeated field ("entries[3].facts: ..."); the path is put
// together only when there is an error.
absl::Status ValidateEntryInput(const v1::Entry& entry, const MeasureCatalogue& catalogue,
                                absl::string_view repeated_field, int index);

// The input fields of a measure (code, name, kind, departments, legal basis).
absl::Status ValidateMeasure(const v1::Measure& measure, absl::string_view field = "measure");

// 1 to 128 printable ASCII characters.
absl::Status ValidateRequestId(absl::string_view request_id);

// `name` without surrounding white space (ASCII, and the ideographic space U+3000). Names are
// stored trimmed.
absl::string_view TrimName(absl::string_view name);

// 1 to 1000 characters of text.
absl::Status ValidateReason(absl::string_view reason);

// Why a caller asks for credit status: 1 to 200 characters.
absl::Status ValidatePurpose(absl::string_view purpose);

// A google.protobuf.Timestamp as the type defines it: 0001-01-01T00:00:00Z to
// 9999-12-31T23:59:59.999999999Z, nanos 0 to 999,999,999. Outside it, conversions overflow.
absl::Status ValidateTimestamp(const google::protobuf::Timestamp& time, absl::string_view field);

// page_size 0 means the default; negative or over the maximum is an error.
absl::StatusOr<int> ValidatePageSize(int32_t page_size);
// The page size a validated page_size stands for (0: the default).
int PageSizeOf(int32_t page_size);

// One validator per request: everything that can be checked without the store. Those that need
// a fact of the log take it as an argument (`log_size`: the size of the tree the answer reads).

absl::Status ValidateGetEntryRequest(const v1::GetEntryRequest& request);
absl::Status ValidateListEntriesRequest(const v1::ListEntriesRequest& request);
// The fields besides the entry's input, which is checked against the catalogue when the
// mutation is built (ValidateEntryInput).
absl::Status ValidateUpdateEntryRequest(const v1::UpdateEntryRequest& request);
absl::Status ValidateRemoveEntryRequest(const v1::RemoveEntryRequest& request);
absl::Status ValidateImportEntriesRequest(const v1::ImportEntriesRequest& request);
absl::Status ValidateApproveEntryRequest(const v1::ApproveEntryRequest& request);
absl::Status ValidateRejectEntryRequest(const v1::RejectEntryRequest& request);
absl::Status ValidateFileObjectionRequest(const v1::FileObjectionRequest& request);
absl::Status ValidateResolveObjectionRequest(const v1::ResolveObjectionRequest& request);
absl::Status ValidateApplyForRepairRequest(const v1::ApplyForRepairRequest& request);
absl::Status ValidateApproveRepairRequest(const v1::ApproveRepairRequest& request);
absl::Status ValidateRejectRepairRequest(const v1::RejectRepairRequest& request);
// The report's input fields (the entry, its measure and the caller's right are the registry's
// to check).
absl::Status ValidateRecordFeedbackRequest(const v1::RecordFeedbackRequest& request);
absl::Status ValidateGetStatisticsRequest(const v1::GetStatisticsRequest& request);
absl::Status ValidateSearchSubjectsRequest(const v1::SearchSubjectsRequest& request);
// The subject's kind when valid.
absl::StatusOr<v1::SubjectKind> ValidateGetCreditStatusRequest(
    const v1::GetCreditStatusRequest& request);
// The count, purpose and view; each code is checked in its own result.
absl::Status ValidateBatchGetCreditStatusRequest(const v1::BatchGetCreditStatusRequest& request);
absl::Status ValidateListMeasuresRequest(const v1::ListMeasuresRequest& request);
absl::Status ValidateListChangesRequest(const v1::ListChangesRequest& request);
absl::Status ValidateListQueriesRequest(const v1::ListQueriesRequest& request);
// The subject's kind when valid; a tree_size at most `log_size`.
absl::StatusOr<v1::SubjectKind> ValidateGetCreditStatusAtRequest(
    const v1::GetCreditStatusAtRequest& request, uint64_t log_size);
// sequence < tree_size <= log_size, with tree_size 0 meaning `log_size`.
absl::Status ValidateGetInclusionProofRequest(const v1::GetInclusionProofRequest& request,
                                              uint64_t log_size);
// 1 <= from_size <= to_size <= log_size, with to_size 0 meaning `log_size`.
absl::Status ValidateGetConsistencyProofRequest(const v1::GetConsistencyProofRequest& request,
                                                uint64_t log_size);

}  // namespace credit

#endif  // CREDIT_SERVICE_REGISTRY_VALIDATION_H_
