#include "common/status/error_details.h"

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/proto/deterministic.h"

namespace credit {
namespace {

constexpr absl::string_view kTypeUrlPrefix = "type.googleapis.com/";

std::string TypeUrlOf(const google::protobuf::Descriptor* type) {
  return absl::StrCat(kTypeUrlPrefix, type->full_name());
}

template <typename Details>
std::string TypeUrlOf() {
  return TypeUrlOf(Details::descriptor());
}

google::rpc::ErrorInfo MakeErrorInfo(absl::string_view reason, ErrorMetadata metadata) {
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(kErrorDomain));
  for (const auto& [key, value] : metadata) {
    (*info.mutable_metadata())[std::string(key)] = std::string(value);
  }
  return info;
}

// `status`'s code and details under another message.
absl::Status WithMessage(const absl::Status& status, absl::string_view message) {
  absl::Status out(status.code(), message);
  status.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& bytes) { out.SetPayload(url, bytes); });
  return out;
}

template <typename Details>
std::optional<Details> PayloadOf(const absl::Status& status) {
  absl::optional<absl::Cord> bytes = status.GetPayload(TypeUrlOf<Details>());
  if (!bytes.has_value()) return std::nullopt;
  Details details;
  if (!details.ParseFromString(std::string(*bytes))) return std::nullopt;
  return details;
}

template <typename Details>
void SetPayload(absl::Status& status, const Details& details) {
  status.SetPayload(TypeUrlOf<Details>(), absl::Cord(SerializeDeterministic(details)));
}

bool IsFieldNameChar(char c) {
  return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
}

// The length of the field path `message` starts with, followed by ": " ("entries[3].list: got
// 0, ..."); 0 when it starts with none.
size_t FieldPathLength(absl::string_view message) {
  size_t i = 0;
  while (true) {
    if (i >= message.size() || !(absl::ascii_islower(message[i]) || message[i] == '_')) return 0;
    while (i < message.size() && IsFieldNameChar(message[i])) ++i;
    if (i < message.size() && message[i] == '[') {
      size_t digits = ++i;
      while (i < message.size() && absl::ascii_isdigit(message[i])) ++i;
      if (i == digits || i >= message.size() || message[i] != ']') return 0;
      ++i;
    }
    if (i < message.size() && message[i] == '.') {
      ++i;
      continue;
    }
    return absl::StartsWith(message.substr(i), ": ") ? i : 0;
  }
}

void AddDetails(const google::protobuf::Message& details, google::rpc::Status* out) {
  google::protobuf::Any& any = *out->add_details();
  any.set_type_url(TypeUrlOf(details.GetDescriptor()));
  any.set_value(SerializeDeterministic(details));
}

}  // namespace

absl::Status WithErrorInfo(absl::Status status, absl::string_view reason, ErrorMetadata metadata) {
  if (status.ok()) return status;
  SetPayload(status, MakeErrorInfo(reason, metadata));
  return status;
}

absl::Status WithPreconditionFailure(absl::Status status, absl::string_view type,
                                     absl::string_view subject, absl::string_view description) {
  if (status.ok()) return status;
  google::rpc::PreconditionFailure failure =
      PayloadOf<google::rpc::PreconditionFailure>(status).value_or(
          google::rpc::PreconditionFailure());
  google::rpc::PreconditionFailure::Violation& violation = *failure.add_violations();
  violation.set_type(std::string(type));
  violation.set_subject(std::string(subject));
  violation.set_description(std::string(description));
  SetPayload(status, failure);
  return status;
}

absl::Status FieldError(absl::string_view field, absl::string_view description,
                        absl::string_view reason, ErrorMetadata metadata) {
  absl::Status status = absl::InvalidArgumentError(absl::StrCat(field, ": ", description));
  google::rpc::BadRequest bad;
  google::rpc::BadRequest::FieldViolation& violation = *bad.add_field_violations();
  violation.set_field(std::string(field));
  violation.set_description(std::string(description));
  SetPayload(status, bad);
  google::rpc::ErrorInfo info = MakeErrorInfo(reason, metadata);
  (*info.mutable_metadata())["field"] = std::string(field);
  SetPayload(status, info);
  return status;
}

absl::Status WithMessagePrefix(const absl::Status& status, absl::string_view prefix) {
  if (status.ok()) return status;
  return WithMessage(status, absl::StrCat(prefix, status.message()));
}

absl::Status PrefixFieldPaths(const absl::Status& status, absl::string_view prefix) {
  if (status.ok()) return status;
  absl::Status out = WithMessagePrefix(status, prefix);
  if (std::optional<google::rpc::ErrorInfo> info = PayloadOf<google::rpc::ErrorInfo>(status)) {
    auto it = info->mutable_metadata()->find("field");
    if (it != info->mutable_metadata()->end()) it->second = absl::StrCat(prefix, it->second);
    SetPayload(out, *info);
  }
  if (std::optional<google::rpc::BadRequest> bad = PayloadOf<google::rpc::BadRequest>(status)) {
    for (auto& violation : *bad->mutable_field_violations()) {
      violation.set_field(absl::StrCat(prefix, violation.field()));
    }
    SetPayload(out, *bad);
  }
  return out;
}

bool FieldViolations::Check(const absl::Status& status) {
  if (status.ok()) return true;
  for (google::rpc::BadRequest::FieldViolation& violation : FieldViolationsOf(status)) {
    *all_.add_field_violations() = std::move(violation);
  }
  if (first_.ok()) first_ = status;
  return false;
}

absl::Status FieldViolations::ToStatus() const {
  if (first_.ok() || all_.field_violations_size() <= 1) return first_;
  const int more = all_.field_violations_size() - 1;
  absl::Status out =
      WithMessage(first_, absl::StrCat(first_.message(), " (and ", more, " more field",
                                       more == 1 ? "" : "s", ": see the details)"));
  SetPayload(out, all_);
  return out;
}

std::optional<google::rpc::ErrorInfo> ErrorInfoOf(const absl::Status& status) {
  return PayloadOf<google::rpc::ErrorInfo>(status);
}

std::vector<google::rpc::BadRequest::FieldViolation> FieldViolationsOf(const absl::Status& status) {
  std::vector<google::rpc::BadRequest::FieldViolation> out;
  if (std::optional<google::rpc::BadRequest> bad = PayloadOf<google::rpc::BadRequest>(status)) {
    for (const auto& violation : bad->field_violations()) out.push_back(violation);
    return out;
  }
  if (status.code() != absl::StatusCode::kInvalidArgument) return out;
  const absl::string_view message = status.message();
  if (size_t length = FieldPathLength(message); length > 0) {
    out.emplace_back();
    out.back().set_field(std::string(message.substr(0, length)));
    out.back().set_description(std::string(message.substr(length + 2)));
  }
  return out;
}

std::optional<google::rpc::PreconditionFailure> PreconditionFailureOf(const absl::Status& status) {
  return PayloadOf<google::rpc::PreconditionFailure>(status);
}

void ToRpcStatus(const absl::Status& status, google::rpc::Status* out) {
  out->Clear();
  out->set_code(static_cast<int32_t>(status.code()));
  out->set_message(std::string(status.message()));
  if (status.ok()) return;

  const std::vector<google::rpc::BadRequest::FieldViolation> violations = FieldViolationsOf(status);
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  if (!info.has_value()) {
    info.emplace();
    info->set_domain(std::string(kErrorDomain));
    if (violations.empty()) {
      info->set_reason(absl::StatusCodeToString(status.code()));
    } else {
      info->set_reason(std::string(reason::kInvalidField));
      (*info->mutable_metadata())["field"] = violations.front().field();
    }
  }
  AddDetails(*info, out);
  if (!violations.empty()) {
    google::rpc::BadRequest bad;
    for (const auto& violation : violations) *bad.add_field_violations() = violation;
    AddDetails(bad, out);
  }
  // The other details as they are.
  const std::string info_url = TypeUrlOf<google::rpc::ErrorInfo>();
  const std::string bad_url = TypeUrlOf<google::rpc::BadRequest>();
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& bytes) {
    if (url == info_url || url == bad_url) return;
    if (!absl::StartsWith(url, "type.googleapis.com/google.rpc.")) return;
    google::protobuf::Any& any = *out->add_details();
    any.set_type_url(std::string(url));
    any.set_value(std::string(bytes));
  });
}

absl::Status FromRpcStatus(const google::rpc::Status& status) {
  if (status.code() == 0) return absl::OkStatus();
  absl::Status out(static_cast<absl::StatusCode>(status.code()), status.message());
  for (const google::protobuf::Any& any : status.details()) {
    out.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return out;
}

}  // namespace credit
