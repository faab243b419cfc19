// creditctl entry record|get|list|update|remove
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/commands.h"
#include "common/cli/args.h"
#include "common/proto/enum_names.h"
#include "credit/paging.h"

namespace credit::cli {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  creditctl entry record --subject CODE --name NAME --list black|red|watch --category C\n"
    "      --facts TEXT --basis TEXT --authority NAME --document NO --decided DATE\n"
    "      --effective DATE --expires DATE [--severity minor|general|serious]\n"
    "      [--measures CODE,CODE] [--kind org|person] [--publicity-start DATE --publicity-end "
    "DATE]\n"
    "      [--request-id ID]   (--severity is required for black and watch entries)\n"
    "  creditctl entry get ID\n"
    "  creditctl entry list [--list K] [--status S] [--subject CODE] [--authority A]\n"
    "      [--category C] [--limit N]\n"
    "  creditctl entry update ID --reason TEXT [--revision N] [any field flag of record]\n"
    "  creditctl entry remove ID --reason TEXT --revoking-document NO [--revision N]\n"
    "      [--request-id ID]   (revokes the decision; credit repair is `entry repair`)\n"
    "  creditctl entry import FILE [--dry-run]   CSV or JSON Lines, one entry per row\n"
    "  creditctl entry approve|reject|object|resolve|repair|repair-approve|repair-reject ...\n"
    "      the listing procedure: `creditctl entry approve` without an ID for its usage\n";

const std::set<std::string>& kFieldFlags = EntryFieldFlags();

absl::StatusOr<v1::ListKind> ParseList(const std::string& text) {
  std::string t = absl::AsciiStrToLower(text);
  if (t == "red") return v1::LIST_KIND_RED;
  if (t == "black") return v1::LIST_KIND_BLACK;
  if (t == "watch") return v1::LIST_KIND_WATCH;
  return absl::InvalidArgumentError(
      absl::StrCat("--list: got \"", text, "\", want black, red or watch"));
}

absl::StatusOr<v1::EntryStatus> ParseStatus(const std::string& text) {
  std::optional<v1::EntryStatus> status = ParseShortName<v1::EntryStatus>(text);
  if (status.has_value() && *status != v1::ENTRY_STATUS_UNSPECIFIED) return *status;
  return absl::InvalidArgumentError(
      absl::StrCat("--status: got \"", text,
                   "\", want proposed, notice, active, objected, rejected, revoked, repaired or "
                   "expired"));
}

}  // namespace

const std::set<std::string>& EntryFieldFlags() {
  static const std::set<std::string> flags = {
      "--subject",         "--name",          "--kind",      "--list",     "--category",
      "--facts",           "--basis",         "--authority", "--document", "--decided",
      "--publicity-start", "--publicity-end", "--effective", "--expires",  "--measures",
      "--severity"};
  return flags;
}

absl::Status ApplyFieldFlags(const Args& args, v1::Entry* entry) {
  if (args.Has("--subject")) entry->mutable_subject()->set_code(args.Get("--subject"));
  if (args.Has("--name")) entry->mutable_subject()->set_name(args.Get("--name"));
  if (args.Has("--kind")) {
    std::string kind = args.Get("--kind");
    if (kind == "org") {
      entry->mutable_subject()->set_kind(v1::SUBJECT_KIND_ORGANIZATION);
    } else if (kind == "person") {
      entry->mutable_subject()->set_kind(v1::SUBJECT_KIND_PERSON);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--kind: got \"", kind, "\", want org or person"));
    }
  }
  if (args.Has("--list")) {
    absl::StatusOr<v1::ListKind> list = ParseList(args.Get("--list"));
    if (!list.ok()) return list.status();
    entry->set_list(*list);
  }
  if (args.Has("--severity")) {
    std::optional<v1::Severity> value = ParseShortName<v1::Severity>(args.Get("--severity"));
    if (!value.has_value() || *value == v1::SEVERITY_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat("--severity: got \"", args.Get("--severity"),
                                                     "\", want minor, general or serious"));
    }
    entry->set_severity(*value);
  }
  if (args.Has("--category")) entry->set_category(args.Get("--category"));
  if (args.Has("--facts")) entry->set_facts(args.Get("--facts"));
  if (args.Has("--basis")) entry->set_legal_basis(args.Get("--basis"));
  if (args.Has("--authority")) entry->set_authority(args.Get("--authority"));
  if (args.Has("--document")) entry->set_document_number(args.Get("--document"));
  if (args.Has("--decided")) entry->set_decision_date(args.Get("--decided"));
  if (args.Has("--publicity-start")) entry->set_publicity_start(args.Get("--publicity-start"));
  if (args.Has("--publicity-end")) entry->set_publicity_end(args.Get("--publicity-end"));
  if (args.Has("--effective")) entry->set_effective_date(args.Get("--effective"));
  if (args.Has("--expires")) entry->set_expiry_date(args.Get("--expires"));
  if (args.Has("--measures")) {
    entry->clear_measure_codes();
    for (std::string& code : SplitList(args.Get("--measures"))) {
      entry->add_measure_codes(std::move(code));
    }
  }
  return absl::OkStatus();
}

namespace {

void PrintEntries(const google::protobuf::RepeatedPtrField<v1::Entry>& entries) {
  Table table({"ID", "SUBJECT", "NAME", "LIST", "SEVERITY", "STATUS", "REV", "EFFECTIVE", "EXPIRES",
               "PUBLISHED UNTIL", "AUTHORITY", "DOCUMENT", "MEASURES"});
  for (const v1::Entry& e : entries) {
    table.AddRow({absl::StrCat(e.id()), e.subject().code(), e.subject().name(), ListName(e.list()),
                  SeverityName(e.severity()), StatusName(e.status()), absl::StrCat(e.revision()),
                  e.effective_date(), e.expiry_date(), PublishedUntil(e), e.authority(),
                  e.document_number(), absl::StrJoin(e.measure_codes(), ",")});
  }
  table.Print();
}

absl::StatusOr<uint64_t> EntryId(const Args& args) {
  if (args.positionals().size() != 1) {
    return absl::InvalidArgumentError("want exactly one entry ID");
  }
  return ParseNumber(args.positionals()[0], "ID");
}

int Record(Context& context, const std::vector<std::string>& argv) {
  std::set<std::string> accepted = kFieldFlags;
  accepted.insert("--request-id");
  absl::StatusOr<Args> args = Args::Parse(argv, accepted);
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  if (!args->positionals().empty())
    return UsageError("record takes no positional arguments", kUsage);
  for (const char* flag : {"--subject", "--name", "--list", "--category", "--facts", "--basis",
                           "--authority", "--document", "--decided", "--effective", "--expires"}) {
    if (!args->Has(flag)) return UsageError(absl::StrCat(flag, ": required"), kUsage);
  }
  v1::RecordEntryRequest request;
  if (absl::Status s = ApplyFieldFlags(*args, request.mutable_entry()); !s.ok()) {
    return UsageError(std::string(s.message()), kUsage);
  }
  request.set_request_id(args->Get("--request-id"));
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<v1::RecordEntryResponse> response = (*client)->RecordEntry(request);
  if (!response.ok()) return Fail(response.status());
  return PrintEntryResponse(context, *response);
}

int Get(Context& context, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(argv, {});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  absl::StatusOr<uint64_t> id = EntryId(*args);
  if (!id.ok()) return UsageError(std::string(id.status().message()), kUsage);
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  v1::GetEntryRequest request;
  request.set_entry_id(*id);
  absl::StatusOr<v1::GetEntryResponse> response = (*client)->GetEntry(request);
  if (!response.ok()) return Fail(response.status());
  return PrintEntryResponse(context, *response);
}

int List(Context& context, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(
      argv, {"--list", "--status", "--subject", "--authority", "--category", "--limit"});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  if (!args->positionals().empty()) return UsageError("list takes no positional arguments", kUsage);
  v1::ListEntriesRequest request;
  if (args->Has("--list")) {
    absl::StatusOr<v1::ListKind> list = ParseList(args->Get("--list"));
    if (!list.ok()) return UsageError(std::string(list.status().message()), kUsage);
    request.set_list(*list);
  }
  if (args->Has("--status")) {
    absl::StatusOr<v1::EntryStatus> status = ParseStatus(args->Get("--status"));
    if (!status.ok()) return UsageError(std::string(status.status().message()), kUsage);
    request.set_status(*status);
  }
  request.set_subject_code(args->Get("--subject"));
  request.set_authority(args->Get("--authority"));
  request.set_category(args->Get("--category"));
  absl::StatusOr<uint64_t> limit = args->Number("--limit", 1000);
  if (!limit.ok()) return UsageError(std::string(limit.status().message()), kUsage);

  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<v1::ListEntriesResponse> listed =
      ListAll<v1::ListEntriesRequest, v1::ListEntriesResponse>(
          request, [&](const v1::ListEntriesRequest& r) { return (*client)->ListEntries(r); },
          &v1::ListEntriesResponse::mutable_entries, *limit);
  if (!listed.ok()) return Fail(listed.status());
  const v1::ListEntriesResponse& all = *listed;
  if (context.format == Format::kJson) {
    PrintJson(all);
  } else {
    PrintEntries(all.entries());
  }
  return 0;
}

int Update(Context& context, const std::vector<std::string>& argv) {
  std::set<std::string> accepted = kFieldFlags;
  accepted.insert({"--reason", "--revision", "--request-id"});
  absl::StatusOr<Args> args = Args::Parse(argv, accepted);
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  absl::StatusOr<uint64_t> id = EntryId(*args);
  if (!id.ok()) return UsageError(std::string(id.status().message()), kUsage);
  if (!args->Has("--reason")) return UsageError("--reason: required", kUsage);
  absl::StatusOr<uint64_t> revision = args->Number("--revision", 0);
  if (!revision.ok()) return UsageError(std::string(revision.status().message()), kUsage);

  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  // Read, change the given fields, write back with the revision read: a concurrent change
  // makes the write fail with ABORTED instead of being overwritten.
  v1::GetEntryRequest get;
  get.set_entry_id(*id);
  absl::StatusOr<v1::GetEntryResponse> current = (*client)->GetEntry(get);
  if (!current.ok()) return Fail(current.status());
  v1::UpdateEntryRequest request;
  *request.mutable_entry() = current->entry();
  if (*revision != 0) request.mutable_entry()->set_revision(*revision);
  if (absl::Status s = ApplyFieldFlags(*args, request.mutable_entry()); !s.ok()) {
    return UsageError(std::string(s.message()), kUsage);
  }
  request.set_reason(args->Get("--reason"));
  request.set_request_id(args->Get("--request-id"));
  absl::StatusOr<v1::UpdateEntryResponse> response = (*client)->UpdateEntry(request);
  if (!response.ok()) return Fail(response.status());
  return PrintEntryResponse(context, *response);
}

int Remove(Context& context, const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = Args::Parse(
      argv, {"--kind", "--reason", "--revoking-document", "--revision", "--request-id"});
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  absl::StatusOr<uint64_t> id = EntryId(*args);
  if (!id.ok()) return UsageError(std::string(id.status().message()), kUsage);
  v1::RemoveEntryRequest request;
  request.set_entry_id(*id);
  request.set_kind(v1::REMOVAL_KIND_REVOKE);
  if (args->Has("--kind") && args->Get("--kind") != "revoke") {
    return UsageError(absl::StrCat("--kind: got \"", args->Get("--kind"),
                                   "\", want revoke (credit repair is `entry repair`)"),
                      kUsage);
  }
  for (const char* flag : {"--reason", "--revoking-document"}) {
    if (!args->Has(flag)) return UsageError(absl::StrCat(flag, ": required"), kUsage);
  }
  request.set_reason(args->Get("--reason"));
  request.set_revoking_document(args->Get("--revoking-document"));
  absl::StatusOr<uint64_t> revision = args->Number("--revision", 0);
  if (!revision.ok()) return UsageError(std::string(revision.status().message()), kUsage);
  request.set_revision(*revision);
  request.set_request_id(args->Get("--request-id"));
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<v1::RemoveEntryResponse> response = (*client)->RemoveEntry(request);
  if (!response.ok()) return Fail(response.status());
  return PrintEntryResponse(context, *response);
}

}  // namespace

int PrintEntryResponse(const Context& context, const google::protobuf::Message& response,
                       const v1::Entry& entry) {
  if (context.format == Format::kJson) {
    PrintJson(response);
  } else {
    google::protobuf::RepeatedPtrField<v1::Entry> one;
    *one.Add() = entry;
    PrintEntries(one);
  }
  return 0;
}

int RunEntry(Context& context, const std::vector<std::string>& argv) {
  if (argv.empty()) return UsageError("entry: want a verb", kUsage);
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  const std::string& verb = argv[0];
  if (verb == "record") return Record(context, rest);
  if (verb == "get") return Get(context, rest);
  if (verb == "list") return List(context, rest);
  if (verb == "update") return Update(context, rest);
  if (verb == "remove") return Remove(context, rest);
  if (verb == "import") return RunImport(context, rest);
  if (std::optional<int> done = RunProcedureVerb(context, verb, rest)) return *done;
  return UsageError(absl::StrCat("entry ", verb, ": unknown verb"), kUsage);
}

std::string ListName(int list_kind) {
  return absl::AsciiStrToLower(ShortName(static_cast<v1::ListKind>(list_kind)));
}

std::string SeverityName(int severity) {
  if (severity == v1::SEVERITY_UNSPECIFIED) return "-";
  return absl::AsciiStrToLower(ShortName(static_cast<v1::Severity>(severity)));
}

std::string PublishedUntil(const v1::Entry& entry) {
  return entry.publication_ended() || entry.publicity_end().empty() ? "-" : entry.publicity_end();
}

std::string StatusName(int entry_status) {
  return absl::AsciiStrToLower(ShortName(static_cast<v1::EntryStatus>(entry_status)));
}

}  // namespace credit::cli
