#include "common/subject/subject_code.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "absl/strings/str_cat.h"
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
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": unified social credit code check character is '", absl::string_view(&code[17], 1),
        "', want '", absl::string_view(&want, 1), "'"));
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
  if (!IsCalendarDay(number(6, 4), number(10, 2), number(12, 2))) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": digits 7-14 of the resident ID number must be a real birth date (YYYYMMDD)"));
  }
  char want = ResidentIdCheckCharacter(code.substr(0, 17));
  if (code[17] != want) {
    // The expected character is not printed: with it, the message would complete a number that
    // the caller may have mistyped into someone else's.
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": resident ID number check character does not match digits 1-17"));
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
  // Only a code whose first 17 characters are digits can be a resident ID number.
  bool digits_first = code.size() == 18 && std::all_of(code.begin(), code.begin() + 17, IsDigit);
  if (!digits_first) {
    absl::Status organization = ValidateUscc(code, field);
    if (!organization.ok()) return organization;
    return CodeKind::kOrganization;
  }
  absl::Status person = ValidateResidentId(code, field);
  if (person.ok()) return CodeKind::kPerson;
  absl::Status organization = ValidateUscc(code, field);
  if (organization.ok()) return CodeKind::kOrganization;
  // Seventeen digits: the code may have been meant as either kind, so say what both require.
  return absl::InvalidArgumentError(absl::StrCat(
      person.message(),
      "; as a unified social credit code: ", organization.message().substr(field.size() + 2)));
}

std::string MaskPersonCode(absl::string_view code) {
  if (code.size() != 18) return std::string(code.size(), '*');
  return absl::StrCat(code.substr(0, 6), std::string(8, '*'), code.substr(14));
}

}  // namespace credit
