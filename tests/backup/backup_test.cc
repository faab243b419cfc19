// Online backup while recorders keep writing, restore into a new folder, and damaged backups.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

v1::RecordEntryRequest Listing(int i) {
  v1::RecordEntryRequest request;
  v1::Entry* e = request.mutable_entry();
  e->mutable_subject()->set_code(i % 2 ? "91440300MA5FXXXX0U" : "440524198001010013");
  e->mutable_subject()->set_name("备份测试主体");
  e->set_list(v1::LIST_KIND_BLACK);
  e->set_category("tax");
  e->set_facts("事实 " + std::to_string(i));
  e->set_legal_basis("依据");
  e->set_authority("市税务局");
  e->set_document_number("文书 " + std::to_string(i));
  e->set_severity(v1::SEVERITY_GENERAL);
  e->set_decision_date("2026-01-01");
  e->set_effective_date("2026-01-01");
  e->set_expiry_date("2099-01-01");
  e->add_measure_codes("P-SUBSIDY");
  return request;
}

class BackupTest : public ::testing::Test {
 protected:
  // Records from two threads while the admin makes a backup; returns the backup.
  v1::Backup BackupWhileWriting() {
    std::atomic<bool> stop{false};
    std::atomic<int> written{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < 2; ++w) {
      writers.emplace_back([&, w] {
        std::unique_ptr<Client> recorder = server_.ClientAs("recorder");
        for (int i = 0; i < 2000 && !stop; ++i) {
          EXPECT_TRUE(recorder->RecordEntry(Listing(w * 10000 + i)).ok());
          ++written;
        }
      });
    }
    while (written < 20) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    absl::StatusOr<v1::CreateBackupResponse> backup = server_.ClientAs("admin")->CreateBackup();
    int after_backup = written;
    while (written < after_backup + 20) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    stop = true;
    for (auto& t : writers) t.join();
    EXPECT_TRUE(backup.ok()) << backup.status();
    return backup.ok() ? backup->backup() : v1::Backup();
  }

  TestServer server_;
  TempDir scratch_;
};

TEST_F(BackupTest, AnOnlineBackupRestoresToExactlyItsHead) {
  v1::Backup backup = BackupWhileWriting();
  EXPECT_EQ(backup.backup_id(), 1u);
  EXPECT_GT(backup.tree_head().tree_size(), 13u + 20u);
  EXPECT_GT(backup.size_bytes(), 0u);

  absl::StatusOr<v1::ListBackupsResponse> list = server_.ClientAs("admin")->ListBackups();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->backups_size(), 1);
  EXPECT_EQ(list->backups(0).tree_head().SerializeAsString(),
            backup.tree_head().SerializeAsString());

  std::string restored = scratch_.path() + "/restored";
  CommandResult r = RunCommand({CREDITD_PATH, "restore", "--backup-dir", server_.backup_dir(),
                                "--data-dir", restored, "--public-key", server_.public_key_file()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, StartsWith("restored backup 1 into " + restored +
                                ": its log verifies and ends at the backup's head (size " +
                                std::to_string(backup.tree_head().tree_size()) + ", root "));
  CommandResult verify = RunCommand(
      {CREDITD_PATH, "verify", "--data-dir", restored, "--public-key", server_.public_key_file()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_THAT(verify.out, StartsWith("verified " + std::to_string(backup.tree_head().tree_size()) +
                                     " changes"));
}

// A server started on a restored database answers status from it: the status index its folder
// held (saved when the server stopped, after the backup) is refused and the index is filled from
// the restored storage.
TEST_F(BackupTest, StatusAnswersAfterARestoreComeFromTheRestoredLog) {
  v1::Backup backup = BackupWhileWriting();
  std::string restored = scratch_.path() + "/restored";
  CommandResult r = RunCommand({CREDITD_PATH, "restore", "--backup-dir", server_.backup_dir(),
                                "--data-dir", restored, "--public-key", server_.public_key_file()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  server_.RestartWith([&](const std::string& data_dir) {
    ASSERT_TRUE(fs::exists(data_dir + "/status-index"));
    // The database replaced; the signing key and the saved index stay.
    for (const auto& item : fs::directory_iterator(data_dir)) {
      const std::string name = item.path().filename().string();
      if (name.rfind("tree-head-signing.key", 0) != 0 && name != "status-index") {
        fs::remove_all(item.path());
      }
    }
    for (const auto& item : fs::directory_iterator(restored)) {
      fs::copy(item.path(), data_dir + "/" + item.path().filename().string(),
               fs::copy_options::recursive);
    }
  });
  ASSERT_TRUE(server_.AwaitEvent("status_index_ready", absl::Seconds(20)));
  EXPECT_THAT(ReadAll(server_.log_file()), HasSubstr("\"event\":\"status_index_not_loaded\""));
  std::unique_ptr<Client> querier = server_.ClientAs("querier");
  EXPECT_EQ(ExpectIndexMatchesStorage(*querier, {"91440300MA5FXXXX0U", "440524198001010013"}), 2);
  v1::BatchGetCreditStatusRequest batch;
  batch.set_purpose("after the restore");
  batch.add_subject_codes("91440300MA5FXXXX0U");
  absl::StatusOr<v1::BatchGetCreditStatusResponse> answer = querier->BatchGetCreditStatus(batch);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->tree_head().tree_size(), backup.tree_head().tree_size());
}

TEST_F(BackupTest, RestoreNeverOverwritesAFolder) {
  BackupWhileWriting();
  CommandResult r =
      RunCommand({CREDITD_PATH, "restore", "--backup-dir", server_.backup_dir(), "--data-dir",
                  server_.data_dir(), "--public-key", server_.public_key_file()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("is not empty; want a new folder"));
}

TEST_F(BackupTest, AFlippedByteInABackupFileIsDetected) {
  BackupWhileWriting();
  // Flip one byte in the middle of the largest file of the backup.
  fs::path largest;
  uintmax_t size = 0;
  for (const auto& item : fs::recursive_directory_iterator(server_.backup_dir())) {
    if (item.is_regular_file() && item.path().string().find("/meta/") == std::string::npos &&
        item.file_size() > size) {
      size = item.file_size();
      largest = item.path();
    }
  }
  ASSERT_GT(size, 0u);
  {
    std::fstream file(largest, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(size / 2);
    char c = 0;
    file.get(c);
    file.seekp(size / 2);
    file.put(static_cast<char>(c ^ 0x10));
  }
  std::string restored = scratch_.path() + "/restored";
  CommandResult r = RunCommand({CREDITD_PATH, "restore", "--backup-dir", server_.backup_dir(),
                                "--data-dir", restored, "--public-key", server_.public_key_file()});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_THAT(r.out, StartsWith("FAILED: backup 1 is damaged: "));
}

// A restore that checks no signature says so, and only when asked to.
TEST_F(BackupTest, RestoreWithoutAKeyNeedsNoSignatureCheckAndSaysSo) {
  BackupWhileWriting();
  std::string restored = scratch_.path() + "/restored";
  CommandResult r = RunCommand(
      {CREDITD_PATH, "restore", "--backup-dir", server_.backup_dir(), "--data-dir", restored});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "creditd restore: give --public-key FILE (the tree-head public key you trust), or "
            "--no-signature-check to restore without checking signatures\n");
  EXPECT_FALSE(fs::exists(restored));
  r = RunCommand({CREDITD_PATH, "restore", "--backup-dir", server_.backup_dir(), "--data-dir",
                  restored, "--no-signature-check"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("\nWARNING: the heads' signatures were NOT checked "
                               "(--no-signature-check): who signed this log is unknown\n"));
}

TEST_F(BackupTest, OnlyTheAdminMayBackUp) {
  absl::StatusOr<v1::CreateBackupResponse> r = server_.ClientAs("auditor")->CreateBackup();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace credit::testing
