// IdentityDirectory: maps the verified client certificate of a call to its Caller through the
// configured identities. Thread-safe; Replace() swaps the whole table at once.
#ifndef CREDIT_SERVICE_AUTH_IDENTITY_DIRECTORY_H_
#define CREDIT_SERVICE_AUTH_IDENTITY_DIRECTORY_H_

#include <grpcpp/security/auth_context.h>

#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "service/auth/caller.h"

namespace credit {

// The one common name of the subject of the PEM certificate `pem`. UNAUTHENTICATED when it has
// none, several, or does not parse.
absl::StatusOr<std::string> CommonNameOf(absl::string_view pem);

class IdentityDirectory {
 public:
  explicit IdentityDirectory(std::map<std::string, Caller> identities);

  // The caller whose certificate common name authenticated `context`. UNAUTHENTICATED when the
  // call carries no verified certificate, or one whose subject has no or several common names;
  // PERMISSION_DENIED when its identity is not configured.
  absl::StatusOr<Caller> Resolve(const grpc::AuthContext* context) const;

  void Replace(std::map<std::string, Caller> identities);

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, Caller> identities_ ABSL_GUARDED_BY(mu_);
  // Certificate PEM -> its one common name, or why it has none.
  mutable absl::flat_hash_map<std::string, absl::StatusOr<std::string>> names_ ABSL_GUARDED_BY(mu_);
};

}  // namespace credit

#endif  // CREDIT_SERVICE_AUTH_IDENTITY_DIRECTORY_H_
