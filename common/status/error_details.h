// Details a program can act on, carried by an absl::Status inside and by google.rpc.Status on the
// wire (common/status/grpc_status.h does the translation):
//   - ErrorInfo: a stable reason in UPPER_SNAKE_CASE within the domain credit.registry.v1, and
//     metadata naming the field and values. Every error on the wire has one: where the code that
//     failed set none, the reason is INVALID_FIELD for a field violation, else the code's name.
//   - BadRequest: every invalid field of a request. An INVALID_ARGUMENT whose message starts with
//     a field path ("entry.subject.code: ...", the convention of every validator here) is one
//     field violation without further ado; FieldViolations gathers several.
//   - PreconditionFailure: why the state of a resource does not allow what was asked.
// The details live in the status's payloads, one per message type, under the type URL an Any
// would carry, so they survive every copy and RETURN_IF_ERROR on the way out.
// The reasons are the table of common/status/error_reasons.h.
#ifndef CREDIT_COMMON_STATUS_ERROR_DETAILS_H_
#define CREDIT_COMMON_STATUS_ERROR_DETAILS_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/status/error_reasons.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace credit {

inline constexpr absl::string_view kErrorDomain = "credit.registry.v1";

using ErrorMetadata = std::initializer_list<std::pair<absl::string_view, absl::string_view>>;

// `status` with an ErrorInfo of `reason`, the domain and `metadata` (replacing any it had).
absl::Status WithErrorInfo(absl::Status status, absl::string_view reason,
                           ErrorMetadata metadata = {});

// `status` with one more PreconditionFailure violation.
absl::Status WithPreconditionFailure(absl::Status status, absl::string_view type,
                                     absl::string_view subject, absl::string_view description);

// INVALID_ARGUMENT "`field`: `description`" with its field violation and an ErrorInfo of `reason`
// whose metadata holds the field and `metadata`.
absl::Status FieldError(absl::string_view field, absl::string_view description,
                        absl::string_view reason = reason::kInvalidField,
                        ErrorMetadata metadata = {});

// `status` with `prefix` before its message, keeping its details.
absl::Status WithMessagePrefix(const absl::Status& status, absl::string_view prefix);

// `status` with every field path of its violations (and the ErrorInfo's "field") prefixed by
// `prefix` ("entries[3]." before "subject.code"), and its message too.
absl::Status PrefixFieldPaths(const absl::Status& status, absl::string_view prefix);

// The violations of one request, gathered so that the answer names all of them. The status is
// INVALID_ARGUMENT with the first violation's message (and how many more there are), a
// BadRequest with each, and the first's ErrorInfo.
class FieldViolations {
 public:
  // Adds `status` when it is an error; true when it was OK.
  bool Check(const absl::Status& status);
  bool ok() const { return first_.ok(); }
  absl::Status ToStatus() const;

 private:
  absl::Status first_;
  google::rpc::BadRequest all_;
};

// The details of `status`, as set above or (for a status from the wire) as the server sent them.
std::optional<google::rpc::ErrorInfo> ErrorInfoOf(const absl::Status& status);
// The explicit violations, else the one a field-path message implies, else none.
std::vector<google::rpc::BadRequest::FieldViolation> FieldViolationsOf(const absl::Status& status);
std::optional<google::rpc::PreconditionFailure> PreconditionFailureOf(const absl::Status& status);

// `status` as a google.rpc.Status (`*out` is replaced), as the wire carries it: every error has an
// ErrorInfo (INVALID_FIELD with the field for a field violation, else the code's name, when the
// status has none), an INVALID_ARGUMENT its BadRequest, then the status's other google.rpc
// details. The form of a call's error details and of a batch item's error.
void ToRpcStatus(const absl::Status& status, google::rpc::Status* out);
absl::Status FromRpcStatus(const google::rpc::Status& status);

}  // namespace credit

#endif  // CREDIT_COMMON_STATUS_ERROR_DETAILS_H_
