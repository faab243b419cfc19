// StatusIndex: what a BASIC status answer needs of every subject (the subjects family,
// storage/subject_record.h), held in memory in a structure made for lookups and batches, so that
// those answers never read RocksDB.
//
// Layout. An open-addressing table (linear probing) of 16-byte slots: the subject code packed
// into 12 bytes (18 characters of the 31-symbol alphabet of unified social credit codes, which
// holds the digits and 'X' of resident ID numbers too, 5 bits each) and a 32-bit reference into
// an arena of 2 MiB chunks holding the subject's record packed. The table is 16 shards chosen by
// the hash's top bits, each grown alone by a quarter (in whole pages) when it would pass 80 %
// full: the table stays 64-80 % full, and a growth copies one shard, never the whole table (which
// would briefly hold two tables and stop lookups while it copies).
// Shards and chunks lie in huge pages where the kernel offers them (page_memory.h). A record:
//   varint  last change + 1 (0: none)
//   varint  number of entries, then per entry (ascending id):
//     varint id (the first whole, the others as the difference to the one before)
//     varint list, varint status
//     3 bytes effective date, 3 bytes expiry date (year * 512 + month * 32 + day, big-endian:
//       ordered as the "YYYY-MM-DD" texts are)
//     varint number of measures, then per measure a varint index into the measure codes seen
// ~20 bytes for a subject with one entry, 16 / 0.8 for its slot. A subject whose record this
// cannot hold exactly (a date not of that form, a record that does not parse, an unusual code) is
// marked to be read from storage, which answers it as before. A changed record is appended anew;
// the arena is compacted when its dead records outweigh its live ones.
//
// Consistency. Filled at start on a thread of its own from a snapshot of the store; until that
// ends, status answers read storage. Each committed group's subject records (WriteSet::
// subject_records) and the view published with it are applied together under the index's lock
// (ChangeLogOptions::on_published; queued while the first fill runs), so a read sees every subject
// as of exactly one view, which it returns: the answer cites that view's head.
//
// Saved at a clean stop. The registry saves the index beside the database when it closes
// (status_index_file.cc: the table and the arena as they lie in memory, stamped with the
// database's last sequence number and the view's head, checked by SHA-256), and the next start
// loads that file instead of filling from storage when its stamp still holds: nothing written
// since, the same log. After a crash or a restore the stamp no longer holds and the fill runs.
//
// Thread-safe: reads share the lock; applying a group takes it alone.
#ifndef CREDIT_SERVICE_REGISTRY_STATUS_INDEX_H_
#define CREDIT_SERVICE_REGISTRY_STATUS_INDEX_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "service/changelog/change_log.h"
#include "service/registry/page_memory.h"
#include "service/registry/registry_internal.h"
#include "service/storage/store.h"

namespace credit {

class StatusIndex {
 public:
  using ReadView = ChangeLog::ReadView;
  using Record = std::pair<std::string, std::string>;  // subject code, stored record

  // What Read finds for a list of codes. Reused from call to call: its vectors keep their room.
  struct Found {
    // The status parts of each subject's entries in force on the day asked, subject after
    // subject: subject i's are parts[begins[i]] up to parts[begins[i + 1]]. Their dates are left
    // empty (already judged); their measure codes stay valid for the index's lifetime.
    std::vector<registry_internal::StatusPartView> parts;
    std::vector<uint32_t> begins;
    std::vector<std::optional<uint64_t>> last_changes;
    // Whether some subject must be read from storage instead (see the layout above).
    bool needs_storage = false;
  };

  struct Figures {
    bool ready = false;
    uint64_t subjects = 0;
    uint64_t table_bytes = 0;
    uint64_t arena_bytes = 0;  // allocated, live and dead records
    uint64_t live_bytes = 0;
    bool loaded = false;  // from the file a clean stop saved, not filled from storage
  };

  // `min_compaction_bytes`: the arena is compacted once its dead records exceed both this and its
  // live ones.
  explicit StatusIndex(uint64_t min_compaction_bytes = uint64_t{64} << 20)
      : min_compaction_bytes_(min_compaction_bytes) {
    ResetShards(kLeastShardSlots);
  }
  ~StatusIndex();
  StatusIndex(const StatusIndex&) = delete;
  StatusIndex& operator=(const StatusIndex&) = delete;

  // Fills the index from `store` as `view`'s snapshot holds it, on a thread of its own; groups
  // applied meanwhile are applied after it; then `on_filled` (may be empty) runs on that thread,
  // before the index is ready.
  // `store` must outlive the index. Once only.
  void StartFill(Store* store, std::shared_ptr<const ReadView> view,
                 std::function<void()> on_filled = nullptr);
  // Writes the ready index to `path` (through a synced temporary file renamed over it), stamped
  // with `sequence` (the store's last sequence number; nothing may write after it) and the head
  // of the index's view. FAILED_PRECONDITION when the index is not ready.
  absl::Status Save(const std::string& path, uint64_t sequence) const;
  // Loads what Save wrote to `path` if its stamp is `sequence` and `view`'s head (tree size and
  // root hash): the index is then ready as of `view`. Instead of StartFill, before any Apply.
  // NOT_FOUND: no file; FAILED_PRECONDITION: the database or the log differs from what the file
  // was saved with (a crash after it was saved, a restore); DATA_LOSS: the file is damaged. On any
  // error the index is left empty for StartFill.
  absl::Status Load(const std::string& path, uint64_t sequence,
                    std::shared_ptr<const ReadView> view);
  // Applies one committed group's subject records (in the order they were put) and the view
  // published with them.
  void Apply(absl::Span<const Record> records, std::shared_ptr<const ReadView> view);

  // Fills `found` for `codes` (valid subject codes) as of the returned view, judging each entry
  // in force on `today`. Null while the index is not filled yet (or its fill failed): read
  // storage then.
  std::shared_ptr<const ReadView> Read(absl::Span<const absl::string_view> codes,
                                       absl::CivilDay today, Found* found) const;

  // Waits up to `timeout` for the first fill to end; whether the index is ready.
  bool AwaitReady(absl::Duration timeout) const;
  // Why the fill failed; OK while it runs or once it succeeded.
  absl::Status fill_status() const;
  Figures figures() const;
  // The memory the table and the arena hold; without waiting for the lock.
  uint64_t MemoryBytes() const { return memory_bytes_.load(std::memory_order_relaxed); }

  // The packed form of a code, or false when `code` is not 18 characters of the alphabet.
  struct Key {
    uint64_t low = 0;
    uint32_t high = 0;
  };
  static bool Pack(absl::string_view code, Key* key);

 private:
  struct Slot {
    uint64_t low;
    uint32_t high;
    uint32_t ref;
  };
  struct Shard {
    PageMemory memory;
    size_t size = 0;  // slots
    uint64_t used = 0;
    Slot* slots() const { return reinterpret_cast<Slot*>(memory.data()); }
  };
  static constexpr uint32_t kEmpty = 0xFFFFFFFF;
  static constexpr uint32_t kFromStorage = 0xFFFFFFFE;
  static constexpr int kChunkBits = 21;
  static constexpr uint32_t kChunkBytes = uint32_t{1} << kChunkBits;
  // References at or above the first special value are not arena positions.
  static constexpr size_t kMaxChunks = kFromStorage >> kChunkBits;
  static constexpr int kShardBits = 4;
  static constexpr size_t kShards = size_t{1} << kShardBits;
  static constexpr size_t kLeastShardSlots = PageMemory::kPageBytes / sizeof(Slot);

  void Fill(Store* store, std::shared_ptr<const ReadView> view,
            const std::function<void()>& on_filled);
  // Puts one stored record (the caller holds mu_ alone, or the index is not ready yet).
  void Put(absl::string_view code, absl::string_view record);
  // The packed record, or nullopt when it cannot be held exactly.
  std::optional<std::string> Encode(absl::string_view record);
  // Appends `packed` with its length in front; its reference.
  uint32_t Append(absl::string_view packed);
  // The record at `ref`, its length in front.
  static absl::string_view StoredAt(const std::vector<PageMemory>& chunks, uint32_t ref);
  // `key`'s shard, and where its probe starts in a shard of `size` slots, by its hash.
  Shard& ShardOf(uint64_t hash) { return shards_[hash >> (64 - kShardBits)]; }
  const Shard& ShardOf(uint64_t hash) const { return shards_[hash >> (64 - kShardBits)]; }
  static size_t Home(uint64_t hash, size_t size);
  // The slot holding `key` (of hash `hash`) in `shard`, or the empty one where it would go.
  static Slot* Find(Shard& shard, uint64_t hash, const Key& key);
  static const Slot* Find(const Shard& shard, uint64_t hash, const Key& key);
  void Grow(Shard& shard);
  // Summed over the shards: their slots, and those used (the subjects held).
  uint64_t TableSlots() const;
  uint64_t UsedSlots() const;
  // Every shard emptied to at least `slots_each` slots.
  void ResetShards(size_t slots_each);
  // `shard` given a table of at least `slots` empty slots (whole pages of them).
  static void Allocate(Shard& shard, size_t slots);
  void CountMemory();
  void Clear();
  void CompactIfWasteful();
  // Decodes the packed record at `ref`: its last change, and its entries' parts in force on
  // `today` (a day's number) added to `parts`.
  void Decode(uint32_t ref, uint32_t today, std::optional<uint64_t>* last_change,
              std::vector<registry_internal::StatusPartView>* parts) const;

  const uint64_t min_compaction_bytes_;
  mutable absl::Mutex mu_;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status fill_status_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const ReadView> view_ ABSL_GUARDED_BY(mu_);
  // Groups applied while the fill runs: applied after it, in order.
  std::vector<std::pair<std::vector<Record>, std::shared_ptr<const ReadView>>> queued_
      ABSL_GUARDED_BY(mu_);

  // The structure. Written by the fill thread alone until ready_, then under mu_ held alone.
  std::vector<Shard> shards_ = std::vector<Shard>(kShards);
  std::vector<PageMemory> chunks_;
  uint32_t chunk_end_ = 0;  // bytes used in the last chunk
  uint64_t live_bytes_ = 0;
  uint64_t dead_bytes_ = 0;
  // Codes that cannot be packed, each read from storage.
  absl::flat_hash_set<std::string> unpacked_codes_;
  // Every measure code seen, by index; never shrinks (a deque: its strings never move).
  std::deque<std::string> measure_codes_;
  absl::flat_hash_map<std::string, uint32_t> measure_numbers_;

  bool loaded_ = false;

  std::atomic<uint64_t> memory_bytes_{0};
  std::atomic<bool> stopping_{false};
  std::thread filler_;
};

}  // namespace credit

#endif  // CREDIT_SERVICE_REGISTRY_STATUS_INDEX_H_
