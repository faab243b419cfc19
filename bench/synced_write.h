// One synced RocksDB write of about a recording's size, through creditd's own store options (its
// entry, change record, subject record, stored answer and leaf node): the floor under a single
// recorder's latency. micro_bench's BM_SyncedWrite times it alone; credit-bench's baseline server
// makes one per RecordEntry, so that the floor is also measured through gRPC, in the same run.
#ifndef CREDIT_BENCH_SYNCED_WRITE_H_
#define CREDIT_BENCH_SYNCED_WRITE_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "service/storage/store.h"

namespace credit::bench {

class RecordingSizedWrites {
 public:
  explicit RecordingSizedWrites(Store& store) : store_(store) {}
  // Writes the next one (each under keys of its own) and waits until it is durable. Thread-safe.
  absl::Status WriteNext();

 private:
  Store& store_;
  std::atomic<uint64_t> next_{0};
};

}  // namespace credit::bench

#endif  // CREDIT_BENCH_SYNCED_WRITE_H_
