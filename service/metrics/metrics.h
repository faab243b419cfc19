// Metrics: creditd's Prometheus endpoint (Debian's prometheus-cpp), on a port of its own
// (`metrics_listen:`; off unless configured). Every call is counted by method and code with its
// latency (RegistryService::Serve, the one path every RPC takes); what the registry keeps is read
// at each scrape: the change log's size and the age of its last signed head, commit-group sizes
// and synced-write times (CommitCounters), the query log's backlog, the time-driven transitions
// made, and RocksDB's block-cache hits and misses, pending compaction bytes, write stalls and live
// data size. The names, units and meanings are listed in the README. Thread-safe.
#ifndef CREDIT_SERVICE_METRICS_METRICS_H_
#define CREDIT_SERVICE_METRICS_METRICS_H_

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "prometheus/exposer.h"
#include "service/auth/caller.h"
#include "service/metrics/counters.h"

namespace credit {

class Registry;

class Metrics {
 public:
  // Serves /metrics on `listen` (HOST:PORT; port 0 picks one). `registry` and `commits` must
  // outlive the endpoint.
  static absl::StatusOr<std::unique_ptr<Metrics>> Start(const std::string& listen,
                                                        const Registry* registry,
                                                        const CommitCounters* commits);
  ~Metrics();

  // The port the endpoint listens on.
  int port() const { return port_; }

  // One call to `rpc` that ended with `code` after `duration`: a few relaxed atomic adds (the
  // answering threads never take a lock here; the scrape reads the counts).
  void ObserveCall(Rpc rpc, absl::StatusCode code, absl::Duration duration);

  // Call latencies, in seconds: from a cached lookup (~0.1 ms) to a large import (seconds).
  using CallLatency = BucketCounter<13>;
  static constexpr int kCodes = 17;  // gRPC's status codes, 0 to 16

 private:
  class Scraped;
  Metrics() = default;

  // Per Rpc and code: calls answered; per Rpc: their latencies.
  std::array<std::array<std::atomic<uint64_t>, kCodes>, kRpcCount> calls_{};
  std::vector<std::unique_ptr<CallLatency>> latencies_;
  std::shared_ptr<Scraped> scraped_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace credit

#endif  // CREDIT_SERVICE_METRICS_METRICS_H_
