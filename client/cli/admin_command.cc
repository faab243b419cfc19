// creditctl admin backup create|list, admin set-time; creditctl health
#include <iostream>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "common/cli/args.h"
#include "common/crypto/sha256.h"
#include "google/protobuf/util/time_util.h"

namespace credit::cli {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  creditctl admin backup create   a consistent online backup into the server's backup_dir\n"
    "  creditctl admin backup list     the backups there (restore with `creditd restore`)\n"
    "  creditctl admin set-time RFC3339   moves the clock of a server started with --test-clock\n"
    "                                     (e.g. 2026-06-01T09:00:00+08:00), then makes the\n"
    "                                     transitions that time made due\n";

void PrintBackups(const google::protobuf::RepeatedPtrField<v1::Backup>& backups) {
  Table table({"ID", "TIME", "SIZE", "TREE SIZE", "ROOT"});
  for (const v1::Backup& b : backups) {
    table.AddRow({absl::StrCat(b.backup_id()),
                  google::protobuf::util::TimeUtil::ToString(b.create_time()),
                  absl::StrCat(b.size_bytes()), absl::StrCat(b.tree_head().tree_size()),
                  ToHex(b.tree_head().root_hash())});
  }
  table.Print();
}

int SetTime(Context& context, const std::string& text) {
  v1::SetTimeRequest request;
  if (!google::protobuf::util::TimeUtil::FromString(text, request.mutable_time())) {
    return UsageError(absl::StrCat("set-time: got \"", text,
                                   "\", want an RFC 3339 time such as 2026-06-01T09:00:00+08:00"),
                      kUsage);
  }
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<v1::SetTimeResponse> response = (*client)->SetTime(request);
  if (!response.ok()) return Fail(response.status());
  if (context.format == Format::kJson) {
    PrintJson(*response);
  } else {
    std::cout << "time " << google::protobuf::util::TimeUtil::ToString(response->time()) << ", "
              << response->transitions() << " transition(s) made\n";
  }
  return 0;
}

}  // namespace

int RunAdmin(Context& context, const std::vector<std::string>& argv) {
  if (argv.size() == 2 && argv[0] == "set-time") return SetTime(context, argv[1]);
  if (argv.size() != 2 || argv[0] != "backup" || (argv[1] != "create" && argv[1] != "list")) {
    return UsageError("admin: want `backup create`, `backup list` or `set-time TIME`", kUsage);
  }
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  if (argv[1] == "create") {
    absl::StatusOr<v1::CreateBackupResponse> response = (*client)->CreateBackup();
    if (!response.ok()) return Fail(response.status());
    if (context.format == Format::kJson) {
      PrintJson(*response);
    } else {
      google::protobuf::RepeatedPtrField<v1::Backup> one;
      *one.Add() = response->backup();
      PrintBackups(one);
    }
    return 0;
  }
  absl::StatusOr<v1::ListBackupsResponse> response = (*client)->ListBackups();
  if (!response.ok()) return Fail(response.status());
  if (context.format == Format::kJson) {
    PrintJson(*response);
  } else {
    PrintBackups(response->backups());
  }
  return 0;
}

int RunHealth(Context& context, const std::vector<std::string>& argv) {
  if (!argv.empty()) {
    return UsageError("health: takes no arguments", "usage: creditctl health\n");
  }
  absl::StatusOr<Client*> client = context.client();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<std::string> health = (*client)->Health();
  if (!health.ok()) return Fail(health.status());
  std::cout << *health << "\n";
  return *health == "SERVING" ? 0 : 1;
}

}  // namespace credit::cli
