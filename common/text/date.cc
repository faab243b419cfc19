#include "common/text/date.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace credit {
namespace {

bool ParseDigits(absl::string_view s, int* out) {
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view text) {
  int year = 0, month = 0, day = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      !ParseDigits(text.substr(0, 4), &year) || !ParseDigits(text.substr(5, 2), &month) ||
      !ParseDigits(text.substr(8, 2), &day)) {
    return absl::InvalidArgumentError(
        absl::StrCat("got \"", text.substr(0, 32), "\", want a date YYYY-MM-DD"));
  }
  absl::CivilDay civil(year, month, day);
  // CivilDay normalises out-of-range fields (Feb 30 becomes Mar 2): a real day survives as is.
  if (year < 1900 || civil.year() != year || civil.month() != month || civil.day() != day) {
    return absl::InvalidArgumentError(
        absl::StrCat("got \"", text, "\", which is not a day of the calendar (1900-9999)"));
  }
  return civil;
}

std::string FormatDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

}  // namespace credit
