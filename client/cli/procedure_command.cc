// creditctl entry approve|reject|object|resolve|repair|repair-approve|repair-reject: the listing
// procedure's steps, each one call that moves one entry along (see `entry` for the rest).
#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "common/cli/args.h"

namespace credit::cli {
namespace {

constexpr char kUsage[] =
    "usage (every verb also takes [--revision N] [--request-id ID]):\n"
    "  creditctl entry approve ID                      approver: PROPOSED -> NOTICE (or ACTIVE)\n"
    "  creditctl entry reject ID --reason TEXT         approver: PROPOSED -> REJECTED\n"
    "  creditctl entry object ID --grounds TEXT        recorder, for the subject: -> OBJECTED\n"
    "  creditctl entry resolve ID --uphold|--dismiss --reason TEXT\n"
    "                                                  approver: -> REVOKED, or back\n"
    "  creditctl entry repair ID --evidence TEXT --commitment TEXT\n"
    "                                                  recorder: apply for credit repair\n"
    "  creditctl entry repair-approve ID [--reason TEXT]   approver: ACTIVE -> REPAIRED\n"
    "  creditctl entry repair-reject ID --reason TEXT      approver: the entry stays ACTIVE\n";

// A verb: the flags it takes (besides --revision and --request-id), those it needs, and how it
// calls the server with the parsed arguments, the entry id and the revision.
struct Verb {
  const char* name;
  std::set<std::string> flags;
  std::set<std::string> switches;
  std::vector<std::string> required;
  std::function<absl::StatusOr<v1::EntryTransitionResponse>(
      Client&, const Args&, uint64_t id, uint64_t revision, const std::string& request_id)>
      call;
};

// Sets the fields every procedure request has.
template <typename Request>
Request Named(uint64_t id, uint64_t revision, const std::string& request_id) {
  Request request;
  request.set_entry_id(id);
  request.set_revision(revision);
  request.set_request_id(request_id);
  return request;
}

const std::vector<Verb>& Verbs() {
  static const std::vector<Verb> verbs = {
      {"approve",
       {},
       {},
       {},
       [](Client& c, const Args&, uint64_t id, uint64_t rev, const std::string& rid) {
         return c.ApproveEntry(Named<v1::ApproveEntryRequest>(id, rev, rid));
       }},
      {"reject",
       {"--reason"},
       {},
       {"--reason"},
       [](Client& c, const Args& a, uint64_t id, uint64_t rev, const std::string& rid) {
         auto r = Named<v1::RejectEntryRequest>(id, rev, rid);
         r.set_reason(a.Get("--reason"));
         return c.RejectEntry(std::move(r));
       }},
      {"object",
       {"--grounds"},
       {},
       {"--grounds"},
       [](Client& c, const Args& a, uint64_t id, uint64_t rev, const std::string& rid) {
         auto r = Named<v1::FileObjectionRequest>(id, rev, rid);
         r.set_grounds(a.Get("--grounds"));
         return c.FileObjection(std::move(r));
       }},
      {"resolve",
       {"--reason"},
       {"--uphold", "--dismiss"},
       {"--reason"},
       [](Client& c, const Args& a, uint64_t id, uint64_t rev, const std::string& rid) {
         auto r = Named<v1::ResolveObjectionRequest>(id, rev, rid);
         r.set_resolution(a.Has("--uphold") ? v1::ResolveObjectionRequest::RESOLUTION_UPHOLD
                                            : v1::ResolveObjectionRequest::RESOLUTION_DISMISS);
         r.set_reason(a.Get("--reason"));
         return c.ResolveObjection(std::move(r));
       }},
      {"repair",
       {"--evidence", "--commitment"},
       {},
       {"--evidence", "--commitment"},
       [](Client& c, const Args& a, uint64_t id, uint64_t rev, const std::string& rid) {
         auto r = Named<v1::ApplyForRepairRequest>(id, rev, rid);
         r.set_evidence(a.Get("--evidence"));
         r.set_commitment(a.Get("--commitment"));
         return c.ApplyForRepair(std::move(r));
       }},
      {"repair-approve",
       {"--reason"},
       {},
       {},
       [](Client& c, const Args& a, uint64_t id, uint64_t rev, const std::string& rid) {
         auto r = Named<v1::ApproveRepairRequest>(id, rev, rid);
         r.set_reason(a.Get("--reason"));
         return c.ApproveRepair(std::move(r));
       }},
      {"repair-reject",
       {"--reason"},
       {},
       {"--reason"},
       [](Client& c, const Args& a, uint64_t id, uint64_t rev, const std::string& rid) {
         auto r = Named<v1::RejectRepairRequest>(id, rev, rid);
         r.set_reason(a.Get("--reason"));
         return c.RejectRepair(std::move(r));
       }},
  };
  return verbs;
}

int Run(Context& context, const Verb& verb, const std::vector<std::string>& argv) {
  std::set<std::string> flags = verb.flags;
  flags.insert({"--revision", "--request-id"});
  absl::StatusOr<Args> args = Args::Parse(argv, flags, verb.switches);
  if (!args.ok()) return UsageError(std::string(args.status().message()), kUsage);
  if (args->positionals().size() != 1) {
    return UsageError(absl::StrCat("entry ", verb.name, ": want exactly one entry ID"), kUsage);
  }
  absl::StatusOr<uint64_t> id = ParseNumber(args->positionals()[0], "ID");
  if (!id.ok()) return UsageError(std::string(id.status().message()), kUsage);
  for (const std::string& flag : verb.required) {
    if (!args->Has(flag)) return UsageError(absl::StrCat(flag, ": required"), kUsage);
  }
  if (!verb.switches.empty() && args->Has("--uphold") == args->Has("--dismiss")) {
    return UsageError("entry resolve: want exactly one of --uphold and --dismiss", kUsage);
  }
  absl::StatusOr<uint64_t> revision = args->Number("--revision", 0);
  if (!revision.ok()) return UsageError(std::string(revision.status().message()), kUsage);
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<v1::EntryTransitionResponse> response =
      verb.call(**client, *args, *id, *revision, args->Get("--request-id"));
  if (!response.ok()) return Fail(response.status());
  return PrintEntryResponse(context, *response);
}

}  // namespace

std::optional<int> RunProcedureVerb(Context& context, const std::string& verb,
                                    const std::vector<std::string>& argv) {
  for (const Verb& v : Verbs()) {
    if (verb == v.name) return Run(context, v, argv);
  }
  return std::nullopt;
}

}  // namespace credit::cli
