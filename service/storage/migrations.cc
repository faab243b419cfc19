#include "service/storage/migrations.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "service/storage/keys.h"
#include "service/storage/subject_record.h"

namespace credit {
namespace {

// Marks the subjects family as built from the entries, in the format of its value: "2", status
// parts (subject_record.h); "1" kept whole entries. Without the mark (data folders from before
// the family existed) or with another format, the family is built afresh at open.
constexpr char kSubjectsBuiltKey[] = "subjects_built";
constexpr char kSubjectsFormat[] = "2";

// The lowest Merkle level above the leaves that the store holds (kLowestStoredUpperTreeLevel).
// Folders without the mark were written when every level was stored; their nodes between the leaves
// and that level were never read, and are dropped at open.
constexpr char kTreeLevelsKey[] = "tree_levels_from";

// Marks the deadline and decision indexes as built from the entries.
constexpr char kProcedureIndexesKey[] = "procedure_indexes_built";

// Marks the name index as built from the entries.
constexpr char kNameIndexKey[] = "name_index_built";

// Part of a subject's record gathered by one chunk of the rebuild: entry status parts, the last
// change, or both. Written by MergeSubjectRecords into what earlier chunks wrote.
using RecordChunk = std::map<std::string, SubjectRecord, std::less<>>;

absl::Status MergeSubjectRecords(Store& store, RecordChunk& chunk) {
  if (chunk.empty()) return absl::OkStatus();
  std::vector<absl::string_view> codes;
  codes.reserve(chunk.size());
  for (const auto& [code, record] : chunk) codes.push_back(code);
  ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> stored,
                   store.MultiGet(Family::kSubjects, codes, nullptr));
  rocksdb::WriteBatch batch;
  size_t i = 0;
  for (auto& [code, record] : chunk) {
    if (const std::optional<std::string>& earlier = stored[i++]; earlier.has_value()) {
      ASSIGN_OR_RETURN(SubjectRecord merged, ParseSubjectRecord(*earlier));
      for (const SubjectRecord::Item& item : record.active) merged.Set(item.id, &item.entry);
      if (record.last_change.has_value()) merged.last_change = record.last_change;
      record = std::move(merged);
    }
    batch.Put(store.Handle(Family::kSubjects), code, record.Encode());
  }
  chunk.clear();
  return store.Write(&batch);
}

}  // namespace

// One range deletion, whatever the log's size; compactions then reclaim the room (at 10 M
// records, 9.4 M nodes). Nothing reads those levels, so nothing waits for that.
absl::Status DropHashedTreeLevels(Store& store) {
  const std::string lowest = absl::StrCat(keys::kUpperTreeLevel);
  ASSIGN_OR_RETURN(std::optional<std::string> marked, store.Get(Family::kMeta, kTreeLevelsKey));
  if (marked == lowest) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  ASSIGN_OR_RETURN(std::optional<std::string> first_change, store.GetChange(0, nullptr));
  if (first_change.has_value()) {
    rocksdb::Status deleted =
        batch.DeleteRange(store.Handle(Family::kTreeNodes), keys::TreeNode(1, 0),
                          keys::TreeNode(keys::kUpperTreeLevel, 0));
    RETURN_IF_ERROR(FromRocksStatus(deleted, "dropping the hashed Merkle levels"));
  }
  batch.Put(store.Handle(Family::kMeta), kTreeLevelsKey, lowest);
  return store.Write(&batch);
}

// In bounded memory, whatever the size of the registry (at 10 M entries, gathering every record
// first took 5.3 GB): (1) every record there is goes (an older format's, or those of a rebuild
// a crash interrupted: the marker is written last, so the next open starts over); (2) the
// entries, in id order, chunk by chunk, each chunk's status parts merged into the records earlier
// chunks wrote; (3) the subject change index, in subject order, each subject's last change merged
// the same way. Records are deleted one by one: a range tombstone would switch the memtable Bloom
// filters off (store.cc).
absl::Status BuildSubjectRecords(Store& store, size_t chunk_bytes, StatusPartOf status_part) {
  ASSIGN_OR_RETURN(std::optional<std::string> built, store.Get(Family::kMeta, kSubjectsBuiltKey));
  if (built == kSubjectsFormat) return absl::OkStatus();
  {
    auto it = store.NewScanIterator(Family::kSubjects);
    rocksdb::WriteBatch batch;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      batch.Delete(store.Handle(Family::kSubjects), it->key());
      if (batch.GetDataSize() >= chunk_bytes) {
        RETURN_IF_ERROR(store.Write(&batch));
        batch.Clear();
      }
    }
    RETURN_IF_ERROR(FromRocksStatus(it->status(), "reading the subject records"));
    RETURN_IF_ERROR(store.Write(&batch));
  }
  RecordChunk chunk;
  size_t gathered = 0;
  {
    auto it = store.NewScanIterator(Family::kEntries);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      uint64_t id = keys::ReadU64(View(it->key()));
      ASSIGN_OR_RETURN(auto kept, status_part(id, View(it->value())));
      if (!kept.has_value()) continue;
      auto& [code, part] = *kept;
      gathered += code.size() + part.size() + 64;  // with the map's overhead
      chunk[code].Set(id, &part);
      if (gathered >= chunk_bytes) {
        RETURN_IF_ERROR(MergeSubjectRecords(store, chunk));
        gathered = 0;
      }
    }
    RETURN_IF_ERROR(FromRocksStatus(it->status(), "reading entries"));
    RETURN_IF_ERROR(MergeSubjectRecords(store, chunk));
  }
  {
    // Keys are the subject code and the change's sequence: a subject's last key is its last
    // change (and where a chunk ends amid a subject's keys, the next chunk's merge has the later).
    auto it = store.NewScanIterator(Family::kSubjectChanges);
    gathered = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      absl::string_view key = View(it->key());
      auto [record, added] = chunk.try_emplace(std::string(key.substr(0, key.size() - 8)));
      record->second.last_change = keys::SubjectItemId(key);
      if (added) gathered += key.size() + 64;
      if (gathered >= chunk_bytes) {
        RETURN_IF_ERROR(MergeSubjectRecords(store, chunk));
        gathered = 0;
      }
    }
    RETURN_IF_ERROR(FromRocksStatus(it->status(), "reading the subject change index"));
    RETURN_IF_ERROR(MergeSubjectRecords(store, chunk));
  }
  rocksdb::WriteBatch batch;
  batch.Put(store.Handle(Family::kMeta), kSubjectsBuiltKey, kSubjectsFormat);
  return store.Write(&batch);
}

absl::Status BuildProcedureIndexes(Store& store, size_t chunk_bytes, ProcedureIndexingOf of) {
  ASSIGN_OR_RETURN(std::optional<std::string> built,
                   store.Get(Family::kMeta, kProcedureIndexesKey));
  if (built.has_value()) return absl::OkStatus();
  // Entries come in id order: within a chunk the first holder of a decision is kept, and a
  // decision an earlier chunk (or an interrupted build) wrote is left as it is.
  std::map<std::string, uint64_t> decisions;  // decision key -> entry id
  rocksdb::WriteBatch batch;
  size_t gathered = 0;
  auto write_chunk = [&]() -> absl::Status {
    std::vector<absl::string_view> keys;
    keys.reserve(decisions.size());
    for (const auto& [key, id] : decisions) keys.push_back(key);
    ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> stored,
                     store.MultiGet(Family::kDecisions, keys, nullptr));
    size_t i = 0;
    for (const auto& [key, id] : decisions) {
      if (!stored[i++].has_value()) batch.Put(store.Handle(Family::kDecisions), key, keys::U64(id));
    }
    decisions.clear();
    gathered = 0;
    RETURN_IF_ERROR(store.Write(&batch));
    batch.Clear();
    return absl::OkStatus();
  };
  auto it = store.NewScanIterator(Family::kEntries);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t id = keys::ReadU64(View(it->key()));
    ASSIGN_OR_RETURN(ProcedureIndexing indexing, of(id, View(it->value())));
    if (!indexing.due_date.empty()) {
      batch.Put(store.Handle(Family::kDeadlines), keys::Deadline(indexing.due_date, id), "");
    }
    if (!indexing.decision.empty()) {
      // A row is its family's byte and the key (tables.cc).
      auto [at, added] = decisions.try_emplace(indexing.decision.substr(1), id);
      if (added) gathered += at->first.size() + 64;
    }
    if (gathered + batch.GetDataSize() >= chunk_bytes) RETURN_IF_ERROR(write_chunk());
  }
  RETURN_IF_ERROR(FromRocksStatus(it->status(), "reading entries"));
  RETURN_IF_ERROR(write_chunk());
  batch.Put(store.Handle(Family::kMeta), kProcedureIndexesKey, "1");
  return store.Write(&batch);
}

absl::Status BuildNameIndex(Store& store, size_t chunk_bytes, NameRowOf of) {
  ASSIGN_OR_RETURN(std::optional<std::string> built, store.Get(Family::kMeta, kNameIndexKey));
  if (built.has_value()) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  auto it = store.NewScanIterator(Family::kEntries);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(std::optional<NameRow> row,
                     of(keys::ReadU64(View(it->key())), View(it->value())));
    if (!row.has_value()) continue;
    batch.Put(store.Handle(Family::kNames), keys::Name(row->folded, row->code), row->name);
    if (batch.GetDataSize() >= chunk_bytes) {
      RETURN_IF_ERROR(store.Write(&batch));
      batch.Clear();
    }
  }
  RETURN_IF_ERROR(FromRocksStatus(it->status(), "reading entries"));
  batch.Put(store.Handle(Family::kMeta), kNameIndexKey, "1");
  return store.Write(&batch);
}

}  // namespace credit
