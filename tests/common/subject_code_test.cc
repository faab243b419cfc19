#include "common/subject/subject_code.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <random>

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

TEST(ClassifySubjectCodeTest, AnIdShapedCodeIsCheckedAsAnIdNumberOnly) {
  absl::Status s = ClassifySubjectCode("440524198001010014", "f").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "f: resident ID number check character does not match digits 1-17");
}

// A mistyped ID number whose eighteen characters happen to pass the unified social credit
// code's checks (authority 1, kind 1, province 44) was once taken for an organisation, and the
// person's number shown unmasked. Its shape makes it an ID number, and as one it fails.
TEST(ClassifySubjectCodeTest, AMistypedIdNumberNeverBecomesAnOrganisation) {
  int found = 0;
  for (int serial = 0; serial < 1000; ++serial) {
    std::string first17 = "11440119800101" + std::string(3 - std::to_string(serial).size(), '0') +
                          std::to_string(serial);
    char as_org = UsccCheckCharacter(first17);
    if (as_org < '0' || as_org > '9' || as_org == ResidentIdCheckCharacter(first17)) continue;
    const std::string code = first17 + as_org;
    ASSERT_TRUE(ValidateUscc(code, "f").ok()) << code;  // it passes as an organisation code
    absl::StatusOr<CodeKind> kind = ClassifySubjectCode(code, "f");
    ASSERT_FALSE(kind.ok()) << code;
    EXPECT_EQ(kind.status().message(),
              "f: resident ID number check character does not match digits 1-17");
    ++found;
  }
  EXPECT_GT(found, 50);
}

TEST(ValidateResidentIdTest, DigitsOneAndTwoMustBeAProvince) {
  std::string first17 = "99052419800101001";
  std::string code = first17 + ResidentIdCheckCharacter(first17);
  EXPECT_EQ(ValidateResidentId(code, "f").message(),
            "f: digits 1-2 of the resident ID number must be a province code of GB/T 2260 "
            "(11-65, 71, 81, 82)");
}

TEST(ValidateUsccTest, AuthorityKindAndProvinceFollowTheStandardsTables) {
  auto with_check = [](std::string first17) { return first17 + UsccCheckCharacter(first17); };
  EXPECT_EQ(ValidateUscc(with_check("B1440300MA5FXXXX0"), "f").message(),
            "f: character 1 of the unified social credit code is 'B', want a registration "
            "authority of GB 32100: 1-9, A, N or Y");
  EXPECT_EQ(ValidateUscc(with_check("94440300MA5FXXXX0"), "f").message(),
            "f: character 2 of the unified social credit code is '4', not an organisation kind "
            "that registration authority '9' (工商) registers; want one of 123");
  EXPECT_EQ(ValidateUscc(with_check("91990300MA5FXXXX0"), "f").message(),
            "f: characters 3-4 of the unified social credit code are \"99\", want a province code "
            "of GB/T 2260 (or 10 for a national authority)");
  EXPECT_TRUE(ValidateUscc(with_check("11100000MA5FXXXX0"), "f").ok());  // a national authority
  EXPECT_TRUE(ValidateUscc(with_check("Y1440300MA5FXXXX0"), "f").ok());
  EXPECT_TRUE(ValidateUscc(with_check("N2650100MA5FXXXX0"), "f").ok());
}

// Random codes of both kinds: every valid one is classified as its kind; a valid one with one
// character changed is refused, and refused as the kind its shape says.
TEST(ClassifySubjectCodeTest, RandomValidAndMistypedCodesOfBothKinds) {
  std::mt19937 rng(20261207);
  const char* const provinces[] = {"11", "12", "31", "35", "44", "46", "50", "54", "65", "81"};
  const std::string charset = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  const std::pair<char, const char*> authorities[] = {{'1', "1239"}, {'5', "1239"}, {'9', "123"},
                                                      {'N', "1239"}, {'Y', "1"},    {'A', "19"}};
  auto digits = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += static_cast<char>('0' + rng() % 10);
    return s;
  };
  for (int i = 0; i < 5000; ++i) {
    // A person born 1930-2009.
    char birth[9];
    std::snprintf(birth, sizeof(birth), "%04d%02d%02d", 1930 + static_cast<int>(rng() % 80),
                  1 + static_cast<int>(rng() % 12), 1 + static_cast<int>(rng() % 28));
    std::string id17 = provinces[rng() % 10] + digits(4) + birth + digits(3);
    std::string id = id17 + ResidentIdCheckCharacter(id17);
    ASSERT_EQ(*ClassifySubjectCode(id, "f"), CodeKind::kPerson) << id;
    std::string mistyped = id;
    size_t at = 14 + rng() % 4;  // a serial digit or the check character
    mistyped[at] = mistyped[at] == '9' || mistyped[at] == 'X' ? '0' : mistyped[at] + 1;
    absl::StatusOr<CodeKind> wrong = ClassifySubjectCode(mistyped, "f");
    ASSERT_FALSE(wrong.ok()) << mistyped;
    ASSERT_THAT(wrong.status().message(), HasSubstr("resident ID number")) << mistyped;

    // An organisation whose organisation code holds a letter.
    const auto& [authority, kinds] = authorities[rng() % 6];
    std::string org17 = std::string(1, authority) + kinds[rng() % std::strlen(kinds)] +
                        provinces[rng() % 10] + digits(4);
    for (int k = 0; k < 9; ++k) org17 += charset[rng() % charset.size()];
    org17[8 + rng() % 9] = charset[10 + rng() % 21];
    std::string org = org17 + UsccCheckCharacter(org17);
    ASSERT_EQ(*ClassifySubjectCode(org, "f"), CodeKind::kOrganization) << org;
    std::string changed = org;
    size_t place = 8 + rng() % 10;
    changed[place] = charset[(charset.find(changed[place]) + 1 + rng() % 30) % 31];
    absl::StatusOr<CodeKind> bad = ClassifySubjectCode(changed, "f");
    ASSERT_FALSE(bad.ok()) << changed;
    ASSERT_THAT(bad.status().message(), HasSubstr("unified social credit code")) << changed;
  }
}

TEST(MaskPersonCodeTest, KeepsSixAndFour) {
  EXPECT_EQ(MaskPersonCode("440524198001010013"), "440524********0013");
  EXPECT_EQ(MaskPersonCode("12345"), "*****");
}

}  // namespace
}  // namespace credit
