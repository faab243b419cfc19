#include "service/registry/page_token.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "credit/registry/v1/registry.pb.h"

namespace credit {
namespace {

namespace v1 = ::credit::registry::v1;

const PageTokens kTokens(std::string(32, 'k'));

TEST(PageTokenTest, RoundTripsThePosition) {
  v1::ListEntriesRequest request;
  request.set_list(v1::LIST_KIND_BLACK);
  uint64_t fp = FilterFingerprint(request);
  std::string token = kTokens.Encode(fp, std::string("\0\0\x01", 3));
  absl::StatusOr<std::string> position = kTokens.Decode(token, fp);
  ASSERT_TRUE(position.ok());
  EXPECT_EQ(*position, std::string("\0\0\x01", 3));
  EXPECT_EQ(*kTokens.Decode("", fp), "");
}

TEST(PageTokenTest, FingerprintIgnoresPagingFieldsOnly) {
  v1::ListEntriesRequest a;
  a.set_list(v1::LIST_KIND_BLACK);
  v1::ListEntriesRequest b = a;
  b.set_page_size(7);
  b.set_page_token("anything");
  EXPECT_EQ(FilterFingerprint(a), FilterFingerprint(b));
  b.set_list(v1::LIST_KIND_RED);
  EXPECT_NE(FilterFingerprint(a), FilterFingerprint(b));
  // Same field values in another message type make another fingerprint.
  EXPECT_NE(FilterFingerprint(v1::ListEntriesRequest()),
            FilterFingerprint(v1::ListChangesRequest()));
}

TEST(PageTokenTest, ATokenOnlyWorksWithItsFilters) {
  std::string token = kTokens.Encode(1, "pos");
  EXPECT_TRUE(kTokens.Decode(token, 1).ok());
  EXPECT_EQ(kTokens.Decode(token, 2).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PageTokenTest, ForgedTokensAreInvalidArgument) {
  uint64_t fp = 42;
  std::string good = kTokens.Encode(fp, "position");
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(good, &raw));
  std::string moved = raw;
  moved[3] ^= 1;  // another position under the old tag
  const PageTokens other_key(std::string(32, 'x'));
  for (const std::string& token :
       {std::string("not base64 !"), std::string("AAAA"), absl::WebSafeBase64Escape(moved),
        good.substr(0, good.size() - 2), other_key.Encode(fp, "position"),
        std::string(2000, 'A')}) {
    absl::StatusOr<std::string> r = kTokens.Decode(token, fp);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << token;
    EXPECT_EQ(r.status().message(),
              "page_token: not a token this call issued for these filters; want the "
              "next_page_token of the previous page, with the same filters");
  }
}

}  // namespace
}  // namespace credit
