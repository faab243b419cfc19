// Subject code validators, dates and UTF-8 on arbitrary bytes: no crash, and consistent answers.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/subject/subject_code.h"
#include "common/text/date.h"
#include "common/text/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<credit::CodeKind> kind = credit::ClassifySubjectCode(text, "f");
  if (kind.ok()) {
    // A code accepted as one kind validates as that kind.
    bool person = *kind == credit::CodeKind::kPerson;
    if (!(person ? credit::ValidateResidentId(text, "f") : credit::ValidateUscc(text, "f")).ok()) {
      std::abort();
    }
    if (person && credit::MaskPersonCode(text).find(text.substr(6, 8)) == 0) std::abort();
  }
  credit::UsccCheckCharacter(text);
  credit::ResidentIdCheckCharacter(text);
  absl::StatusOr<absl::CivilDay> day = credit::ParseDate(text);
  if (day.ok() && credit::FormatDate(*day) != text) std::abort();  // dates round-trip
  credit::Utf8Length(text);
  return 0;
}
