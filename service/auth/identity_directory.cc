#include "service/auth/identity_directory.h"

#include "absl/strings/str_cat.h"

namespace credit {

IdentityDirectory::IdentityDirectory(std::map<std::string, Caller> identities)
    : identities_(std::move(identities)) {}

absl::StatusOr<Caller> IdentityDirectory::Resolve(const grpc::AuthContext* context) const {
  if (context == nullptr || !context->IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("a verified client certificate is required");
  }
  std::vector<grpc::string_ref> names = context->FindPropertyValues("x509_common_name");
  if (names.size() != 1) {
    return absl::UnauthenticatedError(
        "the client certificate must carry exactly one subject common name");
  }
  std::string name(names[0].data(), names[0].size());
  absl::MutexLock lock(&mu_);
  auto it = identities_.find(name);
  if (it == identities_.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat("identity ", name, " is not configured on this server"));
  }
  return it->second;
}

void IdentityDirectory::Replace(std::map<std::string, Caller> identities) {
  absl::MutexLock lock(&mu_);
  identities_ = std::move(identities);
}

}  // namespace credit
