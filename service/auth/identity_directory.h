// IdentityDirectory: maps the verified client certificate of a call to its Caller through the
// configured identities. Thread-safe; Replace() swaps the whole table at once.
#ifndef CREDIT_SERVICE_AUTH_IDENTITY_DIRECTORY_H_
#define CREDIT_SERVICE_AUTH_IDENTITY_DIRECTORY_H_

#include <grpcpp/security/auth_context.h>

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "service/auth/caller.h"

namespace credit {

class IdentityDirectory {
 public:
  explicit IdentityDirectory(std::map<std::string, Caller> identities);

  // The caller whose certificate common name authenticated `context`. UNAUTHENTICATED when the
  // call carries no verified certificate; PERMISSION_DENIED when its identity is not configured.
  absl::StatusOr<Caller> Resolve(const grpc::AuthContext* context) const;

  void Replace(std::map<std::string, Caller> identities);

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, Caller> identities_ ABSL_GUARDED_BY(mu_);
};

}  // namespace credit

#endif  // CREDIT_SERVICE_AUTH_IDENTITY_DIRECTORY_H_
