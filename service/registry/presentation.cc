#include "service/registry/presentation.h"

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

}  // namespace

void RedactSubject(const Caller& caller, v1::Subject* subject) {
  if (subject->kind() == v1::PERSON && !caller.can_unmask) {
    subject->set_code(MaskPersonCode(subject->code()));
  }
}

void RedactEntry(const Caller& caller, v1::Entry* entry) {
  if (entry->has_subject()) RedactSubject(caller, entry->mutable_subject());
}

void RedactChange(const Caller& caller, v1::Change* change) {
  if (caller.can_unmask) return;
  bool person =
      (change->has_entry_before() && change->entry_before().subject().kind() == v1::PERSON) ||
      (change->has_entry_after() && change->entry_after().subject().kind() == v1::PERSON);
  if (change->has_entry_before()) RedactEntry(caller, change->mutable_entry_before());
  if (change->has_entry_after()) RedactEntry(caller, change->mutable_entry_after());
  // The record bytes hold the ID number in clear; its hash still proves the record's place.
  if (person) change->clear_record();
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
  } else {
    if (!record->before.empty()) {
      RETURN_IF_ERROR(ParseObject(record->before, sequence, change.mutable_measure_before()));
    }
    if (!record->after.empty()) {
      RETURN_IF_ERROR(ParseObject(record->after, sequence, change.mutable_measure_after()));
    }
  }
  return change;
}

}  // namespace credit
