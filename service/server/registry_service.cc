#include "service/server/registry_service.h"

#include <iostream>
#include <thread>
#include <type_traits>

#include "common/status/error_details.h"
#include "common/status/error_reasons.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "service/events/event_log.h"

namespace credit {

absl::StatusOr<Caller> RegistryService::Admit(const grpc::CallbackServerContext& context, Rpc rpc,
                                              CallLimiter::Slot* slot) {
  absl::StatusOr<Caller> caller = identities_->Resolve(context.auth_context().get());
  if (!caller.ok()) return caller;
  RETURN_IF_ERROR(Authorize(*caller, rpc));
  RETURN_IF_ERROR(limiter_->Enter(*caller, slot));
  return caller;
}

void RegistryService::Ended(Rpc rpc, absl::Time start, const google::protobuf::Message& request,
                            const Caller* caller, const absl::Status& status, bool served) {
  if (metrics_ != nullptr) metrics_->ObserveCall(rpc, status.code(), absl::Now() - start);
  if (access_log_ != nullptr) {
    AccessLog::Call entry;
    entry.time = start;
    entry.method = RpcName(rpc);
    entry.caller = caller;
    AccessLog::Describe(request, &entry);
    entry.code = status.code();
    entry.duration = absl::Now() - start;
    access_log_->Record(entry);
  }
  // Server-side failures are the operator's to see; the caller's own mistakes (and its calls
  // past its limit) are not logged. Messages never carry a person's ID number in clear
  // (validation does not echo them).
  if (!served) return;
  if (status.code() == absl::StatusCode::kInternal ||
      status.code() == absl::StatusCode::kDataLoss ||
      status.code() == absl::StatusCode::kUnavailable ||
      status.code() == absl::StatusCode::kResourceExhausted) {
    LogEvent(EventLevel::kError, "call_failed",
             absl::StrCat(RpcName(rpc), " failed: ", absl::StatusCodeToString(status.code()), ": ",
                          status.message()));
  }
}

namespace {

// A BASIC answer comes from memory at once; a FULL one reads every entry in force from storage,
// and a batch's may run to megabytes: a call that may take long.
RegistryService::Runs RunsFor(v1::StatusView view) {
  return view == v1::STATUS_VIEW_BASIC ? RegistryService::Runs::kInline
                                       : RegistryService::Runs::kOnWorker;
}

}  // namespace

template <typename Response, typename Call>
grpc::ServerUnaryReactor* RegistryService::Serve(grpc::CallbackServerContext* context, Rpc rpc,
                                                 const google::protobuf::Message& request,
                                                 Response* response, Runs runs, Call call) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time start = absl::Now();
  CallLimiter::Slot slot;
  absl::StatusOr<Caller> caller = Admit(*context, rpc, &slot);
  if (!caller.ok()) {
    Ended(rpc, start, request, nullptr, caller.status(), /*served=*/false);
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  auto work = [this, rpc, start, &request, response, reactor, caller = *std::move(caller),
               slot = std::move(slot), call = std::move(call)]() mutable {
    absl::Status status;
    if constexpr (std::is_same_v<std::invoke_result_t<Call&, const Caller&>, absl::Status>) {
      status = call(caller);  // built in `response`
    } else {
      absl::StatusOr<Response> result = call(caller);
      status = result.status();
      if (status.ok()) *response = *std::move(result);
    }
    Ended(rpc, start, request, &caller, status, /*served=*/true);
    slot = CallLimiter::Slot();  // the identity's call has ended
    reactor->Finish(ToGrpcStatus(status));
  };
  if (runs == Runs::kInline) {
    work();
    return reactor;
  }
  if (!workers_.TrySubmit(std::move(work))) {
    // `work` is gone, and its slot with it.
    absl::Status busy = WithErrorInfo(
        absl::ResourceExhaustedError(
            "the server is busy: limits.max_threads calls that wait are in hand, retry later"),
        reason::kTooManyCallsInFlight);
    Ended(rpc, start, request, nullptr, busy, /*served=*/false);
    reactor->Finish(ToGrpcStatus(busy));
  }
  return reactor;
}

grpc::ServerUnaryReactor* RegistryService::RecordEntry(grpc::CallbackServerContext* context,
                                                       const v1::RecordEntryRequest* request,
                                                       v1::RecordEntryResponse* response) {
  return Serve(context, Rpc::kRecordEntry, *request, response, Runs::kOnWorker,
               [this, request](const Caller& c) { return registry_->RecordEntry(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::ImportEntries(grpc::CallbackServerContext* context,
                                                         const v1::ImportEntriesRequest* request,
                                                         v1::ImportEntriesResponse* response) {
  return Serve(context, Rpc::kImportEntries, *request, response, Runs::kOnWorker,
               [this, request](const Caller& c) { return registry_->ImportEntries(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::UpdateEntry(grpc::CallbackServerContext* context,
                                                       const v1::UpdateEntryRequest* request,
                                                       v1::UpdateEntryResponse* response) {
  return Serve(context, Rpc::kUpdateEntry, *request, response, Runs::kOnWorker,
               [this, request](const Caller& c) { return registry_->UpdateEntry(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::RemoveEntry(grpc::CallbackServerContext* context,
                                                       const v1::RemoveEntryRequest* request,
                                                       v1::RemoveEntryResponse* response) {
  return Serve(context, Rpc::kRemoveEntry, *request, response, Runs::kOnWorker,
               [this, request](const Caller& c) { return registry_->RemoveEntry(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::GetEntry(grpc::CallbackServerContext* context,
                                                    const v1::GetEntryRequest* request,
                                                    v1::GetEntryResponse* response) {
  return Serve(context, Rpc::kGetEntry, *request, response, Runs::kInline,
               [this, request](const Caller& c) { return registry_->GetEntry(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::ListEntries(grpc::CallbackServerContext* context,
                                                       const v1::ListEntriesRequest* request,
                                                       v1::ListEntriesResponse* response) {
  return Serve(context, Rpc::kListEntries, *request, response, Runs::kOnWorker,
               [this, request](const Caller& c) { return registry_->ListEntries(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::GetCreditStatus(
    grpc::CallbackServerContext* context, const v1::GetCreditStatusRequest* request,
    v1::GetCreditStatusResponse* response) {
  return Serve(context, Rpc::kGetCreditStatus, *request, response, RunsFor(request->view()),
               [this, request, response](const Caller& c) {
                 return registry_->GetCreditStatus(c, *request, response);
               });
}

grpc::ServerUnaryReactor* RegistryService::BatchGetCreditStatus(
    grpc::CallbackServerContext* context, const v1::BatchGetCreditStatusRequest* request,
    v1::BatchGetCreditStatusResponse* response) {
  return Serve(context, Rpc::kBatchGetCreditStatus, *request, response, RunsFor(request->view()),
               [this, request, response](const Caller& c) {
                 return registry_->BatchGetCreditStatus(c, *request, response);
               });
}

grpc::ServerUnaryReactor* RegistryService::ListMeasures(grpc::CallbackServerContext* context,
                                                        const v1::ListMeasuresRequest* request,
                                                        v1::ListMeasuresResponse* response) {
  return Serve(context, Rpc::kListMeasures, *request, response, Runs::kInline,
               [this, request](const Caller& c) { return registry_->ListMeasures(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::PutMeasure(grpc::CallbackServerContext* context,
                                                      const v1::PutMeasureRequest* request,
                                                      v1::PutMeasureResponse* response) {
  return Serve(context, Rpc::kPutMeasure, *request, response, Runs::kOnWorker,
               [this, request](const Caller& c) { return registry_->PutMeasure(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::ListChanges(grpc::CallbackServerContext* context,
                                                       const v1::ListChangesRequest* request,
                                                       v1::ListChangesResponse* response) {
  return Serve(context, Rpc::kListChanges, *request, response, Runs::kOnWorker,
               [this, request](const Caller& c) { return registry_->ListChanges(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::GetTreeHead(grpc::CallbackServerContext* context,
                                                       const v1::GetTreeHeadRequest* request,
                                                       v1::GetTreeHeadResponse* response) {
  return Serve(context, Rpc::kGetTreeHead, *request, response, Runs::kInline,
               [this, request](const Caller&) { return registry_->GetTreeHead(*request); });
}

grpc::ServerUnaryReactor* RegistryService::GetInclusionProof(
    grpc::CallbackServerContext* context, const v1::GetInclusionProofRequest* request,
    v1::GetInclusionProofResponse* response) {
  return Serve(context, Rpc::kGetInclusionProof, *request, response, Runs::kInline,
               [this, request](const Caller&) { return registry_->GetInclusionProof(*request); });
}

grpc::ServerUnaryReactor* RegistryService::GetConsistencyProof(
    grpc::CallbackServerContext* context, const v1::GetConsistencyProofRequest* request,
    v1::GetConsistencyProofResponse* response) {
  return Serve(context, Rpc::kGetConsistencyProof, *request, response, Runs::kInline,
               [this, request](const Caller&) { return registry_->GetConsistencyProof(*request); });
}

grpc::ServerUnaryReactor* RegistryService::GetSigningKey(grpc::CallbackServerContext* context,
                                                         const v1::GetSigningKeyRequest* request,
                                                         v1::GetSigningKeyResponse* response) {
  return Serve(context, Rpc::kGetSigningKey, *request, response, Runs::kInline,
               [this](const Caller&) -> absl::StatusOr<v1::GetSigningKeyResponse> {
                 return registry_->GetSigningKey();
               });
}

grpc::ServerUnaryReactor* RegistryService::GetCreditStatusAt(
    grpc::CallbackServerContext* context, const v1::GetCreditStatusAtRequest* request,
    v1::GetCreditStatusAtResponse* response) {
  return Serve(
      context, Rpc::kGetCreditStatusAt, *request, response, Runs::kOnWorker,
      [this, request](const Caller& c) { return registry_->GetCreditStatusAt(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::ListQueries(grpc::CallbackServerContext* context,
                                                       const v1::ListQueriesRequest* request,
                                                       v1::ListQueriesResponse* response) {
  return Serve(context, Rpc::kListQueries, *request, response, Runs::kOnWorker,
               [this, request](const Caller&) { return registry_->ListQueries(*request); });
}

grpc::ServerUnaryReactor* RegistryService::CreateBackup(grpc::CallbackServerContext* context,
                                                        const v1::CreateBackupRequest* request,
                                                        v1::CreateBackupResponse* response) {
  return Serve(context, Rpc::kCreateBackup, *request, response, Runs::kOnWorker,
               [this](const Caller&) { return registry_->CreateBackup(); });
}

grpc::ServerUnaryReactor* RegistryService::ListBackups(grpc::CallbackServerContext* context,
                                                       const v1::ListBackupsRequest* request,
                                                       v1::ListBackupsResponse* response) {
  return Serve(context, Rpc::kListBackups, *request, response, Runs::kInline,
               [this](const Caller&) { return registry_->ListBackups(); });
}

grpc::ServerUnaryReactor* RegistryService::ApproveEntry(grpc::CallbackServerContext* context,
                                                        const v1::ApproveEntryRequest* request,
                                                        v1::EntryTransitionResponse* response) {
  return Serve(context, Rpc::kApproveEntry, *request, response, Runs::kOnWorker,
               [this, request](const Caller& c) { return registry_->ApproveEntry(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::RejectEntry(grpc::CallbackServerContext* context,
                                                       const v1::RejectEntryRequest* request,
                                                       v1::EntryTransitionResponse* response) {
  return Serve(context, Rpc::kRejectEntry, *request, response, Runs::kOnWorker,
               [this, request](const Caller& c) { return registry_->RejectEntry(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::FileObjection(grpc::CallbackServerContext* context,
                                                         const v1::FileObjectionRequest* request,
                                                         v1::EntryTransitionResponse* response) {
  return Serve(context, Rpc::kFileObjection, *request, response, Runs::kOnWorker,
               [this, request](const Caller& c) { return registry_->FileObjection(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::ResolveObjection(
    grpc::CallbackServerContext* context, const v1::ResolveObjectionRequest* request,
    v1::EntryTransitionResponse* response) {
  return Serve(
      context, Rpc::kResolveObjection, *request, response, Runs::kOnWorker,
      [this, request](const Caller& c) { return registry_->ResolveObjection(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::ApplyForRepair(grpc::CallbackServerContext* context,
                                                          const v1::ApplyForRepairRequest* request,
                                                          v1::EntryTransitionResponse* response) {
  return Serve(context, Rpc::kApplyForRepair, *request, response, Runs::kOnWorker,
               [this, request](const Caller& c) { return registry_->ApplyForRepair(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::ApproveRepair(grpc::CallbackServerContext* context,
                                                         const v1::ApproveRepairRequest* request,
                                                         v1::EntryTransitionResponse* response) {
  return Serve(context, Rpc::kApproveRepair, *request, response, Runs::kOnWorker,
               [this, request](const Caller& c) { return registry_->ApproveRepair(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::RejectRepair(grpc::CallbackServerContext* context,
                                                        const v1::RejectRepairRequest* request,
                                                        v1::EntryTransitionResponse* response) {
  return Serve(context, Rpc::kRejectRepair, *request, response, Runs::kOnWorker,
               [this, request](const Caller& c) { return registry_->RejectRepair(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::SetTime(grpc::CallbackServerContext* context,
                                                   const v1::SetTimeRequest* request,
                                                   v1::SetTimeResponse* response) {
  return Serve(context, Rpc::kSetTime, *request, response, Runs::kOnWorker,
               [this, request](const Caller&) -> absl::StatusOr<v1::SetTimeResponse> {
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

grpc::ServerUnaryReactor* RegistryService::RecordFeedback(grpc::CallbackServerContext* context,
                                                          const v1::RecordFeedbackRequest* request,
                                                          v1::RecordFeedbackResponse* response) {
  return Serve(context, Rpc::kRecordFeedback, *request, response, Runs::kOnWorker,
               [this, request](const Caller& c) { return registry_->RecordFeedback(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::GetStatistics(grpc::CallbackServerContext* context,
                                                         const v1::GetStatisticsRequest* request,
                                                         v1::GetStatisticsResponse* response) {
  return Serve(context, Rpc::kGetStatistics, *request, response, Runs::kOnWorker,
               [this, request](const Caller&) { return registry_->GetStatistics(*request); });
}

// One change stream: the registry's loop (Registry::WatchChanges) on a thread of its own, each
// batch written and waited for before the next, as a synchronous writer would.
class RegistryService::ChangeStream final
    : public grpc::ServerWriteReactor<v1::WatchChangesResponse> {
 public:
  ChangeStream(RegistryService* service, grpc::CallbackServerContext* context,
               const v1::WatchChangesRequest* request)
      : service_(service), request_(request) {
    const absl::Time start = absl::Now();
    absl::StatusOr<Caller> caller = service_->Admit(*context, Rpc::kWatchChanges, &slot_);
    if (!caller.ok()) {
      service_->Ended(Rpc::kWatchChanges, start, *request_, nullptr, caller.status(), false);
      Finish(ToGrpcStatus(caller.status()));
      return;
    }
    std::thread([this, start, caller = *std::move(caller)] { Run(start, caller); }).detach();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    written_ = true;
    write_ok_ = ok;
  }
  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }
  void OnDone() override { delete this; }

 private:
  void Run(absl::Time start, const Caller& caller) {
    absl::Status status = service_->registry_->WatchChanges(
        caller, *request_, [this](const v1::WatchChangesResponse& batch) { return Send(batch); },
        [this] { return Stopped(); });
    if (status.ok() && service_->streams_stopped_) {
      status = absl::UnavailableError(
          "the server is shutting down: resume from the change after the last one received");
    }
    service_->Ended(Rpc::kWatchChanges, start, *request_, &caller, status, true);
    slot_ = CallLimiter::Slot();
    Finish(ToGrpcStatus(status));  // the last use of this object: OnDone deletes it
  }

  bool Send(const v1::WatchChangesResponse& batch) {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return false;
    written_ = false;
    StartWrite(&batch);
    // OnWriteDone comes once the batch is sent, or with false once the call has ended.
    mu_.Await(absl::Condition(&written_));
    return write_ok_;
  }

  bool Stopped() {
    absl::MutexLock lock(&mu_);
    return cancelled_ || service_->streams_stopped_;
  }

  RegistryService* service_;
  const v1::WatchChangesRequest* request_;
  CallLimiter::Slot slot_;
  absl::Mutex mu_;
  bool written_ ABSL_GUARDED_BY(mu_) = false;
  bool write_ok_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

grpc::ServerWriteReactor<v1::WatchChangesResponse>* RegistryService::WatchChanges(
    grpc::CallbackServerContext* context, const v1::WatchChangesRequest* request) {
  return new ChangeStream(this, context, request);
}

grpc::ServerUnaryReactor* RegistryService::SearchSubjects(grpc::CallbackServerContext* context,
                                                          const v1::SearchSubjectsRequest* request,
                                                          v1::SearchSubjectsResponse* response) {
  return Serve(context, Rpc::kSearchSubjects, *request, response, Runs::kOnWorker,
               [this, request](const Caller& c) { return registry_->SearchSubjects(c, *request); });
}

grpc::ServerUnaryReactor* RegistryService::GetQueryTreeHead(
    grpc::CallbackServerContext* context, const v1::GetQueryTreeHeadRequest* request,
    v1::GetQueryTreeHeadResponse* response) {
  return Serve(context, Rpc::kGetQueryTreeHead, *request, response, Runs::kInline,
               [this, request](const Caller&) { return registry_->GetQueryTreeHead(*request); });
}

grpc::ServerUnaryReactor* RegistryService::GetQueryInclusionProof(
    grpc::CallbackServerContext* context, const v1::GetQueryInclusionProofRequest* request,
    v1::GetQueryInclusionProofResponse* response) {
  return Serve(
      context, Rpc::kGetQueryInclusionProof, *request, response, Runs::kInline,
      [this, request](const Caller&) { return registry_->GetQueryInclusionProof(*request); });
}

grpc::ServerUnaryReactor* RegistryService::GetQueryConsistencyProof(
    grpc::CallbackServerContext* context, const v1::GetQueryConsistencyProofRequest* request,
    v1::GetQueryConsistencyProofResponse* response) {
  return Serve(
      context, Rpc::kGetQueryConsistencyProof, *request, response, Runs::kInline,
      [this, request](const Caller&) { return registry_->GetQueryConsistencyProof(*request); });
}

}  // namespace credit
