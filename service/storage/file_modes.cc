#include "service/storage/file_modes.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace credit {

void RestrictNewFiles() { umask(0077); }

std::optional<std::string> OpenFolderWarning(const std::string& path, absl::string_view what) {
  struct stat st;
  if (path.empty() || stat(path.c_str(), &st) != 0) return std::nullopt;
  unsigned mode = st.st_mode & 07777;
  if ((mode & 0077) == 0) return std::nullopt;
  return absl::StrFormat(
      "warning: the %s %s has mode %04o: other users may reach it, and it holds ID numbers in "
      "clear and the registry's secrets; want 0700 (chmod -R go-rwx %s)",
      what, path, mode, path);
}

}  // namespace credit
