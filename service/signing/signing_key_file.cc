#include "service/signing/signing_key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/io/read_file.h"
#include "common/status/status_macros.h"

namespace credit {
namespace {

absl::Status WriteFileSynced(const std::string& path, const std::string& contents, mode_t mode) {
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  bool ok = write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()) &&
            fsync(fd) == 0;
  ok = (close(fd) == 0) && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SigningKey> LoadOrCreateSigningKey(const std::string& path) {
  std::string public_path = path + ".pub";
  absl::StatusOr<std::string> pem = ReadFile(path, "signing key");
  if (!pem.ok()) {
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code error;
    if (!parent.empty()) std::filesystem::create_directories(parent, error);
    ASSIGN_OR_RETURN(SigningKey key, SigningKey::Generate());
    RETURN_IF_ERROR(WriteFileSynced(path, key.PrivatePem(), 0600));
    RETURN_IF_ERROR(WriteFileSynced(public_path, key.PublicPem(), 0644));
    return key;
  }
  absl::StatusOr<SigningKey> key = SigningKey::FromPem(*pem);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", key.status().message(), "; want an Ed25519 PKCS#8 PEM key"));
  }
  absl::StatusOr<std::string> published = ReadFile(public_path, "public key");
  if (!published.ok() || *published != key->PublicPem()) {
    RETURN_IF_ERROR(WriteFileSynced(public_path, key->PublicPem(), 0644));
  }
  return key;
}

}  // namespace credit
