// creditd: the Credit Registry server.
//
//   creditd --config FILE [--listen ADDR] [--data-dir DIR] [--backup-dir DIR] [--port-file FILE]
//           [--test-clock]
//   creditd verify --data-dir DIR [--public-key FILE]
//   creditd restore --backup-dir DIR --data-dir DIR [--backup-id N]
//                   (--public-key FILE | --no-signature-check)
//
// Flags override the configuration file. --port-file receives the port actually bound (useful
// with --listen 127.0.0.1:0). SIGTERM or SIGINT shut the server down cleanly: calls in flight
// finish, the status index is saved beside the database (the next start loads it), the database
// closes. SIGHUP re-reads the configuration's identities (to add, change or revoke one without a
// restart); a configuration that does not load is reported and ignored.
#include <malloc.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/cli/args.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/sha256.h"
#include "common/io/read_file.h"
#include "service/backup/backup.h"
#include "service/clock/clock.h"
#include "service/config/config.h"
#include "service/events/event_log.h"
#include "service/server/server.h"
#include "service/storage/file_modes.h"
#include "service/storage/store.h"
#include "service/verify/store_verifier.h"

namespace {

constexpr char kUsage[] =
    "usage: creditd --config FILE [--listen ADDR] [--data-dir DIR] [--backup-dir DIR]\n"
    "               [--port-file FILE] [--test-clock]\n"
    "         --test-clock lets an admin set the service's clock (creditctl admin set-time), for\n"
    "         tests of the listing procedure's deadlines; never in production.\n"
    "       creditd verify --data-dir DIR [--public-key FILE]\n"
    "         checks a stopped server's database: every change record, hash, Merkle node and\n"
    "         signed tree head, the indexes, the query log. Exit 0 when all match, 1 and the\n"
    "         first bad item when not. The public key defaults to DIR/tree-head-signing.key.pub.\n"
    "       creditd restore --backup-dir DIR --data-dir NEW_DIR [--backup-id N]\n"
    "                       (--public-key FILE | --no-signature-check)\n"
    "         restores a backup (default: the latest) into a new folder after checking every\n"
    "         file's checksum, then verifies the restored log against the backup's head and\n"
    "         its signatures against FILE, the tree-head public key you trust. Only with\n"
    "         --no-signature-check does it restore without checking who signed the heads.\n";

struct Flags {
  std::string config, listen, data_dir, port_file, public_key, backup_dir, backup_id;
  bool no_signature_check = false;
  bool test_clock = false;
};

// Reads the flags one form of the command takes (`accepted`, and the `switches` that take no
// value); false, after saying why, on anything else.
bool ParseFlags(const std::vector<std::string>& argv, const std::set<std::string>& accepted,
                const std::set<std::string>& switches, Flags* flags) {
  absl::StatusOr<credit::cli::Args> args = credit::cli::Args::Parse(argv, accepted, switches);
  if (args.ok() && !args->positionals().empty()) {
    args = absl::InvalidArgumentError(absl::StrCat(args->positionals()[0], ": unexpected"));
  }
  if (!args.ok()) {
    std::cerr << "creditd: " << args.status().message() << "\n";
    return false;
  }
  flags->config = args->Get("--config");
  flags->listen = args->Get("--listen");
  flags->data_dir = args->Get("--data-dir");
  flags->port_file = args->Get("--port-file");
  flags->public_key = args->Get("--public-key");
  flags->backup_dir = args->Get("--backup-dir");
  flags->backup_id = args->Get("--backup-id");
  flags->no_signature_check = args->Has("--no-signature-check");
  flags->test_clock = args->Has("--test-clock");
  return true;
}

absl::StatusOr<std::string> ReadPublicKey(const std::string& path) {
  absl::StatusOr<std::string> pem = credit::ReadFile(path, "public key");
  if (!pem.ok()) return pem.status();
  return credit::PublicKeyFromPem(*pem);
}

int Restore(const Flags& flags) {
  uint32_t id = 0;
  if (!flags.backup_id.empty() && !absl::SimpleAtoi(flags.backup_id, &id)) {
    std::cerr << "creditd restore: --backup-id: want a number\n";
    return 2;
  }
  // Without a key of its own, a restore could only check the heads against the key the backup
  // names: intact, but signed by whoever made the backup.
  if (flags.public_key.empty() == !flags.no_signature_check) {
    std::cerr << "creditd restore: give --public-key FILE (the tree-head public key you trust), "
                 "or --no-signature-check to restore without checking signatures\n";
    return 2;
  }
  std::string public_key;
  if (!flags.public_key.empty()) {
    absl::StatusOr<std::string> key = ReadPublicKey(flags.public_key);
    if (!key.ok()) {
      std::cerr << "creditd restore: " << key.status().message() << "\n";
      return 1;
    }
    public_key = *key;
  }
  absl::StatusOr<credit::registry::v1::Backup> backup =
      credit::RestoreBackup(flags.backup_dir, id, flags.data_dir, public_key);
  if (!backup.ok()) {
    std::cout << "FAILED: " << backup.status().message() << "\n";
    return 1;
  }
  std::cout << "restored backup " << backup->backup_id() << " into " << flags.data_dir
            << ": its log verifies and ends at the backup's head (size "
            << backup->tree_head().tree_size() << ", root "
            << credit::ToHex(backup->tree_head().root_hash()) << ")\n"
            << (public_key.empty() ? "WARNING: the heads' signatures were NOT checked "
                                     "(--no-signature-check): who signed this log is unknown\n"
                                   : "")
            << "the tree-head signing key is not in backups: put its key file in place before "
               "starting creditd on this folder\n";
  return 0;
}

int Verify(const Flags& flags) {
  std::string key_file =
      flags.public_key.empty() ? flags.data_dir + "/tree-head-signing.key.pub" : flags.public_key;
  std::string public_key;
  absl::StatusOr<std::string> key = ReadPublicKey(key_file);
  if (key.ok()) {
    public_key = *key;
  } else if (key.status().code() != absl::StatusCode::kNotFound) {
    std::cerr << "creditd verify: " << key_file << ": " << key.status().message() << "\n";
    return 1;
  } else if (!flags.public_key.empty()) {
    std::cerr << "creditd verify: " << key.status().message() << "\n";
    return 1;
  } else {
    std::cerr << "creditd verify: no " << key_file << "; head signatures not checked\n";
  }
  absl::StatusOr<std::unique_ptr<credit::Store>> store =
      credit::Store::OpenReadOnly(flags.data_dir);
  if (!store.ok()) {
    std::cerr << "creditd verify: " << store.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<credit::VerifyReport> report = credit::VerifyStore(**store, public_key);
  if (!report.ok()) {
    std::cout << "FAILED: " << report.status().message() << "\n";
    return 1;
  }
  std::cout << "verified " << report->changes << " changes (root "
            << credit::ToHex(credit::AsBytes(report->root)) << ", " << report->heads_checked
            << " signed tree heads" << (public_key.empty() ? ", signatures not checked" : "")
            << "), " << report->entries << " entries and their index, " << report->queries
            << " queries (root " << credit::ToHex(credit::AsBytes(report->query_root)) << ", "
            << report->query_heads_checked << " signed query-log heads); the change log in "
            << absl::ToInt64Milliseconds(report->changes_time) << " ms\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The writer's lock is taken by every mutation: Abseil's lock-order graph (on in Debian's
  // build) would cost each acquisition a graph update for nothing at run time.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Blocks of 256 KiB and more (memtable blocks, imports' requests, the status index's chunks)
  // are mapped and unmapped by themselves. glibc's default raises that threshold as such blocks
  // are freed, after which they are carved from its per-thread heaps and kept there once freed
  // (docs/performance.md, "The saved index, the memory, …").
  mallopt(M_MMAP_THRESHOLD, 256 << 10);
  // Data, backups and restored folders are the owner's alone.
  credit::RestrictNewFiles();
  Flags flags;
  if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::cout << kUsage;
    return 0;
  }
  const std::string command = argc >= 2 ? argv[1] : "";
  const std::vector<std::string> rest(argv + std::min(argc, 2), argv + argc);
  if (command == "verify") {
    if (!ParseFlags(rest, {"--data-dir", "--public-key"}, {}, &flags) || flags.data_dir.empty()) {
      std::cerr << kUsage;
      return 2;
    }
    return Verify(flags);
  }
  if (command == "restore") {
    if (!ParseFlags(rest, {"--backup-dir", "--data-dir", "--backup-id", "--public-key"},
                    {"--no-signature-check"}, &flags) ||
        flags.data_dir.empty() || flags.backup_dir.empty()) {
      std::cerr << kUsage;
      return 2;
    }
    return Restore(flags);
  }
  if (!ParseFlags(std::vector<std::string>(argv + 1, argv + argc),
                  {"--config", "--listen", "--data-dir", "--backup-dir", "--port-file"},
                  {"--test-clock"}, &flags) ||
      flags.config.empty()) {
    std::cerr << kUsage;
    return 2;
  }

  // Block the shutdown signals in every thread (gRPC's included); one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<credit::Config> config = credit::LoadConfig(flags.config);
  if (!config.ok()) {
    std::cerr << "creditd: " << config.status().message() << "\n";
    return 1;
  }
  if (!flags.listen.empty()) config->listen = flags.listen;
  if (!flags.data_dir.empty()) config->data_dir = flags.data_dir;
  if (!flags.backup_dir.empty()) config->backup_dir = flags.backup_dir;
  for (const auto& [path, what] : {std::pair{config->data_dir, "data folder"},
                                   std::pair{config->backup_dir, "backup folder"}}) {
    if (auto warning = credit::OpenFolderWarning(path, what)) {
      credit::LogEvent(credit::EventLevel::kWarning, "folder_open_to_others", *warning);
    }
  }

  credit::SystemClock system_clock;
  credit::TestClock test_clock;
  for (const std::string& warning : credit::ProcedureWarnings(config->procedure)) {
    credit::LogEvent(credit::EventLevel::kWarning, "procedure_without_approval", warning);
  }
  if (flags.test_clock) {
    credit::LogEvent(credit::EventLevel::kWarning, "test_clock",
                     "--test-clock is on: an admin may move this server's clock (SetTime). Never "
                     "run a production registry this way.");
  }
  absl::StatusOr<std::unique_ptr<credit::CreditServer>> server =
      flags.test_clock ? credit::CreditServer::Start(*config, &test_clock, &test_clock)
                       : credit::CreditServer::Start(*config, &system_clock);
  if (!server.ok()) {
    std::cerr << "creditd: " << server.status().message() << "\n";
    return 1;
  }
  int port = (*server)->port();
  std::string host = config->listen.substr(0, config->listen.rfind(':'));
  credit::LogEvent(
      credit::EventLevel::kInfo, "listening",
      absl::StrCat("listening on ", host, ":", port, " (mTLS), data in ", config->data_dir));
  if (!flags.port_file.empty()) {
    std::string tmp = flags.port_file + ".tmp";
    std::ofstream(tmp) << port << "\n";
    std::rename(tmp.c_str(), flags.port_file.c_str());
  }

  std::thread waiter([&] {
    while (true) {
      int signal = 0;
      sigwait(&signals, &signal);
      if (signal == SIGHUP) {
        absl::StatusOr<credit::Config> reloaded = credit::LoadConfig(flags.config);
        if (!reloaded.ok()) {
          credit::LogEvent(credit::EventLevel::kError, "reload_refused",
                           absl::StrCat("reload refused, keeping the identities in force: ",
                                        reloaded.status().message()));
          continue;
        }
        (*server)->ReplaceIdentities(reloaded->identities);
        credit::LogEvent(credit::EventLevel::kInfo, "reloaded",
                         absl::StrCat("reloaded ", reloaded->identities.size(), " identities"));
        continue;
      }
      credit::LogEvent(credit::EventLevel::kInfo, "shutting_down",
                       absl::StrCat("signal ", signal, ", shutting down"));
      (*server)->Shutdown(absl::Seconds(5));
      return;
    }
  });
  (*server)->Wait();
  waiter.join();
  server->reset();
  credit::LogEvent(credit::EventLevel::kInfo, "stopped", "stopped");
  return 0;
}
