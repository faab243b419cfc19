#include "common/status/grpc_status.h"

#include <grpcpp/support/error_details.h>

#include <string>

#include "common/status/error_details.h"

namespace credit {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  google::rpc::Status details;
  ToRpcStatus(status, &details);
  grpc::Status out;
  grpc::SetErrorDetails(details, &out);  // code, message and the serialised details
  return out;
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  google::rpc::Status details;
  if (!status.error_details().empty() && grpc::ExtractErrorDetails(status, &details).ok() &&
      details.code() == status.error_code()) {
    details.set_message(status.error_message());
    return FromRpcStatus(details);
  }
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace credit
