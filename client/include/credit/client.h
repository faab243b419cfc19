// credit::Client — the C++ client of the Credit Registry.
//
// Wraps the generated stub: typed calls returning absl::StatusOr, mutual TLS, a deadline on
// every call, and retries. Every call is safe to retry: reads are, and a mutation whose
// request_id is empty gets a fresh random one before the first attempt, so the server applies a
// retried mutation once and answers the retry with the first answer. Calls that fail with
// UNAVAILABLE are retried with exponential backoff up to `max_attempts` in all; every other
// failure is returned at once with the server's code and message.
//
// Thread-safe: calls may be made concurrently from any number of threads.
#ifndef CREDIT_CLIENT_INCLUDE_CREDIT_CLIENT_H_
#define CREDIT_CLIENT_INCLUDE_CREDIT_CLIENT_H_

#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "credit/log_verifier.h"
#include "credit/registry/v1/registry.grpc.pb.h"

namespace credit {

namespace v1 = ::credit::registry::v1;

struct ClientOptions {
  // host:port of creditd.
  std::string endpoint = "127.0.0.1:50051";
  // PEM files: the CA that signed the server's certificate, and this client's certificate and
  // private key. The certificate's common name is the identity the server knows the caller by.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // Deadline of each attempt.
  absl::Duration deadline = absl::Seconds(10);
  // Attempts in all for a call that fails with UNAVAILABLE (1 = no retry).
  int max_attempts = 3;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  // The largest answer accepted: the server's default send limit (limits.max_send_message_bytes).
  // List answers stay far below it (their pages end at 1 MiB).
  int max_receive_message_bytes = 64 << 20;
  // The server's tree-head public key (PEM). When set, every answer that carries a signed tree
  // head is verified: its signature, and its consistency with the last head this client trusted
  // (one GetConsistencyProof call when the log has grown); point-in-time answers also have their
  // evidence checked: each record's inclusion proof, and the status recomputed from the records
  // (CheckStatusEvidence). An answer that fails is returned as FAILED_PRECONDITION.
  std::string server_key_file;
  // With server_key_file: where the last trusted head is kept across runs (read at Connect,
  // rewritten whenever trust advances).
  std::string trusted_head_file;
};

// A random 128-bit request id, as 32 hex digits.
std::string NewRequestId();

class Client {
 public:
  // Reads the PEM files and opens a channel to `options.endpoint`. Connecting is lazy: a server
  // that is down shows as UNAVAILABLE on the first call, not here. NOT_FOUND if a file cannot
  // be read.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(const ClientOptions& options);

  // Uses `stub` for every call; for tests, which may pass a mock. `verifier` may be null (no
  // verification).
  Client(std::unique_ptr<v1::CreditRegistryService::StubInterface> stub, ClientOptions options,
         std::unique_ptr<LogVerifier> verifier = nullptr,
         std::shared_ptr<grpc::ChannelInterface> channel = nullptr);

  // The server's answer to the standard health check (grpc.health.v1 Check of the whole
  // server): "SERVING", "NOT_SERVING", ...; the call's error when it fails. FAILED_PRECONDITION
  // for a client made from a stub alone.
  absl::StatusOr<std::string> Health();

  // Mutations. An empty request_id is filled with NewRequestId(); pass your own to make a
  // request idempotent across processes (e.g. a retry after a crash).
  absl::StatusOr<v1::RecordEntryResponse> RecordEntry(v1::RecordEntryRequest request);
  // Up to 1000 entries, all or none (the bulk import path).
  absl::StatusOr<v1::ImportEntriesResponse> ImportEntries(v1::ImportEntriesRequest request);
  absl::StatusOr<v1::UpdateEntryResponse> UpdateEntry(v1::UpdateEntryRequest request);
  absl::StatusOr<v1::RemoveEntryResponse> RemoveEntry(v1::RemoveEntryRequest request);
  absl::StatusOr<v1::PutMeasureResponse> PutMeasure(v1::PutMeasureRequest request);
  // The listing procedure: each moves one entry along; the answer carries its change's head.
  absl::StatusOr<v1::EntryTransitionResponse> ApproveEntry(v1::ApproveEntryRequest request);
  absl::StatusOr<v1::EntryTransitionResponse> RejectEntry(v1::RejectEntryRequest request);
  absl::StatusOr<v1::EntryTransitionResponse> FileObjection(v1::FileObjectionRequest request);
  absl::StatusOr<v1::EntryTransitionResponse> ResolveObjection(v1::ResolveObjectionRequest request);
  absl::StatusOr<v1::EntryTransitionResponse> ApplyForRepair(v1::ApplyForRepairRequest request);
  absl::StatusOr<v1::EntryTransitionResponse> ApproveRepair(v1::ApproveRepairRequest request);
  absl::StatusOr<v1::EntryTransitionResponse> RejectRepair(v1::RejectRepairRequest request);
  // Only on a server started with --test-clock.
  absl::StatusOr<v1::SetTimeResponse> SetTime(const v1::SetTimeRequest& request);
  // An implementing department's report on one measure of an entry in force.
  absl::StatusOr<v1::RecordFeedbackResponse> RecordFeedback(v1::RecordFeedbackRequest request);

  // Reads. See proto/credit/registry/v1/registry.proto for each call's edge cases.
  absl::StatusOr<v1::GetEntryResponse> GetEntry(const v1::GetEntryRequest& request);
  absl::StatusOr<v1::GetStatisticsResponse> GetStatistics(const v1::GetStatisticsRequest& request);
  absl::StatusOr<v1::SearchSubjectsResponse> SearchSubjects(
      const v1::SearchSubjectsRequest& request);
  absl::StatusOr<v1::ListEntriesResponse> ListEntries(const v1::ListEntriesRequest& request);
  absl::StatusOr<v1::GetCreditStatusResponse> GetCreditStatus(
      const v1::GetCreditStatusRequest& request);
  absl::StatusOr<v1::BatchGetCreditStatusResponse> BatchGetCreditStatus(
      const v1::BatchGetCreditStatusRequest& request);
  absl::StatusOr<v1::ListMeasuresResponse> ListMeasures(const v1::ListMeasuresRequest& request);
  absl::StatusOr<v1::ListChangesResponse> ListChanges(const v1::ListChangesRequest& request);
  absl::StatusOr<v1::GetTreeHeadResponse> GetTreeHead(const v1::GetTreeHeadRequest& request);
  absl::StatusOr<v1::GetInclusionProofResponse> GetInclusionProof(
      const v1::GetInclusionProofRequest& request);
  absl::StatusOr<v1::GetConsistencyProofResponse> GetConsistencyProof(
      const v1::GetConsistencyProofRequest& request);
  absl::StatusOr<v1::GetSigningKeyResponse> GetSigningKey();
  absl::StatusOr<v1::GetCreditStatusAtResponse> GetCreditStatusAt(
      const v1::GetCreditStatusAtRequest& request);
  absl::StatusOr<v1::ListQueriesResponse> ListQueries(const v1::ListQueriesRequest& request);
  // The query log's signed heads and proofs, as the server sends them (unverified: check them
  // with a LogVerifier for merkle::HeadDomain::kQueryLog).
  absl::StatusOr<v1::GetQueryTreeHeadResponse> GetQueryTreeHead(
      const v1::GetQueryTreeHeadRequest& request);
  absl::StatusOr<v1::GetQueryInclusionProofResponse> GetQueryInclusionProof(
      const v1::GetQueryInclusionProofRequest& request);
  absl::StatusOr<v1::GetQueryConsistencyProofResponse> GetQueryConsistencyProof(
      const v1::GetQueryConsistencyProofRequest& request);
  // The change stream from `from_sequence` on (see credit::Follower to check it): calls
  // `receive` with each message until it returns false (then OK) or the stream fails (its
  // status: resume from the change after the last one received). No retries; no deadline
  // unless `deadline` is given (DEADLINE_EXCEEDED then).
  absl::Status WatchChanges(uint64_t from_sequence,
                            absl::FunctionRef<bool(const v1::WatchChangesResponse&)> receive,
                            absl::Duration deadline = absl::InfiniteDuration());
  absl::StatusOr<v1::CreateBackupResponse> CreateBackup();
  absl::StatusOr<v1::ListBackupsResponse> ListBackups();

  // The verifier in use, or null when the client does not verify.
  LogVerifier* verifier() const { return verifier_.get(); }

  // With a verifier: checks `head` as described at ClientOptions::server_key_file and advances
  // the trusted head. OK without a verifier.
  absl::Status CheckHead(const v1::SignedTreeHead& head);

 private:
  template <typename Request, typename Response>
  using Method = grpc::Status (v1::CreditRegistryService::StubInterface::*)(grpc::ClientContext*,
                                                                            const Request&,
                                                                            Response*);

  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(Method<Request, Response> method, const Request& request);

  template <typename Response>
  absl::StatusOr<Response> Checked(absl::StatusOr<Response> response);

  std::unique_ptr<v1::CreditRegistryService::StubInterface> stub_;
  std::shared_ptr<grpc::ChannelInterface> channel_;  // null for a client made from a stub
  ClientOptions options_;
  std::unique_ptr<LogVerifier> verifier_;
};

}  // namespace credit

#endif  // CREDIT_CLIENT_INCLUDE_CREDIT_CLIENT_H_
