// UTF-8 checks for text fields. Pure functions; thread-safe.
#ifndef CREDIT_COMMON_TEXT_UTF8_H_
#define CREDIT_COMMON_TEXT_UTF8_H_

#include <cstddef>
#include <optional>

#include "absl/strings/string_view.h"

namespace credit {

// The number of code points in `text`, or nullopt when it is not well-formed UTF-8 (overlong
// forms, surrogates and code points above U+10FFFF are ill-formed).
std::optional<size_t> Utf8Length(absl::string_view text);

}  // namespace credit

#endif  // CREDIT_COMMON_TEXT_UTF8_H_
