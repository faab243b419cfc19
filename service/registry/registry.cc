#include "service/registry/registry.h"

#include <cstdio>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/changelog/change_record.h"
#include "common/proto/deterministic.h"
#include "common/status/status_macros.h"
#include "common/text/date.h"
#include "service/events/event_log.h"
#include "service/registry/registry_internal.h"
#include "service/storage/migrations.h"
#include "service/storage/subject_record.h"

namespace credit {
namespace {

using registry_internal::DecisionRowOf;
using registry_internal::ParseEntry;
using registry_internal::StatusPart;

}  // namespace

Registry::Registry(std::unique_ptr<Store> store, const Clock* clock, absl::TimeZone time_zone)
    : store_(std::move(store)), clock_(clock), time_zone_(time_zone) {}

// The sweeper, the query log's writer and the change log's node loader must stop before the
// store closes.
Registry::~Registry() {
  if (sweeper_.joinable()) {
    {
      absl::MutexLock lock(&sweeper_mu_);
      closing_ = true;
    }
    sweeper_.join();
  }
  query_log_.reset();
  log_.reset();
  SaveStatusIndex();
}

absl::StatusOr<std::unique_ptr<Registry>> Registry::Open(const RegistryOptions& options,
                                                         SigningKey signing_key,
                                                         const Clock* clock) {
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(options.data_dir, options.store));
  auto registry =
      std::unique_ptr<Registry>(new Registry(std::move(store), clock, options.time_zone));
  Registry* r = registry.get();
  r->backup_dir_ = options.backup_dir;
  RETURN_IF_ERROR(CheckProcedureRules(options.procedure, "procedure"));
  r->rules_ = options.procedure;
  Store& s = *r->store_;
  RETURN_IF_ERROR(BuildSubjectRecords(
      s, options.rebuild_chunk_bytes,
      [](uint64_t id, absl::string_view bytes)
          -> absl::StatusOr<std::optional<std::pair<std::string, std::string>>> {
        ASSIGN_OR_RETURN(v1::Entry entry, ParseEntry(bytes, id));
        if (!procedure::StateInForce(entry)) return std::nullopt;
        return std::make_pair(entry.subject().code(), StatusPart(entry));
      }));
  RETURN_IF_ERROR(BuildProcedureIndexes(
      s, options.rebuild_chunk_bytes,
      [](uint64_t id, absl::string_view bytes) -> absl::StatusOr<ProcedureIndexing> {
        ASSIGN_OR_RETURN(v1::Entry entry, ParseEntry(bytes, id));
        ProcedureIndexing indexing;
        indexing.due_date = procedure::DueDate(entry);
        if (!procedure::Ended(entry.status())) indexing.decision = DecisionRowOf(entry);
        return indexing;
      }));
  ASSIGN_OR_RETURN(r->name_folder_, NameFolder::Open());
  RETURN_IF_ERROR(BuildNameIndex(
      s, options.rebuild_chunk_bytes,
      [r](uint64_t id, absl::string_view bytes) -> absl::StatusOr<std::optional<NameRow>> {
        ASSIGN_OR_RETURN(v1::Entry entry, ParseEntry(bytes, id));
        NameRow row{r->name_folder_->Fold(entry.subject().name()), entry.subject().code(),
                    entry.subject().name()};
        if (row.folded.empty()) return std::nullopt;
        return row;
      }));
  RETURN_IF_ERROR(DropHashedTreeLevels(s));
  {
    std::unique_lock catalogue_lock(r->catalogue_mu_);
    absl::Status parsed;
    RETURN_IF_ERROR(s.ScanMeasures([&](absl::string_view code, absl::string_view bytes) {
      v1::Measure measure;
      if (!measure.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        if (parsed.ok()) {
          parsed =
              absl::DataLossError(absl::StrCat("measure ", code, ": stored bytes do not parse"));
        }
        return;
      }
      r->catalogue_[measure.code()] = std::move(measure);
    }));
    RETURN_IF_ERROR(parsed);
    r->writer_catalogue_ = r->catalogue_;
  }
  r->status_index_ = std::make_unique<StatusIndex>();
  r->memory_budget_bytes_ = options.memory_budget_bytes;
  r->store_options_ = options.store;
  ChangeLogOptions log_options;
  log_options.load_tree_nodes = options.load_tree_nodes;
  log_options.record_version = options.record_version;
  log_options.counters = options.commit_counters;
  // A failed group write drops every uncommitted PutMeasure with it.
  log_options.on_abort = [r] {
    std::shared_lock lock(r->catalogue_mu_);
    r->writer_catalogue_ = r->catalogue_;
  };
  log_options.on_published = [r](const WriteSet& writes,
                                 const std::shared_ptr<const ReadView>& view) {
    r->status_index_->Apply(writes.subject_records(), view);
    r->FitBlockCache();
  };
  ASSIGN_OR_RETURN(r->log_,
                   ChangeLog::Open(&s, std::move(signing_key), clock, std::move(log_options)));
  r->status_index_path_ = options.data_dir + "/status-index";
  r->LoadOrFillStatusIndex();
  ASSIGN_OR_RETURN(std::string token_key, s.GetOrCreateSecret("page_token_key"));
  r->page_tokens_ = std::make_unique<PageTokens>(std::move(token_key));
  ASSIGN_OR_RETURN(r->query_log_,
                   QueryLog::Open(&s, clock, r->page_tokens_.get(), r->log_->signing_key()));
  // What fell due while the service was down, before the first answer.
  RETURN_IF_ERROR(r->RunDueTransitions().status());
  if (options.sweep_periodically) r->sweeper_ = std::thread([r] { r->SweepPeriodically(); });
  return registry;
}

void Registry::LoadOrFillStatusIndex() {
  std::shared_ptr<const ReadView> view = log_->CurrentView();
  absl::Status loaded = status_index_->Load(status_index_path_, store_->LastSequence(), view);
  // Loaded or stale, the file has served: the next clean close saves it anew. And what a save
  // cut short by a crash left goes too.
  std::remove(status_index_path_.c_str());
  std::remove((status_index_path_ + ".tmp").c_str());
  if (loaded.ok()) {
    FitBlockCache();
    return;
  }
  if (!absl::IsNotFound(loaded)) {
    LogEvent(absl::IsFailedPrecondition(loaded) ? EventLevel::kInfo : EventLevel::kWarning,
             "status_index_not_loaded",
             absl::StrCat(loaded.message(), "; filling the status index from storage instead"));
  }
  status_index_->StartFill(store_.get(), std::move(view), [this] { FitBlockCache(); });
}

void Registry::SaveStatusIndex() {
  if (!status_index_->figures().ready) return;
  const absl::Time start = absl::Now();
  absl::Status saved = status_index_->Save(status_index_path_, store_->LastSequence());
  if (!saved.ok()) {
    LogEvent(EventLevel::kWarning, "status_index_not_saved",
             absl::StrCat(saved.message(), "; the next start fills it from storage"));
    return;
  }
  LogEvent(EventLevel::kInfo, "status_index_saved",
           absl::StrCat("in-memory status index saved to ", status_index_path_, " in ",
                        absl::FormatDuration(absl::Now() - start)));
}

void Registry::FitBlockCache() {
  // What the rest of the process takes: its code and thread stacks, gRPC's buffers, the heap's
  // answers and requests, the change log's upper tree levels, the query log's queue, what malloc
  // keeps (docs/performance.md, "Memory").
  constexpr uint64_t kReserve = uint64_t{224} << 20;
  constexpr uint64_t kLeastCache = uint64_t{32} << 20;
  constexpr uint64_t kRefitStep = uint64_t{32} << 20;
  constexpr absl::Duration kRefitInterval = absl::Seconds(10);
  if (memory_budget_bytes_ == 0) return;
  const uint64_t index = status_index_->MemoryBytes();
  const absl::Time now = absl::Now();
  std::lock_guard lock(fit_mu_);
  if (fitted_index_bytes_.has_value() &&
      std::max(index, *fitted_index_bytes_) - std::min(index, *fitted_index_bytes_) < kRefitStep &&
      now - fitted_at_ < kRefitInterval) {
    return;
  }
  fitted_index_bytes_ = index;
  fitted_at_ = now;
  const uint64_t taken =
      store_options_.write_buffer_bytes + index + store_->TableReadersBytes() + kReserve;
  const uint64_t left = memory_budget_bytes_ > taken ? memory_budget_bytes_ - taken : 0;
  store_->SetBlockCacheCapacity(static_cast<size_t>(
      std::clamp<uint64_t>(left, kLeastCache, store_options_.block_cache_bytes)));
}

std::string Registry::Today() const { return FormatDate(TodayDay()); }

absl::CivilDay Registry::TodayDay() const { return absl::ToCivilDay(clock_->Now(), time_zone_); }

}  // namespace credit
