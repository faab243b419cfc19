#include "credit/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "credit/registry/v1/registry_mock.grpc.pb.h"

namespace credit {
namespace {

using ::testing::_;
using ::testing::DoAll;
using ::testing::Invoke;
using ::testing::MatchesRegex;
using ::testing::Return;
using ::testing::SaveArg;

class ClientTest : public ::testing::Test {
 protected:
  ClientTest() {
    auto stub = std::make_unique<v1::MockCreditRegistryServiceStub>();
    stub_ = stub.get();
    ClientOptions options;
    options.initial_backoff = absl::Milliseconds(1);
    options.deadline = absl::Seconds(7);
    client_ = std::make_unique<Client>(std::move(stub), options);
  }

  v1::MockCreditRegistryServiceStub* stub_;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientTest, RetriesUnavailableWithTheSameRequestIdThenSucceeds) {
  std::vector<std::string> request_ids;
  EXPECT_CALL(*stub_, RecordEntry(_, _, _))
      .Times(3)
      .WillRepeatedly(Invoke([&](grpc::ClientContext*, const v1::RecordEntryRequest& request,
                                 v1::RecordEntryResponse* response) {
        request_ids.push_back(request.request_id());
        if (request_ids.size() < 3) return grpc::Status(grpc::UNAVAILABLE, "connecting");
        response->mutable_entry()->set_id(9);
        return grpc::Status::OK;
      }));
  absl::StatusOr<v1::RecordEntryResponse> r = client_->RecordEntry(v1::RecordEntryRequest());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->entry().id(), 9u);
  ASSERT_EQ(request_ids.size(), 3u);
  EXPECT_THAT(request_ids[0], MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ(request_ids[1], request_ids[0]);
  EXPECT_EQ(request_ids[2], request_ids[0]);
}

TEST_F(ClientTest, KeepsTheCallersRequestId) {
  v1::RemoveEntryRequest seen;
  EXPECT_CALL(*stub_, RemoveEntry(_, _, _))
      .WillOnce(DoAll(SaveArg<1>(&seen), Return(grpc::Status::OK)));
  v1::RemoveEntryRequest request;
  request.set_request_id("mine");
  ASSERT_TRUE(client_->RemoveEntry(request).ok());
  EXPECT_EQ(seen.request_id(), "mine");
}

TEST_F(ClientTest, OtherErrorsAreReturnedAtOnceWithCodeAndMessage) {
  EXPECT_CALL(*stub_, GetEntry(_, _, _))
      .WillOnce(Return(grpc::Status(grpc::NOT_FOUND, "entry 4: no such entry")));
  absl::StatusOr<v1::GetEntryResponse> r = client_->GetEntry(v1::GetEntryRequest());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "entry 4: no such entry");
}

TEST_F(ClientTest, GivesUpAfterMaxAttempts) {
  EXPECT_CALL(*stub_, GetCreditStatus(_, _, _))
      .Times(3)
      .WillRepeatedly(Return(grpc::Status(grpc::UNAVAILABLE, "down")));
  absl::StatusOr<v1::GetCreditStatusResponse> r =
      client_->GetCreditStatus(v1::GetCreditStatusRequest());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "down");
}

TEST_F(ClientTest, EveryAttemptCarriesTheDeadline) {
  std::chrono::system_clock::time_point deadline;
  absl::Time before = absl::Now();
  EXPECT_CALL(*stub_, ListMeasures(_, _, _))
      .WillOnce(Invoke([&](grpc::ClientContext* context, const v1::ListMeasuresRequest&,
                           v1::ListMeasuresResponse*) {
        deadline = context->deadline();
        return grpc::Status::OK;
      }));
  ASSERT_TRUE(client_->ListMeasures(v1::ListMeasuresRequest()).ok());
  absl::Time got = absl::FromChrono(deadline);
  EXPECT_GE(got, before + absl::Seconds(7));
  EXPECT_LE(got, absl::Now() + absl::Seconds(7));
}

TEST(NewRequestIdTest, IsRandomHex) {
  std::string a = NewRequestId(), b = NewRequestId();
  EXPECT_THAT(a, MatchesRegex("[0-9a-f]{32}"));
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace credit
