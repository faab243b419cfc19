// CreditServer: creditd's running parts put together: the registry over its RocksDB folder, the
// identity directory, the gRPC server with mutual TLS, health checking and reflection.
// Start() returns once the server listens; Shutdown() may be called from any thread.
#ifndef CREDIT_SERVICE_SERVER_SERVER_H_
#define CREDIT_SERVICE_SERVER_SERVER_H_

#include <grpcpp/server.h>

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/auth/identity_directory.h"
#include "service/clock/clock.h"
#include "service/config/config.h"
#include "service/metrics/counters.h"
#include "service/metrics/metrics.h"
#include "service/registry/registry.h"
#include "service/server/memory_releaser.h"
#include "service/server/registry_service.h"

namespace credit {

class CreditServer {
 public:
  // Opens the data folder, seeds the catalogue, and listens on config.listen (port 0 picks a
  // free port). `clock` must outlive the server. UNAVAILABLE when the address cannot be bound.
  // With `test_clock` (which must then be `clock`), an admin may set the time (SetTime).
  static absl::StatusOr<std::unique_ptr<CreditServer>> Start(const Config& config,
                                                             const Clock* clock,
                                                             TestClock* test_clock = nullptr);
  ~CreditServer();

  // The port the server listens on.
  int port() const { return port_; }
  // The plaintext health port (config health_listen); 0 when off.
  int health_port() const { return health_port_; }

  // Stops accepting calls, lets calls in flight finish for up to `grace`, then cancels the
  // rest. Idempotent.
  void Shutdown(absl::Duration grace);

  // Blocks until the server has shut down.
  void Wait();

  // Puts `identities` in force for every call from now on (calls in flight keep their caller).
  void ReplaceIdentities(std::map<std::string, Caller> identities) {
    identities_->Replace(std::move(identities));
  }

 private:
  CreditServer() = default;

  CommitCounters commit_counters_;  // outlives the registry, which counts into it
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<IdentityDirectory> identities_;
  std::unique_ptr<CallLimiter> limiter_;
  std::unique_ptr<AccessLog> access_log_;  // null when off; outlives the service
  std::unique_ptr<Metrics> metrics_;       // null when off; outlives the service
  std::unique_ptr<RegistryService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;  // null unless health_listen
  std::unique_ptr<MemoryReleaser> memory_releaser_;
  int port_ = 0;
  int health_port_ = 0;
};

}  // namespace credit

#endif  // CREDIT_SERVICE_SERVER_SERVER_H_
