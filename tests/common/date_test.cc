#include "common/text/date.h"

#include <gtest/gtest.h>

namespace credit {
namespace {

TEST(ParseDateTest, ParsesRealDays) {
  absl::StatusOr<absl::CivilDay> day = ParseDate("2024-02-29");
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(*day, absl::CivilDay(2024, 2, 29));
  EXPECT_EQ(FormatDate(*day), "2024-02-29");
}

TEST(ParseDateTest, RejectsDaysOutsideTheCalendar) {
  for (const char* text : {"2023-02-29", "2025-04-31", "2025-13-01", "2025-00-10", "1899-12-31"}) {
    absl::StatusOr<absl::CivilDay> day = ParseDate(text);
    EXPECT_EQ(day.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(day.status().message(),
              std::string("got \"") + text + "\", which is not a day of the calendar (1900-9999)");
  }
}

TEST(ParseDateTest, RejectsOtherFormats) {
  for (const char* text : {"2025/01/01", "2025-1-01", "20250101", "", "2025-01-01T00:00"}) {
    absl::StatusOr<absl::CivilDay> day = ParseDate(text);
    EXPECT_EQ(day.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(day.status().message(), std::string("got \"") + text + "\", want a date YYYY-MM-DD");
  }
}

TEST(IsCalendarDayTest, AcceptsExactlyTheDaysThatExistFrom1900) {
  EXPECT_TRUE(IsCalendarDay(2024, 2, 29));
  EXPECT_TRUE(IsCalendarDay(2000, 2, 29));
  EXPECT_TRUE(IsCalendarDay(1900, 1, 1));
  EXPECT_TRUE(IsCalendarDay(9999, 12, 31));
  EXPECT_FALSE(IsCalendarDay(1900, 2, 29));  // not a leap year
  EXPECT_FALSE(IsCalendarDay(2023, 2, 29));
  EXPECT_FALSE(IsCalendarDay(2025, 4, 31));
  EXPECT_FALSE(IsCalendarDay(2025, 13, 1));
  EXPECT_FALSE(IsCalendarDay(2025, 0, 10));
  EXPECT_FALSE(IsCalendarDay(2025, 1, 0));
  EXPECT_FALSE(IsCalendarDay(1899, 12, 31));
  EXPECT_FALSE(IsCalendarDay(10000, 1, 1));
}

// Written digit by digit for years 0-9999, zero-padded; other years as a format string would.
TEST(FormatDateTest, WritesFourDigitYearsAndTwoDigitMonthsAndDays) {
  EXPECT_EQ(FormatDate(absl::CivilDay(2026, 11, 28)), "2026-11-28");
  EXPECT_EQ(FormatDate(absl::CivilDay(2026, 1, 5)), "2026-01-05");
  EXPECT_EQ(FormatDate(absl::CivilDay(987, 10, 31)), "0987-10-31");
  EXPECT_EQ(FormatDate(absl::CivilDay(0, 1, 1)), "0000-01-01");
  EXPECT_EQ(FormatDate(absl::CivilDay(9999, 12, 31)), "9999-12-31");
  EXPECT_EQ(FormatDate(absl::CivilDay(10000, 1, 1)), "10000-01-01");
  EXPECT_EQ(FormatDate(absl::CivilDay(-1, 1, 1)), "-001-01-01");
  // Every day of a leap year round-trips through ParseDate.
  for (absl::CivilDay day(2024, 1, 1); day.year() == 2024; ++day) {
    absl::StatusOr<absl::CivilDay> parsed = ParseDate(FormatDate(day));
    ASSERT_TRUE(parsed.ok()) << FormatDate(day);
    EXPECT_EQ(*parsed, day);
  }
}

}  // namespace
}  // namespace credit
