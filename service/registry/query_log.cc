#include "service/registry/query_log.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/encoding/big_endian.h"
#include "common/proto/deterministic.h"
#include "common/querylog/query_record_hash.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/time_util.h"
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
                                                         const PageTokens* page_tokens) {
  ASSIGN_OR_RETURN(std::string salt, store->GetOrCreateSecret(kSaltKey));
  uint64_t next = 0;
  Hash256 last{};
  ASSIGN_OR_RETURN(std::optional<std::string> stored, store->LastQuery());
  if (stored.has_value()) {
    v1::QueryRecord record;
    if (!record.ParseFromString(*stored)) {
      return absl::DataLossError("query log: the last record does not parse");
    }
    next = record.sequence() + 1;
    last = QueryRecordHash(record);
  }
  return std::unique_ptr<QueryLog>(
      new QueryLog(store, clock, page_tokens, std::move(salt), next, last));
}

QueryLog::QueryLog(Store* store, const Clock* clock, const PageTokens* page_tokens,
                   std::string salt, uint64_t next_sequence, Hash256 last_hash)
    : store_(store),
      clock_(clock),
      page_tokens_(page_tokens),
      salt_(std::move(salt)),
      next_sequence_(next_sequence),
      last_hash_(last_hash),
      writer_([this] { Run(); }) {}

QueryLog::~QueryLog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  writer_.join();
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
    queue_.push_back({std::move(body), unmasked});
    ++queued_;
    first = queue_.size() == 1;
  }
  // The writer waits for a first record; the others join its group without waking it.
  if (first) wake_.notify_one();
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

    QueryBatch batch = store_->NewQueryBatch();
    uint64_t sequence = next_sequence_;
    Hash256 previous = last_hash_;
    for (const Queued& queued : batch_records) {
      QueryRecordPieces record(sequence, queued.body, previous, queued.unmasked);
      batch.Add(sequence, record.Bytes());
      previous = record.Hash();
      ++sequence;
    }
    FailPoint(kFailQueryLogWrite);
    absl::Status status = store_->WriteQueries(&batch);

    lock.lock();
    if (status.ok()) {
      next_sequence_ = sequence;
      last_hash_ = previous;
      durable_ += batch_records.size();
      last_error_ = absl::OkStatus();
    } else {
      std::cerr << "creditd: query log write failed, will retry: " << status << std::endl;
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
