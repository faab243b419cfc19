#include "service/search/name_folder.h"

#include <opencc/opencc.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace credit {
namespace {

constexpr char kT2sConfig[] = "t2s.json";

// Decodes one code point at `*at`, moving past it; U+FFFD for a malformed byte (skipped alone).
char32_t NextCodePoint(absl::string_view text, size_t* at) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char first = byte(*at);
  int length = first < 0x80           ? 1
               : (first >> 5) == 0x6  ? 2
               : (first >> 4) == 0xE  ? 3
               : (first >> 3) == 0x1E ? 4
                                      : 0;
  if (length == 0 || *at + length > text.size()) {
    ++*at;
    return 0xFFFD;
  }
  char32_t cp = length == 1 ? first : first & (0xFF >> (length + 1));
  for (int i = 1; i < length; ++i) {
    if ((byte(*at + i) & 0xC0) != 0x80) {
      ++*at;
      return 0xFFFD;
    }
    cp = cp << 6 | (byte(*at + i) & 0x3F);
  }
  *at += length;
  return cp;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | cp >> 6));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | cp >> 12));
    out->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | cp >> 18));
    out->push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// White space and punctuation of any width: dropped from folded names.
bool Ignored(char32_t cp) {
  if (cp < 0x80) return !((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z'));
  return cp == 0x00A0 || cp == 0x00B7 || (cp >= 0x2000 && cp <= 0x206F) ||  // general punct.
         (cp >= 0x3000 && cp <= 0x303F) ||                                  // CJK punctuation
         (cp >= 0xFE30 && cp <= 0xFE4F) ||                                  // CJK compatibility
         (cp >= 0xFF5F && cp <= 0xFF65) || cp == 0xFEFF || cp == 0xFFFD;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NameFolder>> NameFolder::Open() {
  opencc_t t2s = opencc_open(kT2sConfig);
  if (t2s == reinterpret_cast<opencc_t>(-1)) {
    return absl::FailedPreconditionError(
        absl::StrCat("name search: OpenCC's ", kT2sConfig, " cannot be loaded (", opencc_error(),
                     "); install Debian's libopencc1.1 and its data"));
  }
  auto folder = std::unique_ptr<NameFolder>(new NameFolder(t2s));
  // The CJK blocks of the BMP (Extension A, the unified ideographs, compatibility ideographs).
  for (auto [first, last] : {std::pair<char32_t, char32_t>{0x3400, 0x9FFF}, {0xF900, 0xFAFF}}) {
    for (char32_t cp = first; cp <= last; ++cp) {
      std::string alone;
      AppendUtf8(cp, &alone);
      char* out = opencc_convert_utf8(t2s, alone.data(), alone.size());
      if (out == nullptr) continue;
      folder->converted_[cp] = alone != out;
      opencc_convert_utf8_free(out);
    }
  }
  return folder;
}

NameFolder::~NameFolder() { opencc_close(static_cast<opencc_t>(t2s_)); }

std::string NameFolder::Fold(absl::string_view name) const {
  std::string narrow;
  narrow.reserve(name.size());
  bool traditional = false;
  for (size_t at = 0; at < name.size();) {
    char32_t cp = NextCodePoint(name, &at);
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0;  // full-width ASCII forms
    if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
    if (Ignored(cp)) continue;
    traditional = traditional || cp >= converted_.size() || converted_[cp];
    AppendUtf8(cp, &narrow);
  }
  if (!traditional) return narrow;
  char* simplified = opencc_convert_utf8(static_cast<opencc_t>(t2s_), narrow.data(), narrow.size());
  if (simplified == nullptr) return narrow;
  std::string folded(simplified);
  opencc_convert_utf8_free(simplified);
  return folded;
}

}  // namespace credit
