// creditctl measure list|put
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/commands.h"
#include "common/cli/args.h"
#include "credit/paging.h"

namespace credit::cli {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  creditctl measure list [--kind punishment|incentive]\n"
    "  creditctl measure put --code CODE --name NAME --kind punishment|incentive\n"
    "      --departments DEPT,DEPT --basis TEXT [--request-id ID]\n";

absl::StatusOr<v1::MeasureKind> ParseKind(const std::string& text) {
  if (text == "punishment") return v1::MEASURE_KIND_PUNISHMENT;
  if (text == "incentive") return v1::MEASURE_KIND_INCENTIVE;
  return absl::InvalidArgumentError(
      absl::StrCat("--kind: got \"", text, "\", want punishment or incentive"));
}

void PrintMeasures(const google::protobuf::RepeatedPtrField<v1::Measure>& measures) {
  Table table({"CODE", "KIND", "NAME", "DEPARTMENTS", "REV", "LEGAL BASIS"});
  for (const v1::Measure& m : measures) {
    table.AddRow({m.code(), m.kind() == v1::MEASURE_KIND_INCENTIVE ? "incentive" : "punishment",
                  m.name(), absl::StrJoin(m.departments(), ","), absl::StrCat(m.revision()),
                  m.legal_basis()});
  }
  table.Print();
}

int List(Context& context, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {"--kind"});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  v1::ListMeasuresRequest request;
  if (args->Has("--kind")) {
    absl::StatusOr<v1::MeasureKind> kind = ParseKind(args->Get("--kind"));
    if (!kind.ok()) return UsageError(std::string(kind.status().message()), kUsage);
    request.set_kind(*kind);
  }
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<v1::ListMeasuresResponse> listed =
      ListAll<v1::ListMeasuresRequest, v1::ListMeasuresResponse>(
          request, [&](const v1::ListMeasuresRequest& r) { return (*client)->ListMeasures(r); },
          &v1::ListMeasuresResponse::mutable_measures);
  if (!listed.ok()) return Fail(listed.status());
  const v1::ListMeasuresResponse& all = *listed;
  if (context.format == Format::kJson) {
    PrintJson(all);
  } else {
    PrintMeasures(all.measures());
  }
  return 0;
}

int Put(Context& context, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args =
      Args::Parse(argv, {"--code", "--name", "--kind", "--departments", "--basis", "--request-id"});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  for (const char* flag : {"--code", "--name", "--kind", "--departments", "--basis"}) {
    if (!args->Has(flag)) return UsageError(absl::StrCat(flag, ": required"), kUsage);
  }
  v1::PutMeasureRequest request;
  v1::Measure* measure = request.mutable_measure();
  measure->set_code(args->Get("--code"));
  measure->set_name(args->Get("--name"));
  absl::StatusOr<v1::MeasureKind> kind = ParseKind(args->Get("--kind"));
  if (!kind.ok()) return UsageError(std::string(kind.status().message()), kUsage);
  measure->set_kind(*kind);
  for (std::string& d : SplitList(args->Get("--departments"))) {
    measure->add_departments(std::move(d));
  }
  measure->set_legal_basis(args->Get("--basis"));
  request.set_request_id(args->Get("--request-id"));
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<v1::PutMeasureResponse> response = (*client)->PutMeasure(request);
  if (!response.ok()) return Fail(response.status());
  if (context.format == Format::kJson) {
    PrintJson(*response);
  } else {
    google::protobuf::RepeatedPtrField<v1::Measure> one;
    *one.Add() = response->measure();
    PrintMeasures(one);
  }
  return 0;
}

}  // namespace

int RunMeasure(Context& context, const std::vector<std::string>& argv) {
  if (argv.empty()) return UsageError("measure: want a verb", kUsage);
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (argv[0] == "list") return List(context, rest);
  if (argv[0] == "put") return Put(context, rest);
  return UsageError(absl::StrCat("measure ", argv[0], ": unknown verb"), kUsage);
}

}  // namespace credit::cli
