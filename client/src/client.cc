#include "credit/client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <openssl/rand.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"
#include "common/status/grpc_status.h"

namespace credit {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(what, ": cannot read ", path));
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace

std::string NewRequestId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();
  return ToHex(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  grpc::SslCredentialsOptions tls;
  absl::StatusOr<std::string> ca = ReadPem(options.ca_file, "CA certificate (--cacert)");
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> cert = ReadPem(options.cert_file, "client certificate (--cert)");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(options.key_file, "client key (--key)");
  if (!key.ok()) return key.status();
  tls.pem_root_certs = *std::move(ca);
  tls.pem_cert_chain = *std::move(cert);
  tls.pem_private_key = *std::move(key);
  auto channel = grpc::CreateChannel(options.endpoint, grpc::SslCredentials(tls));
  return std::make_unique<Client>(v1::CreditRegistry::NewStub(channel), options);
}

Client::Client(std::unique_ptr<v1::CreditRegistry::StubInterface> stub, ClientOptions options)
    : stub_(std::move(stub)), options_(std::move(options)) {}

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
  return Call(&v1::CreditRegistry::StubInterface::RecordEntry, request);
}

absl::StatusOr<v1::UpdateEntryResponse> Client::UpdateEntry(v1::UpdateEntryRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Call(&v1::CreditRegistry::StubInterface::UpdateEntry, request);
}

absl::StatusOr<v1::RemoveEntryResponse> Client::RemoveEntry(v1::RemoveEntryRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Call(&v1::CreditRegistry::StubInterface::RemoveEntry, request);
}

absl::StatusOr<v1::PutMeasureResponse> Client::PutMeasure(v1::PutMeasureRequest request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
  return Call(&v1::CreditRegistry::StubInterface::PutMeasure, request);
}

absl::StatusOr<v1::GetEntryResponse> Client::GetEntry(const v1::GetEntryRequest& request) {
  return Call(&v1::CreditRegistry::StubInterface::GetEntry, request);
}

absl::StatusOr<v1::ListEntriesResponse> Client::ListEntries(
    const v1::ListEntriesRequest& request) {
  return Call(&v1::CreditRegistry::StubInterface::ListEntries, request);
}

absl::StatusOr<v1::GetCreditStatusResponse> Client::GetCreditStatus(
    const v1::GetCreditStatusRequest& request) {
  return Call(&v1::CreditRegistry::StubInterface::GetCreditStatus, request);
}

absl::StatusOr<v1::BatchGetCreditStatusResponse> Client::BatchGetCreditStatus(
    const v1::BatchGetCreditStatusRequest& request) {
  return Call(&v1::CreditRegistry::StubInterface::BatchGetCreditStatus, request);
}

absl::StatusOr<v1::ListMeasuresResponse> Client::ListMeasures(
    const v1::ListMeasuresRequest& request) {
  return Call(&v1::CreditRegistry::StubInterface::ListMeasures, request);
}

absl::StatusOr<v1::ListChangesResponse> Client::ListChanges(
    const v1::ListChangesRequest& request) {
  return Call(&v1::CreditRegistry::StubInterface::ListChanges, request);
}

}  // namespace credit
