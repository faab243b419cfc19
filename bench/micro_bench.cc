// Google Benchmark over the in-process hot paths, so a regression shows without a server:
// subject-code and entry validation, date formatting, change-record encoding, hashing, Merkle
// appends and proofs, keys, chaining query-log records, status parts, sorting a group's keyed
// writes.
//   build/bench/micro_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "bench/dataset.h"
#include "bench/synced_write.h"
#include "common/changelog/change_record.h"
#include "common/crypto/sha256.h"
#include "common/merkle/merkle.h"
#include "common/proto/deterministic.h"
#include "common/querylog/query_record_hash.h"
#include "common/subject/subject_code.h"
#include "common/text/date.h"
#include "service/registry/registry_internal.h"
#include "service/registry/validation.h"
#include "service/storage/keys.h"
#include "service/storage/store.h"

namespace credit {
namespace {

void BM_ClassifyOrganisationCode(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(ClassifySubjectCode("91440300MA5FXXXX0U", "subject_code"));
  }
}
BENCHMARK(BM_ClassifyOrganisationCode);

void BM_ClassifyPersonCode(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(ClassifySubjectCode("440524198001010013", "subject_code"));
  }
}
BENCHMARK(BM_ClassifyPersonCode);

// An entry's status part, the bytes its subject's record keeps while it is ACTIVE: one per
// entry an import records, under the writer's lock.
void BM_StatusPart(benchmark::State& state) {
  std::vector<registry::v1::Entry> entries;
  for (uint64_t n = 0; n < 64; ++n) {
    entries.push_back(bench::EntryFor(n));
    entries.back().set_status(registry::v1::ENTRY_STATUS_ACTIVE);
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(registry_internal::StatusPart(entries[i++ % entries.size()]));
  }
}
BENCHMARK(BM_StatusPart);

// Every listed subject a status answer names has its entries' status parts read: in place
// (ReadStatusPart, what the BASIC view does) and, for comparison in the same run, parsed into an
// Entry (what it did before, and what the whole entries of a FULL answer still are).
std::vector<std::string> StatusParts() {
  std::vector<std::string> parts;
  for (uint64_t n = 0; n < 64; ++n) {
    registry::v1::Entry entry = bench::EntryFor(n);
    entry.set_status(registry::v1::ENTRY_STATUS_ACTIVE);
    parts.push_back(registry_internal::StatusPart(entry));
  }
  return parts;
}
void BM_ReadStatusPart(benchmark::State& state) {
  std::vector<std::string> parts = StatusParts();
  registry_internal::StatusPartView part;
  size_t i = 0;
  for (auto _ : state) {
    absl::Status status = registry_internal::ReadStatusPart(parts[i % parts.size()], i, &part);
    ++i;
    benchmark::DoNotOptimize(part.measure_codes.data());
    if (!status.ok()) state.SkipWithError(std::string(status.message()).c_str());
  }
}
BENCHMARK(BM_ReadStatusPart);
void BM_ParseStatusPart(benchmark::State& state) {
  std::vector<std::string> parts = StatusParts();
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<registry::v1::Entry> entry =
        registry_internal::ParseEntry(parts[i % parts.size()], i);
    ++i;
    benchmark::DoNotOptimize(entry);
    if (!entry.ok()) state.SkipWithError(std::string(entry.status().message()).c_str());
  }
}
BENCHMARK(BM_ParseStatusPart);

// An import validates each of its entries under the writer's lock, as ImportEntries calls it.
void BM_ValidateImportEntry(benchmark::State& state) {
  std::vector<registry::v1::Entry> entries;
  MeasureCatalogue catalogue;
  for (uint64_t n = 0; n < 64; ++n) {
    entries.push_back(bench::EntryFor(n));
    for (const std::string& code : entries.back().measure_codes()) {
      registry::v1::Measure& measure = catalogue[code];
      measure.set_code(code);
      measure.set_kind(code[0] == 'I' ? registry::v1::MEASURE_KIND_INCENTIVE
                                      : registry::v1::MEASURE_KIND_PUNISHMENT);
    }
  }
  int i = 0;
  for (auto _ : state) {
    absl::Status status = ValidateEntryInput(entries[i % entries.size()], catalogue, "entries", i);
    if (!status.ok()) state.SkipWithError(std::string(status.message()).c_str());
    i = (i + 1) % 1000;
  }
}
BENCHMARK(BM_ValidateImportEntry);

// Every status answer judges the entries on today's date, formatted.
void BM_FormatDate(benchmark::State& state) {
  absl::CivilDay day(2026, 11, 28);
  for (auto _ : state) benchmark::DoNotOptimize(FormatDate(day));
}
BENCHMARK(BM_FormatDate);

ChangeRecord SampleRecord() {
  ChangeRecord r;
  r.sequence = 123456789;
  r.time_micros = 1700000000000000;
  r.operation = 1;
  r.actor_identity = "recorder";
  r.actor_department = "市中小企业局";
  r.request_id = "0123456789abcdef0123456789abcdef";
  r.after = std::string(600, 'e');  // a typical serialised entry
  return r;
}

void BM_EncodeChangeRecord(benchmark::State& state) {
  ChangeRecord r = SampleRecord();
  for (auto _ : state) benchmark::DoNotOptimize(EncodeChangeRecord(r));
}
BENCHMARK(BM_EncodeChangeRecord);

void BM_DecodeChangeRecord(benchmark::State& state) {
  std::string bytes = EncodeChangeRecord(SampleRecord());
  for (auto _ : state) benchmark::DoNotOptimize(DecodeChangeRecord(bytes));
}
BENCHMARK(BM_DecodeChangeRecord);

void BM_LeafHash(benchmark::State& state) {
  std::string bytes = EncodeChangeRecord(SampleRecord());
  for (auto _ : state) benchmark::DoNotOptimize(merkle::LeafHash(bytes));
  state.SetBytesProcessed(state.iterations() * bytes.size());
}
BENCHMARK(BM_LeafHash);

void BM_MerkleAppend(benchmark::State& state) {
  merkle::CompactRange range;
  Hash256 leaf = merkle::LeafHash("leaf");
  uint64_t nodes = 0;
  for (auto _ : state) {
    range.Append(leaf, [&](int, uint64_t, const Hash256&) { ++nodes; });
  }
  benchmark::DoNotOptimize(nodes);
}
BENCHMARK(BM_MerkleAppend);

// Inclusion proof over a tree held in memory: the hashing and the walk, not the storage reads.
void BM_InclusionProof(benchmark::State& state) {
  const uint64_t size = state.range(0);
  std::map<std::pair<int, uint64_t>, Hash256> nodes;
  merkle::CompactRange range;
  for (uint64_t i = 0; i < size; ++i) {
    range.Append(merkle::LeafHash(std::to_string(i)),
                 [&](int level, uint64_t index, const Hash256& h) {
                   nodes[{level, index}] = h;
                 });
  }
  auto read = [&](int level, uint64_t index) -> absl::StatusOr<Hash256> {
    return nodes.at({level, index});
  };
  uint64_t index = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(merkle::InclusionProof(index, size, read));
    index = (index + 7919) % size;
  }
}
BENCHMARK(BM_InclusionProof)->Arg(1 << 10)->Arg(1 << 16);

// A status lookup's query-log record, fields 2 to 6: what the answering thread serialises.
registry::v1::QueryRecord SampleQueryBody() {
  registry::v1::QueryRecord record;
  record.mutable_time()->set_seconds(1700000000);
  record.mutable_actor()->set_identity("querier");
  record.mutable_actor()->set_department("市税务局");
  record.set_rpc("GetCreditStatus");
  record.set_purpose("招投标资格审查");
  record.add_subject_hashes(std::string(AsBytes(Sha256({"salt", "91440300MA5FXXXX0U"}))));
  return record;
}

// The query log's writer, per record: the sequence and previous hash put around the body's
// bytes, and the record hashed.
void BM_QueryRecordChain(benchmark::State& state) {
  std::string body = SerializeDeterministic(SampleQueryBody());
  Hash256 previous{};
  uint64_t sequence = 1000000;
  for (auto _ : state) {
    QueryRecordPieces record(sequence++, body, previous, /*unmasked=*/false);
    previous = record.Hash();
  }
  benchmark::DoNotOptimize(previous);
}
BENCHMARK(BM_QueryRecordChain);

// The same record hashed whole (the verifiers' way, from a parsed record).
void BM_QueryRecordHash(benchmark::State& state) {
  registry::v1::QueryRecord record = SampleQueryBody();
  record.set_previous_hash(std::string(32, '\0'));
  uint64_t sequence = 1000000;
  for (auto _ : state) {
    record.set_sequence(sequence++);
    benchmark::DoNotOptimize(QueryRecordHash(record));
  }
}
BENCHMARK(BM_QueryRecordHash);

void BM_SubjectItemKey(benchmark::State& state) {
  uint64_t id = 0;
  for (auto _ : state) benchmark::DoNotOptimize(keys::SubjectItem("91440300MA5FXXXX0U", ++id));
}
BENCHMARK(BM_SubjectItemKey);

}  // namespace
}  // namespace credit

// A store in a fresh folder under /tmp, removed with it. When it cannot be opened, the
// benchmark is marked skipped and get() is null.
class ScratchStore {
 public:
  explicit ScratchStore(benchmark::State& state) {
    char dir_template[] = "/tmp/credit-micro-bench-XXXXXX";
    dir_ = mkdtemp(dir_template);
    absl::StatusOr<std::unique_ptr<credit::Store>> store = credit::Store::Open(dir_);
    if (store.ok()) {
      store_ = *std::move(store);
    } else {
      state.SkipWithError("cannot open a store");
    }
  }
  ~ScratchStore() {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  credit::Store* get() const { return store_.get(); }

 private:
  std::string dir_;
  std::unique_ptr<credit::Store> store_;
};

// One synced RocksDB write of about a recording's size: the floor under one recorder's latency
// on this disk (bench/synced_write.h).
void BM_SyncedWrite(benchmark::State& state) {
  ScratchStore scratch(state);
  if (scratch.get() == nullptr) return;
  credit::bench::RecordingSizedWrites writes(*scratch.get());
  for (auto _ : state) {
    if (!writes.WriteNext().ok()) state.SkipWithError("write failed");
  }
}
BENCHMARK(BM_SyncedWrite)->Unit(benchmark::kMicrosecond)->UseRealTime();

// A 1000-entry import group's writes to the families not keyed in write order (each entry's
// subject record and two index keys, randomly keyed; its stored Merkle nodes, level first), sorted
// into the group's batch as the committing thread does (SortedWrites). Per entry.
void BM_SortedWritesOfAnImport(benchmark::State& state) {
  ScratchStore scratch(state);
  if (scratch.get() == nullptr) return;
  credit::Store& store = *scratch.get();
  constexpr int kEntries = 1000;
  std::vector<std::string> codes;
  for (uint64_t n = 0; n < kEntries; ++n) codes.push_back(credit::bench::SubjectCode(n * 7919));
  const std::string record(100, 'r'), node(32, 'h');
  uint64_t first = 0;
  for (auto _ : state) {
    credit::SortedWrites writes;
    for (uint64_t i = 0; i < kEntries; ++i) {
      uint64_t sequence = first + i;
      writes.Put(credit::Family::kSubjects, codes[i], record);
      writes.Put(credit::Family::kSubjectEntries, credit::keys::SubjectItem(codes[i], sequence),
                 "");
      writes.Put(credit::Family::kSubjectChanges, credit::keys::SubjectItem(codes[i], sequence),
                 "");
      for (int level = 0; level == 0 || (sequence >> (level - 1) & 1); ++level) {
        if (!credit::keys::IsStoredTreeLevel(level)) continue;
        writes.Put(credit::Family::kTreeNodes, credit::keys::TreeNode(level, sequence >> level),
                   node);
      }
    }
    rocksdb::WriteBatch batch;
    if (!writes.MoveSortedTo(store, &batch).ok()) state.SkipWithError("adding failed");
    benchmark::DoNotOptimize(batch.Data().data());
    first += kEntries;
  }
  state.SetItemsProcessed(state.iterations() * kEntries);
}
BENCHMARK(BM_SortedWritesOfAnImport)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
