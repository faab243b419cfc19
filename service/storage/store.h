// Store: the registry's one RocksDB database and its column families, behind typed tables: the
// change log, signed heads, Merkle nodes, entries and their subject index, subject records, the
// measures catalogue, idempotency answers, the query log and meta. It is the only code that knows
// RocksDB, key layouts (keys.h) and families; it translates RocksDB status into absl::Status and
// writes every batch with sync=true, so a write it acknowledges survives a crash or a power cut.
// Thread-safe: RocksDB serialises writers; readers may run concurrently with writers. The helper
// classes (WriteSet, QueryBatch, TableWalk, SortedWrites) are not.
#ifndef CREDIT_SERVICE_STORAGE_STORE_H_
#define CREDIT_SERVICE_STORAGE_STORE_H_

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace rocksdb {
class Cache;
}  // namespace rocksdb

namespace credit {

struct StoredBackup;
class Store;

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
  kSubjects,        // subject code -> its entries in force and last change (subject_record.h)
  kDeadlines,       // due date + entry id -> "": when the procedure next acts on the entry
  kDecisions,       // subject code + list + authority + document number -> entry id (not ended)
  kFeedback,        // entry id + measure code + 0x00 + department -> credit.registry.v1.Feedback
  kNames,           // folded subject name + 0x00 + subject code -> the name as recorded
  kQueryNodes,      // the query log's Merkle nodes, laid out as kTreeNodes
  kQueryHeads,      // query-log size -> credit.registry.v1.SignedTreeHead (the query domain)
  kCount,
};

// The two verifiable logs. Each has an RFC 6962 tree over its records, whose nodes and signed
// heads are kept in families of its own (kTreeNodes and kHeads; kQueryNodes and kQueryHeads).
enum class Tree { kChanges, kQueries };

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

// Query-log records to append in one synced write (Store::NewQueryBatch, Store::WriteQueries),
// with the nodes of the query tree they complete and the head signed over them. Each record is
// given as pieces stored one after the other, so a caller that has it in parts copies nothing.
// Not thread-safe.
class QueryBatch {
 public:
  void Add(uint64_t sequence, const std::array<absl::string_view, 4>& pieces);
  // As WriteSet's, for the query tree: only the stored levels are kept.
  void PutTreeNode(int level, uint64_t index, absl::string_view hash);
  void PutHead(uint64_t tree_size, absl::string_view head);

 private:
  friend class Store;
  explicit QueryBatch(const Store& store) : store_(&store) {}
  const Store* store_;
  rocksdb::WriteBatch batch_;
};

// The lowest level of the Merkle tree above the leaves whose nodes are stored (keys.h).
inline constexpr int kLowestStoredUpperTreeLevel = 5;

// A consistent view of the store: reads through it see the store as it was when it was taken.
// Reads take `const StoreSnapshot*`; null means the latest state. Released when destroyed.
class StoreSnapshot {
 public:
  ~StoreSnapshot();
  StoreSnapshot(const StoreSnapshot&) = delete;
  StoreSnapshot& operator=(const StoreSnapshot&) = delete;

 private:
  friend class Store;
  StoreSnapshot(rocksdb::DB* db, const rocksdb::Snapshot* snapshot)
      : db_(db), snapshot_(snapshot) {}
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
};

// A stored value the write path may read back before its commit group is durable, named by one
// string that holds its table and key: the key of maps of pending values. Made by
// Store::EntryRow, SubjectRecordRow and RequestRow.
using Row = std::string;

// The writes of one commit group, made through typed methods and written by Store::Commit as one
// synced batch. Tables keyed in the order they are written go to the batch at once; the others
// are sorted by key when the group is written (SortedWrites). A mutation that fails is rolled
// back to the mark it took. Not thread-safe.
class WriteSet {
 public:
  explicit WriteSet(const Store& store) : store_(store) {}

  struct Mark {
    size_t sorted = 0;
    size_t subject_records = 0;
  };
  // Remembers the writes so far; RollbackTo(mark) drops what came after, DropMark keeps it.
  Mark SetMark();
  void RollbackTo(Mark mark);
  void DropMark();

  void PutChange(uint64_t sequence, absl::string_view record);
  // Stores the Merkle node when its level is one that is stored (the leaves, and the levels
  // from kLowestStoredUpperTreeLevel up); the levels between are hashed from the leaves.
  void PutTreeNode(int level, uint64_t index, absl::string_view hash);
  void PutHead(uint64_t tree_size, absl::string_view head);
  void AddSubjectChange(absl::string_view subject_code, uint64_t sequence);
  void PutEntry(uint64_t id, absl::string_view entry);
  void AddSubjectEntry(absl::string_view subject_code, uint64_t id);
  void RemoveSubjectEntry(absl::string_view subject_code, uint64_t id);
  void PutSubjectRecord(absl::string_view subject_code, absl::string_view record);
  // The subject records put so far, (code, record) in the order they were put: what in-memory
  // copies of the subjects family apply once the group is durable.
  const std::vector<std::pair<std::string, std::string>>& subject_records() const {
    return subject_records_;
  }
  void PutMeasure(absl::string_view code, absl::string_view measure);
  // The stored answer of the request `row` (Store::RequestRow).
  void PutRequestAnswer(const Row& row, absl::string_view answer);
  // The deadline index: entry `id` has a time-driven transition due on `date` ("YYYY-MM-DD").
  void AddDeadline(absl::string_view date, uint64_t id);
  void RemoveDeadline(absl::string_view date, uint64_t id);
  // The decision index (Store::DecisionRow): the entry that holds a decision and has not ended.
  void PutDecision(const Row& row, uint64_t id);
  void RemoveDecision(const Row& row);
  // A department's feedback on one measure of an entry (Store::FeedbackRow).
  void PutFeedback(const Row& row, absl::string_view feedback);
  // The name index: subject `code` was recorded as `name`, which folds to `folded`.
  void PutName(absl::string_view folded, absl::string_view code, absl::string_view name);

 private:
  friend class Store;
  const Store& store_;
  rocksdb::WriteBatch batch_;
  SortedWrites sorted_;
  std::vector<std::pair<std::string, std::string>> subject_records_;
};

// A forward walk over one table in key order, reading ahead in large chunks and leaving the block
// cache to the lookups: the one-pass scans of verification (Store::Walk, Store::WalkTreeLevel).
// Not thread-safe.
class TableWalk {
 public:
  // The tables a walk goes over, each keyed by a number.
  enum class Table { kChanges, kHeads, kEntries, kQueries, kQueryHeads };

  ~TableWalk();
  bool Valid() const;
  // The row's number: a change's or a query's sequence, a head's tree size, an entry's id, a
  // Merkle node's index.
  uint64_t number() const;
  absl::string_view value() const;
  void Next();
  // OK unless reading failed: check it once the walk is no longer Valid().
  absl::Status status() const;

 private:
  friend class Store;
  TableWalk(std::unique_ptr<rocksdb::Iterator> it, std::string prefix);
  std::unique_ptr<rocksdb::Iterator> it_;
  std::string prefix_;  // what every key of the walk starts with (a Merkle level's byte)
};

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
  // Whether the database has `tree`'s families (a folder opened read-only that no version with
  // that tree has written lacks them).
  bool HasTree(Tree tree) const {
    return Handle(NodesOf(tree)) != nullptr && Handle(HeadsOf(tree)) != nullptr;
  }
  // The families that hold `tree`'s nodes and its heads.
  static Family NodesOf(Tree tree) {
    return tree == Tree::kChanges ? Family::kTreeNodes : Family::kQueryNodes;
  }
  static Family HeadsOf(Tree tree) {
    return tree == Tree::kChanges ? Family::kHeads : Family::kQueryHeads;
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
  std::unique_ptr<rocksdb::Iterator> NewScanIterator(Family family,
                                                     const rocksdb::Snapshot* snapshot = nullptr);

  // The 32-byte secret stored under `name` in the meta family, made from OpenSSL's random
  // generator (and stored, synced) the first time it is asked for.
  absl::StatusOr<std::string> GetOrCreateSecret(const std::string& name);

  // The query log (the queries family: sequence -> record bytes).
  QueryBatch NewQueryBatch() const { return QueryBatch(*this); }
  absl::Status WriteQueries(QueryBatch* batch) { return Write(&batch->batch_); }
  // The last record's bytes; nullopt when the log is empty.
  absl::StatusOr<std::optional<std::string>> LastQuery();
  // Record `sequence`'s bytes as `snapshot` holds them.
  absl::StatusOr<std::optional<std::string>> GetQuery(uint64_t sequence,
                                                      const StoreSnapshot* snapshot);
  // Calls `visit` with each record's sequence and bytes from `from` on, in order, until it
  // returns false or the records end.
  absl::Status ScanQueries(uint64_t from,
                           absl::FunctionRef<bool(uint64_t, absl::string_view)> visit);

  // Calls `visit` with the index and stored bytes of each Merkle node of `level` (level 0 or
  // kLowestStoredUpperTreeLevel and up) of `tree`, in index order from 0, until it returns false
  // or the level ends; one pass that leaves the block cache to the lookups.
  absl::Status ScanTreeLevel(Tree tree, int level,
                             absl::FunctionRef<bool(uint64_t, absl::string_view)> visit);

  // Resizes the block cache (shrinking evicts at once); not for a store opened read-only.
  void SetBlockCacheCapacity(size_t bytes);
  // What the families' filters and indexes held outside the block cache take (RocksDB's
  // estimate; Figures::table_readers_bytes).
  uint64_t TableReadersBytes() const;

  // A consistent view for several reads; released when the returned pointer dies.
  std::shared_ptr<const StoreSnapshot> Snapshot();

  // ---- Typed tables. Values are the stored bytes; nullopt where nothing is stored. ----

  // Writes `writes` in one synced batch (see Write), after which it holds nothing.
  absl::Status Commit(WriteSet* writes);

  static Row EntryRow(uint64_t id);
  static Row SubjectRecordRow(absl::string_view subject_code);
  static Row RequestRow(absl::string_view identity, absl::string_view request_id);
  // One listing decision: the subject, list kind, deciding authority and document number. Its
  // value is the big-endian id of the entry holding it.
  static Row DecisionRow(absl::string_view subject_code, int list, absl::string_view authority,
                         absl::string_view document_number);
  // A department's feedback on one measure of an entry (a credit.registry.v1.Feedback).
  static Row FeedbackRow(uint64_t entry_id, absl::string_view measure_code,
                         absl::string_view department);
  absl::StatusOr<std::optional<std::string>> GetRow(const Row& row,
                                                    const StoreSnapshot* snapshot = nullptr);
  // The values of `rows`, in order, with one MultiGet per table.
  absl::StatusOr<std::vector<std::optional<std::string>>> MultiGetRows(
      const std::vector<Row>& rows, const StoreSnapshot* snapshot = nullptr);

  // The change log: sequence -> record bytes (common/changelog/record_format.md).
  absl::StatusOr<std::optional<std::string>> GetChange(uint64_t sequence,
                                                       const StoreSnapshot* snapshot);
  // The last record, with its sequence; nullopt when the log is empty.
  absl::StatusOr<std::optional<std::pair<uint64_t, std::string>>> LastChange();
  // Calls `visit(sequence, record)` from `from` on, in order, until it returns false.
  absl::Status ScanChanges(uint64_t from, const StoreSnapshot* snapshot,
                           absl::FunctionRef<bool(uint64_t, absl::string_view)> visit);
  // Calls `visit(sequence)` for the changes naming `subject_code`, from `from` on, in order,
  // until it returns false.
  absl::Status ScanSubjectChanges(absl::string_view subject_code, uint64_t from,
                                  const StoreSnapshot* snapshot,
                                  absl::FunctionRef<bool(uint64_t)> visit);

  // Signed tree heads of `tree`, by tree size (a credit.registry.v1.SignedTreeHead each).
  absl::StatusOr<std::optional<std::string>> GetHead(Tree tree, uint64_t tree_size,
                                                     const StoreSnapshot* snapshot);
  // The largest tree size of `tree` with a stored head; 0 when there is none.
  absl::StatusOr<uint64_t> LastHeadSize(Tree tree, const StoreSnapshot* snapshot);

  // Merkle nodes (level, index) of `tree` -> 32 bytes, read together.
  absl::StatusOr<std::vector<std::optional<std::string>>> MultiGetTreeNodes(
      Tree tree, const std::vector<std::pair<int, uint64_t>>& nodes, const StoreSnapshot* snapshot);

  // Entries by id (credit.registry.v1.Entry bytes).
  absl::StatusOr<std::optional<std::string>> GetEntry(uint64_t id, const StoreSnapshot* snapshot);
  absl::StatusOr<std::vector<std::optional<std::string>>> MultiGetEntries(
      const std::vector<uint64_t>& ids, const StoreSnapshot* snapshot);
  // The largest entry id; 0 when there is none.
  absl::StatusOr<uint64_t> LastEntryId();
  // Calls `visit(id, entry)` from `from` on, in id order, until it returns false.
  absl::Status ScanEntries(uint64_t from, const StoreSnapshot* snapshot,
                           absl::FunctionRef<bool(uint64_t, absl::string_view)> visit);
  // Calls `visit(id)` for the entries of `subject_code`, from `from` on, in order.
  absl::Status ScanSubjectEntries(absl::string_view subject_code, uint64_t from,
                                  const StoreSnapshot* snapshot,
                                  absl::FunctionRef<bool(uint64_t)> visit);

  // Subject records (subject_record.h), by subject code.
  absl::StatusOr<std::optional<std::string>> GetSubjectRecord(absl::string_view subject_code,
                                                              const StoreSnapshot* snapshot);
  // RocksDB's estimate of the number of subject records (exact for the memtables, from file
  // metadata for the rest).
  uint64_t EstimateSubjectRecords();
  // The sequence number of the last write: equal at two moments only if nothing was written
  // between them (files saved beside the database, such as the status index, are checked by it).
  uint64_t LastSequence() const;
  // Calls `visit` with every subject code and its record as `snapshot` holds them, in code order,
  // until it returns false; one pass that leaves the block cache to the lookups.
  absl::Status ScanSubjectRecords(
      const StoreSnapshot* snapshot,
      absl::FunctionRef<bool(absl::string_view, absl::string_view)> visit);
  absl::StatusOr<std::vector<std::optional<std::string>>> MultiGetSubjectRecords(
      const std::vector<absl::string_view>& subject_codes, const StoreSnapshot* snapshot);

  // One-pass walks: a whole table from its first row, or one Merkle level from `from_index`.
  std::unique_ptr<TableWalk> Walk(TableWalk::Table table);
  std::unique_ptr<TableWalk> WalkTreeLevel(Tree tree, int level, uint64_t from_index);
  // Calls `visit(subject_code, id)` for every key of the subject index, in key order, until it
  // returns false (one pass, like a walk).
  absl::Status ScanSubjectEntryIndex(absl::FunctionRef<bool(absl::string_view, uint64_t)> visit);
  // Whether the subject index holds entry `id` under `subject_code`.
  absl::StatusOr<bool> HasSubjectEntry(absl::string_view subject_code, uint64_t id);

  // Calls `visit(date, id)` for each deadline on or before `last_date`, in date order, until it
  // returns false.
  absl::Status ScanDeadlines(absl::string_view last_date, const StoreSnapshot* snapshot,
                             absl::FunctionRef<bool(absl::string_view, uint64_t)> visit);

  // Calls `visit(code, name)` for the subjects whose names fold to `folded`, in code order from
  // `from_code` on, until it returns false.
  absl::Status ScanNames(absl::string_view folded, absl::string_view from_code,
                         const StoreSnapshot* snapshot,
                         absl::FunctionRef<bool(absl::string_view, absl::string_view)> visit);

  // Calls `visit(feedback)` for every feedback row, in entry id order, until it returns false.
  absl::Status ScanFeedback(const StoreSnapshot* snapshot,
                            absl::FunctionRef<bool(absl::string_view)> visit);

  // Calls `visit(code, measure)` for every measure of the catalogue, in code order.
  absl::Status ScanMeasures(absl::FunctionRef<void(absl::string_view, absl::string_view)> visit);

  // RocksDB's figures for the metrics endpoint, read when asked.
  struct Figures {
    uint64_t block_cache_hits = 0;    // since open
    uint64_t block_cache_misses = 0;  // since open
    uint64_t block_cache_usage_bytes = 0;
    uint64_t block_cache_capacity_bytes = 0;
    uint64_t memtable_bytes = 0;            // all families, flushing ones included
    uint64_t table_readers_bytes = 0;       // filters and indexes held outside the block cache
    uint64_t pending_compaction_bytes = 0;  // estimated, all families
    uint64_t live_data_bytes = 0;           // estimated, all families
    uint64_t stall_micros = 0;              // writes held back since open
    bool writes_stopped = false;            // now
  };
  Figures ReadFigures() const;

  // Links a consistent copy of the whole database into `dir` (which must not exist): hard links
  // to the immutable files, a copy of the rest. The source of a backup (backup_engine.h).
  absl::Status Checkpoint(const std::string& dir);

 private:
  friend absl::StatusOr<StoredBackup> BackUpCheckpoint(const std::string&, const std::string&,
                                                       const std::string&);
  friend class StoreTestPeer;
  Store() = default;
  static const rocksdb::Snapshot* Raw(const StoreSnapshot* snapshot) {
    return snapshot == nullptr ? nullptr : snapshot->snapshot_;
  }
  // Calls `visit(key)` for the keys of `family` that start with `prefix` and sort at or after
  // `from`, until it returns false.
  // The last row of a table keyed by a big-endian number: its number and value; nullopt when the
  // table is empty.
  absl::StatusOr<std::optional<std::pair<uint64_t, std::string>>> LastNumbered(
      Family family, const StoreSnapshot* snapshot, const char* what);
  // Calls `visit(number, value)` for the rows of such a table from `from` on, in order, until it
  // returns false.
  absl::Status ScanNumbered(Family family, uint64_t from, const StoreSnapshot* snapshot,
                            absl::FunctionRef<bool(uint64_t, absl::string_view)> visit,
                            const char* what);
  absl::Status ScanKeys(Family family, absl::string_view prefix, absl::string_view from,
                        const StoreSnapshot* snapshot,
                        absl::FunctionRef<bool(absl::string_view)> visit, const char* what);

  std::shared_ptr<rocksdb::Env> env_;                // must outlive db_
  std::shared_ptr<rocksdb::Statistics> statistics_;  // tickers only: ReadFigures
  std::shared_ptr<rocksdb::Cache> block_cache_;      // null when opened read-only
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
