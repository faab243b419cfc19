// Key layouts of the column families (store.h). Integers are big-endian so that byte order is
// numeric order and range scans run in id or sequence order. Subject codes are always the
// 18 validated characters, so a subject's keys share an 18-byte prefix.
#ifndef CREDIT_SERVICE_STORAGE_KEYS_H_
#define CREDIT_SERVICE_STORAGE_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "service/storage/store.h"

namespace credit::keys {

std::string U64(uint64_t value);
// Reads a big-endian integer from the first 8 bytes; 0 when `bytes` is shorter.
uint64_t ReadU64(absl::string_view bytes);

// subject_entries and subject_changes: code + big-endian id or sequence.
std::string SubjectItem(absl::string_view subject_code, uint64_t id);
// The id or sequence at the end of a SubjectItem key.
uint64_t SubjectItemId(absl::string_view key);

// requests: identity + 0x00 + request id. Identities never contain 0x00.
std::string Request(absl::string_view identity, absl::string_view request_id);

// deadlines: the 10-character date + big-endian entry id; dates sort as days do.
std::string Deadline(absl::string_view date, uint64_t id);
inline constexpr size_t kDateChars = 10;

// decisions: subject code + list byte + length-prefixed authority + document number.
std::string Decision(absl::string_view subject_code, int list, absl::string_view authority,
                     absl::string_view document_number);

// feedback: big-endian entry id + measure code + 0x00 + department (codes never hold 0x00).
std::string Feedback(uint64_t entry_id, absl::string_view measure_code,
                     absl::string_view department);

// names: folded name + 0x00 + subject code (folded names hold no 0x00).
std::string Name(absl::string_view folded, absl::string_view code);

// tree_nodes: one byte level + big-endian index. Stored are the leaves (level 0) and the levels
// from kUpperTreeLevel up. A node in between covers at most 16 leaves, which lie in one or two
// data blocks: a proof hashes it from them, so storing it would buy nothing but writes
// (docs/performance.md, "Proofs").
inline constexpr int kUpperTreeLevel = kLowestStoredUpperTreeLevel;
constexpr bool IsStoredTreeLevel(int level) { return level == 0 || level >= kUpperTreeLevel; }
std::string TreeNode(int level, uint64_t index);

}  // namespace credit::keys

#endif  // CREDIT_SERVICE_STORAGE_KEYS_H_
