#include "service/registry/presentation.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/changelog/change_record.h"
#include "common/status/status_macros.h"
#include "common/subject/subject_code.h"
#include "google/protobuf/util/time_util.h"

namespace credit {
namespace {

template <typename Message>
absl::Status ParseObject(const std::string& bytes, uint64_t sequence, Message* out) {
  if (out->ParseFromString(bytes)) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat("change ", sequence, ": stored object bytes do not parse"));
}

// A person by its stored kind, or by its code: an entry stored before the server classified
// every code itself may carry a resident ID number under the kind ORGANIZATION.
bool IsPerson(const v1::Subject& subject) {
  return subject.kind() == v1::SUBJECT_KIND_PERSON ||
         ValidateResidentId(subject.code(), "code").ok();
}

}  // namespace

void RedactSubject(const Caller& caller, v1::Subject* subject) {
  if (!caller.can_unmask && IsPerson(*subject)) {
    subject->set_code(MaskPersonCode(subject->code()));
  }
}

bool ShowsPersonInClear(const Caller& caller, const std::vector<absl::string_view>& codes) {
  if (!caller.can_unmask) return false;
  for (absl::string_view code : codes) {
    if (ValidateResidentId(code, "code").ok()) return true;
  }
  return false;
}

bool ShowsPersonInClear(const Caller& caller, absl::Span<const v1::SubjectKind> kinds) {
  return caller.can_unmask &&
         std::find(kinds.begin(), kinds.end(), v1::SUBJECT_KIND_PERSON) != kinds.end();
}

void RedactEntry(const Caller& caller, v1::Entry* entry) {
  if (entry->has_subject()) RedactSubject(caller, entry->mutable_subject());
}

void RedactChange(const Caller& caller, v1::Change* change) {
  if (caller.can_unmask) return;
  bool person = (change->has_entry_before() && IsPerson(change->entry_before().subject())) ||
                (change->has_entry_after() && IsPerson(change->entry_after().subject()));
  if (change->has_entry_before()) RedactEntry(caller, change->mutable_entry_before());
  if (change->has_entry_after()) RedactEntry(caller, change->mutable_entry_after());
  // The record bytes hold the ID number in clear; its hash still proves the record's place.
  if (person) change->clear_record();
}

void ReduceEntryToStatusLevel(v1::Entry* entry) {
  v1::Entry reduced;
  reduced.set_id(entry->id());
  *reduced.mutable_subject() = std::move(*entry->mutable_subject());
  reduced.set_list(entry->list());
  reduced.set_category(std::move(*entry->mutable_category()));
  reduced.set_severity(entry->severity());
  reduced.set_status(entry->status());
  reduced.set_authority(std::move(*entry->mutable_authority()));
  reduced.set_decision_date(std::move(*entry->mutable_decision_date()));
  reduced.set_effective_date(std::move(*entry->mutable_effective_date()));
  reduced.set_expiry_date(std::move(*entry->mutable_expiry_date()));
  reduced.set_publicity_start(std::move(*entry->mutable_publicity_start()));
  reduced.set_publicity_end(std::move(*entry->mutable_publicity_end()));
  reduced.set_publication_ended(entry->publication_ended());
  *reduced.mutable_measure_codes() = std::move(*entry->mutable_measure_codes());
  reduced.set_revision(entry->revision());
  *entry = std::move(reduced);
}

void ReduceToStatusLevel(v1::Change* change) {
  v1::Change reduced;
  reduced.set_sequence(change->sequence());
  *reduced.mutable_time() = change->time();
  reduced.set_operation(change->operation());
  reduced.set_previous_hash(change->previous_hash());
  reduced.set_hash(change->hash());
  if (change->has_entry_after()) {
    *reduced.mutable_entry_after() = std::move(*change->mutable_entry_after());
    ReduceEntryToStatusLevel(reduced.mutable_entry_after());
  }
  // The catalogue is every role's to read.
  if (change->has_measure_after()) {
    *reduced.mutable_measure_after() = std::move(*change->mutable_measure_after());
  }
  *change = std::move(reduced);
}

absl::StatusOr<v1::Change> ChangeFromRecord(uint64_t sequence, absl::string_view bytes) {
  absl::StatusOr<ChangeRecord> record = DecodeChangeRecord(bytes);
  if (!record.ok()) {
    return absl::DataLossError(absl::StrCat("change ", sequence, ": ", record.status().message()));
  }
  if (record->sequence != sequence) {
    return absl::DataLossError(absl::StrCat("change stored under sequence ", sequence,
                                            " says it is sequence ", record->sequence));
  }
  v1::Change change;
  change.set_sequence(record->sequence);
  *change.mutable_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(record->time_micros);
  change.mutable_actor()->set_identity(record->actor_identity);
  change.mutable_actor()->set_department(record->actor_department);
  change.set_operation(static_cast<v1::Operation>(record->operation));
  change.set_reason(record->reason);
  change.set_request_id(record->request_id);
  change.set_previous_hash(std::string(AsBytes(record->previous_hash)));
  change.set_hash(std::string(AsBytes(ChangeRecordHash(bytes))));
  change.set_record(std::string(bytes));
  if (record->object_type == ObjectType::kEntry) {
    if (!record->before.empty()) {
      RETURN_IF_ERROR(ParseObject(record->before, sequence, change.mutable_entry_before()));
    }
    if (!record->after.empty()) {
      RETURN_IF_ERROR(ParseObject(record->after, sequence, change.mutable_entry_after()));
    }
  } else if (record->object_type == ObjectType::kMeasure) {
    if (!record->before.empty()) {
      RETURN_IF_ERROR(ParseObject(record->before, sequence, change.mutable_measure_before()));
    }
    if (!record->after.empty()) {
      RETURN_IF_ERROR(ParseObject(record->after, sequence, change.mutable_measure_after()));
    }
  } else {
    if (!record->before.empty()) {
      RETURN_IF_ERROR(ParseObject(record->before, sequence, change.mutable_feedback_before()));
    }
    if (!record->after.empty()) {
      RETURN_IF_ERROR(ParseObject(record->after, sequence, change.mutable_feedback_after()));
    }
  }
  return change;
}

}  // namespace credit
