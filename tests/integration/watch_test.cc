// The change stream end to end: the real creditd, a Follower checking every batch against the
// key the test holds, resumption after a disconnect and after a restart, a consumer that does not
// read while writers go on, and a forked history served by a real server with the same key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "credit/follower.h"
#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr absl::Duration kStreamDeadline = absl::Seconds(60);

class WatchTest : public ::testing::Test {
 protected:
  Follower NewFollower() {
    absl::StatusOr<Follower> follower = Follower::FromPublicKeyFile(server_.public_key_file());
    EXPECT_TRUE(follower.ok()) << follower.status();
    return *std::move(follower);
  }
  uint64_t LogSize() {
    absl::StatusOr<v1::GetTreeHeadResponse> head = server_.ClientAs("querier")->GetTreeHead({});
    EXPECT_TRUE(head.ok()) << head.status();
    return head.ok() ? head->tree_head().tree_size() : 0;
  }
  void Record(const std::string& facts) {
    v1::RecordEntryRequest request;
    *request.mutable_entry() = SampleEntry("91440300MA5FXXXX0U", facts);
    absl::StatusOr<v1::RecordEntryResponse> r = server_.ClientAs("recorder")->RecordEntry(request);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  // Streams as `identity` from `from` into `follower` until it has taken `until` changes; every
  // change taken, in order.
  std::vector<v1::Change> Follow(const std::string& identity, Follower& follower, uint64_t from,
                                 uint64_t until) {
    std::vector<v1::Change> taken;
    absl::Status failed;
    absl::Status streamed = server_.ClientAs(identity)->WatchChanges(
        from,
        [&](const v1::WatchChangesResponse& batch) {
          failed = follower.Accept(batch);
          if (!failed.ok()) return false;
          taken.insert(taken.end(), batch.changes().begin(), batch.changes().end());
          return follower.next_sequence() < until;
        },
        kStreamDeadline);
    EXPECT_TRUE(failed.ok()) << failed;
    EXPECT_TRUE(streamed.ok()) << streamed;
    return taken;
  }

  TestServer server_;
};

TEST_F(WatchTest, TheLogThenLiveResumedAfterADisconnectAndARestartWithoutGapOrRepeat) {
  Record("一");
  const uint64_t size = LogSize();
  Follower follower = NewFollower();
  std::vector<v1::Change> first = Follow("auditor", follower, 0, size);
  ASSERT_EQ(first.size(), size);
  for (uint64_t i = 0; i < size; ++i) EXPECT_EQ(first[i].sequence(), i);
  EXPECT_FALSE(first.back().record().empty());  // the auditor gets whole records
  EXPECT_EQ(first.back().entry_after().facts(), "一");

  // Live: a change committed once the stream has sent all there was arrives on it. The stream
  // starts at the last change; the callback commits the next one and waits for it.
  Follower live_follower = NewFollower();
  std::vector<uint64_t> live;
  absl::Status streamed = server_.ClientAs("auditor")->WatchChanges(
      size - 1,
      [&](const v1::WatchChangesResponse& batch) {
        EXPECT_TRUE(live_follower.Accept(batch).ok());
        for (const v1::Change& change : batch.changes()) live.push_back(change.sequence());
        if (live.size() == 1) Record("零");
        return live.size() < 2;
      },
      kStreamDeadline);
  EXPECT_TRUE(streamed.ok()) << streamed;
  EXPECT_EQ(live, (std::vector<uint64_t>{size - 1, size}));
  ASSERT_EQ(Follow("auditor", follower, size, size + 1).size(), 1u);

  // After a disconnect: resumed from the next change, nothing missed, nothing twice.
  Record("二");
  Record("三");
  std::vector<v1::Change> resumed = Follow("auditor", follower, follower.next_sequence(), size + 3);
  ASSERT_EQ(resumed.size(), 2u);
  EXPECT_EQ(resumed[0].sequence(), size + 1);
  EXPECT_EQ(resumed[1].entry_after().facts(), "三");

  // After a restart of the server.
  server_.Restart();
  Record("四");
  std::vector<v1::Change> after = Follow("auditor", follower, follower.next_sequence(), size + 4);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].sequence(), size + 3);
  EXPECT_EQ(follower.head()->tree_size(), size + 4);
}

TEST_F(WatchTest, AFollowerStartingPastZeroExtendsTheSignedFrontier) {
  for (const char* facts : {"一", "二", "三"}) Record(facts);
  const uint64_t size = LogSize();
  Follower follower = NewFollower();
  std::vector<v1::Change> taken = Follow("auditor", follower, size - 2, size);
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].sequence(), size - 2);
  EXPECT_EQ(follower.next_sequence(), size);
  Record("四");
  EXPECT_EQ(Follow("auditor", follower, size, size + 1).size(), 1u);
}

TEST_F(WatchTest, QueriersGetTheStatusLevelAndTheStartIsInTheQueryLog) {
  Record("逃避缴纳税款");
  const uint64_t size = LogSize();
  Follower follower = NewFollower();
  std::vector<v1::Change> taken = Follow("querier", follower, 0, size);
  const v1::Change& last = taken.back();
  EXPECT_EQ(last.operation(), v1::OPERATION_ENTRY_RECORDED);
  EXPECT_EQ(last.record(), "");
  EXPECT_EQ(last.entry_after().facts(), "");
  EXPECT_FALSE(last.has_actor());
  EXPECT_EQ(last.entry_after().subject().code(), "91440300MA5FXXXX0U");
  EXPECT_EQ(last.entry_after().measure_codes_size(), 0);
  EXPECT_EQ(last.entry_after().status(), v1::ENTRY_STATUS_ACTIVE);
  // The query log is written in the background: look until the stream's record shows (bounded).
  absl::StatusOr<v1::ListQueriesResponse> queries;
  for (int i = 0; i < 50; ++i) {
    queries = server_.ClientAs("auditor")->ListQueries({});
    ASSERT_TRUE(queries.ok()) << queries.status();
    if (queries->queries_size() > 0 &&
        queries->queries(queries->queries_size() - 1).rpc() == "WatchChanges") {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GT(queries->queries_size(), 0);
  EXPECT_EQ(queries->queries(queries->queries_size() - 1).rpc(), "WatchChanges");
  EXPECT_EQ(queries->queries(queries->queries_size() - 1).actor().identity(), "querier");

  absl::Status beyond = server_.ClientAs("querier")->WatchChanges(
      size + 5, [&](const v1::WatchChangesResponse&) { return false; }, kStreamDeadline);
  EXPECT_EQ(beyond.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(beyond.message(),
            absl::StrCat("from_sequence: got ", size + 5, ", want at most the log's size ", size));
}

// The consumer stops reading (it is busy inside its callback) while writers import thousands of
// entries: every write is answered, and the stream then delivers all of them in order.
TEST_F(WatchTest, ASlowConsumerDoesNotHoldWritersUp) {
  const uint64_t size = LogSize();
  Follower follower = NewFollower();
  std::unique_ptr<Client> recorder = server_.ClientAs("recorder");
  uint64_t target = 0;
  absl::Status streamed = server_.ClientAs("auditor")->WatchChanges(
      0,
      [&](const v1::WatchChangesResponse& batch) {
        EXPECT_TRUE(follower.Accept(batch).ok());
        if (target == 0 && follower.next_sequence() == size) {
          for (int call = 0; call < 5; ++call) {
            v1::ImportEntriesRequest request;
            for (int i = 0; i < 1000; ++i) {
              *request.add_entries() = SampleEntry(
                  "91440300MA5FXXXX0U", "批量 " + std::to_string(call) + "-" + std::to_string(i));
            }
            absl::StatusOr<v1::ImportEntriesResponse> imported = recorder->ImportEntries(request);
            EXPECT_TRUE(imported.ok()) << imported.status();
          }
          target = size + 5000;
        }
        return target == 0 || follower.next_sequence() < target;
      },
      kStreamDeadline);
  EXPECT_TRUE(streamed.ok()) << streamed;
  EXPECT_EQ(follower.next_sequence(), size + 5000);
}

// A server that signs with the same key but holds another history than the one the follower
// took: its batches cannot extend the follower's tree to the roots it signs.
TEST_F(WatchTest, AFollowerRefusesAForkedHistory) {
  const std::string before = server_.data_dir() + ".before";
  server_.RestartWith(
      [&](const std::string& dir) { fs::copy(dir, before, fs::copy_options::recursive); });
  Record("甲");
  const uint64_t size = LogSize();
  Follower follower = NewFollower();
  Follow("auditor", follower, 0, size);
  ASSERT_TRUE(follower.Save(server_.data_dir() + ".follower").ok());

  // Back to before 甲, then another history of the same length and one more change.
  server_.RestartWith([&](const std::string& dir) {
    fs::remove_all(dir);
    fs::rename(before, dir);
  });
  Record("乙");
  Record("丙");
  absl::Status refused;
  absl::Status streamed = server_.ClientAs("auditor")->WatchChanges(
      follower.next_sequence(),
      [&](const v1::WatchChangesResponse& batch) {
        refused = follower.Accept(batch);
        return false;
      },
      kStreamDeadline);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("a fork or a rewrite"));
  EXPECT_EQ(follower.next_sequence(), size);  // it stayed where it was

  // A follower that kept its state on disk refuses it as well.
  Follower reloaded = NewFollower();
  ASSERT_TRUE(reloaded.Load(server_.data_dir() + ".follower").ok());
  EXPECT_EQ(reloaded.next_sequence(), size);
  fs::remove(server_.data_dir() + ".follower");
}

}  // namespace
}  // namespace credit::testing
