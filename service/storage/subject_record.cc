#include "service/storage/subject_record.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/encoding/big_endian.h"

namespace credit {
namespace {

void PutVarint32(uint32_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint32(absl::string_view* in, uint32_t* v) {
  uint32_t result = 0;
  for (int shift = 0; shift <= 28 && !in->empty(); shift += 7) {
    auto byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    result |= static_cast<uint32_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

absl::Status Corrupt(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("subject record: ", why));
}

}  // namespace

void SubjectRecord::Set(uint64_t id, const std::string* entry_bytes) {
  auto it = std::lower_bound(active.begin(), active.end(), id,
                             [](const Item& item, uint64_t want) { return item.id < want; });
  bool present = it != active.end() && it->id == id;
  if (entry_bytes == nullptr) {
    if (present) active.erase(it);
  } else if (present) {
    it->entry = *entry_bytes;
  } else {
    active.insert(it, Item{id, *entry_bytes});
  }
}

std::string SubjectRecord::Encode() const {
  std::string out = BigEndian64(last_change.has_value() ? *last_change + 1 : 0);
  for (const Item& item : active) {
    out += BigEndian64(item.id);
    PutVarint32(static_cast<uint32_t>(item.entry.size()), &out);
    out += item.entry;
  }
  return out;
}

absl::StatusOr<SubjectRecordView> DecodeSubjectRecord(absl::string_view bytes) {
  if (bytes.size() < 8) return Corrupt("shorter than its 8-byte header");
  SubjectRecordView view;
  if (uint64_t last = ReadBigEndian64(bytes); last != 0) view.last_change = last - 1;
  bytes.remove_prefix(8);
  while (!bytes.empty()) {
    if (bytes.size() < 8) return Corrupt("an entry id is cut short");
    uint64_t id = ReadBigEndian64(bytes);
    bytes.remove_prefix(8);
    uint32_t length = 0;
    if (!GetVarint32(&bytes, &length) || length > bytes.size()) {
      return Corrupt(absl::StrCat("entry ", id, " is cut short"));
    }
    if (!view.active.empty() && view.active.back().id >= id) {
      return Corrupt(absl::StrCat("entry ", id, " is out of order"));
    }
    view.active.push_back({id, bytes.substr(0, length)});
    bytes.remove_prefix(length);
  }
  return view;
}

absl::StatusOr<SubjectRecord> ParseSubjectRecord(absl::string_view bytes) {
  absl::StatusOr<SubjectRecordView> view = DecodeSubjectRecord(bytes);
  if (!view.ok()) return view.status();
  SubjectRecord record;
  record.last_change = view->last_change;
  record.active.reserve(view->active.size());
  for (const auto& item : view->active) record.active.push_back({item.id, std::string(item.entry)});
  return record;
}

}  // namespace credit
