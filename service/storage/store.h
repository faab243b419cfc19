// Store: the registry's one RocksDB database and its column families. It translates RocksDB
// status into absl::Status at this boundary and writes every batch with sync=true, so a write
// it acknowledges survives a crash or a power cut.
// Thread-safe: RocksDB serialises writers; readers may run concurrently with writers.
#ifndef CREDIT_SERVICE_STORAGE_STORE_H_
#define CREDIT_SERVICE_STORAGE_STORE_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace credit {

struct StoredBackup;

// The column families. Key layouts are in keys.h.
enum class Family {
  kDefault = 0,     // unused; RocksDB requires it
  kMeta,            // "format_version" -> decimal
  kEntries,         // entry id -> credit.registry.v1.Entry
  kSubjectEntries,  // subject code + entry id -> ""
  kChanges,         // sequence -> change record bytes (record_format.md)
  kSubjectChanges,  // subject code + sequence -> ""
  kMeasures,        // measure code -> credit.registry.v1.Measure
  kRequests,        // identity + 0x00 + request id -> stored answer (idempotency)
  kTreeNodes,       // level + index -> 32-byte Merkle node hash; the stored levels: keys.h
  kHeads,           // tree size -> credit.registry.v1.SignedTreeHead
  kQueries,         // sequence -> credit.registry.v1.QueryRecord (the query log)
  kSubjects,        // subject code -> its ACTIVE entries and last change (subject_record.h)
  kCount,
};

struct StoreOptions {
  // The environment RocksDB reads and writes files through; null: the machine's. Tests pass one
  // that injects power cuts and full disks (tests/support/fault_file_system.h).
  std::shared_ptr<rocksdb::Env> env;
  // Tests only: false drops sync=true, to show the power-cut harness notices lost writes.
  bool sync_writes = true;
  // The block cache shared by all column families (uncompressed blocks, filters and indexes).
  size_t block_cache_bytes = 256 << 20;
  // All memtables together.
  size_t write_buffer_bytes = 256 << 20;
};

// Puts and deletes kept apart from a write batch until it is written, then added to it sorted by
// family and key; writes to one key keep their order, so they mean the same. RocksDB inserts each
// write into its family's memtable skip list, searching from where the previous insert into that
// memtable ended: in key order each search starts next to its place, where randomly keyed writes
// (subject codes) search from the top each time. Writes to families keyed in order (sequences,
// ids) go to the batch directly: sorting the whole batch meant reading and copying it all.
// Not thread-safe.
class SortedWrites {
 public:
  void Put(Family family, absl::string_view key, absl::string_view value);
  void Delete(Family family, absl::string_view key);

  // How many writes are held: a mark to Truncate back to.
  size_t size() const { return writes_.size(); }
  // Drops the writes made after `size()` was `mark` (a failed mutation's).
  void Truncate(size_t mark);

  // Adds the writes to `batch`, in family and key order; then holds none.
  absl::Status MoveSortedTo(const class Store& store, rocksdb::WriteBatch* batch);

 private:
  struct Write {
    Family family;
    bool erase;
    uint32_t key_size;
    uint32_t value_size;
    size_t at;  // key, then value, in bytes_
  };
  void Add(Family family, bool erase, absl::string_view key, absl::string_view value);

  std::string bytes_;
  std::vector<Write> writes_;
};

// Query-log records to append in one synced write (Store::NewQueryBatch, Store::WriteQueries).
// Each record is given as pieces stored one after the other, so a caller that has it in parts
// copies nothing. Not thread-safe.
class QueryBatch {
 public:
  void Add(uint64_t sequence, absl::string_view head, absl::string_view middle,
           absl::string_view tail);

 private:
  friend class Store;
  explicit QueryBatch(rocksdb::ColumnFamilyHandle* family) : family_(family) {}
  rocksdb::ColumnFamilyHandle* family_;
  rocksdb::WriteBatch batch_;
};

// The lowest level of the Merkle tree above the leaves whose nodes are stored (keys.h).
inline constexpr int kLowestStoredUpperTreeLevel = 5;

class Store {
 public:
  // Opens (creating when absent) the database in `dir`. FAILED_PRECONDITION when the folder holds
  // a database of another format version, UNAVAILABLE when it is locked by another process.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& dir,
                                                     const StoreOptions& options = {});

  // Opens an existing database for reading only (the offline verifier); the server may not be
  // running on it. NOT_FOUND when `dir` holds no database.
  static absl::StatusOr<std::unique_ptr<Store>> OpenReadOnly(const std::string& dir);

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  rocksdb::ColumnFamilyHandle* Handle(Family family) const {
    return handles_[static_cast<size_t>(family)];
  }

  // Applies `batch` atomically with sync=true. After a failed write (disk full, I/O error)
  // RocksDB stops accepting writes: every Write first asks it to resume and answers with the
  // original failure while it cannot (RESOURCE_EXHAUSTED for a full disk, which RocksDB recovers
  // from by itself once there is space; a read-only disk needs a restart). Reads go on.
  absl::Status Write(rocksdb::WriteBatch* batch);

  // The value under `key`, nullopt when absent. `snapshot` may be null (latest state).
  absl::StatusOr<std::optional<std::string>> Get(Family family, const rocksdb::Slice& key,
                                                 const rocksdb::Snapshot* snapshot = nullptr);

  // Values of `keys`, in order; nullopt for each absent key.
  absl::StatusOr<std::vector<std::optional<std::string>>> MultiGet(
      Family family, const std::vector<std::string>& keys, const rocksdb::Snapshot* snapshot);
  absl::StatusOr<std::vector<std::optional<std::string>>> MultiGet(
      Family family, const std::vector<absl::string_view>& keys, const rocksdb::Snapshot* snapshot);

  // An iterator over `family`; check its status() after the loop with IteratorStatus().
  std::unique_ptr<rocksdb::Iterator> NewIterator(Family family,
                                                 const rocksdb::Snapshot* snapshot = nullptr);

  // An iterator for one pass over the whole family (verification, backup): reads ahead in
  // large chunks and leaves the block cache to the lookups.
  std::unique_ptr<rocksdb::Iterator> NewScanIterator(Family family);

  // The 32-byte secret stored under `name` in the meta family, made from OpenSSL's random
  // generator (and stored, synced) the first time it is asked for.
  absl::StatusOr<std::string> GetOrCreateSecret(const std::string& name);

  // The query log (the queries family: sequence -> record bytes).
  QueryBatch NewQueryBatch() { return QueryBatch(Handle(Family::kQueries)); }
  absl::Status WriteQueries(QueryBatch* batch) { return Write(&batch->batch_); }
  // The last record's bytes; nullopt when the log is empty.
  absl::StatusOr<std::optional<std::string>> LastQuery();
  // Calls `visit` with each record's sequence and bytes from `from` on, in order, until it
  // returns false or the records end.
  absl::Status ScanQueries(uint64_t from,
                           absl::FunctionRef<bool(uint64_t, absl::string_view)> visit);

  // Calls `visit` with the index and stored bytes of each Merkle node of `level` (level 0 or
  // kLowestStoredUpperTreeLevel and up), in index order from 0, until it returns false or the
  // level ends; one pass that leaves the block cache to the lookups.
  absl::Status ScanTreeLevel(int level, absl::FunctionRef<bool(uint64_t, absl::string_view)> visit);

  // A consistent view for several reads; released when the returned pointer dies.
  std::shared_ptr<const rocksdb::Snapshot> Snapshot();

  // Links a consistent copy of the whole database into `dir` (which must not exist): hard links
  // to the immutable files, a copy of the rest. The source of a backup (backup_engine.h).
  absl::Status Checkpoint(const std::string& dir);

 private:
  friend absl::StatusOr<StoredBackup> BackUpCheckpoint(const std::string&, const std::string&,
                                                       const std::string&);
  friend class StoreTestPeer;
  Store() = default;

  std::shared_ptr<rocksdb::Env> env_;  // must outlive db_
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  bool sync_writes_ = true;
  std::mutex error_mu_;  // writers are serialised by RocksDB anyway
  absl::Status write_error_;
};

// RocksDB's slices as Abseil's string views (Debian's Abseil has its own string_view type).
inline absl::string_view View(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }
inline rocksdb::Slice ToSlice(absl::string_view s) { return {s.data(), s.size()}; }

// Maps a RocksDB status to absl: busy/locked -> UNAVAILABLE, no space -> RESOURCE_EXHAUSTED,
// corruption -> DATA_LOSS, anything else -> INTERNAL. `what` says which operation failed.
absl::Status FromRocksStatus(const rocksdb::Status& status, const char* what);

}  // namespace credit

#endif  // CREDIT_SERVICE_STORAGE_STORE_H_
