#include "common/subject/subject_code.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/status/error_details.h"
#include "common/status/error_reasons.h"
#include "common/status/status_macros.h"
#include "common/text/date.h"

namespace credit {
namespace {

constexpr absl::string_view kUsccCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY";
// Each byte's value in kUsccCharset, -1 for a byte not in it: one load per character, where a
// search of the charset took ~10 comparisons (codes are checked on every status question).
constexpr std::array<int8_t, 256> kUsccValues = [] {
  std::array<int8_t, 256> values{};
  values.fill(-1);
  for (size_t i = 0; i < kUsccCharset.size(); ++i) {
    values[static_cast<unsigned char>(kUsccCharset[i])] = static_cast<int8_t>(i);
  }
  return values;
}();
int UsccValue(char c) { return kUsccValues[static_cast<unsigned char>(c)]; }
constexpr std::array<int, 17> kUsccWeights = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                              29, 25, 13, 8,  24, 10, 30, 28};
constexpr std::array<int, 17> kResidentIdWeights = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                                                    3, 7, 9,  10, 5, 8, 4, 2};
constexpr absl::string_view kResidentIdChecks = "10X98765432";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The province-level codes of GB/T 2260 (the first two digits of an administrative division),
// with 71 (台湾), 81 (香港) and 82 (澳门) as resident ID numbers use them.
bool IsProvinceCode(char tens, char units) {
  if (!IsDigit(tens) || !IsDigit(units)) return false;
  switch ((tens - '0') * 10 + (units - '0')) {
    case 11:
    case 12:
    case 13:
    case 14:
    case 15:
    case 21:
    case 22:
    case 23:
    case 31:
    case 32:
    case 33:
    case 34:
    case 35:
    case 36:
    case 37:
    case 41:
    case 42:
    case 43:
    case 44:
    case 45:
    case 46:
    case 50:
    case 51:
    case 52:
    case 53:
    case 54:
    case 61:
    case 62:
    case 63:
    case 64:
    case 65:
    case 71:
    case 81:
    case 82:
      return true;
    default:
      return false;
  }
}

// GB 32100-2015 appendix A: each registration authority (character 1) and the organisation kinds
// (character 2) it registers.
struct Authority {
  char code;
  const char* kinds;
  const char* name;
};
constexpr Authority kAuthorities[] = {
    {'1', "1239", "机构编制"},   {'2', "19", "外交"},
    {'3', "123459", "司法行政"}, {'4', "19", "文化"},
    {'5', "1239", "民政"},       {'6', "129", "旅游"},
    {'7', "129", "宗教"},        {'8', "19", "工会"},
    {'9', "123", "工商"},        {'A', "19", "中央军委改革和编制办公室"},
    {'N', "1239", "农业"},       {'Y', "1", "其他"},
};

const Authority* AuthorityOf(char c) {
  for (const Authority& a : kAuthorities) {
    if (a.code == c) return &a;
  }
  return nullptr;
}

// Whether an 18-character code is shaped like a resident ID number: seventeen digits, a province
// code first and a plausible birth date in digits 7-14. Such a code is checked as an ID number
// only; anything else as a unified social credit code only. A mistyped ID number then fails as
// what it is, instead of passing by chance as an organisation whose code is shown unmasked. (A
// unified social credit code of this shape is rare: digits only, an authority and kind that read
// as a province, and a division ending in 19 or 20 followed by a month and day.)
bool HasPersonShape(absl::string_view code) {
  if (code.size() != 18 || !std::all_of(code.begin(), code.begin() + 17, IsDigit)) return false;
  if (!IsProvinceCode(code[0], code[1])) return false;
  auto number = [&](size_t at, size_t digits) {
    int value = 0;
    for (size_t i = at; i < at + digits; ++i) value = value * 10 + (code[i] - '0');
    return value;
  };
  int year = number(6, 4);
  return year >= 1900 && year <= 2099 && IsCalendarDay(year, number(10, 2), number(12, 2));
}

}  // namespace

char UsccCheckCharacter(absl::string_view first17) {
  if (first17.size() != 17) return '\0';
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) {
    int v = UsccValue(first17[i]);
    if (v < 0) return '\0';
    sum += v * kUsccWeights[i];
  }
  return kUsccCharset[(31 - sum % 31) % 31];
}

char ResidentIdCheckCharacter(absl::string_view first17) {
  if (first17.size() != 17) return '\0';
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) {
    if (!IsDigit(first17[i])) return '\0';
    sum += (first17[i] - '0') * kResidentIdWeights[i];
  }
  return kResidentIdChecks[sum % 11];
}

absl::Status ValidateUscc(absl::string_view code, absl::string_view field) {
  if (code.size() != 18) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": unified social credit code must be 18 characters, got ", code.size()));
  }
  for (size_t i = 0; i < code.size(); ++i) {
    if (UsccValue(code[i]) < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": character ", i + 1, " of the unified social credit code is '",
                       absl::string_view(&code[i], 1), "', want one of ", kUsccCharset,
                       " (no I, O, S, V, Z; upper case)"));
    }
  }
  char want = UsccCheckCharacter(code.substr(0, 17));
  if (code[17] != want) {
    return FieldError(
        field,
        absl::StrCat("unified social credit code check character is '",
                     absl::string_view(&code[17], 1), "', want '", absl::string_view(&want, 1),
                     "'"),
        reason::kCheckCharacterMismatch,
        {{"got", absl::string_view(&code[17], 1)}, {"want", absl::string_view(&want, 1)}});
  }
  const Authority* authority = AuthorityOf(code[0]);
  if (authority == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": character 1 of the unified social credit code is '", code.substr(0, 1),
        "', want a registration authority of GB 32100: 1-9, A, N or Y"));
  }
  if (absl::string_view(authority->kinds).find(code[1]) == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": character 2 of the unified social credit code is '", code.substr(1, 1),
        "', not an organisation kind that registration authority '", code.substr(0, 1), "' (",
        authority->name, ") registers; want one of ", authority->kinds));
  }
  // Characters 3-8 are the division of the registering authority; national-level authorities
  // have 100000.
  if (!IsProvinceCode(code[2], code[3]) && code.substr(2, 2) != "10") {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": characters 3-4 of the unified social credit code are \"", code.substr(2, 2),
        "\", want a province code of GB/T 2260 (or 10 for a national authority)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateResidentId(absl::string_view code, absl::string_view field) {
  if (code.size() != 18) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": resident ID number must be 18 characters, got ", code.size()));
  }
  for (size_t i = 0; i < 17; ++i) {
    if (!IsDigit(code[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": character ", i + 1, " of the resident ID number must be a digit"));
    }
  }
  auto number = [&](size_t at, size_t digits) {
    int value = 0;
    for (size_t i = at; i < at + digits; ++i) value = value * 10 + (code[i] - '0');
    return value;
  };
  if (!IsProvinceCode(code[0], code[1])) {
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     ": digits 1-2 of the resident ID number must be a province code of GB/T "
                     "2260 (11-65, 71, 81, 82)"));
  }
  if (!IsCalendarDay(number(6, 4), number(10, 2), number(12, 2))) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": digits 7-14 of the resident ID number must be a real birth date (YYYYMMDD)"));
  }
  char want = ResidentIdCheckCharacter(code.substr(0, 17));
  if (code[17] != want) {
    // The expected character is not printed: with it, the message would complete a number that
    // the caller may have mistyped into someone else's.
    return FieldError(field, "resident ID number check character does not match digits 1-17",
                      reason::kCheckCharacterMismatch);
  }
  return absl::OkStatus();
}

absl::StatusOr<CodeKind> ClassifySubjectCode(absl::string_view code, absl::string_view field) {
  if (code.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     ": required, want an 18-character unified social credit code or "
                     "resident ID number"));
  }
  // The shape decides the kind, and a code is checked as that kind only: never taken for the
  // other kind because it happens to pass that kind's check.
  if (HasPersonShape(code)) {
    RETURN_IF_ERROR(ValidateResidentId(code, field));
    return CodeKind::kPerson;
  }
  RETURN_IF_ERROR(ValidateUscc(code, field));
  return CodeKind::kOrganization;
}

std::string MaskPersonCode(absl::string_view code) {
  if (code.size() != 18) return std::string(code.size(), '*');
  return absl::StrCat(code.substr(0, 6), std::string(8, '*'), code.substr(14));
}

}  // namespace credit
