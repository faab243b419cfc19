// ArenaMessages: each call's messages on an arena, fresh for every call, the arena kept for the
// next call once gRPC releases the call.
#include "service/server/arena_messages.h"

#include <gtest/gtest.h>

#include "credit/registry/v1/registry.pb.h"

namespace credit {
namespace {

namespace v1 = ::credit::registry::v1;
using Messages = ArenaMessages<v1::BatchGetCreditStatusRequest, v1::BatchGetCreditStatusResponse>;

TEST(ArenaMessagesTest, EachCallGetsEmptyMessagesOnAnArenaKeptForTheNextCall) {
  Messages messages(/*block_bytes=*/4096, /*kept=*/1);
  auto* first = messages.AllocateMessages();
  ASSERT_NE(first->request()->GetArena(), nullptr);
  EXPECT_EQ(first->response()->GetArena(), first->request()->GetArena());
  google::protobuf::Arena* arena = first->request()->GetArena();
  // More than the first block: the arena grows, and gives the growth back when released.
  for (int i = 0; i < 1000; ++i) {
    first->request()->add_subject_codes("91440300MA5FXXXX0U");
    first->response()->add_results()->mutable_status()->set_as_of_date("2026-12-07");
  }
  EXPECT_GT(arena->SpaceUsed(), 4096u);
  auto* second = messages.AllocateMessages();  // while the first is in use: an arena of its own
  EXPECT_NE(second->request()->GetArena(), arena);
  first->Release();
  second->Release();  // more than `kept`: dropped

  auto* third = messages.AllocateMessages();
  EXPECT_EQ(third->request()->GetArena(), arena);
  EXPECT_EQ(third->request()->subject_codes_size(), 0);
  EXPECT_EQ(third->response()->results_size(), 0);
  EXPECT_LE(arena->SpaceAllocated(), 4096u);
  third->Release();
}

}  // namespace
}  // namespace credit
