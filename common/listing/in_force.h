// When a listing's measures are in force: the one rule that the server's status answers and the
// client's check of a point-in-time answer (credit/status_evidence.h) share. Pure; thread-safe.
#ifndef CREDIT_COMMON_LISTING_IN_FORCE_H_
#define CREDIT_COMMON_LISTING_IN_FORCE_H_

#include "absl/strings/string_view.h"
#include "credit/registry/v1/resources.pb.h"

namespace credit {

// Whether the entry's state puts its measures in force (its dates are judged apart): ACTIVE, or
// OBJECTED with an objection that keeps them (an objection to an ACTIVE entry, by default).
inline bool StateInForce(const registry::v1::Entry& entry) {
  return entry.status() == registry::v1::ENTRY_STATUS_ACTIVE ||
         (entry.status() == registry::v1::ENTRY_STATUS_OBJECTED &&
          entry.objection().measures_kept());
}

// In force by its state, and `date` ("YYYY-MM-DD") within [effective_date, expiry_date].
inline bool InForceOn(const registry::v1::Entry& entry, absl::string_view date) {
  return StateInForce(entry) && entry.effective_date() <= date && date <= entry.expiry_date();
}

}  // namespace credit

#endif  // CREDIT_COMMON_LISTING_IN_FORCE_H_
