// TestServer: the real creditd binary started as a child process on 127.0.0.1 (a free port) with
// a temporary data folder and the development PKI, for integration and end-to-end tests.
// Not thread-safe; one per test fixture.
#ifndef CREDIT_TESTS_SUPPORT_TEST_SERVER_H_
#define CREDIT_TESTS_SUPPORT_TEST_SERVER_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "credit/client.h"

namespace credit::testing {

// A fresh temporary folder, removed (with its contents) when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The development PKI made by deploy/dev-pki.sh, once per test process, with one extra client
// certificate ("stranger", not in the configuration), and a second PKI from another CA. Beside
// dev-pki.sh's creditd.yaml (the default listing procedure) lies creditd-at-once.yaml: the same
// with listings taking effect when recorded (no approval, no notice), for the tests of everything
// but the procedure.
struct Pki {
  std::string dir;          // ca.pem, NAME.pem, NAME.key, creditd.yaml, creditd-at-once.yaml
  std::string foreign_dir;  // the same names, from an unrelated CA
};
const Pki& DevPki();

class TestServer {
 public:
  // Starts creditd with DevPki()'s creditd-at-once.yaml and a new data folder. Aborts the test
  // process if the server does not answer health checks within 20 seconds.
  TestServer();
  // As above, with `env` ("NAME=value") added to creditd's environment at every start until
  // SetEnv changes it, `config_file` instead of the default, and `--test-clock` when `test_clock`.
  explicit TestServer(std::vector<std::string> env, std::string config_file = "",
                      bool test_clock = false);
  ~TestServer();

  void SetEnv(std::vector<std::string> env) { env_ = std::move(env); }
  pid_t pid() const { return pid_; }
  // Waits for a server that is dying by itself (a fail point); true if it exited within
  // `timeout`. Afterwards the server counts as stopped.
  bool WaitForExit(absl::Duration timeout);

  int port() const { return port_; }
  std::string endpoint() const;
  const std::string& data_dir() const { return data_.path(); }
  std::string backup_dir() const { return run_.path() + "/backups"; }

  // A client authenticated as `name` (admin, recorder, approver, querier, auditor, stranger).
  std::unique_ptr<Client> ClientAs(const std::string& name, int max_attempts = 1) const;
  ClientOptions OptionsFor(const std::string& name) const;

  // SIGTERM, and waits for a clean exit; returns the exit status seen by waitpid.
  int Stop();
  // Stop() then start again on the same data folder (and a new port).
  void Restart();
  // Stop(), let `change` do what it likes to the data folder, start again.
  void RestartWith(const std::function<void(const std::string& data_dir)>& change);

  // The tree-head public key creditd wrote beside its key in the data folder.
  std::string public_key_file() const { return data_.path() + "/tree-head-signing.key.pub"; }
  // creditd's stdout and stderr, over every start (checked by CheckServerLog at each stop).
  std::string log_file() const { return run_.path() + "/creditd.log"; }
  // Waits up to `timeout` for the server event `event` ("status_index_ready") in what the
  // server wrote since its last start; whether it came.
  bool AwaitEvent(const std::string& event, absl::Duration timeout) const;

 private:
  void Start();

  std::vector<std::string> env_;
  std::string config_file_;  // empty: DevPki()'s creditd-at-once.yaml
  bool test_clock_ = false;
  TempDir data_;
  TempDir run_;
  pid_t pid_ = -1;
  int port_ = 0;
  size_t log_start_ = 0;  // the log's size when the server last started
};

// A black-list entry (severity GENERAL) of the subject `code` with `facts`, no measures, in force
// from 2026-01-15 to 2099-01-14: valid input for RecordEntry and ImportEntries under the dev
// configuration. Its document number is derived from `facts`: one subject's samples with
// different facts are different decisions.
v1::Entry SampleEntry(const std::string& code, const std::string& facts = "逃避缴纳税款");

// Runs creditctl against `server` as `identity` (dev PKI), with `args` after the global flags.
struct CommandResult;
CommandResult Creditctl(const TestServer& server, const std::string& identity,
                        const std::vector<std::string>& args,
                        const std::vector<std::string>& env = {});

// What both views of a status answer carry, as one line: the list flags, then each measure's code
// with the ids of the entries calling for it ("BLACK WATCH | P-BIDDING:3,7 P-PROCUREMENT:3").
std::string StatusSummary(const v1::CreditStatus& status);

// Checks that `querier`'s BASIC answers for `codes` in one batch (from creditd's in-memory status
// index) match the FULL answers for each (read from storage); read again (bounded) when a change
// came between the two reads. Returns how many of the subjects were on a list.
int ExpectIndexMatchesStorage(Client& querier, const std::vector<std::string>& codes);

// The whole file at `path` (empty when it cannot be read).
std::string ReadAll(const std::string& path);

// Runs `argv` (no shell), returns exit code and captured stdout/stderr.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// `env` entries ("NAME=value") are added to the environment of the child.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env = {});

}  // namespace credit::testing

#endif  // CREDIT_TESTS_SUPPORT_TEST_SERVER_H_
