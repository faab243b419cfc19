// The one translation between absl::Status (used everywhere inside) and grpc::Status (on the
// wire), whose details (`grpc-status-details-bin`) are the google.rpc.Status of ToRpcStatus
// (common/status/error_details.h). The canonical codes share their numbers.
#ifndef CREDIT_COMMON_STATUS_GRPC_STATUS_H_
#define CREDIT_COMMON_STATUS_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace credit {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace credit

#endif  // CREDIT_COMMON_STATUS_GRPC_STATUS_H_
