#include "common/proto/enum_names.h"

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"

namespace credit {
namespace {

// ListKind -> LIST_KIND_
std::string PrefixOf(const google::protobuf::EnumDescriptor* type) {
  std::string prefix;
  for (char c : type->name()) {
    if (absl::ascii_isupper(c) && !prefix.empty()) prefix += '_';
    prefix += absl::ascii_toupper(c);
  }
  return prefix + "_";
}

}  // namespace

std::string ShortEnumName(const google::protobuf::EnumDescriptor* type, int number) {
  const google::protobuf::EnumValueDescriptor* value = type->FindValueByNumber(number);
  if (value == nullptr) return "";
  // The zero value keeps its full name: SEVERITY_UNSPECIFIED says which field was left unset.
  if (number == 0) return value->name();
  absl::string_view name = value->name();
  absl::ConsumePrefix(&name, PrefixOf(type));
  return std::string(name);
}

std::optional<int> ParseShortEnumName(const google::protobuf::EnumDescriptor* type,
                                      absl::string_view name) {
  const google::protobuf::EnumValueDescriptor* value =
      type->FindValueByName(PrefixOf(type) + absl::AsciiStrToUpper(name));
  if (value == nullptr) return std::nullopt;
  return value->number();
}

}  // namespace credit
