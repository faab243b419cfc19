// What creditd leaves on disk is its own user's alone: the data folder's files, the backup folder
// and every backup file (they hold ID numbers in clear and the registry's secrets).
#include "service/storage/file_modes.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

unsigned ModeOf(const std::filesystem::path& path) {
  struct stat st;
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Every file below `dir` is 0600 and every folder 0700; returns how many files it saw.
int ExpectPrivate(const std::string& dir) {
  EXPECT_EQ(ModeOf(dir), 0700u) << dir;
  int files = 0;
  for (const auto& item : std::filesystem::recursive_directory_iterator(dir)) {
    if (item.is_symlink()) continue;
    if (item.is_directory()) {
      EXPECT_EQ(ModeOf(item.path()), 0700u) << item.path();
    } else {
      EXPECT_EQ(ModeOf(item.path()), 0600u) << item.path();
      ++files;
    }
  }
  return files;
}

TEST(FileModesTest, DataAndBackupsAreReadableByTheOwnerOnly) {
  TestServer server;
  std::unique_ptr<Client> admin = server.ClientAs("admin");
  ASSERT_TRUE(admin->CreateBackup().ok());
  EXPECT_GT(ExpectPrivate(server.backup_dir()), 3);
  server.Stop();
  EXPECT_GT(ExpectPrivate(server.data_dir()), 5);
}

TEST(FileModesTest, AFolderOpenToOthersIsNamedWithItsModeAndTheFix) {
  TempDir dir;
  ASSERT_EQ(chmod(dir.path().c_str(), 0700), 0);
  EXPECT_EQ(OpenFolderWarning(dir.path(), "data folder"), std::nullopt);
  ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
  EXPECT_EQ(OpenFolderWarning(dir.path(), "data folder"),
            "warning: the data folder " + dir.path() +
                " has mode 0755: other users may reach it, and it holds ID numbers in clear and "
                "the registry's secrets; want 0700 (chmod -R go-rwx " +
                dir.path() + ")");
  EXPECT_EQ(OpenFolderWarning(dir.path() + "/absent", "backup folder"), std::nullopt);
}

}  // namespace
}  // namespace credit::testing
