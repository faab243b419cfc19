#include "credit/client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <openssl/rand.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "common/changelog/change_record.h"
#include "common/crypto/sha256.h"
#include "common/io/read_file.h"
#include "common/status/grpc_status.h"
#include "credit/status_evidence.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace credit {
namespace {}  // namespace

std::string NewRequestId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();
  return ToHex(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  grpc::SslCredentialsOptions tls;
  absl::StatusOr<std::string> ca = ReadFile(options.ca_file, "CA certificate (--cacert)");
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> cert = ReadFile(options.cert_file, "client certificate (--cert)");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(options.key_file, "client key (--key)");
  if (!key.ok()) return key.status();
  tls.pem_root_certs = *std::move(ca);
  tls.pem_cert_chain = *std::move(cert);
  tls.pem_private_key = *std::move(key);
  std::unique_ptr<LogVerifier> verifier;
  if (!options.server_key_file.empty()) {
    absl::StatusOr<std::unique_ptr<LogVerifier>> loaded =
        LogVerifier::FromPublicKeyFile(options.server_key_file);
    if (!loaded.ok()) return loaded.status();
    verifier = *std::move(loaded);
    if (!options.trusted_head_file.empty()) {
      absl::Status status = verifier->LoadTrusted(options.trusted_head_file);
      if (!status.ok() && status.code() != absl::StatusCode::kNotFound) return status;
    }
  }
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  auto channel = grpc::CreateCustomChannel(options.endpoint, grpc::SslCredentials(tls), arguments);
  return std::make_unique<Client>(v1::CreditRegistryService::NewStub(channel), options,
                                  std::move(verifier), channel);
}

Client::Client(std::unique_ptr<v1::CreditRegistryService::StubInterface> stub,
               ClientOptions options, std::unique_ptr<LogVerifier> verifier,
               std::shared_ptr<grpc::ChannelInterface> channel)
    : stub_(std::move(stub)),
      channel_(std::move(channel)),
      options_(std::move(options)),
      verifier_(std::move(verifier)) {}

absl::StatusOr<std::string> Client::Health() {
  if (channel_ == nullptr) {
    return absl::FailedPreconditionError("health: this client has no channel of its own");
  }
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
  grpc::health::v1::HealthCheckResponse response;
  absl::Status status =
      FromGrpcStatus(health->Check(&context, grpc::health::v1::HealthCheckRequest(), &response));
  if (!status.ok()) return status;
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
}

absl::Status Client::CheckHead(const v1::SignedTreeHead& head) {
  if (!verifier_) return absl::OkStatus();
  std::optional<v1::SignedTreeHead> trusted = verifier_->trusted();
  std::vector<std::string> proof;
  if (trusted.has_value() && trusted->tree_size() != head.tree_size()) {
    uint64_t from = std::min(trusted->tree_size(), head.tree_size());
    uint64_t to = std::max(trusted->tree_size(), head.tree_size());
    if (from > 0) {
      v1::GetConsistencyProofRequest request;
      request.set_from_size(from);
      request.set_to_size(to);
      absl::StatusOr<v1::GetConsistencyProofResponse> response = GetConsistencyProof(request);
      if (!response.ok()) {
        absl::StatusCode code = response.status().code();
        if (code != absl::StatusCode::kInvalidArgument && code != absl::StatusCode::kNotFound) {
          return response.status();
        }
        // The server cannot even prove it: the trusted head is not in its history.
        return absl::FailedPreconditionError(absl::StrCat(
            "the server cannot prove its tree of size ", head.tree_size(),
            " consistent with the trusted head of size ", trusted->tree_size(),
            " (the history was rewritten or truncated): ", response.status().message()));
      }
      proof.assign(response->proof().begin(), response->proof().end());
    }
  }
  if (absl::Status s = verifier_->Observe(head, proof); !s.ok()) return s;
  if (!options_.trusted_head_file.empty())
    return verifier_->SaveTrusted(options_.trusted_head_file);
  return absl::OkStatus();
}

template <typename Response>
absl::StatusOr<Response> Client::Checked(absl::StatusOr<Response> response) {
  if (!response.ok()) return response;
  if (absl::Status s = CheckHead(response->tree_head()); !s.ok()) return s;
  return response;
}

template <typename Request, typename Response>
absl::StatusOr<Response> Client::Call(Method<Request, Response> method, const Request& request) {
  absl::Duration backoff = options_.initial_backoff;
  absl::Status status;
  for (int attempt = 1;; ++attempt) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
    Response response;
    status = FromGrpcStatus(((*stub_).*method)(&context, request, &response));
    if (status.ok()) return response;
    if (status.code() != absl::StatusCode::kUnavailable || attempt >= options_.max_attempts) {
      return status;
    }
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(backoff));
    backoff *= 2;
  }
}

absl::StatusOr<v1::RecordEntryResponse> Client::RecordEntry(v1::RecordEntryRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Checked(Call(&v1::CreditRegistryService::StubInterface::RecordEntry, request));
}

absl::StatusOr<v1::ImportEntriesResponse> Client::ImportEntries(v1::ImportEntriesRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Checked(Call(&v1::CreditRegistryService::StubInterface::ImportEntries, request));
}

absl::StatusOr<v1::UpdateEntryResponse> Client::UpdateEntry(v1::UpdateEntryRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Checked(Call(&v1::CreditRegistryService::StubInterface::UpdateEntry, request));
}

absl::StatusOr<v1::RemoveEntryResponse> Client::RemoveEntry(v1::RemoveEntryRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Checked(Call(&v1::CreditRegistryService::StubInterface::RemoveEntry, request));
}

absl::StatusOr<v1::PutMeasureResponse> Client::PutMeasure(v1::PutMeasureRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Checked(Call(&v1::CreditRegistryService::StubInterface::PutMeasure, request));
}

absl::StatusOr<v1::EntryTransitionResponse> Client::ApproveEntry(v1::ApproveEntryRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Checked(Call(&v1::CreditRegistryService::StubInterface::ApproveEntry, request));
}

absl::StatusOr<v1::EntryTransitionResponse> Client::RejectEntry(v1::RejectEntryRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Checked(Call(&v1::CreditRegistryService::StubInterface::RejectEntry, request));
}

absl::StatusOr<v1::EntryTransitionResponse> Client::FileObjection(
    v1::FileObjectionRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Checked(Call(&v1::CreditRegistryService::StubInterface::FileObjection, request));
}

absl::StatusOr<v1::EntryTransitionResponse> Client::ResolveObjection(
    v1::ResolveObjectionRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Checked(Call(&v1::CreditRegistryService::StubInterface::ResolveObjection, request));
}

absl::StatusOr<v1::EntryTransitionResponse> Client::ApplyForRepair(
    v1::ApplyForRepairRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Checked(Call(&v1::CreditRegistryService::StubInterface::ApplyForRepair, request));
}

absl::StatusOr<v1::EntryTransitionResponse> Client::ApproveRepair(
    v1::ApproveRepairRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Checked(Call(&v1::CreditRegistryService::StubInterface::ApproveRepair, request));
}

absl::StatusOr<v1::EntryTransitionResponse> Client::RejectRepair(v1::RejectRepairRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Checked(Call(&v1::CreditRegistryService::StubInterface::RejectRepair, request));
}

absl::StatusOr<v1::SetTimeResponse> Client::SetTime(const v1::SetTimeRequest& request) {
  return Call(&v1::CreditRegistryService::StubInterface::SetTime, request);
}

absl::StatusOr<v1::RecordFeedbackResponse> Client::RecordFeedback(
    v1::RecordFeedbackRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Checked(Call(&v1::CreditRegistryService::StubInterface::RecordFeedback, request));
}

absl::StatusOr<v1::GetStatisticsResponse> Client::GetStatistics(
    const v1::GetStatisticsRequest& request) {
  return Call(&v1::CreditRegistryService::StubInterface::GetStatistics, request);
}

absl::Status Client::WatchChanges(uint64_t from_sequence,
                                  absl::FunctionRef<bool(const v1::WatchChangesResponse&)> receive,
                                  absl::Duration deadline) {
  grpc::ClientContext context;
  if (deadline != absl::InfiniteDuration()) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  }
  v1::WatchChangesRequest request;
  request.set_from_sequence(from_sequence);
  std::unique_ptr<grpc::ClientReaderInterface<v1::WatchChangesResponse>> reader =
      stub_->WatchChanges(&context, request);
  v1::WatchChangesResponse batch;
  while (reader->Read(&batch)) {
    if (!receive(batch)) {
      context.TryCancel();
      while (reader->Read(&batch)) {
      }
      reader->Finish();
      return absl::OkStatus();
    }
  }
  return FromGrpcStatus(reader->Finish());
}

absl::StatusOr<v1::SearchSubjectsResponse> Client::SearchSubjects(
    const v1::SearchSubjectsRequest& request) {
  return Call(&v1::CreditRegistryService::StubInterface::SearchSubjects, request);
}

absl::StatusOr<v1::GetEntryResponse> Client::GetEntry(const v1::GetEntryRequest& request) {
  return Call(&v1::CreditRegistryService::StubInterface::GetEntry, request);
}

absl::StatusOr<v1::ListEntriesResponse> Client::ListEntries(const v1::ListEntriesRequest& request) {
  return Call(&v1::CreditRegistryService::StubInterface::ListEntries, request);
}

absl::StatusOr<v1::GetCreditStatusResponse> Client::GetCreditStatus(
    const v1::GetCreditStatusRequest& request) {
  return Checked(Call(&v1::CreditRegistryService::StubInterface::GetCreditStatus, request));
}

absl::StatusOr<v1::BatchGetCreditStatusResponse> Client::BatchGetCreditStatus(
    const v1::BatchGetCreditStatusRequest& request) {
  return Checked(Call(&v1::CreditRegistryService::StubInterface::BatchGetCreditStatus, request));
}

absl::StatusOr<v1::ListMeasuresResponse> Client::ListMeasures(
    const v1::ListMeasuresRequest& request) {
  return Call(&v1::CreditRegistryService::StubInterface::ListMeasures, request);
}

absl::StatusOr<v1::ListChangesResponse> Client::ListChanges(const v1::ListChangesRequest& request) {
  return Call(&v1::CreditRegistryService::StubInterface::ListChanges, request);
}

absl::StatusOr<v1::GetTreeHeadResponse> Client::GetTreeHead(const v1::GetTreeHeadRequest& request) {
  return Call(&v1::CreditRegistryService::StubInterface::GetTreeHead, request);
}

absl::StatusOr<v1::GetInclusionProofResponse> Client::GetInclusionProof(
    const v1::GetInclusionProofRequest& request) {
  return Call(&v1::CreditRegistryService::StubInterface::GetInclusionProof, request);
}

absl::StatusOr<v1::GetConsistencyProofResponse> Client::GetConsistencyProof(
    const v1::GetConsistencyProofRequest& request) {
  return Call(&v1::CreditRegistryService::StubInterface::GetConsistencyProof, request);
}

absl::StatusOr<v1::GetSigningKeyResponse> Client::GetSigningKey() {
  return Call(&v1::CreditRegistryService::StubInterface::GetSigningKey, v1::GetSigningKeyRequest());
}

absl::StatusOr<v1::GetCreditStatusAtResponse> Client::GetCreditStatusAt(
    const v1::GetCreditStatusAtRequest& request) {
  absl::StatusOr<v1::GetCreditStatusAtResponse> response =
      Checked(Call(&v1::CreditRegistryService::StubInterface::GetCreditStatusAt, request));
  if (!response.ok() || !verifier_) return response;
  for (const v1::Evidence& evidence : response->evidence()) {
    std::vector<std::string> proof(evidence.inclusion_proof().begin(),
                                   evidence.inclusion_proof().end());
    const v1::Change& change = evidence.change();
    absl::Status s = change.record().empty()
                         ? verifier_->VerifyInclusion(change.sequence(), change.hash(), proof,
                                                      response->tree_head())
                         : verifier_->VerifyRecordInclusion(change.sequence(), change.record(),
                                                            proof, response->tree_head());
    if (s.ok() && !change.record().empty()) {
      // The change as shown must be the change as recorded.
      absl::StatusOr<ChangeRecord> record = DecodeChangeRecord(change.record());
      v1::Entry recorded;
      if (!record.ok() || record->sequence != change.sequence() ||
          !recorded.ParseFromString(record->after) ||
          recorded.SerializeAsString() != change.entry_after().SerializeAsString()) {
        s = absl::FailedPreconditionError("the entry shown differs from the record's");
      }
    }
    if (!s.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("evidence for change ", change.sequence(), ": ", s.message()));
    }
  }
  if (absl::Status s = CheckStatusEvidence(request.subject_code(), *response); !s.ok()) return s;
  return response;
}

absl::StatusOr<v1::ListQueriesResponse> Client::ListQueries(const v1::ListQueriesRequest& request) {
  return Call(&v1::CreditRegistryService::StubInterface::ListQueries, request);
}

absl::StatusOr<v1::GetQueryTreeHeadResponse> Client::GetQueryTreeHead(
    const v1::GetQueryTreeHeadRequest& request) {
  return Call(&v1::CreditRegistryService::StubInterface::GetQueryTreeHead, request);
}

absl::StatusOr<v1::GetQueryInclusionProofResponse> Client::GetQueryInclusionProof(
    const v1::GetQueryInclusionProofRequest& request) {
  return Call(&v1::CreditRegistryService::StubInterface::GetQueryInclusionProof, request);
}

absl::StatusOr<v1::GetQueryConsistencyProofResponse> Client::GetQueryConsistencyProof(
    const v1::GetQueryConsistencyProofRequest& request) {
  return Call(&v1::CreditRegistryService::StubInterface::GetQueryConsistencyProof, request);
}

absl::StatusOr<v1::CreateBackupResponse> Client::CreateBackup() {
  return Call(&v1::CreditRegistryService::StubInterface::CreateBackup, v1::CreateBackupRequest());
}

absl::StatusOr<v1::ListBackupsResponse> Client::ListBackups() {
  return Call(&v1::CreditRegistryService::StubInterface::ListBackups, v1::ListBackupsRequest());
}

}  // namespace credit
