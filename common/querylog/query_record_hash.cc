#include "common/querylog/query_record_hash.h"

#include <cstring>

#include "common/proto/deterministic.h"

namespace credit {
namespace {

constexpr char kLeaf = 0x00;
// Wire-format tags: (field number << 3) | wire type.
constexpr char kSequenceTag = (1 << 3) | 0;      // varint
constexpr char kPreviousHashTag = (7 << 3) | 2;  // length-delimited

}  // namespace

Hash256 QueryRecordHash(const registry::v1::QueryRecord& record) {
  if (record.hash().empty()) {
    return Sha256({absl::string_view(&kLeaf, 1), SerializeDeterministic(record)});
  }
  registry::v1::QueryRecord copy = record;
  copy.clear_hash();
  return Sha256({absl::string_view(&kLeaf, 1), SerializeDeterministic(copy)});
}

QueryRecordPieces::QueryRecordPieces(uint64_t sequence, absl::string_view body,
                                     const Hash256& previous_hash)
    : body_(body) {
  if (sequence != 0) {
    sequence_[sequence_size_++] = kSequenceTag;
    for (; sequence >= 0x80; sequence >>= 7) {
      sequence_[sequence_size_++] = static_cast<char>((sequence & 0x7F) | 0x80);
    }
    sequence_[sequence_size_++] = static_cast<char>(sequence);
  }
  previous_hash_[0] = kPreviousHashTag;
  previous_hash_[1] = static_cast<char>(previous_hash.size());
  std::memcpy(previous_hash_ + 2, previous_hash.data(), previous_hash.size());
}

std::array<absl::string_view, 3> QueryRecordPieces::Bytes() const {
  return {absl::string_view(sequence_, sequence_size_), body_,
          absl::string_view(previous_hash_, sizeof previous_hash_)};
}

Hash256 QueryRecordPieces::Hash() const {
  auto [sequence, body, previous_hash] = Bytes();
  return Sha256({absl::string_view(&kLeaf, 1), sequence, body, previous_hash});
}

}  // namespace credit
