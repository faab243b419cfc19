#include "common/subject/subject_code.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace credit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(UsccCheckCharacterTest, MatchesTheStandardsWeights) {
  EXPECT_EQ(UsccCheckCharacter("91440300MA5FXXXX0"), 'U');
  EXPECT_EQ(UsccCheckCharacter("91350200MA2Y9J3T8"), '0');
  EXPECT_EQ(UsccCheckCharacter("12440300455755063"), 'N');
  EXPECT_EQ(UsccCheckCharacter("91110000100006485"), 'K');
}

TEST(UsccCheckCharacterTest, RejectsWrongLengthAndForbiddenLetters) {
  EXPECT_EQ(UsccCheckCharacter("9144030"), '\0');
  EXPECT_EQ(UsccCheckCharacter("91440300MA5FIXXX0"), '\0');  // I is not in the charset
}

// Every byte, in every position: only the 31 characters of GB 32100's charset are accepted, and
// each counts with its place in "0123456789ABCDEFGHJKLMNPQRTUWXY".
TEST(UsccCheckCharacterTest, AcceptsExactlyTheCharsetInEveryPosition) {
  const std::string charset = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  const int weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  for (size_t position = 0; position < 17; ++position) {
    for (int byte = 0; byte < 256; ++byte) {
      std::string first17(17, '0');
      first17[position] = static_cast<char>(byte);
      size_t value = charset.find(static_cast<char>(byte));
      char want = value == std::string::npos
                      ? '\0'
                      : charset[(31 - static_cast<int>(value) * weights[position] % 31) % 31];
      ASSERT_EQ(UsccCheckCharacter(first17), want) << "byte " << byte << " at " << position;
    }
  }
}

TEST(ResidentIdCheckCharacterTest, MatchesGb11643) {
  EXPECT_EQ(ResidentIdCheckCharacter("11010519491231002"), 'X');
  EXPECT_EQ(ResidentIdCheckCharacter("44052419800101001"), '3');
  EXPECT_EQ(ResidentIdCheckCharacter("44030119900307123"), '0');
  EXPECT_EQ(ResidentIdCheckCharacter("4403011990030712A"), '\0');
}

TEST(ValidateUsccTest, AcceptsValidCodes) {
  EXPECT_TRUE(ValidateUscc("91440300MA5FXXXX0U", "f").ok());
  EXPECT_TRUE(ValidateUscc("91350200MA2Y9J3T80", "f").ok());
  EXPECT_TRUE(ValidateUscc("12440300455755063N", "f").ok());
}

TEST(ValidateUsccTest, WrongCheckCharacterNamesFieldAndExpectedCharacter) {
  absl::Status s = ValidateUscc("91440300MA5FXXXX0X", "entry.subject.code");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "entry.subject.code: unified social credit code check character is 'X', want 'U'");
}

TEST(ValidateUsccTest, WrongLength) {
  absl::Status s = ValidateUscc("91440300MA5FXXXX0", "code");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "code: unified social credit code must be 18 characters, got 17");
}

TEST(ValidateUsccTest, ForbiddenAndLowerCaseCharacters) {
  for (const char* code : {"91440300MA5FOXXX0U", "91440300ma5fxxxx0U", "91440300MA5FZXXX0U"}) {
    absl::Status s = ValidateUscc(code, "code");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << code;
    EXPECT_THAT(s.message(), HasSubstr("want one of 0123456789ABCDEFGHJKLMNPQRTUWXY")) << code;
  }
}

TEST(ValidateResidentIdTest, AcceptsValidNumbersIncludingCheckX) {
  EXPECT_TRUE(ValidateResidentId("11010519491231002X", "f").ok());
  EXPECT_TRUE(ValidateResidentId("440524198001010013", "f").ok());
}

TEST(ValidateResidentIdTest, WrongCheckCharacterDoesNotRevealTheNumber) {
  absl::Status s = ValidateResidentId("440524198001010014", "subject_code");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "subject_code: resident ID number check character does not match digits 1-17");
  EXPECT_THAT(s.message(), Not(HasSubstr("4405241980")));
}

TEST(ValidateResidentIdTest, LowerCaseXIsRejected) {
  EXPECT_EQ(ValidateResidentId("11010519491231002x", "f").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ValidateResidentIdTest, BirthDateMustExist) {
  // 1980-02-30 does not exist; the check character is computed to be right for the digits.
  std::string first17 = "44052419800230001";
  std::string code = first17 + ResidentIdCheckCharacter(first17);
  absl::Status s = ValidateResidentId(code, "f");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "f: digits 7-14 of the resident ID number must be a real birth date (YYYYMMDD)");
}

TEST(ValidateResidentIdTest, NonDigitIsRejectedWithItsPosition) {
  absl::Status s = ValidateResidentId("4405241980A1010013", "f");
  EXPECT_EQ(s.message(), "f: character 11 of the resident ID number must be a digit");
}

TEST(ClassifySubjectCodeTest, ClassifiesBothKinds) {
  EXPECT_EQ(*ClassifySubjectCode("440524198001010013", "f"), CodeKind::kPerson);
  EXPECT_EQ(*ClassifySubjectCode("11010519491231002X", "f"), CodeKind::kPerson);
  EXPECT_EQ(*ClassifySubjectCode("91440300MA5FXXXX0U", "f"), CodeKind::kOrganization);
}

TEST(ClassifySubjectCodeTest, EmptyCodeIsRequired) {
  absl::Status s = ClassifySubjectCode("", "subject_code").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("subject_code: required"));
}

TEST(ClassifySubjectCodeTest, DigitsThatFitNeitherKindExplainBoth) {
  absl::Status s = ClassifySubjectCode("440524198001010014", "f").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("resident ID number check character"));
  EXPECT_THAT(s.message(), HasSubstr("as a unified social credit code"));
}

TEST(MaskPersonCodeTest, KeepsSixAndFour) {
  EXPECT_EQ(MaskPersonCode("440524198001010013"), "440524********0013");
  EXPECT_EQ(MaskPersonCode("12345"), "*****");
}

}  // namespace
}  // namespace credit
