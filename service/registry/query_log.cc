#include "service/registry/query_log.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/encoding/big_endian.h"
#include "common/proto/deterministic.h"
#include "common/querylog/query_record_hash.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "service/events/event_log.h"
#include "service/failpoint/failpoint.h"
#include "service/registry/page_limits.h"
#include "service/registry/page_token.h"
#include "service/registry/validation.h"

namespace credit {
namespace {

constexpr char kSaltKey[] = "query_salt";
// How long the writer lets records gather after the first one: one synced write per window
// instead of one per answer (a synced write costs ~0.4 ms of the disk and tens of µs of CPU).
constexpr std::chrono::milliseconds kGatherWindow(2);

}  // namespace

absl::StatusOr<std::unique_ptr<QueryLog>> QueryLog::Open(Store* store, const Clock* clock,
                                                         const PageTokens* page_tokens,
                                                         SigningKey signing_key) {
  ASSIGN_OR_RETURN(std::string salt, store->GetOrCreateSecret(kSaltKey));
  auto log = std::unique_ptr<QueryLog>(
      new QueryLog(store, clock, page_tokens, std::move(salt), std::move(signing_key)));
  RETURN_IF_ERROR(log->Resume());
  log->writer_ = std::thread([r = log.get()] { r->Run(); });
  return log;
}

QueryLog::QueryLog(Store* store, const Clock* clock, const PageTokens* page_tokens,
                   std::string salt, SigningKey signing_key)
    : store_(store), clock_(clock), page_tokens_(page_tokens), salt_(std::move(salt)) {
  SignedTree::Options tree;
  tree.tree = Tree::kQueries;
  tree.domain = merkle::HeadDomain::kQueryLog;
  // The query log grows with every answer and is proven rarely: its upper levels stay on disk.
  tree.keep_upper_nodes = false;
  tree.record_time = [store](uint64_t sequence,
                             const StoreSnapshot* snapshot) -> absl::StatusOr<int64_t> {
    ASSIGN_OR_RETURN(std::optional<std::string> bytes, store->GetQuery(sequence, snapshot));
    if (!bytes.has_value()) {
      return absl::NotFoundError(absl::StrCat("query ", sequence, " does not exist"));
    }
    v1::QueryRecord record;
    if (!record.ParseFromString(*bytes)) {
      return absl::DataLossError(absl::StrCat("query ", sequence, ": stored bytes do not parse"));
    }
    return google::protobuf::util::TimeUtil::TimestampToMicroseconds(record.time());
  };
  tree_ = std::make_unique<SignedTree>(store_, std::move(signing_key), std::move(tree));
}

absl::Status QueryLog::Resume() {
  ASSIGN_OR_RETURN(uint64_t signed_size, store_->LastHeadSize(Tree::kQueries, nullptr));
  ASSIGN_OR_RETURN(std::optional<std::string> stored, store_->LastQuery());
  if (stored.has_value()) {
    v1::QueryRecord record;
    if (!record.ParseFromString(*stored)) {
      return absl::DataLossError("query log: the last record does not parse");
    }
    next_sequence_ = record.sequence() + 1;
    last_hash_ = QueryRecordHash(record);
  }
  if (next_sequence_ < signed_size) {
    return absl::DataLossError(absl::StrCat("query log: a signed tree head of size ", signed_size,
                                            " exists, the log holds ", next_sequence_,
                                            " records: records were taken away"));
  }
  Hash256 last_signed_leaf{};
  if (signed_size > 0) {
    ASSIGN_OR_RETURN(std::optional<std::string> bytes, store_->GetQuery(signed_size - 1, nullptr));
    v1::QueryRecord record;
    if (!bytes.has_value() || !record.ParseFromString(*bytes)) {
      return absl::DataLossError(absl::StrCat("query ", signed_size - 1, ": unreadable"));
    }
    last_signed_leaf = QueryRecordHash(record);
  }
  ASSIGN_OR_RETURN(tree_edge_, tree_->Resume(signed_size, last_signed_leaf));
  ASSIGN_OR_RETURN(v1::SignedTreeHead head, tree_->LatestHead(nullptr));
  last_head_time_ = head.timestamp_micros();
  if (signed_size < next_sequence_) {
    // Records a version before the query tree wrote: their leaves and nodes, in writes of
    // bounded size, then one head over them all (a crash before it starts this over).
    constexpr size_t kChunk = 16384;
    QueryBatch batch = store_->NewQueryBatch();
    size_t in_batch = 0;
    absl::Status status;
    int64_t last_time = last_head_time_;
    v1::QueryRecord record;
    RETURN_IF_ERROR(
        store_->ScanQueries(signed_size, [&](uint64_t sequence, absl::string_view bytes) {
          if (sequence != tree_edge_.size() ||
              !record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
            status = absl::DataLossError(absl::StrCat("query ", tree_edge_.size(), ": unreadable"));
            return false;
          }
          last_time = std::max(
              last_time, google::protobuf::util::TimeUtil::TimestampToMicroseconds(record.time()));
          tree_edge_.Append(QueryRecordHash(record),
                            [&](int level, uint64_t index, const Hash256& node) {
                              batch.PutTreeNode(level, index, AsBytes(node));
                            });
          if (++in_batch == kChunk) {
            status = store_->WriteQueries(&batch);
            batch = store_->NewQueryBatch();
            in_batch = 0;
          }
          return status.ok();
        }));
    RETURN_IF_ERROR(status);
    if (tree_edge_.size() != next_sequence_) {
      return absl::DataLossError(absl::StrCat("query ", tree_edge_.size(), ": missing"));
    }
    head = tree_->Sign(tree_edge_.size(), last_time, tree_edge_.Root());
    batch.PutHead(head.tree_size(), SerializeDeterministic(head));
    RETURN_IF_ERROR(store_->WriteQueries(&batch));
    last_head_time_ = last_time;
    LogEvent(EventLevel::kInfo, "query_tree_built",
             absl::StrCat("the query log's tree built over ", next_sequence_ - signed_size,
                          " records stored without it"));
  }
  auto view = std::make_shared<ReadView>();
  view->head = std::move(head);
  view->snapshot = store_->Snapshot();
  std::lock_guard lock(view_mu_);
  view_ = std::move(view);
  return absl::OkStatus();
}

QueryLog::~QueryLog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
}

Hash256 QueryLog::SubjectDigest(absl::string_view code) const { return Sha256({salt_, code}); }

std::string QueryLog::SubjectHash(absl::string_view code) const {
  return std::string(AsBytes(SubjectDigest(code)));
}

void QueryLog::Append(const Caller& caller, absl::string_view rpc, absl::string_view purpose,
                      const std::vector<absl::string_view>& subject_codes, bool unmasked) {
  // Each answering thread fills a message of its own, over and over: cleared, it keeps its
  // strings and submessages, so only the serialised bytes are allocated.
  thread_local v1::QueryRecord record;
  record.Clear();
  *record.mutable_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(clock_->Now()));
  record.mutable_actor()->set_identity(caller.identity);
  record.mutable_actor()->set_department(caller.department);
  record.set_rpc(rpc.data(), rpc.size());
  record.set_purpose(purpose.data(), purpose.size());
  for (absl::string_view code : subject_codes) {
    Hash256 hash = SubjectDigest(code);
    record.add_subject_hashes(hash.data(), hash.size());
  }
  std::string body = SerializeDeterministic(record);
  bool first;
  {
    std::lock_guard lock(mu_);
    queue_.push_back({std::move(body), unmasked, absl::ToUnixMicros(clock_->Now())});
    ++queued_;
    first = queue_.size() == 1;
  }
  // The writer waits for a first record; the others join its group without waking it.
  if (first) wake_.notify_one();
}

uint64_t QueryLog::Backlog() {
  std::lock_guard lock(mu_);
  return queued_ - durable_;
}

absl::Status QueryLog::Flush() {
  std::unique_lock lock(mu_);
  uint64_t target = queued_;
  written_.wait(lock, [&] { return durable_ >= target || !last_error_.ok() || stop_; });
  return durable_ >= target ? absl::OkStatus() : last_error_;
}

void QueryLog::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    // The records queued meanwhile share this record's synced write.
    wake_.wait_for(lock, kGatherWindow, [&] { return stop_; });
    std::vector<Queued> batch_records(std::make_move_iterator(queue_.begin()),
                                      std::make_move_iterator(queue_.end()));
    queue_.clear();
    lock.unlock();

    absl::Status status = WriteGroup(batch_records);

    lock.lock();
    if (status.ok()) {
      durable_ += batch_records.size();
      last_error_ = absl::OkStatus();
    } else {
      LogEvent(EventLevel::kError, "query_log_write_failed",
               absl::StrCat("query log write failed, will retry: ", status.ToString()));
      last_error_ = status;
      // Put the records back in front, in order, and retry after a pause.
      for (auto it = batch_records.rbegin(); it != batch_records.rend(); ++it) {
        queue_.push_front(std::move(*it));
      }
      written_.notify_all();
      if (stop_) return;
      wake_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop_; });
      continue;
    }
    written_.notify_all();
  }
}

absl::Status QueryLog::WriteGroup(const std::vector<Queued>& records) {
  QueryBatch batch = store_->NewQueryBatch();
  uint64_t sequence = next_sequence_;
  Hash256 previous = last_hash_;
  merkle::CompactRange edge = tree_edge_;
  int64_t time = last_head_time_;
  for (const Queued& queued : records) {
    QueryRecordPieces record(sequence, queued.body, previous, queued.unmasked);
    batch.Add(sequence, record.Bytes());
    previous = record.Hash();
    edge.Append(previous, [&](int level, uint64_t index, const Hash256& node) {
      batch.PutTreeNode(level, index, AsBytes(node));
    });
    // Heads never go back in time, though answering threads queue records a little out of order.
    time = std::max(time, queued.time_micros);
    ++sequence;
  }
  v1::SignedTreeHead head = tree_->Sign(edge.size(), time, edge.Root());
  batch.PutHead(edge.size(), SerializeDeterministic(head));
  FailPoint(kFailQueryLogWrite);
  RETURN_IF_ERROR(store_->WriteQueries(&batch));
  next_sequence_ = sequence;
  last_hash_ = previous;
  tree_edge_ = std::move(edge);
  last_head_time_ = time;
  auto view = std::make_shared<ReadView>();
  view->head = std::move(head);
  view->snapshot = store_->Snapshot();
  std::lock_guard lock(view_mu_);
  view_ = std::move(view);
  return absl::OkStatus();
}

std::shared_ptr<const QueryLog::ReadView> QueryLog::CurrentView() const {
  std::lock_guard lock(view_mu_);
  return view_;
}

absl::StatusOr<v1::GetQueryTreeHeadResponse> QueryLog::TreeHead(
    const v1::GetQueryTreeHeadRequest& request) const {
  std::shared_ptr<const ReadView> view = CurrentView();
  const uint64_t size = request.tree_size() == 0 ? view->head.tree_size() : request.tree_size();
  if (size > view->head.tree_size()) {
    return absl::NotFoundError(absl::StrCat("tree_size: the query log never had ", size,
                                            " records; it has ", view->head.tree_size()));
  }
  v1::GetQueryTreeHeadResponse response;
  ASSIGN_OR_RETURN(*response.mutable_tree_head(),
                   tree_->HeadAt(size, &view->head, view->snapshot.get()));
  return response;
}

absl::StatusOr<v1::GetQueryInclusionProofResponse> QueryLog::InclusionProof(
    const v1::GetQueryInclusionProofRequest& request) const {
  std::shared_ptr<const ReadView> view = CurrentView();
  const uint64_t current = view->head.tree_size();
  const uint64_t size = request.tree_size() == 0 ? current : request.tree_size();
  // The change log's rules and messages, for the same fields.
  v1::GetInclusionProofRequest same;
  same.set_sequence(request.sequence());
  same.set_tree_size(request.tree_size());
  RETURN_IF_ERROR(ValidateGetInclusionProofRequest(same, current));
  ASSIGN_OR_RETURN(
      v1::GetInclusionProofResponse proof,
      tree_->InclusionProof(request.sequence(), size, view->head, view->snapshot.get()));
  v1::GetQueryInclusionProofResponse response;
  response.mutable_proof()->Swap(proof.mutable_proof());
  response.mutable_tree_head()->Swap(proof.mutable_tree_head());
  response.set_leaf_hash(std::move(*proof.mutable_leaf_hash()));
  return response;
}

absl::StatusOr<v1::GetQueryConsistencyProofResponse> QueryLog::ConsistencyProof(
    const v1::GetQueryConsistencyProofRequest& request) const {
  std::shared_ptr<const ReadView> view = CurrentView();
  const uint64_t current = view->head.tree_size();
  const uint64_t to = request.to_size() == 0 ? current : request.to_size();
  v1::GetConsistencyProofRequest same;
  same.set_from_size(request.from_size());
  same.set_to_size(request.to_size());
  RETURN_IF_ERROR(ValidateGetConsistencyProofRequest(same, current));
  ASSIGN_OR_RETURN(
      v1::GetConsistencyProofResponse proof,
      tree_->ConsistencyProof(request.from_size(), to, view->head, view->snapshot.get()));
  v1::GetQueryConsistencyProofResponse response;
  response.mutable_proof()->Swap(proof.mutable_proof());
  response.mutable_from_head()->Swap(proof.mutable_from_head());
  response.mutable_to_head()->Swap(proof.mutable_to_head());
  return response;
}

absl::StatusOr<v1::ListQueriesResponse> QueryLog::List(
    const v1::ListQueriesRequest& request) const {
  RETURN_IF_ERROR(ValidateListQueriesRequest(request));
  const int page_size = PageSizeOf(request.page_size());
  std::string subject_hash;
  if (!request.subject_code().empty()) subject_hash = SubjectHash(request.subject_code());
  uint64_t fingerprint = FilterFingerprint(request);
  ASSIGN_OR_RETURN(std::string position, page_tokens_->Decode(request.page_token(), fingerprint));
  if (!position.empty() && position.size() != 8) {
    return absl::InvalidArgumentError("page_token: malformed");
  }
  uint64_t next = std::max(ReadBigEndian64(position), request.from_sequence());
  v1::ListQueriesResponse response;
  PageLimits limits(page_size);
  absl::Status status;
  auto page_ends_at = [&](uint64_t sequence) {
    response.set_next_page_token(page_tokens_->Encode(fingerprint, BigEndian64(sequence)));
    return false;
  };
  RETURN_IF_ERROR(store_->ScanQueries(next, [&](uint64_t sequence, absl::string_view bytes) {
    if (!limits.Examine(response.queries_size())) return page_ends_at(sequence);
    v1::QueryRecord record;
    if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      status = absl::DataLossError(absl::StrCat("query ", sequence, ": stored bytes do not parse"));
      return false;
    }
    if (!request.actor_identity().empty() &&
        record.actor().identity() != request.actor_identity()) {
      return true;
    }
    if (!subject_hash.empty() &&
        std::find(record.subject_hashes().begin(), record.subject_hashes().end(), subject_hash) ==
            record.subject_hashes().end()) {
      return true;
    }
    record.set_hash(std::string(AsBytes(QueryRecordHash(record))));
    if (!limits.Fits(response.queries_size(), record.ByteSizeLong())) return page_ends_at(sequence);
    *response.add_queries() = std::move(record);
    return true;
  }));
  RETURN_IF_ERROR(status);
  return response;
}

}  // namespace credit
