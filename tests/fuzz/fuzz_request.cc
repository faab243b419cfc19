// Every request message decoded from raw bytes and pushed through validation and the registry on
// a temporary database, as the handlers would: no crash, no sanitizer report, and never an
// unexpected code (only the ones the API documents for bad input and state).
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "service/registry/registry.h"

namespace {

using namespace credit;  // NOLINT: a fuzz target's one file

Registry* TheRegistry() {
  static Registry* registry = [] {
    std::string dir = std::filesystem::temp_directory_path() /
                      ("credit-fuzz-request-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    static const std::string folder = dir;
    std::atexit([] { std::filesystem::remove_all(folder); });
    static SystemClock clock;
    RegistryOptions options;
    options.data_dir = dir;
    auto opened = Registry::Open(options, *SigningKey::Generate(), &clock);
    if (!opened.ok()) std::abort();
    v1::Measure m;
    m.set_code("P-PROCUREMENT");
    m.set_name("限制参与政府采购");
    m.set_kind(v1::MEASURE_KIND_PUNISHMENT);
    m.add_departments("市财政局");
    m.set_legal_basis("依据");
    if (!(*opened)->SeedMeasures({m}).ok()) std::abort();
    return opened->release();
  }();
  return registry;
}

void Check(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kAlreadyExists:
      return;
    default:
      std::abort();  // DATA_LOSS, INTERNAL, ...: bad input must never reach those
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Registry* r = TheRegistry();
  const Caller caller{
      "fuzzer", "市财政局",
      static_cast<uint32_t>(Role::kRecorder) | static_cast<uint32_t>(Role::kQuerier) |
          static_cast<uint32_t>(Role::kAuditor) | static_cast<uint32_t>(Role::kAdmin),
      (data[0] & 1) != 0};
  const void* body = data + 1;
  int n = static_cast<int>(size - 1);
  switch (data[0] >> 1) {
    case 0: {
      v1::RecordEntryRequest q;
      if (q.ParseFromArray(body, n)) Check(r->RecordEntry(caller, q).status());
      break;
    }
    case 1: {
      v1::UpdateEntryRequest q;
      if (q.ParseFromArray(body, n)) Check(r->UpdateEntry(caller, q).status());
      break;
    }
    case 2: {
      v1::RemoveEntryRequest q;
      if (q.ParseFromArray(body, n)) Check(r->RemoveEntry(caller, q).status());
      break;
    }
    case 3: {
      v1::GetCreditStatusRequest q;
      if (q.ParseFromArray(body, n)) Check(r->GetCreditStatus(caller, q).status());
      break;
    }
    case 4: {
      v1::BatchGetCreditStatusRequest q;
      if (q.ParseFromArray(body, n)) Check(r->BatchGetCreditStatus(caller, q).status());
      break;
    }
    case 5: {
      v1::ListEntriesRequest q;
      if (q.ParseFromArray(body, n)) Check(r->ListEntries(caller, q).status());
      break;
    }
    case 6: {
      v1::ListChangesRequest q;
      if (q.ParseFromArray(body, n)) Check(r->ListChanges(caller, q).status());
      break;
    }
    case 7: {
      v1::PutMeasureRequest q;
      if (q.ParseFromArray(body, n)) Check(r->PutMeasure(caller, q).status());
      break;
    }
    case 8: {
      v1::GetCreditStatusAtRequest q;
      if (q.ParseFromArray(body, n)) Check(r->GetCreditStatusAt(caller, q).status());
      break;
    }
    case 9: {
      v1::GetInclusionProofRequest q;
      if (q.ParseFromArray(body, n)) Check(r->GetInclusionProof(q).status());
      break;
    }
    case 10: {
      v1::GetConsistencyProofRequest q;
      if (q.ParseFromArray(body, n)) Check(r->GetConsistencyProof(q).status());
      break;
    }
    case 11: {
      v1::ListQueriesRequest q;
      if (q.ParseFromArray(body, n)) Check(r->ListQueries(q).status());
      break;
    }
    case 12: {
      v1::RecordFeedbackRequest q;
      if (q.ParseFromArray(body, n)) Check(r->RecordFeedback(caller, q).status());
      break;
    }
    case 13: {
      v1::GetStatisticsRequest q;
      if (q.ParseFromArray(body, n)) Check(r->GetStatistics(q).status());
      break;
    }
    default:
      break;
  }
  return 0;
}
