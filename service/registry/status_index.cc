#include "service/registry/status_index.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "service/events/event_log.h"
#include "service/storage/subject_record.h"

namespace credit {
namespace {

using registry_internal::StatusPartView;

constexpr absl::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr uint8_t kNotInAlphabet = 0xFF;
constexpr size_t kCodeLength = 18;

constexpr std::array<uint8_t, 256> MakeSymbols() {
  std::array<uint8_t, 256> symbols{};
  for (uint8_t& s : symbols) s = kNotInAlphabet;
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    symbols[static_cast<unsigned char>(kAlphabet[i])] = static_cast<uint8_t>(i);
  }
  return symbols;
}
constexpr std::array<uint8_t, 256> kSymbols = MakeSymbols();
__extension__ using Uint128 = unsigned __int128;  // GCC's; -Wpedantic asks to say so

uint64_t Mix(const StatusIndex::Key& key) {
  uint64_t h = key.low * 0x9E3779B97F4A7C15ull;
  h ^= (h >> 32) ^ (uint64_t{key.high} * 0xC2B2AE3D27D4EB4Full);
  h *= 0xD6E8FEB86659FD93ull;
  return h ^ (h >> 32);
}

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// The arena holds only what PutVarint wrote.
uint64_t GetVarint(const char*& p) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    auto byte = static_cast<uint8_t>(*p++);
    v |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) return v;
  }
}

uint32_t DayKey(int64_t year, int month, int day) {
  return static_cast<uint32_t>(year) * 512 + static_cast<uint32_t>(month) * 32 +
         static_cast<uint32_t>(day);
}

// "YYYY-MM-DD" as a number ordered as the texts are, or nullopt for any other text (months above
// 15 and days above 31 included: they would not keep the order).
std::optional<uint32_t> DayKey(absl::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return std::nullopt;
  int digits[8];
  int n = 0;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (date[i] < '0' || date[i] > '9') return std::nullopt;
    digits[n++] = date[i] - '0';
  }
  const int year = digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3];
  const int month = digits[4] * 10 + digits[5];
  const int day = digits[6] * 10 + digits[7];
  if (month > 15 || day > 31) return std::nullopt;
  return DayKey(year, month, day);
}

void PutDay(uint32_t key, std::string* out) {
  out->push_back(static_cast<char>(key >> 16));
  out->push_back(static_cast<char>(key >> 8));
  out->push_back(static_cast<char>(key));
}

uint32_t GetDay(const char*& p) {
  auto byte = [&p] { return static_cast<uint32_t>(static_cast<uint8_t>(*p++)); };
  uint32_t key = byte() << 16;
  key |= byte() << 8;
  return key | byte();
}

}  // namespace

bool StatusIndex::Pack(absl::string_view code, Key* key) {
  if (code.size() != kCodeLength) return false;
  key->low = 0;
  key->high = 0;
  for (size_t i = 0; i < kCodeLength; ++i) {
    const uint8_t symbol = kSymbols[static_cast<unsigned char>(code[i])];
    if (symbol == kNotInAlphabet) return false;
    if (i < 12) {
      key->low = key->low << 5 | symbol;
    } else {
      key->high = key->high << 5 | symbol;
    }
  }
  return true;
}

StatusIndex::~StatusIndex() {
  stopping_ = true;
  if (filler_.joinable()) filler_.join();
}

void StatusIndex::StartFill(Store* store, std::shared_ptr<const ReadView> view,
                            std::function<void()> on_filled) {
  filler_ = std::thread([this, store, view = std::move(view), on_filled = std::move(on_filled)] {
    Fill(store, view, on_filled);
  });
}

void StatusIndex::Fill(Store* store, std::shared_ptr<const ReadView> view,
                       const std::function<void()>& on_filled) {
  const absl::Time start = absl::Now();
  // Sized for the subjects stored, at most 75 % full (a table grown by quarters lands anywhere
  // from 64 to 80 % full).
  const uint64_t expected = store->EstimateSubjectRecords() / kShards;
  ResetShards(std::max<uint64_t>(kLeastShardSlots, expected + expected / 3));
  absl::Status status = store->ScanSubjectRecords(
      view->snapshot.get(), [&](absl::string_view code, absl::string_view record) {
        Put(code, record);
        return !stopping_;
      });
  if (status.ok() && stopping_) status = absl::CancelledError("the registry is closing");
  absl::MutexLock lock(&mu_);
  if (!status.ok()) {
    fill_status_ = status;
    queued_.clear();
    if (!stopping_) {
      LogEvent(EventLevel::kError, "status_index_failed",
               absl::StrCat("the in-memory status index could not be filled (status answers keep "
                            "reading storage): ",
                            status.ToString()));
    }
    return;
  }
  view_ = std::move(view);
  for (auto& [records, group_view] : queued_) {
    for (const Record& record : records) Put(record.first, record.second);
    view_ = std::move(group_view);
  }
  queued_.clear();
  queued_.shrink_to_fit();
  if (on_filled) on_filled();
  ready_ = true;
  LogEvent(EventLevel::kInfo, "status_index_ready",
           absl::StrCat("in-memory status index filled: ", UsedSlots(), " subjects, ",
                        memory_bytes_.load() >> 20, " MiB, in ",
                        absl::FormatDuration(absl::Now() - start)));
}

void StatusIndex::Apply(absl::Span<const Record> records, std::shared_ptr<const ReadView> view) {
  absl::MutexLock lock(&mu_);
  if (!ready_) {
    if (fill_status_.ok())
      queued_.emplace_back(std::vector<Record>(records.begin(), records.end()), std::move(view));
    return;
  }
  for (const Record& record : records) Put(record.first, record.second);
  view_ = std::move(view);
}

bool StatusIndex::AwaitReady(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ready_ || !fill_status_.ok(); };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  return ready_;
}

absl::Status StatusIndex::fill_status() const {
  absl::ReaderMutexLock lock(&mu_);
  return fill_status_;
}

StatusIndex::Figures StatusIndex::figures() const {
  absl::ReaderMutexLock lock(&mu_);
  Figures figures;
  figures.ready = ready_;
  if (!ready_) return figures;  // the fill thread owns the structure until then
  figures.subjects = UsedSlots();
  figures.table_bytes = TableSlots() * sizeof(Slot);
  figures.arena_bytes = uint64_t{chunks_.size()} * kChunkBytes;
  figures.live_bytes = live_bytes_;
  figures.loaded = loaded_;
  return figures;
}

std::optional<std::string> StatusIndex::Encode(absl::string_view record) {
  absl::StatusOr<SubjectRecordView> view = DecodeSubjectRecord(record);
  if (!view.ok()) return std::nullopt;
  std::string out;
  PutVarint(view->last_change.has_value() ? *view->last_change + 1 : 0, &out);
  PutVarint(view->active.size(), &out);
  uint64_t previous = 0;
  StatusPartView part;
  for (const SubjectRecordView::Item& item : view->active) {
    if (!registry_internal::ReadStatusPart(item.entry, item.id, &part).ok()) return std::nullopt;
    std::optional<uint32_t> effective = DayKey(part.effective_date);
    std::optional<uint32_t> expiry = DayKey(part.expiry_date);
    if (!effective.has_value() || !expiry.has_value()) return std::nullopt;
    PutVarint(item.id - previous, &out);  // ids ascend (DecodeSubjectRecord checks)
    previous = item.id;
    PutVarint(static_cast<uint32_t>(part.list), &out);
    PutVarint(static_cast<uint32_t>(part.status), &out);
    PutDay(*effective, &out);
    PutDay(*expiry, &out);
    PutVarint(part.measure_codes.size(), &out);
    for (absl::string_view code : part.measure_codes) {
      auto [it, added] = measure_numbers_.try_emplace(code, measure_codes_.size());
      if (added) measure_codes_.emplace_back(code);
      PutVarint(it->second, &out);
    }
  }
  return out;
}

uint32_t StatusIndex::Append(absl::string_view packed) {
  std::string length;
  PutVarint(packed.size(), &length);
  const size_t size = length.size() + packed.size();
  if (chunks_.empty() || chunk_end_ + size > kChunkBytes) {
    if (chunks_.size() == kMaxChunks) return kFromStorage;
    chunks_.emplace_back(kChunkBytes);
    chunk_end_ = 0;
    CountMemory();
  }
  const uint32_t ref = static_cast<uint32_t>((chunks_.size() - 1) << kChunkBits) | chunk_end_;
  char* at = chunks_.back().data() + chunk_end_;
  std::memcpy(at, length.data(), length.size());
  std::memcpy(at + length.size(), packed.data(), packed.size());
  chunk_end_ += static_cast<uint32_t>(size);
  live_bytes_ += size;
  return ref;
}

absl::string_view StatusIndex::StoredAt(const std::vector<PageMemory>& chunks, uint32_t ref) {
  const char* start = chunks[ref >> kChunkBits].data() + (ref & (kChunkBytes - 1));
  const char* p = start;
  const uint64_t length = GetVarint(p);
  return absl::string_view(start, static_cast<size_t>(p - start) + length);
}

size_t StatusIndex::Home(uint64_t hash, size_t size) {
  // The bits below the shard's, mapped onto the shard by multiplying: any size will do.
  return static_cast<size_t>((static_cast<Uint128>(hash << kShardBits) * size) >> 64);
}

StatusIndex::Slot* StatusIndex::Find(Shard& shard, uint64_t hash, const Key& key) {
  const size_t size = shard.size;
  Slot* slots = shard.slots();
  for (size_t i = Home(hash, size);; i = i + 1 == size ? 0 : i + 1) {
    Slot& slot = slots[i];
    if (slot.ref == kEmpty || (slot.low == key.low && slot.high == key.high)) return &slot;
  }
}

const StatusIndex::Slot* StatusIndex::Find(const Shard& shard, uint64_t hash, const Key& key) {
  return Find(const_cast<Shard&>(shard), hash, key);
}

void StatusIndex::Allocate(Shard& shard, size_t slots) {
  shard.memory = PageMemory(slots * sizeof(Slot));
  shard.size = shard.memory.size() / sizeof(Slot);
  std::fill_n(shard.slots(), shard.size, Slot{0, 0, kEmpty});
}

void StatusIndex::Grow(Shard& shard) {
  Shard old = std::move(shard);
  Allocate(shard, old.size + old.size / 4);
  shard.used = old.used;
  for (const Slot& slot : absl::MakeConstSpan(old.slots(), old.size)) {
    if (slot.ref == kEmpty) continue;
    const Key key{slot.low, slot.high};
    *Find(shard, Mix(key), key) = slot;
  }
  CountMemory();
}

void StatusIndex::ResetShards(size_t slots_each) {
  for (Shard& shard : shards_) {
    Allocate(shard, slots_each);
    shard.used = 0;
  }
  CountMemory();
}

uint64_t StatusIndex::TableSlots() const {
  uint64_t slots = 0;
  for (const Shard& shard : shards_) slots += shard.size;
  return slots;
}

uint64_t StatusIndex::UsedSlots() const {
  uint64_t used = 0;
  for (const Shard& shard : shards_) used += shard.used;
  return used;
}

void StatusIndex::CountMemory() {
  memory_bytes_ = TableSlots() * sizeof(Slot) + uint64_t{chunks_.size()} * kChunkBytes;
}

void StatusIndex::Put(absl::string_view code, absl::string_view record) {
  Key key;
  if (!Pack(code, &key)) {
    unpacked_codes_.emplace(code);
    return;
  }
  const uint64_t hash = Mix(key);
  Shard& shard = ShardOf(hash);
  if ((shard.used + 1) * 5 > shard.size * 4) Grow(shard);
  Slot* slot = Find(shard, hash, key);
  if (slot->ref == kEmpty) {
    slot->low = key.low;
    slot->high = key.high;
    ++shard.used;
  } else if (slot->ref != kFromStorage) {
    const size_t size = StoredAt(chunks_, slot->ref).size();
    live_bytes_ -= size;
    dead_bytes_ += size;
  }
  std::optional<std::string> packed = Encode(record);
  slot->ref =
      packed.has_value() && packed->size() < kChunkBytes / 2 ? Append(*packed) : kFromStorage;
  CompactIfWasteful();
}

void StatusIndex::CompactIfWasteful() {
  if (dead_bytes_ < min_compaction_bytes_ || dead_bytes_ < live_bytes_) return;
  std::vector<PageMemory> old;
  old.swap(chunks_);
  chunk_end_ = 0;
  live_bytes_ = 0;
  dead_bytes_ = 0;
  for (Shard& shard : shards_) {
    for (Slot& slot : absl::MakeSpan(shard.slots(), shard.size)) {
      if (slot.ref >= kFromStorage) continue;
      absl::string_view stored = StoredAt(old, slot.ref);
      const char* p = stored.data();
      GetVarint(p);  // the length, written again by Append
      slot.ref = Append(absl::string_view(p, stored.size() - (p - stored.data())));
    }
  }
  CountMemory();
}

void StatusIndex::Decode(uint32_t ref, uint32_t today, std::optional<uint64_t>* last_change,
                         std::vector<StatusPartView>* parts) const {
  const char* p = StoredAt(chunks_, ref).data();
  GetVarint(p);
  const uint64_t last = GetVarint(p);
  if (last != 0) *last_change = last - 1;
  const uint64_t count = GetVarint(p);
  uint64_t id = 0;
  for (uint64_t i = 0; i < count; ++i) {
    id += GetVarint(p);
    const auto list = static_cast<v1::ListKind>(GetVarint(p));
    const auto status = static_cast<v1::EntryStatus>(GetVarint(p));
    const uint32_t effective = GetDay(p);
    const uint32_t expiry = GetDay(p);
    const uint64_t measures = GetVarint(p);
    // registry_internal::InForce, on the dates' numbers.
    const bool in_force =
        registry_internal::PartStateInForce(status) && effective <= today && today <= expiry;
    if (!in_force) {
      for (uint64_t m = 0; m < measures; ++m) GetVarint(p);
      continue;
    }
    StatusPartView& part = parts->emplace_back();
    part.id = id;
    part.list = list;
    part.status = status;
    for (uint64_t m = 0; m < measures; ++m)
      part.measure_codes.push_back(measure_codes_[GetVarint(p)]);
  }
}

std::shared_ptr<const StatusIndex::ReadView> StatusIndex::Read(
    absl::Span<const absl::string_view> codes, absl::CivilDay today, Found* found) const {
  found->parts.clear();
  found->begins.resize(codes.size() + 1);
  found->last_changes.assign(codes.size(), std::nullopt);
  found->needs_storage = false;
  if (today.year() < 0 || today.year() > 9999) return nullptr;
  const uint32_t today_key = DayKey(today.year(), today.month(), today.day());
  thread_local std::vector<Key> keys;
  thread_local std::vector<uint64_t> hashes;
  thread_local std::vector<bool> packed;
  keys.resize(codes.size());
  hashes.resize(codes.size());
  packed.resize(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) {
    packed[i] = Pack(codes[i], &keys[i]);
    hashes[i] = Mix(keys[i]);
  }

  absl::ReaderMutexLock lock(&mu_);
  if (!ready_) return nullptr;
  // A batch's slots are fetched from memory together, then its records.
  if (codes.size() > 1) {
    for (size_t i = 0; i < codes.size(); ++i) {
      const Shard& shard = ShardOf(hashes[i]);
      if (packed[i]) __builtin_prefetch(&shard.slots()[Home(hashes[i], shard.size)]);
    }
  }
  thread_local std::vector<uint32_t> refs;
  refs.resize(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) {
    if (!packed[i]) {
      refs[i] = unpacked_codes_.contains(codes[i]) ? kFromStorage : kEmpty;
    } else {
      refs[i] = Find(ShardOf(hashes[i]), hashes[i], keys[i])->ref;
    }
    if (refs[i] < kFromStorage && codes.size() > 1) {
      __builtin_prefetch(chunks_[refs[i] >> kChunkBits].data() + (refs[i] & (kChunkBytes - 1)));
    }
  }
  for (size_t i = 0; i < codes.size(); ++i) {
    found->begins[i] = static_cast<uint32_t>(found->parts.size());
    if (refs[i] == kFromStorage) {
      found->needs_storage = true;
    } else if (refs[i] != kEmpty) {
      Decode(refs[i], today_key, &found->last_changes[i], &found->parts);
    }
  }
  found->begins[codes.size()] = static_cast<uint32_t>(found->parts.size());
  return view_;
}

}  // namespace credit
