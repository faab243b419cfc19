#include "common/querylog/query_record_hash.h"

#include "common/proto/deterministic.h"

namespace credit {

Hash256 QueryRecordHash(const registry::v1::QueryRecord& record) {
  registry::v1::QueryRecord copy = record;
  copy.clear_hash();
  static constexpr char kLeaf = 0x00;
  return Sha256({absl::string_view(&kLeaf, 1), SerializeDeterministic(copy)});
}

}  // namespace credit
