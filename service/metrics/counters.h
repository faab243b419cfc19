// Plain counters the service keeps as it works, for the metrics endpoint to read when scraped
// (service/metrics/metrics.h). They know nothing of Prometheus: the domain code only adds to them,
// with relaxed atomics, and never waits.
#ifndef CREDIT_SERVICE_METRICS_COUNTERS_H_
#define CREDIT_SERVICE_METRICS_COUNTERS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace credit {

// Observations counted into fixed buckets (upper bounds, ascending; one more bucket past the
// last bound), with their count and sum. Thread-safe.
template <size_t kBounds>
class BucketCounter {
 public:
  explicit constexpr BucketCounter(const std::array<double, kBounds>& bounds) : bounds_(bounds) {}

  void Observe(double value) {
    size_t bucket = 0;
    while (bucket < kBounds && value > bounds_[bucket]) ++bucket;
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    // The sum in millionths: exact for the microseconds and counts observed here.
    sum_millionths_.fetch_add(static_cast<uint64_t>(value * 1e6 + 0.5), std::memory_order_relaxed);
  }

  const std::array<double, kBounds>& bounds() const { return bounds_; }
  // Per bucket (kBounds + 1 of them, not cumulative).
  std::vector<uint64_t> Counts() const {
    std::vector<uint64_t> out(kBounds + 1);
    for (size_t i = 0; i <= kBounds; ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
    return out;
  }
  double Sum() const { return sum_millionths_.load(std::memory_order_relaxed) / 1e6; }

 private:
  const std::array<double, kBounds> bounds_;
  std::array<std::atomic<uint64_t>, kBounds + 1> counts_{};
  std::atomic<uint64_t> sum_millionths_{0};
};

// What the change log's writer counts: each commit group's members and the time its synced write
// took, in seconds.
struct CommitCounters {
  BucketCounter<8> group_members{{1, 2, 4, 8, 16, 32, 64, 128}};
  BucketCounter<10> write_seconds{
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1}};
};

}  // namespace credit

#endif  // CREDIT_SERVICE_METRICS_COUNTERS_H_
