#include "common/changelog/change_record.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/encoding/big_endian.h"

namespace credit {
namespace {

constexpr size_t kFixedSize = 1 + 8 + 8 + 1 + 1 + 32;

void PutBytes(std::string* out, absl::string_view bytes) {
  auto n = static_cast<uint32_t>(bytes.size());
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(n >> shift));
  out->append(bytes.data(), bytes.size());
}

class Reader {
 public:
  explicit Reader(absl::string_view bytes) : rest_(bytes) {}

  bool U8(uint8_t* v) {
    if (rest_.empty()) return false;
    *v = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return true;
  }
  bool U64(uint64_t* v) {
    if (rest_.size() < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) *v = (*v << 8) | static_cast<uint8_t>(rest_[i]);
    rest_.remove_prefix(8);
    return true;
  }
  bool Fixed(uint8_t* out, size_t n) {
    if (rest_.size() < n) return false;
    std::memcpy(out, rest_.data(), n);
    rest_.remove_prefix(n);
    return true;
  }
  bool Bytes(absl::string_view* out) {
    if (rest_.size() < 4) return false;
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<uint8_t>(rest_[i]);
    rest_.remove_prefix(4);
    if (rest_.size() < n) return false;
    *out = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return true;
  }
  bool AtEnd() const { return rest_.empty(); }

 private:
  absl::string_view rest_;
};

}  // namespace

RecordNonce NewRecordNonce() {
  RecordNonce nonce;
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) std::abort();
  return nonce;
}

std::string EncodeChangeRecord(const ChangeRecord& r) {
  const bool with_nonce = r.version != kChangeRecordVersionWithoutNonce;
  std::string out;
  out.reserve(kFixedSize + (with_nonce ? r.nonce.size() : 0) + 6 * 4 + r.actor_identity.size() +
              r.actor_department.size() + r.reason.size() + r.request_id.size() + r.before.size() +
              r.after.size());
  out.push_back(static_cast<char>(with_nonce ? kChangeRecordVersion : r.version));
  AppendBigEndian64(&out, r.sequence);
  AppendBigEndian64(&out, static_cast<uint64_t>(r.time_micros));
  out.push_back(static_cast<char>(r.operation));
  out.push_back(static_cast<char>(r.object_type));
  out.append(reinterpret_cast<const char*>(r.previous_hash.data()), r.previous_hash.size());
  if (with_nonce) out.append(reinterpret_cast<const char*>(r.nonce.data()), r.nonce.size());
  PutBytes(&out, r.actor_identity);
  PutBytes(&out, r.actor_department);
  PutBytes(&out, r.reason);
  PutBytes(&out, r.request_id);
  PutBytes(&out, r.before);
  PutBytes(&out, r.after);
  return out;
}

absl::StatusOr<ChangeRecordView> DecodeChangeRecordView(absl::string_view bytes) {
  Reader in(bytes);
  ChangeRecordView r;
  uint8_t version = 0;
  if (!in.U8(&version)) return absl::DataLossError("change record: empty");
  if (version != kChangeRecordVersion && version != kChangeRecordVersionWithoutNonce) {
    return absl::DataLossError(absl::StrCat("change record: version ", version, ", want ",
                                            kChangeRecordVersionWithoutNonce, " or ",
                                            kChangeRecordVersion));
  }
  r.version = version;
  uint64_t time = 0;
  uint8_t object_type = 0;
  if (!in.U64(&r.sequence) || !in.U64(&time) || !in.U8(&r.operation) || !in.U8(&object_type) ||
      !in.Fixed(r.previous_hash.data(), r.previous_hash.size()) ||
      (version == kChangeRecordVersion && !in.Fixed(r.nonce.data(), r.nonce.size()))) {
    return absl::DataLossError("change record: truncated header");
  }
  r.time_micros = static_cast<int64_t>(time);
  if (object_type < static_cast<uint8_t>(ObjectType::kEntry) ||
      object_type > static_cast<uint8_t>(ObjectType::kFeedback)) {
    return absl::DataLossError(
        absl::StrCat("change record: object type ", object_type, ", want 1, 2 or 3"));
  }
  r.object_type = static_cast<ObjectType>(object_type);
  if (!in.Bytes(&r.actor_identity) || !in.Bytes(&r.actor_department) || !in.Bytes(&r.reason) ||
      !in.Bytes(&r.request_id) || !in.Bytes(&r.before) || !in.Bytes(&r.after)) {
    return absl::DataLossError("change record: truncated field");
  }
  if (!in.AtEnd()) return absl::DataLossError("change record: trailing bytes");
  return r;
}

absl::StatusOr<ChangeRecord> DecodeChangeRecord(absl::string_view bytes) {
  absl::StatusOr<ChangeRecordView> view = DecodeChangeRecordView(bytes);
  if (!view.ok()) return view.status();
  return ChangeRecord{view->version,
                      view->sequence,
                      view->time_micros,
                      view->operation,
                      view->object_type,
                      view->previous_hash,
                      view->nonce,
                      std::string(view->actor_identity),
                      std::string(view->actor_department),
                      std::string(view->reason),
                      std::string(view->request_id),
                      std::string(view->before),
                      std::string(view->after)};
}

Hash256 ChangeRecordHash(absl::string_view encoded) {
  static constexpr char kLeafPrefix[1] = {0x00};
  return Sha256({absl::string_view(kLeafPrefix, 1), encoded});
}

}  // namespace credit
