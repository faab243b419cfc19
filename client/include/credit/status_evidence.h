// credit::CheckStatusEvidence — does a point-in-time answer follow from its own evidence?
//
// GetCreditStatusAt answers with a status and, for each of the subject's entries, the last change
// record within the signed tree. Proofs show that each record is in the tree; this check shows
// that the status is the one those records give: the entries in force on the answer's date, the
// three list flags, and the entries each measure is applied for are recomputed from the evidence
// and compared with what the server said. An entry the server leaves out of its status, or one
// it puts in without a record, is caught here; a record the server leaves out of the evidence
// altogether is not (only a whole-log check, `creditctl log verify`, sees every record).
//
// Pure function; thread-safe.
#ifndef CREDIT_CLIENT_INCLUDE_CREDIT_STATUS_EVIDENCE_H_
#define CREDIT_CLIENT_INCLUDE_CREDIT_STATUS_EVIDENCE_H_

#include "absl/status/status.h"
#include "credit/registry/v1/registry.pb.h"

namespace credit {

namespace v1 = ::credit::registry::v1;

// OK when `response.status` is what `response.evidence` gives for `subject_code` on
// `response.status.as_of_date`. Where a change carries its record bytes, the entry is taken from
// the decoded record (which must match the entry shown); otherwise from the entry shown, whose
// link to its hash the caller's role cannot check. FAILED_PRECONDITION naming the first
// disagreement otherwise. Signatures and inclusion proofs are not checked here (LogVerifier).
absl::Status CheckStatusEvidence(absl::string_view subject_code,
                                 const v1::GetCreditStatusAtResponse& response);

}  // namespace credit

#endif  // CREDIT_CLIENT_INCLUDE_CREDIT_STATUS_EVIDENCE_H_
