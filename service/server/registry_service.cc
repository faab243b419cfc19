#include "service/server/registry_service.h"

#include <iostream>

#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "service/events/event_log.h"

namespace credit {

template <typename Response, typename Call>
grpc::Status RegistryService::Serve(grpc::ServerContext* context, Rpc rpc,
                                    const google::protobuf::Message& request, Response* response,
                                    Call call) {
  const absl::Time start = absl::Now();
  absl::StatusOr<Caller> caller = identities_->Resolve(context->auth_context().get());
  absl::Status status = caller.status();
  if (status.ok()) status = Authorize(*caller, rpc);
  CallLimiter::Slot slot;
  if (status.ok()) status = limiter_->Enter(*caller, &slot);
  bool served = false;
  if (status.ok()) {
    served = true;
    absl::StatusOr<Response> result = call(*caller);
    status = result.status();
    if (status.ok()) *response = *std::move(result);
  }
  if (metrics_ != nullptr) metrics_->ObserveCall(rpc, status.code(), absl::Now() - start);
  if (access_log_ != nullptr) {
    AccessLog::Call entry;
    entry.time = start;
    entry.method = RpcName(rpc);
    entry.caller = caller.ok() ? &*caller : nullptr;
    AccessLog::Describe(request, &entry);
    entry.code = status.code();
    entry.duration = absl::Now() - start;
    access_log_->Record(entry);
  }
  // Server-side failures are the operator's to see; the caller's own mistakes (and its calls
  // past its limit) are not logged. Messages never carry a person's ID number in clear
  // (validation does not echo them).
  if (!served) return ToGrpcStatus(status);
  if (status.code() == absl::StatusCode::kInternal ||
      status.code() == absl::StatusCode::kDataLoss ||
      status.code() == absl::StatusCode::kUnavailable ||
      status.code() == absl::StatusCode::kResourceExhausted) {
    LogEvent(EventLevel::kError, "call_failed",
             absl::StrCat(RpcName(rpc), " failed: ", absl::StatusCodeToString(status.code()), ": ",
                          status.message()));
  }
  return ToGrpcStatus(status);
}

grpc::Status RegistryService::RecordEntry(grpc::ServerContext* context,
                                          const v1::RecordEntryRequest* request,
                                          v1::RecordEntryResponse* response) {
  return Serve(context, Rpc::kRecordEntry, *request, response,
               [&](const Caller& c) { return registry_->RecordEntry(c, *request); });
}

grpc::Status RegistryService::ImportEntries(grpc::ServerContext* context,
                                            const v1::ImportEntriesRequest* request,
                                            v1::ImportEntriesResponse* response) {
  return Serve(context, Rpc::kImportEntries, *request, response,
               [&](const Caller& c) { return registry_->ImportEntries(c, *request); });
}

grpc::Status RegistryService::UpdateEntry(grpc::ServerContext* context,
                                          const v1::UpdateEntryRequest* request,
                                          v1::UpdateEntryResponse* response) {
  return Serve(context, Rpc::kUpdateEntry, *request, response,
               [&](const Caller& c) { return registry_->UpdateEntry(c, *request); });
}

grpc::Status RegistryService::RemoveEntry(grpc::ServerContext* context,
                                          const v1::RemoveEntryRequest* request,
                                          v1::RemoveEntryResponse* response) {
  return Serve(context, Rpc::kRemoveEntry, *request, response,
               [&](const Caller& c) { return registry_->RemoveEntry(c, *request); });
}

grpc::Status RegistryService::GetEntry(grpc::ServerContext* context,
                                       const v1::GetEntryRequest* request,
                                       v1::GetEntryResponse* response) {
  return Serve(context, Rpc::kGetEntry, *request, response,
               [&](const Caller& c) { return registry_->GetEntry(c, *request); });
}

grpc::Status RegistryService::ListEntries(grpc::ServerContext* context,
                                          const v1::ListEntriesRequest* request,
                                          v1::ListEntriesResponse* response) {
  return Serve(context, Rpc::kListEntries, *request, response,
               [&](const Caller& c) { return registry_->ListEntries(c, *request); });
}

grpc::Status RegistryService::GetCreditStatus(grpc::ServerContext* context,
                                              const v1::GetCreditStatusRequest* request,
                                              v1::GetCreditStatusResponse* response) {
  return Serve(context, Rpc::kGetCreditStatus, *request, response,
               [&](const Caller& c) { return registry_->GetCreditStatus(c, *request); });
}

grpc::Status RegistryService::BatchGetCreditStatus(grpc::ServerContext* context,
                                                   const v1::BatchGetCreditStatusRequest* request,
                                                   v1::BatchGetCreditStatusResponse* response) {
  return Serve(context, Rpc::kBatchGetCreditStatus, *request, response,
               [&](const Caller& c) { return registry_->BatchGetCreditStatus(c, *request); });
}

grpc::Status RegistryService::ListMeasures(grpc::ServerContext* context,
                                           const v1::ListMeasuresRequest* request,
                                           v1::ListMeasuresResponse* response) {
  return Serve(context, Rpc::kListMeasures, *request, response,
               [&](const Caller& c) { return registry_->ListMeasures(c, *request); });
}

grpc::Status RegistryService::PutMeasure(grpc::ServerContext* context,
                                         const v1::PutMeasureRequest* request,
                                         v1::PutMeasureResponse* response) {
  return Serve(context, Rpc::kPutMeasure, *request, response,
               [&](const Caller& c) { return registry_->PutMeasure(c, *request); });
}

grpc::Status RegistryService::ListChanges(grpc::ServerContext* context,
                                          const v1::ListChangesRequest* request,
                                          v1::ListChangesResponse* response) {
  return Serve(context, Rpc::kListChanges, *request, response,
               [&](const Caller& c) { return registry_->ListChanges(c, *request); });
}

grpc::Status RegistryService::GetTreeHead(grpc::ServerContext* context,
                                          const v1::GetTreeHeadRequest* request,
                                          v1::GetTreeHeadResponse* response) {
  return Serve(context, Rpc::kGetTreeHead, *request, response,
               [&](const Caller&) { return registry_->GetTreeHead(*request); });
}

grpc::Status RegistryService::GetInclusionProof(grpc::ServerContext* context,
                                                const v1::GetInclusionProofRequest* request,
                                                v1::GetInclusionProofResponse* response) {
  return Serve(context, Rpc::kGetInclusionProof, *request, response,
               [&](const Caller&) { return registry_->GetInclusionProof(*request); });
}

grpc::Status RegistryService::GetConsistencyProof(grpc::ServerContext* context,
                                                  const v1::GetConsistencyProofRequest* request,
                                                  v1::GetConsistencyProofResponse* response) {
  return Serve(context, Rpc::kGetConsistencyProof, *request, response,
               [&](const Caller&) { return registry_->GetConsistencyProof(*request); });
}

grpc::Status RegistryService::GetSigningKey(grpc::ServerContext* context,
                                            const v1::GetSigningKeyRequest* request,
                                            v1::GetSigningKeyResponse* response) {
  return Serve(context, Rpc::kGetSigningKey, *request, response,
               [&](const Caller&) -> absl::StatusOr<v1::GetSigningKeyResponse> {
                 return registry_->GetSigningKey();
               });
}

grpc::Status RegistryService::GetCreditStatusAt(grpc::ServerContext* context,
                                                const v1::GetCreditStatusAtRequest* request,
                                                v1::GetCreditStatusAtResponse* response) {
  return Serve(context, Rpc::kGetCreditStatusAt, *request, response,
               [&](const Caller& c) { return registry_->GetCreditStatusAt(c, *request); });
}

grpc::Status RegistryService::ListQueries(grpc::ServerContext* context,
                                          const v1::ListQueriesRequest* request,
                                          v1::ListQueriesResponse* response) {
  return Serve(context, Rpc::kListQueries, *request, response,
               [&](const Caller&) { return registry_->ListQueries(*request); });
}

grpc::Status RegistryService::CreateBackup(grpc::ServerContext* context,
                                           const v1::CreateBackupRequest* request,
                                           v1::CreateBackupResponse* response) {
  return Serve(context, Rpc::kCreateBackup, *request, response,
               [&](const Caller&) { return registry_->CreateBackup(); });
}

grpc::Status RegistryService::ListBackups(grpc::ServerContext* context,
                                          const v1::ListBackupsRequest* request,
                                          v1::ListBackupsResponse* response) {
  return Serve(context, Rpc::kListBackups, *request, response,
               [&](const Caller&) { return registry_->ListBackups(); });
}

grpc::Status RegistryService::ApproveEntry(grpc::ServerContext* context,
                                           const v1::ApproveEntryRequest* request,
                                           v1::EntryTransitionResponse* response) {
  return Serve(context, Rpc::kApproveEntry, *request, response,
               [&](const Caller& c) { return registry_->ApproveEntry(c, *request); });
}

grpc::Status RegistryService::RejectEntry(grpc::ServerContext* context,
                                          const v1::RejectEntryRequest* request,
                                          v1::EntryTransitionResponse* response) {
  return Serve(context, Rpc::kRejectEntry, *request, response,
               [&](const Caller& c) { return registry_->RejectEntry(c, *request); });
}

grpc::Status RegistryService::FileObjection(grpc::ServerContext* context,
                                            const v1::FileObjectionRequest* request,
                                            v1::EntryTransitionResponse* response) {
  return Serve(context, Rpc::kFileObjection, *request, response,
               [&](const Caller& c) { return registry_->FileObjection(c, *request); });
}

grpc::Status RegistryService::ResolveObjection(grpc::ServerContext* context,
                                               const v1::ResolveObjectionRequest* request,
                                               v1::EntryTransitionResponse* response) {
  return Serve(context, Rpc::kResolveObjection, *request, response,
               [&](const Caller& c) { return registry_->ResolveObjection(c, *request); });
}

grpc::Status RegistryService::ApplyForRepair(grpc::ServerContext* context,
                                             const v1::ApplyForRepairRequest* request,
                                             v1::EntryTransitionResponse* response) {
  return Serve(context, Rpc::kApplyForRepair, *request, response,
               [&](const Caller& c) { return registry_->ApplyForRepair(c, *request); });
}

grpc::Status RegistryService::ApproveRepair(grpc::ServerContext* context,
                                            const v1::ApproveRepairRequest* request,
                                            v1::EntryTransitionResponse* response) {
  return Serve(context, Rpc::kApproveRepair, *request, response,
               [&](const Caller& c) { return registry_->ApproveRepair(c, *request); });
}

grpc::Status RegistryService::RejectRepair(grpc::ServerContext* context,
                                           const v1::RejectRepairRequest* request,
                                           v1::EntryTransitionResponse* response) {
  return Serve(context, Rpc::kRejectRepair, *request, response,
               [&](const Caller& c) { return registry_->RejectRepair(c, *request); });
}

grpc::Status RegistryService::SetTime(grpc::ServerContext* context,
                                      const v1::SetTimeRequest* request,
                                      v1::SetTimeResponse* response) {
  return Serve(context, Rpc::kSetTime, *request, response,
               [&](const Caller&) -> absl::StatusOr<v1::SetTimeResponse> {
                 if (test_clock_ == nullptr) {
                   return absl::FailedPreconditionError(
                       "SetTime: this server runs on the system clock; only a server started "
                       "with --test-clock (never in production) lets its clock be set");
                 }
                 RETURN_IF_ERROR(ValidateTimestamp(request->time(), "time"));
                 RETURN_IF_ERROR(test_clock_->Set(absl::FromUnixSeconds(request->time().seconds()) +
                                                  absl::Nanoseconds(request->time().nanos())));
                 v1::SetTimeResponse answer;
                 ASSIGN_OR_RETURN(uint32_t made, registry_->RunDueTransitions());
                 answer.set_transitions(made);
                 const absl::Time now = test_clock_->Now();
                 answer.mutable_time()->set_seconds(absl::ToUnixSeconds(now));
                 answer.mutable_time()->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(
                     now - absl::FromUnixSeconds(absl::ToUnixSeconds(now)))));
                 return answer;
               });
}

grpc::Status RegistryService::RecordFeedback(grpc::ServerContext* context,
                                             const v1::RecordFeedbackRequest* request,
                                             v1::RecordFeedbackResponse* response) {
  return Serve(context, Rpc::kRecordFeedback, *request, response,
               [&](const Caller& c) { return registry_->RecordFeedback(c, *request); });
}

grpc::Status RegistryService::GetStatistics(grpc::ServerContext* context,
                                            const v1::GetStatisticsRequest* request,
                                            v1::GetStatisticsResponse* response) {
  return Serve(context, Rpc::kGetStatistics, *request, response,
               [&](const Caller&) { return registry_->GetStatistics(*request); });
}

grpc::Status RegistryService::WatchChanges(grpc::ServerContext* context,
                                           const v1::WatchChangesRequest* request,
                                           grpc::ServerWriter<v1::WatchChangesResponse>* writer) {
  v1::WatchChangesResponse none;  // a stream's answers are its messages
  return Serve(context, Rpc::kWatchChanges, *request, &none,
               [&](const Caller& c) -> absl::StatusOr<v1::WatchChangesResponse> {
                 RETURN_IF_ERROR(registry_->WatchChanges(
                     c, *request,
                     [&](const v1::WatchChangesResponse& batch) { return writer->Write(batch); },
                     [&] { return context->IsCancelled() || streams_stopped_; }));
                 if (streams_stopped_) {
                   return absl::UnavailableError(
                       "the server is shutting down: resume from the change after the last one "
                       "received");
                 }
                 return v1::WatchChangesResponse();
               });
}

grpc::Status RegistryService::SearchSubjects(grpc::ServerContext* context,
                                             const v1::SearchSubjectsRequest* request,
                                             v1::SearchSubjectsResponse* response) {
  return Serve(context, Rpc::kSearchSubjects, *request, response,
               [&](const Caller& c) { return registry_->SearchSubjects(c, *request); });
}

grpc::Status RegistryService::GetQueryTreeHead(grpc::ServerContext* context,
                                               const v1::GetQueryTreeHeadRequest* request,
                                               v1::GetQueryTreeHeadResponse* response) {
  return Serve(context, Rpc::kGetQueryTreeHead, *request, response,
               [&](const Caller&) { return registry_->GetQueryTreeHead(*request); });
}

grpc::Status RegistryService::GetQueryInclusionProof(
    grpc::ServerContext* context, const v1::GetQueryInclusionProofRequest* request,
    v1::GetQueryInclusionProofResponse* response) {
  return Serve(context, Rpc::kGetQueryInclusionProof, *request, response,
               [&](const Caller&) { return registry_->GetQueryInclusionProof(*request); });
}

grpc::Status RegistryService::GetQueryConsistencyProof(
    grpc::ServerContext* context, const v1::GetQueryConsistencyProofRequest* request,
    v1::GetQueryConsistencyProofResponse* response) {
  return Serve(context, Rpc::kGetQueryConsistencyProof, *request, response,
               [&](const Caller&) { return registry_->GetQueryConsistencyProof(*request); });
}

}  // namespace credit
