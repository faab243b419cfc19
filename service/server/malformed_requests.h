// Requests that do not parse — a string field that is not valid UTF-8, malformed protobuf — are
// the caller's mistake: gRPC answers them INTERNAL (synchronous API) or UNIMPLEMENTED (callback
// API) with no message, and protobuf writes an error
// line for each. These turn the answer into INVALID_ARGUMENT naming the method, and bound the
// lines protobuf writes to one a second (with a count of those left out).
#ifndef CREDIT_SERVICE_SERVER_MALFORMED_REQUESTS_H_
#define CREDIT_SERVICE_SERVER_MALFORMED_REQUESTS_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace credit {

// The message a request that did not parse is answered with.
std::string MalformedRequestMessage(absl::string_view method);

// Makes every server call whose request did not parse end with INVALID_ARGUMENT. gRPC ends such
// a call with INTERNAL or UNIMPLEMENTED and an empty message before any handler runs; no handler
// of creditd answers either without a message.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MalformedRequestInterceptor();

// Routes protobuf's log lines to stderr, at most one a second; thread-safe, process-wide. Call
// once at start.
void LimitProtobufLogging();

}  // namespace credit

#endif  // CREDIT_SERVICE_SERVER_MALFORMED_REQUESTS_H_
