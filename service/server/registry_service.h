// RegistryService: the gRPC handlers of credit.registry.v1.CreditRegistryService. Each handler is
// the same recipe: resolve the caller from its certificate, authorise the role, call the registry,
// map the status. Thread-safe (the registry and the directory are).
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

namespace credit {

class RegistryService final : public registry::v1::CreditRegistryService::Service {
 public:
  // All must outlive the service. `test_clock` is the clock the registry runs on when the server
  // was started with --test-clock, null otherwise.
  // `access_log`: where each call is logged; null: nowhere.
  RegistryService(Registry* registry, const IdentityDirectory* identities, CallLimiter* limiter,
                  TestClock* test_clock = nullptr, AccessLog* access_log = nullptr,
                  Metrics* metrics = nullptr)
      : registry_(registry),
        identities_(identities),
        limiter_(limiter),
        test_clock_(test_clock),
        access_log_(access_log),
        metrics_(metrics) {}

  grpc::Status RecordEntry(grpc::ServerContext* context, const v1::RecordEntryRequest* request,
                           v1::RecordEntryResponse* response) override;
  grpc::Status ImportEntries(grpc::ServerContext* context, const v1::ImportEntriesRequest* request,
                             v1::ImportEntriesResponse* response) override;
  grpc::Status UpdateEntry(grpc::ServerContext* context, const v1::UpdateEntryRequest* request,
                           v1::UpdateEntryResponse* response) override;
  grpc::Status RemoveEntry(grpc::ServerContext* context, const v1::RemoveEntryRequest* request,
                           v1::RemoveEntryResponse* response) override;
  grpc::Status GetEntry(grpc::ServerContext* context, const v1::GetEntryRequest* request,
                        v1::GetEntryResponse* response) override;
  grpc::Status ListEntries(grpc::ServerContext* context, const v1::ListEntriesRequest* request,
                           v1::ListEntriesResponse* response) override;
  grpc::Status GetCreditStatus(grpc::ServerContext* context,
                               const v1::GetCreditStatusRequest* request,
                               v1::GetCreditStatusResponse* response) override;
  grpc::Status BatchGetCreditStatus(grpc::ServerContext* context,
                                    const v1::BatchGetCreditStatusRequest* request,
                                    v1::BatchGetCreditStatusResponse* response) override;
  grpc::Status ListMeasures(grpc::ServerContext* context, const v1::ListMeasuresRequest* request,
                            v1::ListMeasuresResponse* response) override;
  grpc::Status PutMeasure(grpc::ServerContext* context, const v1::PutMeasureRequest* request,
                          v1::PutMeasureResponse* response) override;
  grpc::Status ListChanges(grpc::ServerContext* context, const v1::ListChangesRequest* request,
                           v1::ListChangesResponse* response) override;
  grpc::Status GetTreeHead(grpc::ServerContext* context, const v1::GetTreeHeadRequest* request,
                           v1::GetTreeHeadResponse* response) override;
  grpc::Status GetInclusionProof(grpc::ServerContext* context,
                                 const v1::GetInclusionProofRequest* request,
                                 v1::GetInclusionProofResponse* response) override;
  grpc::Status GetConsistencyProof(grpc::ServerContext* context,
                                   const v1::GetConsistencyProofRequest* request,
                                   v1::GetConsistencyProofResponse* response) override;
  grpc::Status GetSigningKey(grpc::ServerContext* context, const v1::GetSigningKeyRequest* request,
                             v1::GetSigningKeyResponse* response) override;
  grpc::Status GetCreditStatusAt(grpc::ServerContext* context,
                                 const v1::GetCreditStatusAtRequest* request,
                                 v1::GetCreditStatusAtResponse* response) override;
  grpc::Status ListQueries(grpc::ServerContext* context, const v1::ListQueriesRequest* request,
                           v1::ListQueriesResponse* response) override;
  grpc::Status CreateBackup(grpc::ServerContext* context, const v1::CreateBackupRequest* request,
                            v1::CreateBackupResponse* response) override;
  grpc::Status ListBackups(grpc::ServerContext* context, const v1::ListBackupsRequest* request,
                           v1::ListBackupsResponse* response) override;
  grpc::Status ApproveEntry(grpc::ServerContext* context, const v1::ApproveEntryRequest* request,
                            v1::EntryTransitionResponse* response) override;
  grpc::Status RejectEntry(grpc::ServerContext* context, const v1::RejectEntryRequest* request,
                           v1::EntryTransitionResponse* response) override;
  grpc::Status FileObjection(grpc::ServerContext* context, const v1::FileObjectionRequest* request,
                             v1::EntryTransitionResponse* response) override;
  grpc::Status ResolveObjection(grpc::ServerContext* context,
                                const v1::ResolveObjectionRequest* request,
                                v1::EntryTransitionResponse* response) override;
  grpc::Status ApplyForRepair(grpc::ServerContext* context,
                              const v1::ApplyForRepairRequest* request,
                              v1::EntryTransitionResponse* response) override;
  grpc::Status ApproveRepair(grpc::ServerContext* context, const v1::ApproveRepairRequest* request,
                             v1::EntryTransitionResponse* response) override;
  grpc::Status RejectRepair(grpc::ServerContext* context, const v1::RejectRepairRequest* request,
                            v1::EntryTransitionResponse* response) override;
  // FAILED_PRECONDITION unless the server runs on a test clock.
  grpc::Status SetTime(grpc::ServerContext* context, const v1::SetTimeRequest* request,
                       v1::SetTimeResponse* response) override;
  grpc::Status RecordFeedback(grpc::ServerContext* context,
                              const v1::RecordFeedbackRequest* request,
                              v1::RecordFeedbackResponse* response) override;
  grpc::Status GetStatistics(grpc::ServerContext* context, const v1::GetStatisticsRequest* request,
                             v1::GetStatisticsResponse* response) override;
  grpc::Status SearchSubjects(grpc::ServerContext* context,
                              const v1::SearchSubjectsRequest* request,
                              v1::SearchSubjectsResponse* response) override;
  grpc::Status GetQueryTreeHead(grpc::ServerContext* context,
                                const v1::GetQueryTreeHeadRequest* request,
                                v1::GetQueryTreeHeadResponse* response) override;
  grpc::Status GetQueryInclusionProof(grpc::ServerContext* context,
                                      const v1::GetQueryInclusionProofRequest* request,
                                      v1::GetQueryInclusionProofResponse* response) override;
  grpc::Status GetQueryConsistencyProof(grpc::ServerContext* context,
                                        const v1::GetQueryConsistencyProofRequest* request,
                                        v1::GetQueryConsistencyProofResponse* response) override;

  // Ends every change stream (UNAVAILABLE, saying to resume) within a second; new ones are
  // refused likewise. Called as the server shuts down.
  void StopStreams() { streams_stopped_ = true; }

  // Runs until the client cancels or the server shuts down.
  grpc::Status WatchChanges(grpc::ServerContext* context, const v1::WatchChangesRequest* request,
                            grpc::ServerWriter<v1::WatchChangesResponse>* writer) override;

 private:
  template <typename Response, typename Call>
  grpc::Status Serve(grpc::ServerContext* context, Rpc rpc,
                     const google::protobuf::Message& request, Response* response, Call call);

  Registry* registry_;
  const IdentityDirectory* identities_;
  CallLimiter* limiter_;
  TestClock* test_clock_;
  AccessLog* access_log_;
  Metrics* metrics_;
  std::atomic<bool> streams_stopped_{false};
};

}  // namespace credit

#endif  // CREDIT_SERVICE_SERVER_REGISTRY_SERVICE_H_
