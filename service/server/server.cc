#include "service/server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/server_builder.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/io/read_file.h"
#include "common/status/status_macros.h"
#include "service/events/event_log.h"
#include "service/server/malformed_requests.h"
#include "service/signing/signing_key_file.h"

namespace credit {
namespace {

// How often malloc's free memory goes back to the system (memory_releaser.h).
constexpr absl::Duration kReleaseMemoryEvery = absl::Seconds(30);

// Limits set on purpose, so that no client can make the server run out of threads or memory:
// calls beyond them are shed with RESOURCE_EXHAUSTED while the rest are served.
void ApplyLimits(const ServerLimits& limits, grpc::ServerBuilder* builder) {
  builder->SetMaxReceiveMessageSize(limits.max_receive_message_bytes);
  builder->SetMaxSendMessageSize(limits.max_send_message_bytes);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams);
  // Clients may not ping more often than every 10 s without calls in flight (else GOAWAY);
  // the server pings idle connections every minute and drops the dead ones.
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 15 * 60 * 1000);
  // The registry's calls run on gRPC's callback API (RegistryService: lookups on gRPC's threads,
  // calls that wait on the service's workers, at most max_threads). Only the reflection service
  // is synchronous: its handler threads stay once started, within the thread quota.
  builder->SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 2);
  builder->SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                               limits.max_threads);
  grpc::ResourceQuota quota("creditd");
  quota.SetMaxThreads(limits.max_threads);
  quota.Resize(limits.max_memory_bytes);
  builder->SetResourceQuota(quota);
}

// TLS that requires and verifies a client certificate, from files gRPC reads again every
// `reload_seconds`: a renewed server certificate and key, or a new CA bundle, reach new
// connections without a restart (connections already open keep theirs). The files are read once
// here first, so that a missing or unreadable one stops the start with its name.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> WatchedTlsCredentials(
    const TlsConfig& tls) {
  RETURN_IF_ERROR(ReadFile(tls.ca_file, "tls.ca").status());
  RETURN_IF_ERROR(ReadFile(tls.key_file, "tls.key").status());
  RETURN_IF_ERROR(ReadFile(tls.cert_file, "tls.cert").status());
  auto files = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.key_file, tls.cert_file, tls.ca_file, tls.reload_seconds);
  grpc::experimental::TlsServerCredentialsOptions options(files);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<CreditServer>> CreditServer::Start(const Config& config,
                                                                  const Clock* clock,
                                                                  TestClock* test_clock) {
  if (config.data_dir.empty()) {
    return absl::InvalidArgumentError("data_dir: required, in the configuration or --data-dir");
  }
  auto server = std::unique_ptr<CreditServer>(new CreditServer());
  RegistryOptions options;
  options.data_dir = config.data_dir;
  options.time_zone = absl::FixedTimeZone(config.utc_offset_hours * 3600);
  options.backup_dir = config.backup_dir;
  options.procedure = config.procedure;
  options.commit_counters = &server->commit_counters_;
  options.memory_budget_bytes = static_cast<uint64_t>(config.limits.memory_budget_bytes);
  std::string key_file = config.signing_key_file.empty()
                             ? config.data_dir + "/tree-head-signing.key"
                             : config.signing_key_file;
  ASSIGN_OR_RETURN(SigningKey signing_key, LoadOrCreateSigningKey(key_file));
  ASSIGN_OR_RETURN(server->registry_, Registry::Open(options, std::move(signing_key), clock));
  RETURN_IF_ERROR(server->registry_->SeedMeasures(config.seed_measures));
  server->identities_ = std::make_unique<IdentityDirectory>(config.identities);
  server->limiter_ = std::make_unique<CallLimiter>(config.limits.max_calls_per_identity);
  if (config.access_log) server->access_log_ = std::make_unique<AccessLog>();
  if (!config.metrics_listen.empty()) {
    ASSIGN_OR_RETURN(
        server->metrics_,
        Metrics::Start(config.metrics_listen, server->registry_.get(), &server->commit_counters_));
    const std::string host = config.metrics_listen.substr(0, config.metrics_listen.rfind(':'));
    LogEvent(EventLevel::kInfo, "metrics_listening",
             absl::StrCat("metrics on http://", host, ":", server->metrics_->port(), "/metrics"));
  }
  server->service_ = std::make_unique<RegistryService>(
      server->registry_.get(), server->identities_.get(), server->limiter_.get(),
      config.limits.max_threads, test_clock, server->access_log_.get(), server->metrics_.get());

  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                   WatchedTlsCredentials(config.tls));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  ApplyLimits(config.limits, &builder);
  LimitProtobufLogging();
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(MalformedRequestInterceptor());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.AddListeningPort(config.listen, credentials, &server->port_);
  builder.RegisterService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen));
  }
  if (!config.health_listen.empty()) {
    // A server of its own without credentials, holding the default health service only.
    grpc::ServerBuilder health;
    health.AddListeningPort(config.health_listen, grpc::InsecureServerCredentials(),
                            &server->health_port_);
    server->health_server_ = health.BuildAndStart();
    if (server->health_server_ == nullptr || server->health_port_ == 0) {
      return absl::UnavailableError(
          absl::StrCat("health_listen: cannot listen on ", config.health_listen));
    }
    const std::string host = config.health_listen.substr(0, config.health_listen.rfind(':'));
    LogEvent(EventLevel::kInfo, "health_listening",
             absl::StrCat("plaintext grpc.health.v1 on ", host, ":", server->health_port_));
  }
  server->memory_releaser_ = std::make_unique<MemoryReleaser>(kReleaseMemoryEvery);
  return server;
}

CreditServer::~CreditServer() {
  Shutdown(absl::Seconds(5));
  Wait();
}

void CreditServer::Shutdown(absl::Duration grace) {
  // Streams never end by themselves: told to stop first, they do not hold the grace period up.
  if (service_) service_->StopStreams();
  // Probes see NOT_SERVING while the calls in flight drain.
  if (health_server_) health_server_->GetHealthCheckService()->Shutdown();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoSeconds(grace));
}

void CreditServer::Wait() {
  if (server_) server_->Wait();
  if (health_server_) {
    health_server_->Shutdown();
    health_server_->Wait();
  }
}

}  // namespace credit
