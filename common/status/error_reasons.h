// The one table of ErrorInfo reasons of the domain credit.registry.v1, shared by the server that
// sets them and the clients that act on them; the README's "Errors a program can act on" lists
// each with its code and metadata. A reason, once published, keeps its meaning: add, never reuse.
// An error whose code sets no reason leaves with the code's name (ToRpcStatus).
#ifndef CREDIT_COMMON_STATUS_ERROR_REASONS_H_
#define CREDIT_COMMON_STATUS_ERROR_REASONS_H_

#include "absl/strings/string_view.h"

namespace credit::reason {

// INVALID_ARGUMENT (with a BadRequest naming every field).
inline constexpr absl::string_view kInvalidField = "INVALID_FIELD";
inline constexpr absl::string_view kCheckCharacterMismatch = "CHECK_CHARACTER_MISMATCH";
inline constexpr absl::string_view kSubjectKindMismatch = "SUBJECT_KIND_MISMATCH";
inline constexpr absl::string_view kUnknownMeasure = "UNKNOWN_MEASURE";
inline constexpr absl::string_view kMeasureKindMismatch = "MEASURE_KIND_MISMATCH";
inline constexpr absl::string_view kRequestIdReused = "REQUEST_ID_REUSED";

// NOT_FOUND, ALREADY_EXISTS, ABORTED.
inline constexpr absl::string_view kEntryNotFound = "ENTRY_NOT_FOUND";
inline constexpr absl::string_view kDecisionAlreadyRecorded = "DECISION_ALREADY_RECORDED";
inline constexpr absl::string_view kRevisionChanged = "REVISION_CHANGED";

// FAILED_PRECONDITION (with a PreconditionFailure of the type below).
inline constexpr absl::string_view kIllegalTransition = "ILLEGAL_TRANSITION";
inline constexpr absl::string_view kRepairNotApplicable = "REPAIR_NOT_APPLICABLE";
inline constexpr absl::string_view kCategoryNotRepairable = "CATEGORY_NOT_REPAIRABLE";
inline constexpr absl::string_view kRepairTooEarly = "REPAIR_TOO_EARLY";
inline constexpr absl::string_view kEntryNotInForce = "ENTRY_NOT_IN_FORCE";

// PERMISSION_DENIED, RESOURCE_EXHAUSTED.
inline constexpr absl::string_view kRoleNotPermitted = "ROLE_NOT_PERMITTED";
inline constexpr absl::string_view kOtherDepartmentsEntry = "OTHER_DEPARTMENTS_ENTRY";
inline constexpr absl::string_view kUnknownIdentity = "UNKNOWN_IDENTITY";
inline constexpr absl::string_view kTooManyCallsInFlight = "TOO_MANY_CALLS_IN_FLIGHT";

}  // namespace credit::reason

// The types of PreconditionFailure violations: which precondition of an entry failed.
namespace credit::precondition {

inline constexpr absl::string_view kEntryStatus = "ENTRY_STATUS";
inline constexpr absl::string_view kEntryList = "ENTRY_LIST";
inline constexpr absl::string_view kListingRule = "LISTING_RULE";
inline constexpr absl::string_view kMinimumPublicationPeriod = "MINIMUM_PUBLICATION_PERIOD";
inline constexpr absl::string_view kEntryInForce = "ENTRY_IN_FORCE";

}  // namespace credit::precondition

#endif  // CREDIT_COMMON_STATUS_ERROR_REASONS_H_
