#include "common/querylog/query_record_hash.h"

#include <cstring>

#include "common/proto/deterministic.h"
#include "google/protobuf/io/coded_stream.h"

namespace credit {
namespace {

constexpr char kLeaf = 0x00;
// Wire-format tags: (field number << 3) | wire type.
constexpr uint32_t kSequenceTag = (1 << 3) | 0;      // varint
constexpr uint32_t kPreviousHashTag = (7 << 3) | 2;  // length-delimited
// Field 9 (varint) set to true: its tag, then 1.
constexpr char kUnmasked[] = {static_cast<char>((9 << 3) | 0), 1};

}  // namespace

Hash256 QueryRecordHash(const registry::v1::QueryRecord& record) {
  // A copy without the hash only when there is one to leave out (records the writer chains have
  // none).
  const registry::v1::QueryRecord* unhashed = &record;
  registry::v1::QueryRecord copy;
  if (!record.hash().empty()) {
    copy = record;
    copy.clear_hash();
    unhashed = &copy;
  }
  return Sha256({absl::string_view(&kLeaf, 1), SerializeDeterministic(*unhashed)});
}

QueryRecordPieces::QueryRecordPieces(uint64_t sequence, absl::string_view body,
                                     const Hash256& previous_hash, bool unmasked)
    : body_(body), unmasked_(unmasked) {
  using google::protobuf::io::CodedOutputStream;
  if (sequence != 0) {
    auto* start = reinterpret_cast<uint8_t*>(sequence_);
    uint8_t* end = CodedOutputStream::WriteTagToArray(kSequenceTag, start);
    end = CodedOutputStream::WriteVarint64ToArray(sequence, end);
    sequence_size_ = static_cast<size_t>(end - start);
  }
  auto* end = reinterpret_cast<uint8_t*>(previous_hash_);
  end = CodedOutputStream::WriteTagToArray(kPreviousHashTag, end);
  end = CodedOutputStream::WriteVarint32ToArray(previous_hash.size(), end);
  std::memcpy(end, previous_hash.data(), previous_hash.size());
}

std::array<absl::string_view, 4> QueryRecordPieces::Bytes() const {
  return {absl::string_view(sequence_, sequence_size_), body_,
          absl::string_view(previous_hash_, sizeof previous_hash_),
          unmasked_ ? absl::string_view(kUnmasked, sizeof kUnmasked) : absl::string_view()};
}

Hash256 QueryRecordPieces::Hash() const {
  auto [sequence, body, previous_hash, unmasked] = Bytes();
  return Sha256({absl::string_view(&kLeaf, 1), sequence, body, previous_hash, unmasked});
}

}  // namespace credit
