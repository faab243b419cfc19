#include "service/search/name_folder.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace credit::testing {
namespace {

class NameFolderTest : public ::testing::Test {
 protected:
  std::unique_ptr<NameFolder> folder_ = *NameFolder::Open();
};

TEST_F(NameFolderTest, WidthSpacingPunctuationAndCaseFoldAlike) {
  EXPECT_EQ(folder_->Fold("深圳市某某科技有限公司"), "深圳市某某科技有限公司");
  EXPECT_EQ(folder_->Fold(" 深圳市　某某（科技）有限公司 "), "深圳市某某科技有限公司");
  EXPECT_EQ(folder_->Fold("ＡＢＣ科技（深圳）有限公司"), "abc科技深圳有限公司");
  EXPECT_EQ(folder_->Fold("abc科技·深圳、有限公司。"), "abc科技深圳有限公司");
  EXPECT_EQ(folder_->Fold("１２３"), "123");
}

TEST_F(NameFolderTest, TraditionalCharactersFoldToSimplified) {
  EXPECT_EQ(folder_->Fold("深圳市某某科技有限公司"), folder_->Fold("深圳市某某科技有限公司"));
  EXPECT_EQ(folder_->Fold("臺灣電子股份有限公司"), "台湾电子股份有限公司");
  EXPECT_EQ(folder_->Fold("廣東發展銀行"), "广东发展银行");
}

TEST_F(NameFolderTest, NothingButSpaceAndPunctuationFoldsToNothing) {
  EXPECT_EQ(folder_->Fold(" 　（）、。"), "");
  EXPECT_EQ(folder_->Fold(""), "");
}

// Import calls fold their names on their own threads, sharing one folder.
TEST_F(NameFolderTest, ThreadsShareOneFolder) {
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (folder_->Fold("廣東發展銀行（深圳分行）") != "广东发展银行深圳分行") ++wrong[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace credit::testing
