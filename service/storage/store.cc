#include "service/storage/store.h"

#include <openssl/rand.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/statistics.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "service/storage/keys.h"

namespace credit {
namespace {

constexpr const char* kFamilyNames[] = {
    "default",   "meta",      "entries",    "subject_entries", "changes",     "subject_changes",
    "measures",  "requests",  "tree_nodes", "heads",           "queries",     "subjects",
    "deadlines", "decisions", "feedback",   "names",           "query_nodes", "query_heads",
};
static_assert(std::size(kFamilyNames) == static_cast<size_t>(Family::kCount));

constexpr const char* kFormatVersionKey = "format_version";
constexpr const char* kFormatVersion = "1";

// Every family has whole-key Bloom filters, so a lookup of a key that is absent (a subject on
// no list: most status questions) usually reads no data block. Filters and indexes live in the
// block cache with their priority, pinned for level 0, so their memory is bounded by it too —
// except the subjects family's, which FULL answers and every recording read (below); BASIC
// answers come from the in-memory status index.
std::vector<rocksdb::ColumnFamilyDescriptor> Families(std::shared_ptr<rocksdb::Cache> block_cache) {
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = std::move(block_cache);
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  rocksdb::ColumnFamilyOptions family_options;
  family_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name : kFamilyNames) families.emplace_back(name, family_options);
  // Readers take one key per subject; no range scans: a hash index inside each block
  // finds the key without a binary search.
  rocksdb::BlockBasedTableOptions point_table = table;
  point_table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  point_table.optimize_filters_for_memory = true;
  // This family's filters and indexes stay in memory outside the block cache (~40 MB at 10 M
  // subjects). In the cache, a 10 M data set's data blocks pushed them out, and each lookup then
  // read a file's whole filter again (MBs, checksummed): a third of the lookup's CPU.
  point_table.cache_index_and_filter_blocks = false;
  // Blocks of 1 KB instead of 4. Once the family outgrows the block cache, a listed subject's
  // block is nearly always read, decompressed and cached anew for its one record (~100 bytes):
  // a quarter of the bytes makes that a quarter of the work, for an index four times as large
  // (28 MB at 10 M) and files half as large again (compression gains less on smaller blocks).
  // At 10 M, 1000-subject batches 13-44 % faster in five alternating pairs (docs/performance.md,
  // "Batches"). Only files written from now on use it: earlier ones are read as they are until
  // compaction rewrites them.
  point_table.block_size = 1024;
  rocksdb::ColumnFamilyOptions point_options = family_options;
  point_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(point_table));
  // And a whole-key Bloom filter in each memtable: a subject's record lives in one memtable or
  // file at most, and without it every lookup searched every memtable's skip list (at 100 k,
  // just imported, that search was a fifth of a batch's server time).
  point_options.memtable_whole_key_filtering = true;
  point_options.memtable_prefix_bloom_size_ratio = 0.05;
  families[static_cast<size_t>(Family::kSubjects)].options = point_options;
  // The change log, its heads and the query log only ever append, in key order, and entries
  // nearly so (an entry is rewritten in place only when corrected or removed). Under leveled
  // compaction each of their files was rewritten once more after it reached the last level:
  // RocksDB (since 6.23) recompacts a bottommost file only to zero its sequence numbers once no
  // snapshot needs them, and our read view always holds a fresh snapshot. That was 49 s of the
  // 10 M import's 146 s of compaction CPU (docs/performance.md, "Import"). Universal compaction
  // does not do this, and moves runs that do not overlap without rewriting them; runs that do
  // overlap (corrected entries) are merged by size as usual. A folder written under leveled
  // compaction opens as it is: universal compaction takes each of its levels as a sorted run.
  auto compact_universally = [&families](Family family) {
    rocksdb::ColumnFamilyOptions& options = families[static_cast<size_t>(family)].options;
    options.compaction_style = rocksdb::kCompactionStyleUniversal;
    options.compaction_options_universal.allow_trivial_move = true;
  };
  for (Family append_mostly : {Family::kChanges, Family::kEntries, Family::kHeads, Family::kQueries,
                               Family::kQueryHeads}) {
    compact_universally(append_mostly);
  }
  // Merkle node hashes do not compress (1.09 : 1 at 10 M): compressing them only costs CPU.
  // Proofs read nodes that exist, so a Bloom filter never spares them a read; and the nodes'
  // indexes (~3 MB at 10 M records) stay outside the block cache: in it, with the cache squeezed
  // by the status index, each proof read its files' whole indexes and filters again (megabytes,
  // checksummed): 1.5 ms of CPU a proof at 10 M instead of 0.45.
  rocksdb::BlockBasedTableOptions node_table = table;
  node_table.filter_policy.reset();
  node_table.cache_index_and_filter_blocks = false;
  for (Family nodes : {Family::kTreeNodes, Family::kQueryNodes}) {
    families[static_cast<size_t>(nodes)].options.compression = rocksdb::kNoCompression;
    families[static_cast<size_t>(nodes)].options.table_factory.reset(
        rocksdb::NewBlockBasedTableFactory(node_table));
  }
  // The subject indexes are only ever scanned by subject (a prefix), and the query log in
  // order: whole-key Bloom filters never spare them a read, yet cost CPU at each flush and
  // compaction and room in the block cache (~50 MB each for the indexes at 10 M). And randomly
  // keyed, the indexes were rewritten level after level under leveled compaction (14-17 s of CPU
  // each in a 10 M import); universal compaction merges them far less often, and a scan by
  // subject reads one place per sorted run either way.
  rocksdb::BlockBasedTableOptions scanned_table = table;
  scanned_table.filter_policy.reset();
  for (Family scanned :
       {Family::kSubjectEntries, Family::kSubjectChanges, Family::kQueries, Family::kNames}) {
    families[static_cast<size_t>(scanned)].options.table_factory.reset(
        rocksdb::NewBlockBasedTableFactory(scanned_table));
  }
  // The name index likewise: keyed by folded names, as random as subject codes, and only ever
  // read by prefix (one name's subjects).
  for (Family index : {Family::kSubjectEntries, Family::kSubjectChanges, Family::kNames}) {
    compact_universally(index);
  }
  // The decision index is keyed by subject code, as randomly as the subject indexes, and read by
  // point lookups of mostly absent keys (a new decision): its whole-key Bloom filters stay, and
  // universal compaction spares it the level-by-level rewrites. The deadline index is keyed by
  // date, then id: appended nearly in order.
  compact_universally(Family::kDecisions);
  // Its filters stay in memory outside the block cache, as the subjects family's do (~12 MB at
  // 10 M decisions). Universal compaction leaves a few large files, each with one whole filter
  // of megabytes; in the cache, data blocks pushed them out and every recording read and
  // checksummed whole filters again: 45 % of the server's CPU when recording at 10 M
  // (docs/performance.md, "Recording at 10 M").
  rocksdb::BlockBasedTableOptions decision_table = table;
  decision_table.cache_index_and_filter_blocks = false;
  families[static_cast<size_t>(Family::kDecisions)].options.table_factory.reset(
      rocksdb::NewBlockBasedTableFactory(decision_table));
  families[static_cast<size_t>(Family::kDecisions)].options.memtable_whole_key_filtering = true;
  families[static_cast<size_t>(Family::kDecisions)].options.memtable_prefix_bloom_size_ratio = 0.05;
  compact_universally(Family::kDeadlines);
  return families;
}

}  // namespace

absl::Status FromRocksStatus(const rocksdb::Status& status, const char* what) {
  if (status.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(what, ": ", status.ToString());
  if (status.IsNoSpace()) return absl::ResourceExhaustedError(message);
  if (status.IsBusy() || status.IsTimedOut() || status.IsTryAgain() ||
      (status.IsIOError() && status.ToString().find("lock") != std::string::npos)) {
    return absl::UnavailableError(message);
  }
  if (status.IsCorruption()) return absl::DataLossError(message);
  // A read-only or failing disk: the operator can fix it and the caller can try again.
  if (status.IsIOError()) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

absl::StatusOr<std::unique_ptr<Store>> Store::OpenReadOnly(const std::string& dir) {
  rocksdb::DBOptions options;
  options.paranoid_checks = true;
  auto store = std::unique_ptr<Store>(new Store());
  rocksdb::DB* raw = nullptr;
  // A folder last written by an older version lacks the families added since; the families it
  // has are opened, the others have no handle (nothing read-only reads them).
  std::vector<std::string> present;
  rocksdb::Status status = rocksdb::DB::ListColumnFamilies(options, dir, &present);
  if (status.IsNotFound() ||
      (status.IsInvalidArgument() &&
       status.ToString().find("does not exist") != std::string::npos) ||
      (status.IsIOError() && status.ToString().find("No such file") != std::string::npos)) {
    return absl::NotFoundError(absl::StrCat(dir, ": no registry database here"));
  }
  if (!status.ok()) return FromRocksStatus(status, "opening the database read-only");
  std::vector<rocksdb::ColumnFamilyDescriptor> all =
      Families(rocksdb::NewLRUCache(StoreOptions().block_cache_bytes));
  std::vector<rocksdb::ColumnFamilyDescriptor> opened;
  std::vector<size_t> places;
  for (size_t i = 0; i < all.size(); ++i) {
    if (std::find(present.begin(), present.end(), all[i].name) == present.end()) continue;
    opened.push_back(all[i]);
    places.push_back(i);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  status = rocksdb::DB::OpenForReadOnly(options, dir, opened, &handles, &raw);
  if (!status.ok()) return FromRocksStatus(status, "opening the database read-only");
  store->handles_.assign(all.size(), nullptr);
  for (size_t k = 0; k < handles.size(); ++k) store->handles_[places[k]] = handles[k];
  store->db_.reset(raw);
  return store;
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir,
                                                   const StoreOptions& store_options) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.paranoid_checks = true;
  // All families' memtables together stay within this (RSS is bounded at any data size);
  // a family whose memtable would push past it is flushed.
  options.db_write_buffer_size = store_options.write_buffer_bytes;
  options.max_background_jobs = 2;

  auto store = std::unique_ptr<Store>(new Store());
  store->env_ = store_options.env;
  // Counters only (no histograms or timers): each is a core-local add, for the metrics endpoint.
  store->statistics_ = rocksdb::CreateDBStatistics();
  store->statistics_->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);
  options.statistics = store->statistics_;
  store->sync_writes_ = store_options.sync_writes;
  if (store->env_) options.env = store->env_.get();
  rocksdb::DB* raw = nullptr;
  store->block_cache_ = rocksdb::NewLRUCache(store_options.block_cache_bytes);
  rocksdb::Status status =
      rocksdb::DB::Open(options, dir, Families(store->block_cache_), &store->handles_, &raw);
  if (!status.ok()) return FromRocksStatus(status, "opening the database");
  store->db_.reset(raw);

  auto version = store->Get(Family::kMeta, kFormatVersionKey);
  if (!version.ok()) return version.status();
  if (!version->has_value()) {
    rocksdb::WriteBatch batch;
    batch.Put(store->Handle(Family::kMeta), kFormatVersionKey, kFormatVersion);
    if (absl::Status s = store->Write(&batch); !s.ok()) return s;
  } else if (**version != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(dir, ": database format version ", **version,
                                                      ", this creditd reads ", kFormatVersion));
  }
  return store;
}

Store::~Store() {
  if (!db_) return;
  // Everything is in the synced WAL already; flushing the memtables now spares the next open
  // (a restart, `creditd verify`) replaying up to write_buffer_bytes of it. A read-only store
  // has nothing to flush and answers NotSupported.
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  for (auto* handle : handles_) {
    if (handle != nullptr) handles.push_back(handle);
  }
  db_->Flush(rocksdb::FlushOptions(), handles).PermitUncheckedError();
  for (auto* handle : handles) db_->DestroyColumnFamilyHandle(handle);
  db_->Close().PermitUncheckedError();
}

absl::Status Store::Write(rocksdb::WriteBatch* batch) {
  std::lock_guard lock(error_mu_);
  if (!write_error_.ok()) {
    // RocksDB refuses writes after a failed one until it has recovered: by itself once a full
    // disk has space again, or when told to resume. Until then, the failure that stopped it
    // is the answer (RESOURCE_EXHAUSTED for a full disk).
    if (!db_->Resume().ok()) return write_error_;
    write_error_ = absl::OkStatus();
  }
  rocksdb::WriteOptions options;
  options.sync = sync_writes_;
  absl::Status status = FromRocksStatus(db_->Write(options, batch), "writing");
  if (!status.ok()) write_error_ = status;
  return status;
}

void SortedWrites::Put(Family family, absl::string_view key, absl::string_view value) {
  Add(family, false, key, value);
}

void SortedWrites::Delete(Family family, absl::string_view key) { Add(family, true, key, {}); }

void SortedWrites::Add(Family family, bool erase, absl::string_view key, absl::string_view value) {
  writes_.push_back({family, erase, static_cast<uint32_t>(key.size()),
                     static_cast<uint32_t>(value.size()), bytes_.size()});
  bytes_.append(key.data(), key.size());
  bytes_.append(value.data(), value.size());
}

void SortedWrites::Truncate(size_t mark) {
  if (mark >= writes_.size()) return;
  bytes_.resize(writes_[mark].at);
  writes_.resize(mark);
}

absl::Status SortedWrites::MoveSortedTo(const Store& store, rocksdb::WriteBatch* batch) {
  auto key = [this](const Write& w) { return absl::string_view(bytes_).substr(w.at, w.key_size); };
  std::stable_sort(writes_.begin(), writes_.end(), [&](const Write& a, const Write& b) {
    if (a.family != b.family) return a.family < b.family;
    return key(a) < key(b);
  });
  for (const Write& w : writes_) {
    rocksdb::Slice k(bytes_.data() + w.at, w.key_size);
    rocksdb::Status status =
        w.erase ? batch->Delete(store.Handle(w.family), k)
                : batch->Put(store.Handle(w.family), k,
                             rocksdb::Slice(bytes_.data() + w.at + w.key_size, w.value_size));
    if (!status.ok()) return FromRocksStatus(status, "adding the sorted writes to the batch");
  }
  writes_.clear();
  bytes_.clear();
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> Store::Get(Family family, const rocksdb::Slice& key,
                                                      const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  std::string value;
  rocksdb::Status status = db_->Get(options, Handle(family), key, &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocksStatus(status, "reading");
  return value;
}

absl::StatusOr<std::vector<std::optional<std::string>>> Store::MultiGet(
    Family family, const std::vector<std::string>& keys, const rocksdb::Snapshot* snapshot) {
  return MultiGet(family, std::vector<absl::string_view>(keys.begin(), keys.end()), snapshot);
}

absl::StatusOr<std::vector<std::optional<std::string>>> Store::MultiGet(
    Family family, const std::vector<absl::string_view>& keys, const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (absl::string_view key : keys) slices.emplace_back(key.data(), key.size());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(options, Handle(family), keys.size(), slices.data(), values.data(),
                statuses.data());
  std::vector<std::optional<std::string>> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return FromRocksStatus(statuses[i], "reading");
    out[i] = values[i].ToString();
  }
  return out;
}

std::unique_ptr<rocksdb::Iterator> Store::NewIterator(Family family,
                                                      const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(options, Handle(family)));
}

std::unique_ptr<rocksdb::Iterator> Store::NewScanIterator(Family family,
                                                          const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  options.fill_cache = false;
  options.readahead_size = 2 << 20;
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(options, Handle(family)));
}

absl::StatusOr<std::string> Store::GetOrCreateSecret(const std::string& name) {
  absl::StatusOr<std::optional<std::string>> stored = Get(Family::kMeta, name);
  if (!stored.ok()) return stored.status();
  if (stored->has_value()) return **stored;
  std::string secret(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), 32) != 1) {
    return absl::InternalError("OpenSSL could not make random bytes for " + name);
  }
  rocksdb::WriteBatch batch;
  batch.Put(Handle(Family::kMeta), name, secret);
  if (absl::Status s = Write(&batch); !s.ok()) return s;
  return secret;
}

absl::Status Store::ScanTreeLevel(Tree tree, int level,
                                  absl::FunctionRef<bool(uint64_t, absl::string_view)> visit) {
  std::unique_ptr<rocksdb::Iterator> it = NewScanIterator(NodesOf(tree));
  const std::string prefix = keys::TreeNode(level, 0).substr(0, 1);
  for (it->Seek(keys::TreeNode(level, 0)); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    if (!visit(keys::ReadU64(View(it->key()).substr(1)), View(it->value()))) break;
  }
  return FromRocksStatus(it->status(), "reading Merkle tree nodes");
}

Store::Figures Store::ReadFigures() const {
  Figures figures;
  if (statistics_ != nullptr) {
    figures.block_cache_hits = statistics_->getTickerCount(rocksdb::BLOCK_CACHE_HIT);
    figures.block_cache_misses = statistics_->getTickerCount(rocksdb::BLOCK_CACHE_MISS);
    figures.stall_micros = statistics_->getTickerCount(rocksdb::STALL_MICROS);
  }
  uint64_t value = 0;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    if (handle == nullptr) continue;
    if (db_->GetIntProperty(handle, "rocksdb.estimate-pending-compaction-bytes", &value)) {
      figures.pending_compaction_bytes += value;
    }
    if (db_->GetIntProperty(handle, "rocksdb.estimate-live-data-size", &value)) {
      figures.live_data_bytes += value;
    }
    if (db_->GetIntProperty(handle, "rocksdb.cur-size-all-mem-tables", &value)) {
      figures.memtable_bytes += value;
    }
    if (db_->GetIntProperty(handle, "rocksdb.is-write-stopped", &value) && value != 0) {
      figures.writes_stopped = true;
    }
  }
  figures.table_readers_bytes = TableReadersBytes();
  // One cache serves every family (Families()); the default family's table names it.
  if (db_->GetIntProperty(handles_[0], "rocksdb.block-cache-usage", &value)) {
    figures.block_cache_usage_bytes = value;
  }
  if (db_->GetIntProperty(handles_[0], "rocksdb.block-cache-capacity", &value)) {
    figures.block_cache_capacity_bytes = value;
  }
  return figures;
}

uint64_t Store::TableReadersBytes() const {
  uint64_t total = 0;
  uint64_t value = 0;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    if (handle != nullptr &&
        db_->GetIntProperty(handle, "rocksdb.estimate-table-readers-mem", &value)) {
      total += value;
    }
  }
  return total;
}

void Store::SetBlockCacheCapacity(size_t bytes) {
  if (block_cache_ != nullptr) block_cache_->SetCapacity(bytes);
}

absl::Status Store::Checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  RETURN_IF_ERROR(
      FromRocksStatus(rocksdb::Checkpoint::Create(db_.get(), &raw), "preparing the checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocksStatus(checkpoint->CreateCheckpoint(dir), "creating the checkpoint");
}

}  // namespace credit
