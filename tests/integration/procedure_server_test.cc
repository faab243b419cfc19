// The listing procedure over the wire: the real creditd with the development configuration's
// default rules, on a test clock the admin moves, across a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "tests/support/test_server.h"

namespace credit::testing {
namespace {

constexpr char kOrg[] = "91440300MA5FXXXX0U";

v1::SetTimeRequest DaysFromNow(int days) {
  v1::SetTimeRequest request;
  request.mutable_time()->set_seconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(24 * days)));
  return request;
}

bool Listed(const TestServer& server) {
  v1::GetCreditStatusRequest request;
  request.set_subject_code(kOrg);
  request.set_purpose("政府采购资格审查");
  absl::StatusOr<v1::GetCreditStatusResponse> r =
      server.ClientAs("querier")->GetCreditStatus(request);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() && r->status().on_black_list();
}

TEST(ProcedureServerTest, OnlyATestClockCanBeSet) {
  TestServer server;
  absl::Status set = server.ClientAs("admin")->SetTime(DaysFromNow(1)).status();
  EXPECT_EQ(set.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(set.message(),
            "SetTime: this server runs on the system clock; only a server started with "
            "--test-clock (never in production) lets its clock be set");
}

TEST(ProcedureServerTest, ANoticePeriodEndsOnceAcrossARestart) {
  TestServer server({}, DevPki().dir + "/creditd.yaml", /*test_clock=*/true);
  v1::Entry entry = SampleEntry(kOrg);
  entry.add_measure_codes("P-PROCUREMENT");
  v1::RecordEntryRequest record;
  *record.mutable_entry() = entry;
  absl::StatusOr<v1::RecordEntryResponse> recorded =
      server.ClientAs("recorder")->RecordEntry(record);
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_EQ(recorded->entry().status(), v1::ENTRY_STATUS_PROPOSED);
  v1::ApproveEntryRequest approve;
  approve.set_entry_id(recorded->entry().id());
  absl::StatusOr<v1::EntryTransitionResponse> approved =
      server.ClientAs("approver")->ApproveEntry(approve);
  ASSERT_TRUE(approved.ok()) << approved.status();
  EXPECT_EQ(approved->entry().status(), v1::ENTRY_STATUS_NOTICE);
  EXPECT_FALSE(Listed(server));

  server.Restart();  // the clock starts from the system's again
  std::unique_ptr<Client> admin = server.ClientAs("admin");
  absl::StatusOr<v1::SetTimeResponse> early = admin->SetTime(DaysFromNow(5));
  ASSERT_TRUE(early.ok()) << early.status();
  EXPECT_EQ(early->transitions(), 0u);
  EXPECT_FALSE(Listed(server));
  absl::StatusOr<v1::SetTimeResponse> late = admin->SetTime(DaysFromNow(6));
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(late->transitions(), 1u);
  EXPECT_TRUE(Listed(server));
  EXPECT_EQ(admin->SetTime(DaysFromNow(7))->transitions(), 0u);

  absl::Status back = admin->SetTime(DaysFromNow(1)).status();
  EXPECT_EQ(back.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(back.message()), ::testing::HasSubstr("the clock only moves forward"));

  v1::ListChangesRequest list;
  list.set_subject_code(kOrg);
  absl::StatusOr<v1::ListChangesResponse> changes = server.ClientAs("auditor")->ListChanges(list);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->changes_size(), 3);
  EXPECT_EQ(changes->changes(0).operation(), v1::OPERATION_ENTRY_RECORDED);
  EXPECT_EQ(changes->changes(1).operation(), v1::OPERATION_ENTRY_APPROVED);
  EXPECT_EQ(changes->changes(1).actor().identity(), "approver");
  EXPECT_EQ(changes->changes(2).operation(), v1::OPERATION_NOTICE_ENDED);
  EXPECT_EQ(changes->changes(2).actor().identity(), "creditd");
  EXPECT_EQ(changes->changes(2).actor().department(), "system");
}

}  // namespace
}  // namespace credit::testing
