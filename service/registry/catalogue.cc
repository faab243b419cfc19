// Registry's measures catalogue: put, seed at start, list.
#include <mutex>
#include <shared_mutex>

#include "absl/strings/str_cat.h"
#include "common/changelog/change_record.h"
#include "common/proto/deterministic.h"
#include "common/status/status_macros.h"
#include "service/registry/page_token.h"
#include "service/registry/registry.h"
#include "service/registry/registry_internal.h"

namespace credit {

absl::StatusOr<v1::PutMeasureResponse> Registry::PutMeasure(const Caller& caller,
                                                            const v1::PutMeasureRequest& request) {
  RETURN_IF_ERROR(ValidateMeasure(request.measure()));
  auto build = [&](Mutation& m, v1::PutMeasureResponse& response)
                   ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::Status {
    v1::Measure& after = *response.mutable_measure();
    after = request.measure();
    auto existing = writer_catalogue_.find(after.code());
    ChangeRecord record;
    record.operation = v1::OPERATION_MEASURE_PUT;
    record.object_type = ObjectType::kMeasure;
    if (existing != writer_catalogue_.end()) {
      after.set_revision(existing->second.revision() + 1);
      record.before = SerializeDeterministic(existing->second);
    } else {
      after.set_revision(1);
    }
    record.after = SerializeDeterministic(after);
    m.out().PutMeasure(after.code(), record.after);
    m.Append(record, {});
    writer_catalogue_[after.code()] = after;
    m.OnCommit([this, after] {
      std::unique_lock lock(catalogue_mu_);
      catalogue_[after.code()] = after;
    });
    return absl::OkStatus();
  };
  return Mutate<v1::PutMeasureResponse>(caller, Rpc::kPutMeasure, request, request.request_id(),
                                        build);
}

absl::Status Registry::SeedMeasures(const std::vector<v1::Measure>& measures) {
  Caller system{kSystemIdentity, kSystemDepartment, static_cast<uint32_t>(Role::kAdmin), true};
  for (const v1::Measure& measure : measures) {
    {
      std::shared_lock lock(catalogue_mu_);
      if (catalogue_.contains(measure.code())) continue;
    }
    v1::PutMeasureRequest request;
    *request.mutable_measure() = measure;
    request.set_request_id(absl::StrCat("seed-", measure.code()));
    absl::StatusOr<v1::PutMeasureResponse> response = PutMeasure(system, request);
    if (!response.ok()) {
      return absl::Status(
          response.status().code(),
          absl::StrCat("seeding measure ", measure.code(), ": ", response.status().message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ListMeasuresResponse> Registry::ListMeasures(
    const Caller& caller, const v1::ListMeasuresRequest& request) {
  RETURN_IF_ERROR(ValidateListMeasuresRequest(request));
  const int page_size = PageSizeOf(request.page_size());
  uint64_t fingerprint = FilterFingerprint(request);
  ASSIGN_OR_RETURN(std::string next_code, page_tokens_->Decode(request.page_token(), fingerprint));
  v1::ListMeasuresResponse response;
  std::shared_lock lock(catalogue_mu_);
  for (auto it = catalogue_.lower_bound(next_code); it != catalogue_.end(); ++it) {
    if (request.kind() != v1::MEASURE_KIND_UNSPECIFIED && it->second.kind() != request.kind()) {
      continue;
    }
    if (response.measures_size() == page_size) {
      response.set_next_page_token(page_tokens_->Encode(fingerprint, it->first));
      break;
    }
    *response.add_measures() = it->second;
  }
  return response;
}

}  // namespace credit
