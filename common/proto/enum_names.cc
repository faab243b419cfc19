#include "common/proto/enum_names.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"

namespace credit {
namespace {

// The prefix of the type's values (LIST_KIND_ of ListKind), read off its zero value
// LIST_KIND_UNSPECIFIED: a view into the descriptor, which lives as long as the program.
absl::string_view PrefixOf(const google::protobuf::EnumDescriptor* type) {
  const google::protobuf::EnumValueDescriptor* zero = type->FindValueByNumber(0);
  if (zero == nullptr) return "";
  absl::string_view prefix = zero->name();
  if (!absl::ConsumeSuffix(&prefix, "UNSPECIFIED")) return "";
  return prefix;
}

}  // namespace

std::string ShortEnumName(const google::protobuf::EnumDescriptor* type, int number) {
  const google::protobuf::EnumValueDescriptor* value = type->FindValueByNumber(number);
  if (value == nullptr) return absl::StrCat(number);
  // The zero value keeps its full name: SEVERITY_UNSPECIFIED says which field was left unset.
  if (number == 0) return value->name();
  absl::string_view name = value->name();
  absl::ConsumePrefix(&name, PrefixOf(type));
  return std::string(name);
}

std::optional<int> ParseShortEnumName(const google::protobuf::EnumDescriptor* type,
                                      absl::string_view name) {
  const google::protobuf::EnumValueDescriptor* value =
      type->FindValueByName(absl::StrCat(PrefixOf(type), absl::AsciiStrToUpper(name)));
  if (value == nullptr) return std::nullopt;
  return value->number();
}

}  // namespace credit
