// The data and backup folders hold personal ID numbers in clear and the registry's secrets (the
// page-token key, the query-log salt): creditd makes every folder and file it creates readable by
// its own user only, and says so at start when a folder it uses is open to others.
// Thread-safe (RestrictNewFiles changes the whole process: call it first thing in main).
#ifndef CREDIT_SERVICE_STORAGE_FILE_MODES_H_
#define CREDIT_SERVICE_STORAGE_FILE_MODES_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace credit {

// Sets the process umask to 0077: folders are created 0700, files 0600.
void RestrictNewFiles();

// A one-line warning when `path` exists and its group or others have any access to it (mode bits
// 0077), naming `what` it is, the mode and the fix; nullopt when only the owner has access or the
// folder does not exist yet.
std::optional<std::string> OpenFolderWarning(const std::string& path, absl::string_view what);

}  // namespace credit

#endif  // CREDIT_SERVICE_STORAGE_FILE_MODES_H_
