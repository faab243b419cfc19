#include "common/status/error_details.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status/grpc_status.h"
#include "common/subject/subject_code.h"

namespace credit {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

MATCHER_P2(Violation, field, description, "") {
  return arg.field() == field && arg.description() == description;
}

// The google.rpc.Status of `status` as it leaves the server, decoded back.
google::rpc::Status OnTheWire(const absl::Status& status) {
  grpc::Status wire = ToGrpcStatus(status);
  google::rpc::Status details;
  EXPECT_TRUE(details.ParseFromString(wire.error_details()));
  return details;
}

TEST(ErrorDetailsTest, EveryErrorLeavesWithAnErrorInfo) {
  google::rpc::Status details = OnTheWire(absl::NotFoundError("entry 9: no such entry"));
  EXPECT_EQ(details.code(), 5);
  EXPECT_EQ(details.message(), "entry 9: no such entry");
  ASSERT_EQ(details.details_size(), 1);
  EXPECT_EQ(details.details(0).type_url(), "type.googleapis.com/google.rpc.ErrorInfo");
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "NOT_FOUND");
  EXPECT_EQ(info.domain(), "credit.registry.v1");
  EXPECT_TRUE(info.metadata().empty());
}

TEST(ErrorDetailsTest, AFieldPathMessageIsAFieldViolation) {
  google::rpc::Status details =
      OnTheWire(absl::InvalidArgumentError("entries[3].subject.name: required, want 1 to 200"));
  ASSERT_EQ(details.details_size(), 2);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "INVALID_FIELD");
  EXPECT_THAT(info.metadata(), ElementsAre(Pair("field", "entries[3].subject.name")));
  google::rpc::BadRequest bad;
  ASSERT_TRUE(details.details(1).UnpackTo(&bad));
  EXPECT_THAT(bad.field_violations(),
              ElementsAre(Violation("entries[3].subject.name", "required, want 1 to 200")));

  // A message that does not start with a field path names no field.
  EXPECT_THAT(FieldViolationsOf(absl::InvalidArgumentError("got role \"x\", want one of a")),
              ElementsAre());
  EXPECT_THAT(FieldViolationsOf(absl::InvalidArgumentError("entry 5: the same decision")),
              ElementsAre());
  EXPECT_THAT(FieldViolationsOf(absl::InvalidArgumentError("list[x]: bad")), ElementsAre());
  EXPECT_THAT(FieldViolationsOf(absl::NotFoundError("entry_id: none")), ElementsAre());
}

TEST(ErrorDetailsTest, ACheckCharacterMismatchSaysSoWithoutThePersonsNumber) {
  absl::Status uscc = ValidateUscc("91440300MA5FXXXXX1", "entry.subject.code");
  ASSERT_FALSE(uscc.ok());
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(uscc);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "CHECK_CHARACTER_MISMATCH");
  EXPECT_THAT(info->metadata(), UnorderedElementsAre(Pair("field", "entry.subject.code"),
                                                     Pair("got", "1"), Pair("want", "M")));

  // 11010519491231002X with its check character changed.
  absl::Status person = ValidateResidentId("110105194912310021", "subject_code");
  info = ErrorInfoOf(person);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "CHECK_CHARACTER_MISMATCH");
  EXPECT_THAT(info->metadata(), ElementsAre(Pair("field", "subject_code")));
}

TEST(ErrorDetailsTest, PrefixesReachTheFieldPathsAndViolationsGatherAll) {
  FieldViolations violations;
  EXPECT_TRUE(violations.Check(absl::OkStatus()));
  EXPECT_TRUE(violations.ok());
  EXPECT_FALSE(violations.Check(FieldError("subject.code", "bad", "CHECK_CHARACTER_MISMATCH")));
  EXPECT_FALSE(violations.Check(absl::InvalidArgumentError("facts: required")));
  EXPECT_FALSE(violations.Check(absl::InvalidArgumentError("expiry_date: too early")));
  absl::Status all = PrefixFieldPaths(violations.ToStatus(), "entries[2].");
  EXPECT_EQ(all.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(all.message(), "entries[2].subject.code: bad (and 2 more fields: see the details)");
  EXPECT_THAT(FieldViolationsOf(all),
              ElementsAre(Violation("entries[2].subject.code", "bad"),
                          Violation("entries[2].facts", "required"),
                          Violation("entries[2].expiry_date", "too early")));
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(all);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "CHECK_CHARACTER_MISMATCH");
  EXPECT_THAT(info->metadata(), ElementsAre(Pair("field", "entries[2].subject.code")));

  // A message prefix keeps the details as they are.
  absl::Status placed = WithMessagePrefix(all, "line 4: ");
  EXPECT_EQ(placed.message(), "line 4: " + std::string(all.message()));
  EXPECT_EQ(FieldViolationsOf(placed).size(), 3u);
}

TEST(ErrorDetailsTest, DetailsSurviveTheWireBothWays) {
  absl::Status sent = WithPreconditionFailure(
      WithErrorInfo(absl::FailedPreconditionError("entry 4 is EXPIRED"), "ILLEGAL_TRANSITION",
                    {{"entry_id", "4"}}),
      "ENTRY_STATUS", "entries/4", "the entry is EXPIRED, which allows nothing more");
  absl::Status received = FromGrpcStatus(ToGrpcStatus(sent));
  EXPECT_EQ(received.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(received.message(), "entry 4 is EXPIRED");
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(received);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "ILLEGAL_TRANSITION");
  EXPECT_THAT(info->metadata(), ElementsAre(Pair("entry_id", "4")));
  std::optional<google::rpc::PreconditionFailure> failure = PreconditionFailureOf(received);
  ASSERT_TRUE(failure.has_value());
  ASSERT_EQ(failure->violations_size(), 1);
  EXPECT_EQ(failure->violations(0).type(), "ENTRY_STATUS");
  EXPECT_EQ(failure->violations(0).subject(), "entries/4");

  // A batch item's error is the same message.
  google::rpc::Status item;
  ToRpcStatus(sent, &item);
  EXPECT_EQ(item.SerializeAsString(), ToGrpcStatus(sent).error_details());
  EXPECT_EQ(FromRpcStatus(item), received);

  // A status from a server without details keeps code and message.
  absl::Status plain = FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"));
  EXPECT_EQ(plain, absl::UnavailableError("down"));
  EXPECT_FALSE(ErrorInfoOf(plain).has_value());
}

}  // namespace
}  // namespace credit
