// RegistryService: the gRPC handlers of credit.registry.v1.CreditRegistryService, on gRPC's
// callback API. Each handler is the same recipe: resolve the caller from its certificate,
// authorise the role, call the registry, map the status. Lookups (BASIC status answers, entries,
// heads, proofs) run on the gRPC thread that received the call; calls that wait (every mutation
// waits for its commit group's synced write) or that may take long (FULL status answers,
// point-in-time answers, lists, search, statistics, backups) run on the service's workers, at
// most limits.max_threads at once: more are refused with RESOURCE_EXHAUSTED. Thread-safe (the
// registry and the directory are).
#ifndef CREDIT_SERVICE_SERVER_REGISTRY_SERVICE_H_
#define CREDIT_SERVICE_SERVER_REGISTRY_SERVICE_H_

#include <atomic>

#include "credit/registry/v1/registry.grpc.pb.h"
#include "service/auth/call_limiter.h"
#include "service/auth/identity_directory.h"
#include "service/clock/clock.h"
#include "service/metrics/metrics.h"
#include "service/registry/registry.h"
#include "service/server/access_log.h"
#include "service/server/arena_messages.h"
#include "service/server/worker_pool.h"

namespace credit {

class RegistryService final : public registry::v1::CreditRegistryService::CallbackService {
 public:
  // All must outlive the service. `workers`: at most this many calls that wait (below) at once.
  // `test_clock` is the clock the registry runs on when the server was started with
  // --test-clock, null otherwise. `access_log`: where each call is logged; null: nowhere.
  RegistryService(Registry* registry, const IdentityDirectory* identities, CallLimiter* limiter,
                  int workers, TestClock* test_clock = nullptr, AccessLog* access_log = nullptr,
                  Metrics* metrics = nullptr)
      : registry_(registry),
        identities_(identities),
        limiter_(limiter),
        workers_(workers),
        test_clock_(test_clock),
        access_log_(access_log),
        metrics_(metrics) {
    SetMessageAllocatorFor_BatchGetCreditStatus(&batch_messages_);
  }

  grpc::ServerUnaryReactor* RecordEntry(grpc::CallbackServerContext* context,
                                        const v1::RecordEntryRequest* request,
                                        v1::RecordEntryResponse* response) override;
  grpc::ServerUnaryReactor* ImportEntries(grpc::CallbackServerContext* context,
                                          const v1::ImportEntriesRequest* request,
                                          v1::ImportEntriesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateEntry(grpc::CallbackServerContext* context,
                                        const v1::UpdateEntryRequest* request,
                                        v1::UpdateEntryResponse* response) override;
  grpc::ServerUnaryReactor* RemoveEntry(grpc::CallbackServerContext* context,
                                        const v1::RemoveEntryRequest* request,
                                        v1::RemoveEntryResponse* response) override;
  grpc::ServerUnaryReactor* GetEntry(grpc::CallbackServerContext* context,
                                     const v1::GetEntryRequest* request,
                                     v1::GetEntryResponse* response) override;
  grpc::ServerUnaryReactor* ListEntries(grpc::CallbackServerContext* context,
                                        const v1::ListEntriesRequest* request,
                                        v1::ListEntriesResponse* response) override;
  grpc::ServerUnaryReactor* GetCreditStatus(grpc::CallbackServerContext* context,
                                            const v1::GetCreditStatusRequest* request,
                                            v1::GetCreditStatusResponse* response) override;
  grpc::ServerUnaryReactor* BatchGetCreditStatus(
      grpc::CallbackServerContext* context, const v1::BatchGetCreditStatusRequest* request,
      v1::BatchGetCreditStatusResponse* response) override;
  grpc::ServerUnaryReactor* ListMeasures(grpc::CallbackServerContext* context,
                                         const v1::ListMeasuresRequest* request,
                                         v1::ListMeasuresResponse* response) override;
  grpc::ServerUnaryReactor* PutMeasure(grpc::CallbackServerContext* context,
                                       const v1::PutMeasureRequest* request,
                                       v1::PutMeasureResponse* response) override;
  grpc::ServerUnaryReactor* ListChanges(grpc::CallbackServerContext* context,
                                        const v1::ListChangesRequest* request,
                                        v1::ListChangesResponse* response) override;
  grpc::ServerUnaryReactor* GetTreeHead(grpc::CallbackServerContext* context,
                                        const v1::GetTreeHeadRequest* request,
                                        v1::GetTreeHeadResponse* response) override;
  grpc::ServerUnaryReactor* GetInclusionProof(grpc::CallbackServerContext* context,
                                              const v1::GetInclusionProofRequest* request,
                                              v1::GetInclusionProofResponse* response) override;
  grpc::ServerUnaryReactor* GetConsistencyProof(grpc::CallbackServerContext* context,
                                                const v1::GetConsistencyProofRequest* request,
                                                v1::GetConsistencyProofResponse* response) override;
  grpc::ServerUnaryReactor* GetSigningKey(grpc::CallbackServerContext* context,
                                          const v1::GetSigningKeyRequest* request,
                                          v1::GetSigningKeyResponse* response) override;
  grpc::ServerUnaryReactor* GetCreditStatusAt(grpc::CallbackServerContext* context,
                                              const v1::GetCreditStatusAtRequest* request,
                                              v1::GetCreditStatusAtResponse* response) override;
  grpc::ServerUnaryReactor* ListQueries(grpc::CallbackServerContext* context,
                                        const v1::ListQueriesRequest* request,
                                        v1::ListQueriesResponse* response) override;
  grpc::ServerUnaryReactor* CreateBackup(grpc::CallbackServerContext* context,
                                         const v1::CreateBackupRequest* request,
                                         v1::CreateBackupResponse* response) override;
  grpc::ServerUnaryReactor* ListBackups(grpc::CallbackServerContext* context,
                                        const v1::ListBackupsRequest* request,
                                        v1::ListBackupsResponse* response) override;
  grpc::ServerUnaryReactor* ApproveEntry(grpc::CallbackServerContext* context,
                                         const v1::ApproveEntryRequest* request,
                                         v1::EntryTransitionResponse* response) override;
  grpc::ServerUnaryReactor* RejectEntry(grpc::CallbackServerContext* context,
                                        const v1::RejectEntryRequest* request,
                                        v1::EntryTransitionResponse* response) override;
  grpc::ServerUnaryReactor* FileObjection(grpc::CallbackServerContext* context,
                                          const v1::FileObjectionRequest* request,
                                          v1::EntryTransitionResponse* response) override;
  grpc::ServerUnaryReactor* ResolveObjection(grpc::CallbackServerContext* context,
                                             const v1::ResolveObjectionRequest* request,
                                             v1::EntryTransitionResponse* response) override;
  grpc::ServerUnaryReactor* ApplyForRepair(grpc::CallbackServerContext* context,
                                           const v1::ApplyForRepairRequest* request,
                                           v1::EntryTransitionResponse* response) override;
  grpc::ServerUnaryReactor* ApproveRepair(grpc::CallbackServerContext* context,
                                          const v1::ApproveRepairRequest* request,
                                          v1::EntryTransitionResponse* response) override;
  grpc::ServerUnaryReactor* RejectRepair(grpc::CallbackServerContext* context,
                                         const v1::RejectRepairRequest* request,
                                         v1::EntryTransitionResponse* response) override;
  // FAILED_PRECONDITION unless the server runs on a test clock.
  grpc::ServerUnaryReactor* SetTime(grpc::CallbackServerContext* context,
                                    const v1::SetTimeRequest* request,
                                    v1::SetTimeResponse* response) override;
  grpc::ServerUnaryReactor* RecordFeedback(grpc::CallbackServerContext* context,
                                           const v1::RecordFeedbackRequest* request,
                                           v1::RecordFeedbackResponse* response) override;
  grpc::ServerUnaryReactor* GetStatistics(grpc::CallbackServerContext* context,
                                          const v1::GetStatisticsRequest* request,
                                          v1::GetStatisticsResponse* response) override;
  grpc::ServerUnaryReactor* SearchSubjects(grpc::CallbackServerContext* context,
                                           const v1::SearchSubjectsRequest* request,
                                           v1::SearchSubjectsResponse* response) override;
  grpc::ServerUnaryReactor* GetQueryTreeHead(grpc::CallbackServerContext* context,
                                             const v1::GetQueryTreeHeadRequest* request,
                                             v1::GetQueryTreeHeadResponse* response) override;
  grpc::ServerUnaryReactor* GetQueryInclusionProof(
      grpc::CallbackServerContext* context, const v1::GetQueryInclusionProofRequest* request,
      v1::GetQueryInclusionProofResponse* response) override;
  grpc::ServerUnaryReactor* GetQueryConsistencyProof(
      grpc::CallbackServerContext* context, const v1::GetQueryConsistencyProofRequest* request,
      v1::GetQueryConsistencyProofResponse* response) override;

  // Ends every change stream (UNAVAILABLE, saying to resume) within a second; new ones are
  // refused likewise. Called as the server shuts down.
  void StopStreams() { streams_stopped_ = true; }

  // Runs, on a thread of its own, until the client cancels or the server shuts down.
  grpc::ServerWriteReactor<v1::WatchChangesResponse>* WatchChanges(
      grpc::CallbackServerContext* context, const v1::WatchChangesRequest* request) override;

  // Where a call's work runs: on the gRPC thread that received it, or on a worker.
  enum class Runs { kInline, kOnWorker };

 private:
  class ChangeStream;
  template <typename Response, typename Call>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context, Rpc rpc,
                                  const google::protobuf::Message& request, Response* response,
                                  Runs runs, Call call);
  // The caller of a call and its slot among its identity's calls, or why it may not call `rpc`.
  absl::StatusOr<Caller> Admit(const grpc::CallbackServerContext& context, Rpc rpc,
                               CallLimiter::Slot* slot);
  // Counts, logs and (for the server's own failures) reports one call that ended with `status`;
  // `caller` null when it was not known. `served`: the call got past admission.
  void Ended(Rpc rpc, absl::Time start, const google::protobuf::Message& request,
             const Caller* caller, const absl::Status& status, bool served);

  Registry* registry_;
  const IdentityDirectory* identities_;
  CallLimiter* limiter_;
  WorkerPool workers_;
  TestClock* test_clock_;
  AccessLog* access_log_;
  Metrics* metrics_;
  // Batch answers are built on arenas kept from call to call (~400 KB for 1000 subjects). Single
  // lookups keep gRPC's placement of their two messages in the call's own arena.
  ArenaMessages<v1::BatchGetCreditStatusRequest, v1::BatchGetCreditStatusResponse> batch_messages_{
      512 << 10, 16};
  std::atomic<bool> streams_stopped_{false};
};

}  // namespace credit

#endif  // CREDIT_SERVICE_SERVER_REGISTRY_SERVICE_H_
