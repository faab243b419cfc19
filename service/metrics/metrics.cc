#include "service/metrics/metrics.h"

#include <exception>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "service/registry/registry.h"

namespace credit {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Single(std::string name, std::string help, MetricType type, double value) {
  MetricFamily family{std::move(name), std::move(help), type, {}};
  ClientMetric& metric = family.metric.emplace_back();
  if (type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return family;
}

template <size_t kBounds>
MetricFamily HistogramOf(std::string name, std::string help, const BucketCounter<kBounds>& from) {
  MetricFamily family{std::move(name), std::move(help), MetricType::Histogram, {}};
  ClientMetric::Histogram& histogram = family.metric.emplace_back().histogram;
  std::vector<uint64_t> counts = from.Counts();
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBounds; ++i) {
    cumulative += counts[i];
    histogram.bucket.push_back({cumulative, from.bounds()[i]});
  }
  cumulative += counts[kBounds];
  histogram.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
  histogram.sample_count = cumulative;
  histogram.sample_sum = from.Sum();
  return family;
}

}  // namespace

// What is read from the registry at each scrape.
class Metrics::Scraped : public prometheus::Collectable {
 public:
  Scraped(const Metrics* metrics, const Registry* registry, const CommitCounters* commits)
      : metrics_(metrics), registry_(registry), commits_(commits) {}

  std::vector<MetricFamily> Collect() const override {
    std::vector<MetricFamily> out;
    MetricFamily calls{"credit_rpc_calls_total",
                       "Calls answered, by method and gRPC status code.",
                       MetricType::Counter,
                       {}};
    MetricFamily durations{"credit_rpc_duration_seconds",
                           "Time from a call's arrival to its answer, by method.",
                           MetricType::Histogram,
                           {}};
    for (int rpc = 0; rpc < kRpcCount; ++rpc) {
      const std::string method(RpcName(static_cast<Rpc>(rpc)));
      for (int code = 0; code < kCodes; ++code) {
        uint64_t n = metrics_->calls_[rpc][code].load(std::memory_order_relaxed);
        if (n == 0) continue;
        ClientMetric& metric = calls.metric.emplace_back();
        metric.label = {{"code", absl::StatusCodeToString(static_cast<absl::StatusCode>(code))},
                        {"method", method}};
        metric.counter.value = static_cast<double>(n);
      }
      MetricFamily one = HistogramOf("", "", *metrics_->latencies_[rpc]);
      one.metric[0].label = {{"method", method}};
      durations.metric.push_back(std::move(one.metric[0]));
    }
    out.push_back(std::move(calls));
    out.push_back(std::move(durations));
    const v1::SignedTreeHead head = registry_->LatestHead();
    out.push_back(Single("credit_change_log_size", "Change records in the log (its tree's size).",
                         MetricType::Gauge, static_cast<double>(head.tree_size())));
    const double age =
        head.timestamp_micros() == 0
            ? 0
            : absl::ToDoubleSeconds(absl::Now() - absl::FromUnixMicros(head.timestamp_micros()));
    out.push_back(Single("credit_change_log_head_age_seconds",
                         "Seconds since the time the latest signed tree head states.",
                         MetricType::Gauge, age));
    out.push_back(HistogramOf("credit_commit_group_members",
                              "Mutations per commit group (one synced write and one signed head).",
                              commits_->group_members));
    out.push_back(HistogramOf("credit_commit_write_seconds",
                              "Time of each commit group's synced RocksDB write.",
                              commits_->write_seconds));
    out.push_back(Single("credit_query_log_backlog",
                         "Query-log records queued and not yet written.", MetricType::Gauge,
                         static_cast<double>(registry_->QueryLogBacklog())));
    out.push_back(Single("credit_clock_transitions_total",
                         "Time-driven transitions of the listing procedure made since start.",
                         MetricType::Counter, static_cast<double>(registry_->ClockTransitions())));
    const StatusIndex::Figures index = registry_->StatusIndexFigures();
    out.push_back(Single("credit_status_index_ready",
                         "1 once the in-memory status index is filled (BASIC answers from it).",
                         MetricType::Gauge, index.ready ? 1 : 0));
    out.push_back(Single("credit_status_index_subjects", "Subjects in the status index.",
                         MetricType::Gauge, static_cast<double>(index.subjects)));
    out.push_back(Single("credit_status_index_bytes",
                         "Memory of the status index: its table and its arena.", MetricType::Gauge,
                         static_cast<double>(index.table_bytes + index.arena_bytes)));
    const Store::Figures store = registry_->StoreFigures();
    out.push_back(Single("credit_rocksdb_block_cache_hits_total", "Block-cache hits since start.",
                         MetricType::Counter, static_cast<double>(store.block_cache_hits)));
    out.push_back(Single("credit_rocksdb_block_cache_misses_total",
                         "Block-cache misses since start.", MetricType::Counter,
                         static_cast<double>(store.block_cache_misses)));
    const uint64_t lookups = store.block_cache_hits + store.block_cache_misses;
    out.push_back(Single("credit_rocksdb_block_cache_hit_ratio",
                         "Block-cache hits over lookups since start (0 before the first).",
                         MetricType::Gauge,
                         lookups == 0 ? 0 : static_cast<double>(store.block_cache_hits) / lookups));
    out.push_back(Single("credit_rocksdb_block_cache_usage_bytes", "Bytes held by the block cache.",
                         MetricType::Gauge, static_cast<double>(store.block_cache_usage_bytes)));
    out.push_back(Single("credit_rocksdb_block_cache_capacity_bytes", "The block cache's capacity.",
                         MetricType::Gauge, static_cast<double>(store.block_cache_capacity_bytes)));
    out.push_back(Single("credit_rocksdb_memtable_bytes",
                         "Bytes held by the memtables, all families.", MetricType::Gauge,
                         static_cast<double>(store.memtable_bytes)));
    out.push_back(Single("credit_rocksdb_table_readers_bytes",
                         "Filters and indexes held outside the block cache, all families.",
                         MetricType::Gauge, static_cast<double>(store.table_readers_bytes)));
    out.push_back(Single("credit_rocksdb_pending_compaction_bytes",
                         "Bytes compaction estimates it has to rewrite, all families.",
                         MetricType::Gauge, static_cast<double>(store.pending_compaction_bytes)));
    out.push_back(Single("credit_rocksdb_live_data_bytes", "Estimated live data, all families.",
                         MetricType::Gauge, static_cast<double>(store.live_data_bytes)));
    out.push_back(Single("credit_rocksdb_stall_seconds_total",
                         "Time writes were held back by RocksDB since start.", MetricType::Counter,
                         static_cast<double>(store.stall_micros) / 1e6));
    out.push_back(Single("credit_rocksdb_writes_stopped",
                         "1 while RocksDB stops writes (compaction far behind), else 0.",
                         MetricType::Gauge, store.writes_stopped ? 1 : 0));
    return out;
  }

 private:
  const Metrics* metrics_;
  const Registry* registry_;
  const CommitCounters* commits_;
};

absl::StatusOr<std::unique_ptr<Metrics>> Metrics::Start(const std::string& listen,
                                                        const Registry* registry,
                                                        const CommitCounters* commits) {
  auto metrics = std::unique_ptr<Metrics>(new Metrics());
  for (int i = 0; i < kRpcCount; ++i) {
    metrics->latencies_.push_back(std::make_unique<CallLatency>(std::array<double, 13>{
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5}));
  }
  metrics->scraped_ = std::make_shared<Scraped>(metrics.get(), registry, commits);
  try {
    metrics->exposer_ = std::make_unique<prometheus::Exposer>(listen, 2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics_listen: cannot listen on ", listen, ": ", e.what()));
  }
  metrics->exposer_->RegisterCollectable(metrics->scraped_);
  std::vector<int> ports = metrics->exposer_->GetListeningPorts();
  metrics->port_ = ports.empty() ? 0 : ports.front();
  return metrics;
}

Metrics::~Metrics() = default;

void Metrics::ObserveCall(Rpc rpc, absl::StatusCode code, absl::Duration duration) {
  const int c = static_cast<int>(code);
  calls_[static_cast<size_t>(rpc)][c >= 0 && c < kCodes ? c : 2 /* UNKNOWN */].fetch_add(
      1, std::memory_order_relaxed);
  latencies_[static_cast<size_t>(rpc)]->Observe(absl::ToDoubleSeconds(duration));
}

}  // namespace credit
