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

}  // namespace
}  // namespace credit
