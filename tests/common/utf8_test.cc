#include "common/text/utf8.h"

#include <gtest/gtest.h>

namespace credit {
namespace {

TEST(Utf8LengthTest, CountsCodePoints) {
  EXPECT_EQ(Utf8Length(""), 0u);
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length("汕经信〔2016〕155号"), 13u);
  EXPECT_EQ(Utf8Length("\xF0\x9F\x98\x80"), 1u);  // U+1F600
}

TEST(Utf8LengthTest, RejectsIllFormedSequences) {
  EXPECT_EQ(Utf8Length("\xC0\xAF"), std::nullopt);          // overlong '/'
  EXPECT_EQ(Utf8Length("\xED\xA0\x80"), std::nullopt);      // surrogate U+D800
  EXPECT_EQ(Utf8Length("\xF4\x90\x80\x80"), std::nullopt);  // above U+10FFFF
  EXPECT_EQ(Utf8Length("\xE6\xB1"), std::nullopt);          // truncated
  EXPECT_EQ(Utf8Length("\x80"), std::nullopt);              // lone continuation byte
  EXPECT_EQ(Utf8Length("\xFF"), std::nullopt);
}

}  // namespace
}  // namespace credit
