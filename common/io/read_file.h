// Reading a whole small file (a certificate, a key, a configuration): the one file reader of
// creditd and creditctl. Thread-safe.
#ifndef CREDIT_COMMON_IO_READ_FILE_H_
#define CREDIT_COMMON_IO_READ_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace credit {

// The bytes of the file at `path`. NOT_FOUND "WHAT: cannot read PATH" when it cannot be opened
// or read, `what` naming the file for the reader (e.g. "tls.ca", "client key (--key)").
absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what);

}  // namespace credit

#endif  // CREDIT_COMMON_IO_READ_FILE_H_
