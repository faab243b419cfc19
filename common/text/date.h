// Calendar dates as the wire carries them: ISO 8601 "YYYY-MM-DD". Pure functions; thread-safe.
#ifndef CREDIT_COMMON_TEXT_DATE_H_
#define CREDIT_COMMON_TEXT_DATE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace credit {

// Whether year-month-day is a day of the calendar, in the years 1900-9999.
bool IsCalendarDay(int year, int month, int day);

// Parses "YYYY-MM-DD" (exactly ten characters, a day that exists, years 1900-9999).
// INVALID_ARGUMENT otherwise, with a message that says what was expected.
absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view text);

// Formats a day as "YYYY-MM-DD".
std::string FormatDate(absl::CivilDay day);

}  // namespace credit

#endif  // CREDIT_COMMON_TEXT_DATE_H_
