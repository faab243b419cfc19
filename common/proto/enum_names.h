// Enum values by their short names. Every enum value of the wire contract carries its type's name
// as a prefix (LIST_KIND_RED, ENTRY_STATUS_ACTIVE: buf's ENUM_VALUE_PREFIX rule, so that values of
// different enums never collide in a package); people read and type the short name (RED, active).
#ifndef CREDIT_COMMON_PROTO_ENUM_NAMES_H_
#define CREDIT_COMMON_PROTO_ENUM_NAMES_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/generated_enum_reflection.h"

namespace credit {

// The name of value `number` of `type` without the prefix (RED for LIST_KIND_RED); the zero
// value's whole name (LIST_KIND_UNSPECIFIED); the number itself ("9") for a number the type does
// not have (a client newer than the server, or a bad request).
std::string ShortEnumName(const google::protobuf::EnumDescriptor* type, int number);
// The number of the value whose short name is `name`, in any case ("red", "RED"); nullopt when
// there is none.
std::optional<int> ParseShortEnumName(const google::protobuf::EnumDescriptor* type,
                                      absl::string_view name);

template <typename Enum>
std::string ShortName(Enum value) {
  return ShortEnumName(google::protobuf::GetEnumDescriptor<Enum>(), static_cast<int>(value));
}

template <typename Enum>
std::optional<Enum> ParseShortName(absl::string_view name) {
  std::optional<int> number = ParseShortEnumName(google::protobuf::GetEnumDescriptor<Enum>(), name);
  if (!number.has_value()) return std::nullopt;
  return static_cast<Enum>(*number);
}

}  // namespace credit

#endif  // CREDIT_COMMON_PROTO_ENUM_NAMES_H_
