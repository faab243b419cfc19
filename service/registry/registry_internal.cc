#include "service/registry/registry_internal.h"

#include "absl/strings/str_cat.h"
#include "common/proto/deterministic.h"
#include "google/protobuf/util/time_util.h"
#include "service/registry/validation.h"
#include "service/storage/keys.h"

namespace credit::registry_internal {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

bool InForce(const v1::Entry& entry, absl::string_view today) {
  return entry.status() == v1::ACTIVE && entry.effective_date() <= today &&
         today <= entry.expiry_date();
}

namespace {

void InferSubjectKind(v1::Subject* subject) {
  if (subject->kind() != v1::SUBJECT_KIND_UNSPECIFIED) return;
  absl::StatusOr<v1::SubjectKind> kind = ValidateSubjectCode(subject->code(), "subject.code");
  if (kind.ok()) subject->set_kind(*kind);
}

}  // namespace

void CopyInputFields(const v1::Entry& in, v1::Entry* out) {
  *out->mutable_subject() = in.subject();
  InferSubjectKind(out->mutable_subject());
  out->set_list(in.list());
  out->set_category(in.category());
  out->set_facts(in.facts());
  out->set_legal_basis(in.legal_basis());
  out->set_authority(in.authority());
  out->set_document_number(in.document_number());
  out->set_decision_date(in.decision_date());
  out->set_publicity_start(in.publicity_start());
  out->set_publicity_end(in.publicity_end());
  out->set_effective_date(in.effective_date());
  out->set_expiry_date(in.expiry_date());
  *out->mutable_measure_codes() = in.measure_codes();
}

absl::StatusOr<v1::Entry> ParseEntry(absl::string_view bytes, uint64_t id) {
  v1::Entry entry;
  if (!entry.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("entry ", id, ": stored bytes do not parse"));
  }
  return entry;
}

std::string StatusPart(const v1::Entry& entry) {
  v1::Entry part;
  part.set_list(entry.list());
  part.set_status(entry.status());
  part.set_effective_date(entry.effective_date());
  part.set_expiry_date(entry.expiry_date());
  *part.mutable_measure_codes() = entry.measure_codes();
  return SerializeDeterministic(part);
}

absl::Status NoSuchEntry(uint64_t id) {
  return absl::NotFoundError(absl::StrCat("entry ", id, ": no such entry"));
}

absl::StatusOr<uint64_t> PositionAsU64(absl::string_view position) {
  if (position.empty()) return 0;
  if (position.size() != 8) return absl::InvalidArgumentError("page_token: malformed");
  return keys::ReadU64(position);
}

}  // namespace credit::registry_internal
