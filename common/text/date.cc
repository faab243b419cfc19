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
  if (!IsCalendarDay(year, month, day)) {
    return absl::InvalidArgumentError(
        absl::StrCat("got \"", text, "\", which is not a day of the calendar (1900-9999)"));
  }
  return absl::CivilDay(year, month, day);
}

bool IsCalendarDay(int year, int month, int day) {
  if (year < 1900 || year > 9999) return false;
  // CivilDay normalises out-of-range fields (Feb 30 becomes Mar 2): a real day survives as is.
  absl::CivilDay civil(year, month, day);
  return civil.year() == year && civil.month() == month && civil.day() == day;
}

// Every status answer formats today's date: written digit by digit rather than through a
// format string (~210 -> ~10 ns in micro_bench).
std::string FormatDate(absl::CivilDay day) {
  if (day.year() < 0 || day.year() > 9999) {
    return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
  }
  int year = static_cast<int>(day.year()), month = day.month(), d = day.day();
  char text[10] = {static_cast<char>('0' + year / 1000),
                   static_cast<char>('0' + year / 100 % 10),
                   static_cast<char>('0' + year / 10 % 10),
                   static_cast<char>('0' + year % 10),
                   '-',
                   static_cast<char>('0' + month / 10),
                   static_cast<char>('0' + month % 10),
                   '-',
                   static_cast<char>('0' + d / 10),
                   static_cast<char>('0' + d % 10)};
  return std::string(text, sizeof(text));
}

}  // namespace credit
