// Mutual TLS is the only way in: calls without a client certificate, with one from another CA,
// or over plaintext never reach a handler; and the client refuses a server it cannot verify.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

grpc::StatusCode StatusCall(std::shared_ptr<grpc::ChannelCredentials> credentials,
                            const TestServer& server) {
  auto stub =
      v1::CreditRegistryService::NewStub(grpc::CreateChannel(server.endpoint(), credentials));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::GetCreditStatusRequest request;
  request.set_purpose("政府采购资格审查");
  request.set_subject_code("91440300MA5FXXXX0U");
  v1::GetCreditStatusResponse response;
  return stub->GetCreditStatus(&context, request, &response).error_code();
}

class TlsTest : public ::testing::Test {
 protected:
  TestServer server_;
};

TEST_F(TlsTest, TheDevCertificatesWork) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = Read(DevPki().dir + "/ca.pem");
  tls.pem_cert_chain = Read(DevPki().dir + "/querier.pem");
  tls.pem_private_key = Read(DevPki().dir + "/querier.key");
  EXPECT_EQ(StatusCall(grpc::SslCredentials(tls), server_), grpc::OK);
}

TEST_F(TlsTest, NoClientCertificateFailsTheHandshake) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = Read(DevPki().dir + "/ca.pem");
  EXPECT_EQ(StatusCall(grpc::SslCredentials(tls), server_), grpc::UNAVAILABLE);
}

TEST_F(TlsTest, ClientCertificateFromAnotherCaFailsTheHandshake) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = Read(DevPki().dir + "/ca.pem");
  tls.pem_cert_chain = Read(DevPki().foreign_dir + "/querier.pem");
  tls.pem_private_key = Read(DevPki().foreign_dir + "/querier.key");
  EXPECT_EQ(StatusCall(grpc::SslCredentials(tls), server_), grpc::UNAVAILABLE);
}

TEST_F(TlsTest, PlaintextIsRefused) {
  EXPECT_EQ(StatusCall(grpc::InsecureChannelCredentials(), server_), grpc::UNAVAILABLE);
}

TEST_F(TlsTest, TheClientRefusesAServerItCannotVerify) {
  ClientOptions options = server_.OptionsFor("querier");
  options.ca_file = DevPki().foreign_dir + "/ca.pem";
  options.max_attempts = 1;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  ASSERT_TRUE(client.ok());
  v1::GetCreditStatusRequest request;
  request.set_purpose("政府采购资格审查");
  request.set_subject_code("91440300MA5FXXXX0U");
  EXPECT_EQ((*client)->GetCreditStatus(request).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(TlsTest, MissingKeyFileIsReportedByConnect) {
  ClientOptions options = server_.OptionsFor("querier");
  options.key_file = "/nonexistent/querier.key";
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  EXPECT_EQ(client.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(client.status().message(), "client key (--key): cannot read /nonexistent/querier.key");
}

}  // namespace
}  // namespace credit::testing
