// How stored objects are shown to a caller: change records decoded into the wire's Change, and
// personal ID numbers masked for callers without the unmask right. Pure functions; thread-safe.
#ifndef CREDIT_SERVICE_REGISTRY_PRESENTATION_H_
#define CREDIT_SERVICE_REGISTRY_PRESENTATION_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "credit/registry/v1/resources.pb.h"
#include "service/auth/caller.h"

namespace credit {

namespace v1 = ::credit::registry::v1;

// Masks the code of a PERSON subject unless the caller may unmask.
void RedactSubject(const Caller& caller, v1::Subject* subject);
void RedactEntry(const Caller& caller, v1::Entry* entry);
// Whether an answer naming `codes` shows `caller` a natural person's ID number in clear: the
// caller may unmask and one of the codes is a resident ID number (the query log's `unmasked`).
bool ShowsPersonInClear(const Caller& caller, const std::vector<absl::string_view>& codes);
// The same for answers whose subjects' kinds are known already (status lookups: no code is
// classified again on that path).
bool ShowsPersonInClear(const Caller& caller, absl::Span<const v1::SubjectKind> kinds);

// Masks the change's entries and, when they concern a person, drops the record bytes (which hold
// the ID number in clear) unless the caller may unmask.
void RedactChange(const Caller& caller, v1::Change* change);

// Leaves of `entry` its status level, what every role may see (MayReadFacts): id, subject, list,
// category, severity, state, authority, decision, effective and expiry dates, publication
// period, measure codes, revision. Facts, legal basis, document numbers, reasons, actors,
// objection and repair are dropped.
void ReduceEntryToStatusLevel(v1::Entry* entry);

// Leaves of `change` what a caller who may not read facts may see: the record's place (sequence,
// time, operation, hash, previous hash), the status level of the entry after the change and the
// measure after it. Reasons, actors, request ids, the objects before, feedback and the record
// bytes are dropped.
void ReduceToStatusLevel(v1::Change* change);

// The Change stored as `bytes` under `sequence`, with its hash and the record bytes. DATA_LOSS when
// the bytes do not decode, their objects do not parse, or the record names another sequence number.
absl::StatusOr<v1::Change> ChangeFromRecord(uint64_t sequence, absl::string_view bytes);

}  // namespace credit

#endif  // CREDIT_SERVICE_REGISTRY_PRESENTATION_H_
