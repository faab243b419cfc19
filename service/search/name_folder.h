// NameFolder: the form subject names are indexed and searched in, so that a name typed in
// another width, script or spacing finds the subject: full-width forms folded to half-width,
// traditional characters to simplified (OpenCC's t2s, from Debian's libopencc), ASCII letters
// to lower case, and white space and punctuation (ASCII, CJK and full-width) dropped. E.g.
// "深圳市 某某（科技）有限公司" and "深圳市某某科技有限公司" fold alike, and so do "臺灣" and
// "台湾". OpenCC is costly per name (docs/performance.md), so only names holding a character it
// maps on its own (found for the whole Basic Multilingual Plane when the folder opens) or one
// beyond that plane are passed to it: a name of simplified characters folds without it. (A name of
// characters that are each unchanged but form a traditional phrase OpenCC would rewrite, such as
// 乾燥, stays as it is.) Thread-safe: OpenCC's converter is immutable once loaded, and its
// maintainers state it may be shared by threads (BYVoid/OpenCC issue 231, with a unit test).
#ifndef CREDIT_SERVICE_SEARCH_NAME_FOLDER_H_
#define CREDIT_SERVICE_SEARCH_NAME_FOLDER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace credit {

class NameFolder {
 public:
  // Loads OpenCC's traditional-to-simplified conversion. FAILED_PRECONDITION naming the file
  // when OpenCC's data is not installed.
  static absl::StatusOr<std::unique_ptr<NameFolder>> Open();
  ~NameFolder();
  NameFolder(const NameFolder&) = delete;
  NameFolder& operator=(const NameFolder&) = delete;

  // The folded form of `name` (well-formed UTF-8; anything else is folded byte by byte as
  // given). Empty when the name holds nothing but white space and punctuation.
  std::string Fold(absl::string_view name) const;

 private:
  explicit NameFolder(void* t2s) : t2s_(t2s), converted_(0x10000, false) {}
  void* t2s_;  // opencc_t
  // Whether OpenCC maps the BMP code point, alone, to something else.
  std::vector<bool> converted_;
};

}  // namespace credit

#endif  // CREDIT_SERVICE_SEARCH_NAME_FOLDER_H_
