// ListAll: pages gathered into one answer, within a limit, with the first failure as it is.
#include "credit/paging.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "credit/registry/v1/registry.pb.h"

namespace credit {
namespace {

namespace v1 = ::credit::registry::v1;

// A collection of `size` measures M0, M1, ... served `per_page` at a time at most; the token is
// the next index. Records the page sizes asked for.
struct FakeList {
  int size;
  int per_page;
  std::vector<int> asked;
  absl::StatusOr<v1::ListMeasuresResponse> operator()(const v1::ListMeasuresRequest& request) {
    asked.push_back(request.page_size());
    int from = request.page_token().empty() ? 0 : std::stoi(request.page_token());
    int n = std::min({per_page, request.page_size(), size - from});
    v1::ListMeasuresResponse page;
    for (int i = from; i < from + n; ++i) page.add_measures()->set_code("M" + std::to_string(i));
    if (from + n < size) page.set_next_page_token(std::to_string(from + n));
    return page;
  }
};

TEST(ListAllTest, GathersEveryPageInOrder) {
  FakeList list{2500, 700, {}};
  absl::StatusOr<v1::ListMeasuresResponse> all =
      ListAll<v1::ListMeasuresRequest, v1::ListMeasuresResponse>(
          {}, [&](const v1::ListMeasuresRequest& r) { return list(r); },
          &v1::ListMeasuresResponse::mutable_measures);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->measures_size(), 2500);
  EXPECT_EQ(all->measures(0).code(), "M0");
  EXPECT_EQ(all->measures(2499).code(), "M2499");
  EXPECT_EQ(all->next_page_token(), "");
  EXPECT_EQ(list.asked, (std::vector<int>{1000, 1000, 1000, 1000}));
}

TEST(ListAllTest, StopsAtTheLimitAndSaysWhereToGoOn) {
  FakeList list{2500, 1000, {}};
  absl::StatusOr<v1::ListMeasuresResponse> all =
      ListAll<v1::ListMeasuresRequest, v1::ListMeasuresResponse>(
          {}, [&](const v1::ListMeasuresRequest& r) { return list(r); },
          &v1::ListMeasuresResponse::mutable_measures, 1200);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->measures_size(), 1200);
  EXPECT_EQ(all->next_page_token(), "1200");
  EXPECT_EQ(list.asked, (std::vector<int>{1000, 200}));
}

TEST(ListAllTest, ReturnsTheFirstFailureAsItIs) {
  int calls = 0;
  absl::StatusOr<v1::ListMeasuresResponse> all =
      ListAll<v1::ListMeasuresRequest, v1::ListMeasuresResponse>(
          {},
          [&](const v1::ListMeasuresRequest&) -> absl::StatusOr<v1::ListMeasuresResponse> {
            if (++calls == 1) {
              v1::ListMeasuresResponse page;
              page.add_measures()->set_code("M0");
              page.set_next_page_token("1");
              return page;
            }
            return absl::UnavailableError("server went away");
          },
          &v1::ListMeasuresResponse::mutable_measures);
  EXPECT_EQ(all.status(), absl::UnavailableError("server went away"));
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace credit
