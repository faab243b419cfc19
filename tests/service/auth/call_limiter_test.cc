// One identity's calls in flight are bounded; the others are not affected.
#include "service/auth/call_limiter.h"

#include <gtest/gtest.h>

namespace credit {
namespace {

TEST(CallLimiterTest, AnIdentityAtItsLimitIsRefusedAndOthersAreNot) {
  CallLimiter limiter(2);
  Caller querier{"querier", "市财政局", static_cast<uint32_t>(Role::kQuerier), false};
  Caller auditor{"auditor", "市纪委监委", static_cast<uint32_t>(Role::kAuditor), true};
  CallLimiter::Slot a, b, c;
  ASSERT_TRUE(limiter.Enter(querier, &a).ok());
  ASSERT_TRUE(limiter.Enter(querier, &b).ok());
  absl::Status refused = limiter.Enter(querier, &c);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.message(),
            "identity querier has 2 calls in flight, its limit: retry when one has ended");
  EXPECT_TRUE(limiter.Enter(auditor, &c).ok());
  // A call that ends frees its place.
  { CallLimiter::Slot ended = std::move(a); }
  CallLimiter::Slot d;
  EXPECT_TRUE(limiter.Enter(querier, &d).ok());
}

TEST(CallLimiterTest, AnIdentitysOwnLimitOverridesTheDefault) {
  CallLimiter limiter(1);
  Caller bulk{"bulk", "市财政局", static_cast<uint32_t>(Role::kQuerier), false, 3};
  CallLimiter::Slot slots[4];
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter.Enter(bulk, &slots[i]).ok()) << i;
  EXPECT_EQ(limiter.Enter(bulk, &slots[3]).code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace credit
