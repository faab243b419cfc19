// Validation and masking of subject codes: the unified social credit code of an organisation
// (GB 32100-2015) and the resident ID number of a natural person (GB 11643-1999).
// Pure functions; thread-safe.
#ifndef CREDIT_COMMON_SUBJECT_SUBJECT_CODE_H_
#define CREDIT_COMMON_SUBJECT_SUBJECT_CODE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace credit {

enum class CodeKind { kOrganization, kPerson };

// The check character of a unified social credit code, given its first 17 characters. Returns
// '\0' when `first17` has the wrong length or a character outside the code's charset.
char UsccCheckCharacter(absl::string_view first17);

// The check character ('0'-'9' or 'X') of a resident ID number, given its first 17 digits.
// Returns '\0' when `first17` is not 17 digits.
char ResidentIdCheckCharacter(absl::string_view first17);

// OK when `code` is a well-formed unified social credit code: the right check character, a
// registration authority and organisation kind of GB 32100's table, and a province code of
// GB/T 2260 (or 10, national) in characters 3-4. Otherwise INVALID_ARGUMENT whose message starts
// with `field` and says what was expected.
absl::Status ValidateUscc(absl::string_view code, absl::string_view field);

// OK when `code` is a well-formed resident ID number: 17 digits, a province code of GB/T 2260 in
// digits 1-2, a real birth date in digits 7-14, and the right check character ('X' upper case).
// Otherwise INVALID_ARGUMENT naming `field`. The message never repeats the code itself: it is
// personal information.
absl::Status ValidateResidentId(absl::string_view code, absl::string_view field);

// Decides which kind of code `code` is by its shape and validates it as that kind only: seventeen
// digits starting with a province code and holding a birth date (years 1900-2099) in digits 7-14
// make a resident ID number (a person); anything else must be a unified social credit code (an
// organisation). A code failing its shape's check is refused naming that kind: a mistyped ID
// number never passes as an organisation.
absl::StatusOr<CodeKind> ClassifySubjectCode(absl::string_view code, absl::string_view field);

// "440524********0014": the first six and last four characters of an 18-character code, the
// rest replaced by '*'. Codes of any other length are masked whole.
std::string MaskPersonCode(absl::string_view code);

}  // namespace credit

#endif  // CREDIT_COMMON_SUBJECT_SUBJECT_CODE_H_
