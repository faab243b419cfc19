#include "service/server/malformed_requests.h"

#include <google/protobuf/stubs/logging.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace credit {
namespace {

class Interceptor final : public grpc::experimental::Interceptor {
 public:
  explicit Interceptor(grpc::experimental::ServerRpcInfo* info) : info_(info) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      // The synchronous API answers such a call INTERNAL, the callback API UNIMPLEMENTED (every
      // method of the registry's service is implemented), both without a message.
      const bool unparsed =
          status.error_message().empty() &&
          (status.error_code() == grpc::StatusCode::INTERNAL ||
           (status.error_code() == grpc::StatusCode::UNIMPLEMENTED &&
            absl::StartsWith(info_->method(), "/credit.registry.v1.CreditRegistryService/")));
      if (unparsed) {
        methods->ModifySendStatus(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                               MalformedRequestMessage(info_->method())));
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new Interceptor(info);
  }
};

std::atomic<int64_t> last_line_seconds{0};
std::atomic<int64_t> left_out{0};

void BoundedLog(google::protobuf::LogLevel level, const char* filename, int line,
                const std::string& message) {
  if (level < google::protobuf::LOGLEVEL_WARNING) return;
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count();
  int64_t last = last_line_seconds.load();
  if (now == last || !last_line_seconds.compare_exchange_strong(last, now)) {
    left_out.fetch_add(1);
    return;
  }
  int64_t skipped = left_out.exchange(0);
  std::fprintf(stderr, "creditd: protobuf: %s%s\n", message.c_str(),
               skipped > 0 ? absl::StrCat(" (", skipped, " such lines left out)").c_str() : "");
}

}  // namespace

std::string MalformedRequestMessage(absl::string_view method) {
  return absl::StrCat("request: does not parse as the request of ", method,
                      " (a string field that is not valid UTF-8, or malformed protobuf)");
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MalformedRequestInterceptor() {
  return std::make_unique<Factory>();
}

void LimitProtobufLogging() { google::protobuf::SetLogHandler(&BoundedLog); }

}  // namespace credit
