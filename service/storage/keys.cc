#include "service/storage/keys.h"

#include "absl/strings/str_cat.h"

namespace credit::keys {

std::string U64(uint64_t value) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
  return out;
}

uint64_t ReadU64(absl::string_view bytes) {
  if (bytes.size() < 8) return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[i]);
  return v;
}

std::string SubjectItem(absl::string_view subject_code, uint64_t id) {
  return absl::StrCat(subject_code, U64(id));
}

uint64_t SubjectItemId(absl::string_view key) {
  return key.size() < 8 ? 0 : ReadU64(key.substr(key.size() - 8));
}

std::string Request(absl::string_view identity, absl::string_view request_id) {
  return absl::StrCat(identity, absl::string_view("\0", 1), request_id);
}

std::string TreeNode(int level, uint64_t index) {
  return absl::StrCat(std::string(1, static_cast<char>(level)), U64(index));
}

}  // namespace credit::keys
