#include "service/registry/registry_internal.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/encoding/big_endian.h"
#include "common/listing/in_force.h"
#include "common/proto/wire_fields.h"
#include "common/status/error_details.h"
#include "common/status/error_reasons.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/util/time_util.h"
#include "google/protobuf/wire_format_lite.h"
#include "service/procedure/lifecycle.h"
#include "service/registry/validation.h"
#include "service/storage/store.h"

namespace credit::registry_internal {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

bool InForce(const v1::Entry& entry, absl::string_view today) { return InForceOn(entry, today); }

std::string DecisionRowOf(const v1::Entry& entry) {
  return Store::DecisionRow(entry.subject().code(), entry.list(), entry.authority(),
                            entry.document_number());
}

absl::Status InPlace(absl::Status status, absl::string_view list_field, int index,
                     absl::string_view separator) {
  if (status.ok()) return status;
  const std::string prefix = absl::StrCat(list_field, "[", index, "]", separator);
  return separator == "." ? PrefixFieldPaths(status, prefix) : WithMessagePrefix(status, prefix);
}

namespace {

// The kind is always the server's classification of the code (validation refused a kind that
// contradicts it).
void InferSubjectKind(v1::Subject* subject) {
  absl::StatusOr<v1::SubjectKind> kind = ValidateSubjectCode(subject->code(), "subject.code");
  if (kind.ok()) subject->set_kind(*kind);
}

}  // namespace

void CopyInputFields(const v1::Entry& in, v1::Entry* out) {
  *out->mutable_subject() = in.subject();
  out->mutable_subject()->set_name(std::string(TrimName(in.subject().name())));
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
  out->set_severity(in.severity());
}

absl::StatusOr<v1::Entry> ParseEntry(absl::string_view bytes, uint64_t id) {
  v1::Entry entry;
  if (!entry.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("entry ", id, ": stored bytes do not parse"));
  }
  return entry;
}

absl::Status ReadStatusPart(absl::string_view bytes, uint64_t id, StatusPartView* part) {
  using google::protobuf::internal::WireFormatLite;
  using google::protobuf::io::CodedInputStream;
  auto tag = [](int number, WireFormatLite::WireType type) {
    return WireFormatLite::MakeTag(number, type);
  };
  constexpr auto kVarint = WireFormatLite::WIRETYPE_VARINT;
  constexpr auto kDelimited = WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
  part->id = id;
  part->list = v1::LIST_KIND_UNSPECIFIED;
  part->status = v1::ENTRY_STATUS_UNSPECIFIED;
  part->effective_date = absl::string_view();
  part->expiry_date = absl::string_view();
  part->measure_codes.clear();
  bool read = WalkFields(bytes, [&](uint32_t t, CodedInputStream& in) -> std::optional<bool> {
    // A text field's bytes, checked as protobuf checks a proto3 string.
    auto text = [&](const char* field, absl::string_view* out) {
      return ReadDelimited(bytes, in, out) &&
             WireFormatLite::VerifyUtf8String(out->data(), static_cast<int>(out->size()),
                                              WireFormatLite::PARSE, field);
    };
    uint32_t value = 0;
    if (t == tag(v1::Entry::kListFieldNumber, kVarint)) {
      if (!in.ReadVarint32(&value)) return false;
      part->list = static_cast<v1::ListKind>(value);
      return true;
    }
    if (t == tag(v1::Entry::kStatusFieldNumber, kVarint)) {
      if (!in.ReadVarint32(&value)) return false;
      part->status = static_cast<v1::EntryStatus>(value);
      return true;
    }
    if (t == tag(v1::Entry::kEffectiveDateFieldNumber, kDelimited)) {
      return text("credit.registry.v1.Entry.effective_date", &part->effective_date);
    }
    if (t == tag(v1::Entry::kExpiryDateFieldNumber, kDelimited)) {
      return text("credit.registry.v1.Entry.expiry_date", &part->expiry_date);
    }
    if (t == tag(v1::Entry::kMeasureCodesFieldNumber, kDelimited)) {
      return text("credit.registry.v1.Entry.measure_codes", &part->measure_codes.emplace_back());
    }
    return std::nullopt;
  });
  if (!read) return absl::DataLossError(absl::StrCat("entry ", id, ": stored bytes do not parse"));
  return absl::OkStatus();
}

// Only entries in force by their state have a part (ACTIVE, or OBJECTED keeping the measures).
bool InForce(const StatusPartView& part, absl::string_view date) {
  return PartStateInForce(part.status) && part.effective_date <= date && date <= part.expiry_date;
}

// Written field by field in number order with protobuf's own wire-format writers, as
// deterministic serialisation of an Entry holding only these fields writes them (proto3 leaves a
// field at its default out), into one allocation and without building that Entry: its copies
// were 2.4 % of an import (BM_StatusPart).
std::string StatusPart(const v1::Entry& entry) {
  using google::protobuf::internal::WireFormatLite;
  using google::protobuf::io::CodedOutputStream;
  static_assert(v1::Entry::kListFieldNumber < v1::Entry::kEffectiveDateFieldNumber &&
                v1::Entry::kEffectiveDateFieldNumber < v1::Entry::kExpiryDateFieldNumber &&
                v1::Entry::kExpiryDateFieldNumber < v1::Entry::kMeasureCodesFieldNumber &&
                v1::Entry::kMeasureCodesFieldNumber < v1::Entry::kStatusFieldNumber);
  // At most: per enum a tag and a sign-extended varint of 10 bytes, per string a tag, a length
  // of 5 and its bytes (every field number here is below 16: one-byte tags).
  size_t bound = 2 * 11 + 2 * 6 + entry.effective_date().size() + entry.expiry_date().size();
  for (const std::string& code : entry.measure_codes()) bound += 6 + code.size();
  std::string out(bound, '\0');
  auto* const begin = reinterpret_cast<uint8_t*>(out.data());
  uint8_t* at = begin;
  auto write_enum = [&at](int number, int value) {
    if (value == 0) return;
    at = CodedOutputStream::WriteTagToArray(
        WireFormatLite::MakeTag(number, WireFormatLite::WIRETYPE_VARINT), at);
    at = CodedOutputStream::WriteVarint32SignExtendedToArray(value, at);
  };
  auto write_string = [&at](int number, const std::string& value) {
    at = CodedOutputStream::WriteTagToArray(
        WireFormatLite::MakeTag(number, WireFormatLite::WIRETYPE_LENGTH_DELIMITED), at);
    at = CodedOutputStream::WriteStringWithSizeToArray(value, at);
  };
  write_enum(v1::Entry::kListFieldNumber, entry.list());
  if (!entry.effective_date().empty()) {
    write_string(v1::Entry::kEffectiveDateFieldNumber, entry.effective_date());
  }
  if (!entry.expiry_date().empty()) {
    write_string(v1::Entry::kExpiryDateFieldNumber, entry.expiry_date());
  }
  for (const std::string& code : entry.measure_codes()) {
    write_string(v1::Entry::kMeasureCodesFieldNumber, code);
  }
  write_enum(v1::Entry::kStatusFieldNumber, entry.status());
  out.resize(static_cast<size_t>(at - begin));
  return out;
}

absl::Status NoSuchEntry(uint64_t id) {
  return WithErrorInfo(absl::NotFoundError(absl::StrCat("entry ", id, ": no such entry")),
                       reason::kEntryNotFound, {{"entry_id", absl::StrCat(id)}});
}

absl::StatusOr<uint64_t> PositionAsU64(absl::string_view position) {
  if (position.empty()) return 0;
  if (position.size() != 8) return absl::InvalidArgumentError("page_token: malformed");
  return ReadBigEndian64(position);
}

std::vector<absl::string_view> Distinct(const std::vector<std::string>& items) {
  std::vector<absl::string_view> distinct;
  absl::flat_hash_set<absl::string_view> seen;
  for (const std::string& item : items) {
    if (seen.insert(item).second) distinct.push_back(item);
  }
  return distinct;
}

}  // namespace credit::registry_internal
