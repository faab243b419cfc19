#include "service/storage/keys.h"

#include "absl/strings/str_cat.h"
#include "common/encoding/big_endian.h"

namespace credit::keys {

std::string U64(uint64_t value) { return BigEndian64(value); }

uint64_t ReadU64(absl::string_view bytes) { return ReadBigEndian64(bytes); }

std::string SubjectItem(absl::string_view subject_code, uint64_t id) {
  return absl::StrCat(subject_code, U64(id));
}

uint64_t SubjectItemId(absl::string_view key) {
  return key.size() < 8 ? 0 : ReadU64(key.substr(key.size() - 8));
}

std::string Request(absl::string_view identity, absl::string_view request_id) {
  return absl::StrCat(identity, absl::string_view("\0", 1), request_id);
}

std::string Deadline(absl::string_view date, uint64_t id) { return absl::StrCat(date, U64(id)); }

std::string Feedback(uint64_t entry_id, absl::string_view measure_code,
                     absl::string_view department) {
  return absl::StrCat(U64(entry_id), measure_code, absl::string_view("\0", 1), department);
}

std::string Name(absl::string_view folded, absl::string_view code) {
  return absl::StrCat(folded, absl::string_view("\0", 1), code);
}

std::string Decision(absl::string_view subject_code, int list, absl::string_view authority,
                     absl::string_view document_number) {
  const uint32_t size = static_cast<uint32_t>(authority.size());
  const char prefix[5] = {static_cast<char>(list), static_cast<char>(size >> 24),
                          static_cast<char>(size >> 16), static_cast<char>(size >> 8),
                          static_cast<char>(size)};
  return absl::StrCat(subject_code, absl::string_view(prefix, 5), authority, document_number);
}

std::string TreeNode(int level, uint64_t index) {
  return absl::StrCat(std::string(1, static_cast<char>(level)), U64(index));
}

}  // namespace credit::keys
