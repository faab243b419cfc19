// The server configuration, read from a YAML file (see deploy/creditd.example.yaml).
// Relative paths in the file are relative to the file's folder.
#ifndef CREDIT_SERVICE_CONFIG_CONFIG_H_
#define CREDIT_SERVICE_CONFIG_CONFIG_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "credit/registry/v1/resources.pb.h"
#include "service/auth/caller.h"
#include "service/procedure/rules.h"

namespace credit {

struct TlsConfig {
  std::string ca_file;    // PEM bundle of CAs that sign client certificates
  std::string cert_file;  // the server's certificate chain, PEM
  std::string key_file;   // the server's private key, PEM
  // How often the three files are read again: a renewed certificate, key or CA bundle put in place
  // is served to new connections without a restart (config key `tls.reload_seconds`).
  int reload_seconds = 60;
};

// What one server accepts at most (config key `limits`).
struct ServerLimits {
  int max_receive_message_bytes = 1 << 20;  // a full batch of 1000 codes is ~25 KiB
  int max_send_message_bytes = 64 << 20;
  int max_concurrent_streams = 100;  // per connection
  int max_threads = 256;  // calls that wait (mutations, FULL answers, lists) at once; more shed
  // Calls one identity may have in flight at once (unless its own max_calls says otherwise): half
  // the threads, so that no identity can take them all.
  int max_calls_per_identity = 128;
  int64_t max_memory_bytes = 512ll << 20;  // gRPC's own buffers
  // The memory the whole server is meant to stay within: RocksDB's block cache (at most 256 MiB)
  // gets what its memtables (256 MiB), the in-memory status index, its filters and indexes outside
  // the cache and a reserve of 224 MiB for the rest leave of it.
  int64_t memory_budget_bytes = 1ll << 30;
};

struct Config {
  std::string listen = "127.0.0.1:50051";
  std::string data_dir;
  // Offset of the zone in which dates are counted; China Standard Time by default.
  int utc_offset_hours = 8;
  TlsConfig tls;
  ServerLimits limits;
  // The Ed25519 key that signs tree heads; made on first start when absent. Empty: the file
  // tree-head-signing.key in data_dir.
  std::string signing_key_file;
  // Where CreateBackup writes; empty: backups are off.
  std::string backup_dir;
  // One JSON line per call on stderr (service/server/access_log.h); `access_log: false` turns
  // it off.
  bool access_log = true;
  // HOST:PORT of the Prometheus endpoint (service/metrics/metrics.h); empty: off.
  std::string metrics_listen;
  // HOST:PORT of a plaintext gRPC port that serves grpc.health.v1 alone, for probes that cannot
  // present a client certificate (the kubelet's); empty: off.
  std::string health_listen;
  // Certificate common name -> caller. Identities not listed are refused.
  std::map<std::string, Caller> identities;
  // Measures put into an empty catalogue at start.
  std::vector<registry::v1::Measure> seed_measures;
  // The listing procedure's rules (key `procedure`; defaults as in rules.h).
  ProcedureRules procedure;
};

// Reads and checks `path`. INVALID_ARGUMENT naming the file, the key and what was expected when
// the file is malformed or incomplete; NOT_FOUND when it cannot be read.
absl::StatusOr<Config> LoadConfig(const std::string& path);

}  // namespace credit

#endif  // CREDIT_SERVICE_CONFIG_CONFIG_H_
