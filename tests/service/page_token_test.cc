#include "service/registry/page_token.h"

#include <gtest/gtest.h>

#include "credit/registry/v1/registry.pb.h"

namespace credit {
namespace {

namespace v1 = ::credit::registry::v1;

TEST(PageTokenTest, RoundTripsThePosition) {
  v1::ListEntriesRequest request;
  request.set_list(v1::BLACK);
  uint64_t fp = FilterFingerprint(request);
  std::string token = EncodePageToken(fp, std::string("\0\0\x01", 3));
  absl::StatusOr<std::string> position = DecodePageToken(token, fp);
  ASSERT_TRUE(position.ok());
  EXPECT_EQ(*position, std::string("\0\0\x01", 3));
  EXPECT_EQ(*DecodePageToken("", fp), "");
}

TEST(PageTokenTest, FingerprintIgnoresPagingFieldsOnly) {
  v1::ListEntriesRequest a;
  a.set_list(v1::BLACK);
  v1::ListEntriesRequest b = a;
  b.set_page_size(7);
  b.set_page_token("anything");
  EXPECT_EQ(FilterFingerprint(a), FilterFingerprint(b));
  b.set_list(v1::RED);
  EXPECT_NE(FilterFingerprint(a), FilterFingerprint(b));
  // Same field values in another message type make another fingerprint.
  v1::ListChangesRequest other;
  EXPECT_NE(FilterFingerprint(v1::ListEntriesRequest()), FilterFingerprint(other));
}

TEST(PageTokenTest, ForgedOrForeignTokensAreInvalidArgument) {
  uint64_t fp = FilterFingerprint(v1::ListEntriesRequest());
  std::string good = EncodePageToken(fp, "pos");
  for (const std::string& token :
       {std::string("not base64 !"), std::string("AAAA"), EncodePageToken(fp + 1, "pos"),
        good.substr(0, 4), std::string(2000, 'A')}) {
    absl::StatusOr<std::string> r = DecodePageToken(token, fp);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << token;
  }
}

}  // namespace
}  // namespace credit
