#include "service/verify/store_verifier.h"

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/changelog/change_record.h"
#include "common/encoding/big_endian.h"
#include "common/merkle/merkle.h"
#include "common/merkle/tree_head.h"
#include "common/proto/wire_fields.h"
#include "common/querylog/query_record_hash.h"
#include "common/status/status_macros.h"
#include "credit/chains.h"
#include "credit/registry/v1/registry.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace credit {
namespace {

namespace v1 = ::credit::registry::v1;
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

absl::Status Bad(absl::string_view what, uint64_t n, absl::string_view why) {
  return absl::DataLossError(absl::StrCat(what, " ", n, ": ", why));
}

// What the checks of one log's tree need to know of it.
struct LogKind {
  const char* record;  // "change" or "query": how a record is named in a finding
  Tree tree;
  TableWalk::Table heads;
  merkle::HeadDomain domain;
};
constexpr LogKind kChangeLog = {"change", Tree::kChanges, TableWalk::Table::kHeads,
                                merkle::HeadDomain::kChangeLog};
constexpr LogKind kQueryLog = {"query", Tree::kQueries, TableWalk::Table::kQueryHeads,
                               merkle::HeadDomain::kQueryLog};

// The head at n + 1 must be readable and state the size and root the records give.
absl::Status CheckHead(const LogKind& log, absl::string_view bytes, uint64_t n,
                       const Hash256& root) {
  v1::SignedTreeHead head;
  if (!head.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Bad(log.record, n, "its tree head is unreadable");
  }
  if (head.tree_size() != n + 1 || head.root_hash() != AsBytes(root)) {
    return Bad(log.record, n,
               "the records up to it do not hash to the root its signed tree head states");
  }
  return absl::OkStatus();
}

// The heads' signatures, checked by two threads of their own (alternate heads), ahead of the
// records: an Ed25519 verification costs as much as hashing a hundred records, and a log written
// by many small groups has a head every few records.
class HeadSignatures {
 public:
  HeadSignatures(Store& store, absl::string_view public_key, const LogKind& log) : log_(log) {
    if (public_key.empty()) return;
    for (int worker = 0; worker < kWorkers; ++worker) {
      progress_[worker] = 0;
      threads_.emplace_back(
          [this, &store, worker, key = std::string(public_key)] { Run(store, key, worker); });
    }
  }
  ~HeadSignatures() {
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
    }
    for (std::thread& thread : threads_) thread.join();
  }

  // Whether the head of `size` (records 0..size-1) is signed by the trusted key.
  absl::Status Check(uint64_t size) {
    absl::MutexLock lock(&mu_);
    auto ready = [this, size]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      for (uint64_t checked : progress_) {
        if (checked < size) return false;
      }
      return true;
    };
    mu_.Await(absl::Condition(&ready));
    auto failed = failures_.find(size);
    return failed == failures_.end() ? absl::OkStatus() : failed->second;
  }

 private:
  static constexpr int kWorkers = 2;
  static constexpr uint64_t kAll = ~uint64_t{0};

  void Run(Store& store, const std::string& public_key, int worker) {
    std::unique_ptr<TableWalk> it = store.Walk(log_.heads);
    uint64_t i = 0;
    for (; it->Valid(); it->Next(), ++i) {
      if (i % kWorkers != static_cast<uint64_t>(worker)) continue;
      uint64_t size = it->number();
      absl::Status status = Verify(log_, it->value(), size, public_key);
      absl::MutexLock lock(&mu_);
      if (cancelled_) return;
      if (!status.ok()) failures_.emplace(size, std::move(status));
      progress_[worker] = size;
    }
    absl::MutexLock lock(&mu_);
    progress_[worker] = kAll;  // no more heads for this worker
  }

  static absl::Status Verify(const LogKind& log, absl::string_view bytes, uint64_t size,
                             absl::string_view public_key) {
    v1::SignedTreeHead head;
    // An unreadable head is reported by CheckHead, before its signature is asked about.
    if (!head.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return absl::OkStatus();
    }
    absl::StatusOr<Hash256> head_root = merkle::ToHash(head.root_hash(), "root");
    absl::StatusOr<Hash256> key_id = merkle::ToHash(head.key_id(), "key id");
    absl::Status signature =
        head_root.ok() && key_id.ok()
            ? merkle::VerifyTreeHeadSignature(
                  {head.tree_size(), head.timestamp_micros(), *head_root, *key_id},
                  head.signature(), public_key, log.domain)
            : absl::FailedPreconditionError("malformed head");
    if (!signature.ok()) {
      return Bad(log.record, size - 1, absl::StrCat("tree head ", size, ": ", signature.message()));
    }
    return absl::OkStatus();
  }

  const LogKind& log_;
  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  // The size of the last head each worker checked (kAll once it has no more); without a
  // public key there are no workers and every head counts as checked.
  uint64_t progress_[kWorkers] ABSL_GUARDED_BY(mu_) = {kAll, kAll};
  std::map<uint64_t, absl::Status> failures_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

// The stored Merkle nodes (the leaves and the levels from kLowestStoredUpperTreeLevel up), read in
// the order the records produce them:
// nodes are keyed by level then index, and each level's nodes are completed in index order, so one
// iterator per level walks them without a lookup per node. A folder from before may still hold
// nodes of the levels in between until creditd opens it (Registry::DropHashedTreeLevels); nothing
// reads them, and they are not checked.
class NodeWalker {
 public:
  NodeWalker(Store& store, const LogKind& log) : store_(store), log_(log) {}

  absl::Status Check(int level, uint64_t index, const Hash256& node, uint64_t n) {
    if (static_cast<size_t>(level) >= levels_.size()) levels_.resize(level + 1);
    std::unique_ptr<TableWalk>& it = levels_[level];
    if (it == nullptr) {
      it = store_.WalkTreeLevel(log_.tree, level, index);
    } else {
      it->Next();
    }
    if (!it->Valid()) RETURN_IF_ERROR(it->status());
    if (!it->Valid() || it->number() != index || it->value() != AsBytes(node)) {
      return Bad(log_.record, n,
                 absl::StrCat("the stored Merkle node (level ", level, ", index ", index,
                              ") does not match the records"));
    }
    return absl::OkStatus();
  }

 private:
  Store& store_;
  const LogKind& log_;
  std::vector<std::unique_ptr<TableWalk>> levels_;
};

// Change records passed from the thread that reads and decodes them to the one that checks the
// hash chain and the tree built from them, in chunks. Hashing the records costs about as much as
// everything else together, so it is shared: the reader hashes a chunk itself while the checker
// has chunks waiting, and otherwise hands the record bytes over for the checker to hash.
class RecordChunks {
 public:
  struct Chunk {
    std::vector<Hash256> previous;  // each record's previous_hash, as it states it
    std::vector<Hash256> hashes;    // each record's hash; empty when `bytes` holds the records
    std::string bytes;              // the records back to back, to hash
    std::vector<uint32_t> ends;     // where each record ends in `bytes`
    size_t size() const { return previous.size(); }
  };
  static constexpr size_t kChunkSize = 4096;

  // Reader side. False when the checker has stopped (the reader stops too).
  bool Push(Chunk chunk) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](RecordChunks* q) { return q->cancelled_ || q->chunks_.size() < kDepth; }, this));
    if (cancelled_) return false;
    chunks_.push_back(std::move(chunk));
    return true;
  }
  // Reader side: an empty chunk, one the checker is done with where there is one (its buffers
  // keep their memory: fresh megabytes per chunk would cost a page fault per 4 KB), and whether
  // the checker has work waiting (then the reader hashes the chunk itself).
  Chunk NextChunk(bool* hash_here) {
    absl::MutexLock lock(&mu_);
    *hash_here = chunks_.size() >= 2;
    Chunk chunk;
    if (!spare_.empty()) {
      chunk = std::move(spare_.back());
      spare_.pop_back();
    }
    return chunk;
  }
  // Checker side: a chunk it is done with.
  void Recycle(Chunk chunk) {
    chunk.previous.clear();
    chunk.hashes.clear();
    chunk.bytes.clear();
    chunk.ends.clear();
    absl::MutexLock lock(&mu_);
    if (spare_.size() < kDepth) spare_.push_back(std::move(chunk));
  }
  // Reader side, last: why reading stopped (OK at the log's end).
  void Finish(absl::Status status) {
    absl::MutexLock lock(&mu_);
    finished_ = true;
    status_ = std::move(status);
  }
  // Checker side: the next chunk, false once all are taken and the reader finished.
  bool Pop(Chunk* chunk) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](RecordChunks* q) { return q->finished_ || !q->chunks_.empty(); }, this));
    if (chunks_.empty()) return false;
    *chunk = std::move(chunks_.front());
    chunks_.pop_front();
    return true;
  }
  absl::Status status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }
  void Cancel() {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }

 private:
  static constexpr size_t kDepth = 8;
  absl::Mutex mu_;
  std::deque<Chunk> chunks_ ABSL_GUARDED_BY(mu_);
  std::vector<Chunk> spare_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

// Reads the change log in order: no gaps, each record well formed and naming its own sequence.
// Hands on the records up to the first bad one.
void ReadRecords(Store& store, RecordChunks& out) {
  std::unique_ptr<TableWalk> it = store.Walk(TableWalk::Table::kChanges);
  uint64_t n = 0;
  RecordChunks::Chunk chunk;
  bool hash_here = false;
  absl::Status status;
  for (; it->Valid(); it->Next(), ++n) {
    uint64_t key = it->number();
    if (key != n) {
      status = Bad("change", n, absl::StrCat("missing (the next stored record is ", key, ")"));
      break;
    }
    absl::string_view bytes = it->value();
    absl::StatusOr<ChangeRecordView> record = DecodeChangeRecordView(bytes);
    if (!record.ok()) {
      status = Bad("change", n, record.status().message());
      break;
    }
    if (record->sequence != n) {
      status = Bad("change", n, absl::StrCat("the record says it is change ", record->sequence));
      break;
    }
    if (chunk.size() == 0) chunk = out.NextChunk(&hash_here);
    chunk.previous.push_back(record->previous_hash);
    if (hash_here) {
      chunk.hashes.push_back(ChangeRecordHash(bytes));
    } else {
      chunk.bytes.append(bytes.data(), bytes.size());
      chunk.ends.push_back(static_cast<uint32_t>(chunk.bytes.size()));
    }
    if (chunk.size() == RecordChunks::kChunkSize) {
      if (!out.Push(std::move(chunk))) return;
      chunk = {};
    }
  }
  if (status.ok()) status = it->status();
  if (chunk.size() > 0 && !out.Push(std::move(chunk))) return;
  out.Finish(std::move(status));
}

// Nothing may stand beyond a log's end of `n` records: a head of a larger size means records
// were taken away.
absl::Status CheckNothingBeyond(Store& store, const LogKind& log, uint64_t n) {
  ASSIGN_OR_RETURN(uint64_t last_head_size, store.LastHeadSize(log.tree, nullptr));
  if (last_head_size > n) {
    return Bad(log.record, n,
               absl::StrCat("missing: a signed tree head of size ", last_head_size, " exists"));
  }
  return absl::OkStatus();
}

// Checks the hash chain and rebuilds the tree from the records' hashes: every stored Merkle node
// must match, and the heads stand where commit groups ended, each signing the root of the records
// up to it.
absl::Status CheckTree(Store& store, absl::string_view public_key, RecordChunks& in,
                       VerifyReport* report) {
  NodeWalker nodes(store, kChangeLog);
  HeadSignatures signatures(store, public_key, kChangeLog);
  ChangeChain chain;
  uint64_t n = 0;
  uint64_t last_head = 0;
  std::unique_ptr<TableWalk> heads = store.Walk(TableWalk::Table::kHeads);
  RecordChunks::Chunk chunk;
  while (in.Pop(&chunk)) {
    for (size_t i = 0; i < chunk.size(); ++i) {
      Hash256 hash;
      if (chunk.hashes.empty()) {
        uint32_t begin = i == 0 ? 0 : chunk.ends[i - 1];
        hash =
            ChangeRecordHash(absl::string_view(chunk.bytes).substr(begin, chunk.ends[i] - begin));
      } else {
        hash = chunk.hashes[i];
      }
      absl::Status node_status;
      // ReadRecords checked each record's own sequence: the chain checks the links.
      RETURN_IF_ERROR(chain.AddHashed(
          n, chunk.previous[i], hash, [&](int level, uint64_t index, const Hash256& node) {
            if (node_status.ok() && (level == 0 || level >= kLowestStoredUpperTreeLevel)) {
              node_status = nodes.Check(level, index, node, n);
            }
          }));
      RETURN_IF_ERROR(node_status);
      while (heads->Valid() && heads->number() < n + 1) heads->Next();
      if (heads->Valid() && heads->number() == n + 1) {
        RETURN_IF_ERROR(CheckHead(kChangeLog, heads->value(), n, chain.Root()));
        RETURN_IF_ERROR(signatures.Check(n + 1));
        ++report->heads_checked;
        last_head = n + 1;
      }
      RETURN_IF_ERROR(heads->status());
      ++n;
    }
    in.Recycle(std::move(chunk));
  }
  // Every record before the first bad one checked out: the bad one is the first problem.
  RETURN_IF_ERROR(in.status());
  if (n > 0 && last_head != n) return Bad("change", n - 1, "no signed tree head for its size");
  // Nothing may stand beyond the log's end.
  RETURN_IF_ERROR(CheckNothingBeyond(store, kChangeLog, n));
  report->changes = n;
  report->root = chain.Root();
  return absl::OkStatus();
}

absl::Status VerifyChanges(Store& store, absl::string_view public_key, VerifyReport* report) {
  RecordChunks records;
  std::thread reader([&] { ReadRecords(store, records); });
  absl::Status status = CheckTree(store, public_key, records, report);
  records.Cancel();
  reader.join();
  return status;
}

// An order-independent digest of a set of (subject code, entry id) pairs: their count and the
// sum of a 64-bit slice of each pair's SHA-256. Two sequential scans then compare sets of any size
// in constant memory.
struct KeySetDigest {
  uint64_t count = 0;
  uint64_t sum = 0;
  void Add(absl::string_view code, uint64_t id) {
    Hash256 h = Sha256({code, BigEndian64(id)});
    uint64_t slice = 0;
    for (int i = 0; i < 8; ++i) slice = slice << 8 | h[i];
    ++count;
    sum += slice;
  }
  bool operator==(const KeySetDigest&) const = default;
};

// The first disagreement between entries and the subject index, found with point reads both
// ways; only run when the digests differ.
absl::Status FindIndexMismatch(Store& store) {
  uint64_t stated_id = 0;
  absl::string_view code;
  std::unique_ptr<TableWalk> it = store.Walk(TableWalk::Table::kEntries);
  for (; it->Valid(); it->Next()) {
    uint64_t id = it->number();
    ReadEntryKey(it->value(), &stated_id, &code);  // DigestEntries checked it
    ASSIGN_OR_RETURN(bool indexed, store.HasSubjectEntry(code, id));
    if (!indexed) return Bad("entry", id, "missing from the subject index");
  }
  RETURN_IF_ERROR(it->status());
  absl::Status found;
  RETURN_IF_ERROR(store.ScanSubjectEntryIndex([&](absl::string_view indexed_code, uint64_t id) {
    absl::StatusOr<std::optional<std::string>> bytes = store.GetEntry(id, nullptr);
    if (!bytes.ok()) {
      found = bytes.status();
      return false;
    }
    if (!bytes->has_value() || !ReadEntryKey(**bytes, &stated_id, &code) || code != indexed_code) {
      found = Bad("entry", id, "the subject index names it under a subject it does not have");
      return false;
    }
    return true;
  }));
  RETURN_IF_ERROR(found);
  return absl::DataLossError("entries and the subject index differ");
}

// The digest of the subject index keys the entries should have; DATA_LOSS for an entry that
// does not parse or names another id. Only the id and the subject's code are read
// (ReadEntryKey): parsing each entry whole, with every text field's UTF-8 check, was more than half
// of this scan's CPU, and the entries' contents are not what it compares.
absl::StatusOr<KeySetDigest> DigestEntries(Store& store) {
  KeySetDigest digest;
  uint64_t stated_id = 0;
  absl::string_view code;
  std::unique_ptr<TableWalk> it = store.Walk(TableWalk::Table::kEntries);
  for (; it->Valid(); it->Next()) {
    uint64_t id = it->number();
    if (!ReadEntryKey(it->value(), &stated_id, &code)) {
      return Bad("entry", id, "stored bytes do not parse");
    }
    if (stated_id != id) return Bad("entry", id, "the entry says it is another id");
    digest.Add(code, id);
  }
  RETURN_IF_ERROR(it->status());
  return digest;
}

// Entries and the subject index name each other exactly: every entry is indexed under its
// subject, and every index key names an entry of that subject. The two scans run side by side.
absl::Status VerifyIndexes(Store& store, VerifyReport* report) {
  absl::StatusOr<KeySetDigest> from_entries;
  std::thread entries([&] { from_entries = DigestEntries(store); });
  KeySetDigest from_index;
  absl::Status scanned = store.ScanSubjectEntryIndex([&](absl::string_view code, uint64_t id) {
    from_index.Add(code, id);
    return true;
  });
  entries.join();
  RETURN_IF_ERROR(from_entries.status());
  RETURN_IF_ERROR(scanned);
  if (!(*from_entries == from_index)) return FindIndexMismatch(store);
  report->entries = from_entries->count;
  return absl::OkStatus();
}

// The query log as the change log: every record in order, parsed and chained, its hash the leaf
// of the query tree, whose stored nodes must match and whose heads (signed in the query domain)
// must state the root of the records up to them; the last head covers the last record, and none
// stands beyond it. Truncating the log, or rewriting it end to end, breaks a head's signature or
// leaves a head without its records.
absl::Status VerifyQueries(Store& store, absl::string_view public_key, VerifyReport* report) {
  if (!store.HasTree(Tree::kQueries)) {
    return absl::DataLossError(
        "query log: the folder has no query tree (it was last written by a creditd from before "
        "the query log was signed; starting creditd once builds it)");
  }
  NodeWalker nodes(store, kQueryLog);
  HeadSignatures signatures(store, public_key, kQueryLog);
  std::unique_ptr<TableWalk> heads = store.Walk(TableWalk::Table::kQueryHeads);
  merkle::CompactRange tree;
  uint64_t last_head = 0;
  uint64_t n = 0;
  std::unique_ptr<TableWalk> it = store.Walk(TableWalk::Table::kQueries);
  QueryChain chain;
  v1::QueryRecord record;
  for (; it->Valid(); it->Next(), ++n) {
    if (it->number() != n) return Bad("query", n, "missing");
    if (!record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Bad("query", n, "stored bytes do not parse");
    }
    ASSIGN_OR_RETURN(Hash256 hash, chain.Add(record));
    absl::Status node_status;
    tree.Append(hash, [&](int level, uint64_t index, const Hash256& node) {
      if (node_status.ok() && (level == 0 || level >= kLowestStoredUpperTreeLevel)) {
        node_status = nodes.Check(level, index, node, n);
      }
    });
    RETURN_IF_ERROR(node_status);
    while (heads->Valid() && heads->number() < n + 1) heads->Next();
    if (heads->Valid() && heads->number() == n + 1) {
      RETURN_IF_ERROR(CheckHead(kQueryLog, heads->value(), n, tree.Root()));
      RETURN_IF_ERROR(signatures.Check(n + 1));
      ++report->query_heads_checked;
      last_head = n + 1;
    }
    RETURN_IF_ERROR(heads->status());
  }
  RETURN_IF_ERROR(it->status());
  if (n > 0 && last_head != n) return Bad("query", n - 1, "no signed tree head for its size");
  RETURN_IF_ERROR(CheckNothingBeyond(store, kQueryLog, n));
  report->queries = n;
  report->query_root = tree.Root();
  return absl::OkStatus();
}

}  // namespace

bool ReadEntryKey(absl::string_view bytes, uint64_t* id, absl::string_view* code) {
  constexpr uint32_t kIdTag = WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_VARINT);
  constexpr uint32_t kSubjectTag =
      WireFormatLite::MakeTag(2, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  constexpr uint32_t kCodeTag = kSubjectTag;  // Subject.code is field 2 as well
  *id = 0;
  *code = absl::string_view();
  return WalkFields(bytes, [&](uint32_t tag, CodedInputStream& in) -> std::optional<bool> {
    if (tag == kIdTag) return in.ReadVarint64(id);
    if (tag != kSubjectTag) return std::nullopt;
    absl::string_view subject;
    return ReadDelimited(bytes, in, &subject) &&
           WalkFields(subject, [&](uint32_t tag, CodedInputStream& in) -> std::optional<bool> {
             if (tag != kCodeTag) return std::nullopt;
             return ReadDelimited(subject, in, code);
           });
  });
}

absl::StatusOr<VerifyReport> VerifyStore(Store& store, absl::string_view public_key) {
  VerifyReport report;
  absl::Time start = absl::Now();
  RETURN_IF_ERROR(VerifyChanges(store, public_key, &report));
  report.changes_time = absl::Now() - start;
  // The indexes and the query log do not depend on each other: checked side by side.
  absl::Status queries;
  std::thread query_log([&] { queries = VerifyQueries(store, public_key, &report); });
  absl::Status indexes = VerifyIndexes(store, &report);
  query_log.join();
  RETURN_IF_ERROR(indexes);
  RETURN_IF_ERROR(queries);
  return report;
}

}  // namespace credit
