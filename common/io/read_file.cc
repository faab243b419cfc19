#include "common/io/read_file.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace credit {

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  if (in) contents << in.rdbuf();
  if (!in || in.bad()) return absl::NotFoundError(absl::StrCat(what, ": cannot read ", path));
  return contents.str();
}

}  // namespace credit
