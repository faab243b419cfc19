// Store's typed tables: rows, the write set of a commit group, and the reads of each table. The
// key layouts are keys.h's; nothing outside storage sees them.
#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "service/storage/keys.h"
#include "service/storage/store.h"

namespace credit {
namespace {

Row MakeRow(Family family, absl::string_view key) {
  Row row;
  row.reserve(1 + key.size());
  row.push_back(static_cast<char>(family));
  row.append(key.data(), key.size());
  return row;
}

Family RowFamily(const Row& row) { return static_cast<Family>(static_cast<uint8_t>(row[0])); }
absl::string_view RowKey(const Row& row) { return absl::string_view(row).substr(1); }

}  // namespace

StoreSnapshot::~StoreSnapshot() { db_->ReleaseSnapshot(snapshot_); }

std::shared_ptr<const StoreSnapshot> Store::Snapshot() {
  return std::shared_ptr<const StoreSnapshot>(new StoreSnapshot(db_.get(), db_->GetSnapshot()));
}

// ---- WriteSet ----

WriteSet::Mark WriteSet::SetMark() {
  batch_.SetSavePoint();
  return Mark{sorted_.size(), subject_records_.size()};
}

void WriteSet::RollbackTo(Mark mark) {
  batch_.RollbackToSavePoint().PermitUncheckedError();
  sorted_.Truncate(mark.sorted);
  subject_records_.resize(mark.subject_records);
}

void WriteSet::DropMark() { batch_.PopSavePoint().PermitUncheckedError(); }

void WriteSet::PutChange(uint64_t sequence, absl::string_view record) {
  batch_.Put(store_.Handle(Family::kChanges), keys::U64(sequence), ToSlice(record));
}

void WriteSet::PutTreeNode(int level, uint64_t index, absl::string_view hash) {
  if (!keys::IsStoredTreeLevel(level)) return;
  sorted_.Put(Family::kTreeNodes, keys::TreeNode(level, index), hash);
}

void WriteSet::PutHead(uint64_t tree_size, absl::string_view head) {
  batch_.Put(store_.Handle(Family::kHeads), keys::U64(tree_size), ToSlice(head));
}

void WriteSet::AddSubjectChange(absl::string_view subject_code, uint64_t sequence) {
  sorted_.Put(Family::kSubjectChanges, keys::SubjectItem(subject_code, sequence), "");
}

void WriteSet::PutEntry(uint64_t id, absl::string_view entry) {
  batch_.Put(store_.Handle(Family::kEntries), keys::U64(id), ToSlice(entry));
}

void WriteSet::AddSubjectEntry(absl::string_view subject_code, uint64_t id) {
  sorted_.Put(Family::kSubjectEntries, keys::SubjectItem(subject_code, id), "");
}

void WriteSet::RemoveSubjectEntry(absl::string_view subject_code, uint64_t id) {
  sorted_.Delete(Family::kSubjectEntries, keys::SubjectItem(subject_code, id));
}

void WriteSet::PutSubjectRecord(absl::string_view subject_code, absl::string_view record) {
  sorted_.Put(Family::kSubjects, subject_code, record);
  subject_records_.emplace_back(subject_code, record);
}

void WriteSet::PutMeasure(absl::string_view code, absl::string_view measure) {
  batch_.Put(store_.Handle(Family::kMeasures), ToSlice(code), ToSlice(measure));
}

void WriteSet::PutRequestAnswer(const Row& row, absl::string_view answer) {
  batch_.Put(store_.Handle(RowFamily(row)), ToSlice(RowKey(row)), ToSlice(answer));
}

void WriteSet::AddDeadline(absl::string_view date, uint64_t id) {
  sorted_.Put(Family::kDeadlines, keys::Deadline(date, id), "");
}

void WriteSet::RemoveDeadline(absl::string_view date, uint64_t id) {
  sorted_.Delete(Family::kDeadlines, keys::Deadline(date, id));
}

void WriteSet::PutDecision(const Row& row, uint64_t id) {
  sorted_.Put(Family::kDecisions, RowKey(row), keys::U64(id));
}

void WriteSet::RemoveDecision(const Row& row) { sorted_.Delete(Family::kDecisions, RowKey(row)); }

void WriteSet::PutFeedback(const Row& row, absl::string_view feedback) {
  sorted_.Put(Family::kFeedback, RowKey(row), feedback);
}

void WriteSet::PutName(absl::string_view folded, absl::string_view code, absl::string_view name) {
  sorted_.Put(Family::kNames, keys::Name(folded, code), name);
}

absl::Status Store::Commit(WriteSet* writes) {
  RETURN_IF_ERROR(writes->sorted_.MoveSortedTo(*this, &writes->batch_));
  absl::Status status = Write(&writes->batch_);
  writes->batch_.Clear();
  return status;
}

// ---- rows ----

Row Store::EntryRow(uint64_t id) { return MakeRow(Family::kEntries, keys::U64(id)); }
Row Store::SubjectRecordRow(absl::string_view subject_code) {
  return MakeRow(Family::kSubjects, subject_code);
}
Row Store::RequestRow(absl::string_view identity, absl::string_view request_id) {
  return MakeRow(Family::kRequests, keys::Request(identity, request_id));
}

Row Store::DecisionRow(absl::string_view subject_code, int list, absl::string_view authority,
                       absl::string_view document_number) {
  return MakeRow(Family::kDecisions,
                 keys::Decision(subject_code, list, authority, document_number));
}

Row Store::FeedbackRow(uint64_t entry_id, absl::string_view measure_code,
                       absl::string_view department) {
  return MakeRow(Family::kFeedback, keys::Feedback(entry_id, measure_code, department));
}

absl::StatusOr<std::optional<std::string>> Store::GetRow(const Row& row,
                                                         const StoreSnapshot* snapshot) {
  return Get(RowFamily(row), ToSlice(RowKey(row)), Raw(snapshot));
}

absl::StatusOr<std::vector<std::optional<std::string>>> Store::MultiGetRows(
    const std::vector<Row>& rows, const StoreSnapshot* snapshot) {
  std::vector<std::optional<std::string>> out(rows.size());
  std::map<Family, std::vector<size_t>> by_family;
  for (size_t i = 0; i < rows.size(); ++i) by_family[RowFamily(rows[i])].push_back(i);
  for (const auto& [family, indexes] : by_family) {
    std::vector<absl::string_view> keys;
    keys.reserve(indexes.size());
    for (size_t i : indexes) keys.push_back(RowKey(rows[i]));
    ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> values,
                     MultiGet(family, keys, Raw(snapshot)));
    for (size_t k = 0; k < indexes.size(); ++k) out[indexes[k]] = std::move(values[k]);
  }
  return out;
}

// ---- reads ----

absl::Status Store::ScanKeys(Family family, absl::string_view prefix, absl::string_view from,
                             const StoreSnapshot* snapshot,
                             absl::FunctionRef<bool(absl::string_view)> visit, const char* what) {
  std::unique_ptr<rocksdb::Iterator> it = NewIterator(family, Raw(snapshot));
  for (it->Seek(ToSlice(from)); it->Valid() && it->key().starts_with(ToSlice(prefix)); it->Next()) {
    if (!visit(View(it->key()))) break;
  }
  return FromRocksStatus(it->status(), what);
}

absl::StatusOr<std::optional<std::pair<uint64_t, std::string>>> Store::LastNumbered(
    Family family, const StoreSnapshot* snapshot, const char* what) {
  std::unique_ptr<rocksdb::Iterator> it = NewIterator(family, Raw(snapshot));
  it->SeekToLast();
  RETURN_IF_ERROR(FromRocksStatus(it->status(), what));
  if (!it->Valid()) return std::nullopt;
  return std::make_pair(keys::ReadU64(View(it->key())), it->value().ToString());
}

absl::Status Store::ScanNumbered(Family family, uint64_t from, const StoreSnapshot* snapshot,
                                 absl::FunctionRef<bool(uint64_t, absl::string_view)> visit,
                                 const char* what) {
  std::unique_ptr<rocksdb::Iterator> it = NewIterator(family, Raw(snapshot));
  for (it->Seek(keys::U64(from)); it->Valid(); it->Next()) {
    if (!visit(keys::ReadU64(View(it->key())), View(it->value()))) break;
  }
  return FromRocksStatus(it->status(), what);
}

absl::StatusOr<std::optional<std::string>> Store::GetChange(uint64_t sequence,
                                                            const StoreSnapshot* snapshot) {
  return Get(Family::kChanges, keys::U64(sequence), Raw(snapshot));
}

absl::StatusOr<std::optional<std::pair<uint64_t, std::string>>> Store::LastChange() {
  return LastNumbered(Family::kChanges, nullptr, "reading the change log");
}

absl::Status Store::ScanChanges(uint64_t from, const StoreSnapshot* snapshot,
                                absl::FunctionRef<bool(uint64_t, absl::string_view)> visit) {
  return ScanNumbered(Family::kChanges, from, snapshot, visit, "reading the change log");
}

absl::Status Store::ScanSubjectChanges(absl::string_view subject_code, uint64_t from,
                                       const StoreSnapshot* snapshot,
                                       absl::FunctionRef<bool(uint64_t)> visit) {
  return ScanKeys(
      Family::kSubjectChanges, subject_code, keys::SubjectItem(subject_code, from), snapshot,
      [&](absl::string_view key) { return visit(keys::SubjectItemId(key)); },
      "reading the subject's changes");
}

absl::StatusOr<std::optional<std::string>> Store::GetHead(Tree tree, uint64_t tree_size,
                                                          const StoreSnapshot* snapshot) {
  return Get(HeadsOf(tree), keys::U64(tree_size), Raw(snapshot));
}

absl::StatusOr<uint64_t> Store::LastHeadSize(Tree tree, const StoreSnapshot* snapshot) {
  ASSIGN_OR_RETURN(auto last, LastNumbered(HeadsOf(tree), snapshot, "reading tree heads"));
  return last.has_value() ? last->first : 0;
}

absl::StatusOr<std::vector<std::optional<std::string>>> Store::MultiGetTreeNodes(
    Tree tree, const std::vector<std::pair<int, uint64_t>>& nodes, const StoreSnapshot* snapshot) {
  std::vector<std::string> node_keys;
  node_keys.reserve(nodes.size());
  for (const auto& [level, index] : nodes) node_keys.push_back(keys::TreeNode(level, index));
  return MultiGet(NodesOf(tree), node_keys, Raw(snapshot));
}

absl::StatusOr<std::optional<std::string>> Store::GetEntry(uint64_t id,
                                                           const StoreSnapshot* snapshot) {
  return Get(Family::kEntries, keys::U64(id), Raw(snapshot));
}

absl::StatusOr<std::vector<std::optional<std::string>>> Store::MultiGetEntries(
    const std::vector<uint64_t>& ids, const StoreSnapshot* snapshot) {
  std::vector<std::string> entry_keys;
  entry_keys.reserve(ids.size());
  for (uint64_t id : ids) entry_keys.push_back(keys::U64(id));
  return MultiGet(Family::kEntries, entry_keys, Raw(snapshot));
}

absl::StatusOr<uint64_t> Store::LastEntryId() {
  ASSIGN_OR_RETURN(auto last, LastNumbered(Family::kEntries, nullptr, "reading entries"));
  return last.has_value() ? last->first : 0;
}

absl::Status Store::ScanEntries(uint64_t from, const StoreSnapshot* snapshot,
                                absl::FunctionRef<bool(uint64_t, absl::string_view)> visit) {
  return ScanNumbered(Family::kEntries, from, snapshot, visit, "listing entries");
}

absl::Status Store::ScanSubjectEntries(absl::string_view subject_code, uint64_t from,
                                       const StoreSnapshot* snapshot,
                                       absl::FunctionRef<bool(uint64_t)> visit) {
  return ScanKeys(
      Family::kSubjectEntries, subject_code, keys::SubjectItem(subject_code, from), snapshot,
      [&](absl::string_view key) { return visit(keys::SubjectItemId(key)); },
      "listing the subject's entries");
}

absl::Status Store::ScanDeadlines(absl::string_view last_date, const StoreSnapshot* snapshot,
                                  absl::FunctionRef<bool(absl::string_view, uint64_t)> visit) {
  return ScanKeys(
      Family::kDeadlines, "", "", snapshot,
      [&](absl::string_view key) {
        if (key.size() != keys::kDateChars + 8) return true;  // not a deadline key: skipped
        absl::string_view date = key.substr(0, keys::kDateChars);
        if (date > last_date) return false;
        return visit(date, keys::ReadU64(key.substr(keys::kDateChars)));
      },
      "reading the deadlines");
}

absl::StatusOr<std::optional<std::string>> Store::GetSubjectRecord(absl::string_view subject_code,
                                                                   const StoreSnapshot* snapshot) {
  return Get(Family::kSubjects, ToSlice(subject_code), Raw(snapshot));
}

uint64_t Store::EstimateSubjectRecords() {
  uint64_t count = 0;
  db_->GetIntProperty(Handle(Family::kSubjects), "rocksdb.estimate-num-keys", &count);
  return count;
}

uint64_t Store::LastSequence() const { return db_->GetLatestSequenceNumber(); }

absl::Status Store::ScanSubjectRecords(
    const StoreSnapshot* snapshot,
    absl::FunctionRef<bool(absl::string_view, absl::string_view)> visit) {
  std::unique_ptr<rocksdb::Iterator> it = NewScanIterator(Family::kSubjects, Raw(snapshot));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!visit(View(it->key()), View(it->value()))) break;
  }
  return FromRocksStatus(it->status(), "reading the subjects' status records");
}

absl::StatusOr<std::vector<std::optional<std::string>>> Store::MultiGetSubjectRecords(
    const std::vector<absl::string_view>& subject_codes, const StoreSnapshot* snapshot) {
  return MultiGet(Family::kSubjects, subject_codes, Raw(snapshot));
}

absl::Status Store::ScanNames(absl::string_view folded, absl::string_view from_code,
                              const StoreSnapshot* snapshot,
                              absl::FunctionRef<bool(absl::string_view, absl::string_view)> visit) {
  const std::string prefix = keys::Name(folded, "");
  std::unique_ptr<rocksdb::Iterator> it = NewIterator(Family::kNames, Raw(snapshot));
  for (it->Seek(keys::Name(folded, from_code)); it->Valid(); it->Next()) {
    absl::string_view key = View(it->key());
    if (!absl::StartsWith(key, prefix)) break;
    if (!visit(key.substr(prefix.size()), View(it->value()))) break;
  }
  return FromRocksStatus(it->status(), "reading the name index");
}

absl::Status Store::ScanFeedback(const StoreSnapshot* snapshot,
                                 absl::FunctionRef<bool(absl::string_view)> visit) {
  std::unique_ptr<rocksdb::Iterator> it = NewIterator(Family::kFeedback, Raw(snapshot));
  for (it->SeekToFirst(); it->Valid() && visit(View(it->value())); it->Next()) {
  }
  return FromRocksStatus(it->status(), "reading the feedback");
}

absl::Status Store::ScanMeasures(
    absl::FunctionRef<void(absl::string_view, absl::string_view)> visit) {
  std::unique_ptr<rocksdb::Iterator> it = NewIterator(Family::kMeasures);
  for (it->SeekToFirst(); it->Valid(); it->Next()) visit(View(it->key()), View(it->value()));
  return FromRocksStatus(it->status(), "reading the measures catalogue");
}

// ---- the query log ----

void QueryBatch::Add(uint64_t sequence, const std::array<absl::string_view, 4>& pieces) {
  std::string key = keys::U64(sequence);
  rocksdb::Slice key_slice(key);
  rocksdb::Slice value[] = {ToSlice(pieces[0]), ToSlice(pieces[1]), ToSlice(pieces[2]),
                            ToSlice(pieces[3])};
  batch_.Put(store_->Handle(Family::kQueries), rocksdb::SliceParts(&key_slice, 1),
             rocksdb::SliceParts(value, 4));
}

void QueryBatch::PutTreeNode(int level, uint64_t index, absl::string_view hash) {
  if (!keys::IsStoredTreeLevel(level)) return;
  batch_.Put(store_->Handle(Family::kQueryNodes), keys::TreeNode(level, index), ToSlice(hash));
}

void QueryBatch::PutHead(uint64_t tree_size, absl::string_view head) {
  batch_.Put(store_->Handle(Family::kQueryHeads), keys::U64(tree_size), ToSlice(head));
}

absl::StatusOr<std::optional<std::string>> Store::LastQuery() {
  ASSIGN_OR_RETURN(auto last, LastNumbered(Family::kQueries, nullptr, "reading the query log"));
  if (!last.has_value()) return std::nullopt;
  return std::move(last->second);
}

absl::StatusOr<std::optional<std::string>> Store::GetQuery(uint64_t sequence,
                                                           const StoreSnapshot* snapshot) {
  return Get(Family::kQueries, keys::U64(sequence), Raw(snapshot));
}

absl::Status Store::ScanQueries(uint64_t from,
                                absl::FunctionRef<bool(uint64_t, absl::string_view)> visit) {
  return ScanNumbered(Family::kQueries, from, nullptr, visit, "reading the query log");
}

// ---- walks ----

TableWalk::TableWalk(std::unique_ptr<rocksdb::Iterator> it, std::string prefix)
    : it_(std::move(it)), prefix_(std::move(prefix)) {}
TableWalk::~TableWalk() = default;

bool TableWalk::Valid() const { return it_->Valid() && it_->key().starts_with(prefix_); }
uint64_t TableWalk::number() const {
  return keys::ReadU64(View(it_->key()).substr(prefix_.size()));
}
absl::string_view TableWalk::value() const { return View(it_->value()); }
void TableWalk::Next() { it_->Next(); }
absl::Status TableWalk::status() const { return FromRocksStatus(it_->status(), "reading"); }

std::unique_ptr<TableWalk> Store::Walk(TableWalk::Table table) {
  static constexpr Family kFamilies[] = {Family::kChanges, Family::kHeads, Family::kEntries,
                                         Family::kQueries, Family::kQueryHeads};
  std::unique_ptr<rocksdb::Iterator> it = NewScanIterator(kFamilies[static_cast<int>(table)]);
  it->SeekToFirst();
  return std::unique_ptr<TableWalk>(new TableWalk(std::move(it), ""));
}

std::unique_ptr<TableWalk> Store::WalkTreeLevel(Tree tree, int level, uint64_t from_index) {
  std::unique_ptr<rocksdb::Iterator> it = NewScanIterator(NodesOf(tree));
  const std::string first = keys::TreeNode(level, from_index);
  it->Seek(first);
  return std::unique_ptr<TableWalk>(new TableWalk(std::move(it), first.substr(0, 1)));
}

absl::Status Store::ScanSubjectEntryIndex(
    absl::FunctionRef<bool(absl::string_view, uint64_t)> visit) {
  std::unique_ptr<rocksdb::Iterator> it = NewScanIterator(Family::kSubjectEntries);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::string_view key = View(it->key());
    if (key.size() < 8) return absl::DataLossError("the subject index holds a malformed key");
    if (!visit(key.substr(0, key.size() - 8), keys::SubjectItemId(key))) break;
  }
  return FromRocksStatus(it->status(), "reading the subject index");
}

absl::StatusOr<bool> Store::HasSubjectEntry(absl::string_view subject_code, uint64_t id) {
  ASSIGN_OR_RETURN(std::optional<std::string> found,
                   Get(Family::kSubjectEntries, keys::SubjectItem(subject_code, id)));
  return found.has_value();
}

}  // namespace credit
