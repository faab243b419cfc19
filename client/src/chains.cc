#include "credit/chains.h"

#include "absl/strings/str_cat.h"
#include "common/changelog/change_record.h"
#include "common/querylog/query_record_hash.h"

namespace credit {
namespace {

absl::Status Bad(absl::string_view what, uint64_t n, absl::string_view why) {
  return absl::DataLossError(absl::StrCat(what, " ", n, ": ", why));
}

}  // namespace

absl::Status ChangeChain::Add(absl::string_view record) {
  absl::StatusOr<ChangeRecordView> decoded = DecodeChangeRecordView(record);
  if (!decoded.ok()) return Bad("change", size(), decoded.status().message());
  return AddHashed(decoded->sequence, decoded->previous_hash, ChangeRecordHash(record),
                   [](int, uint64_t, const Hash256&) {});
}

absl::Status ChangeChain::AddHashed(uint64_t sequence, const Hash256& previous_hash,
                                    const Hash256& hash, NodeSink node) {
  const uint64_t n = size();
  if (sequence != n)
    return Bad("change", n, absl::StrCat("the record says it is change ", sequence));
  if (previous_hash != last_hash_) {
    return n == 0 ? Bad("change", 0, "its previous_hash is not 32 zero bytes")
                  : Bad("change", n - 1, "its successor records a different hash for it");
  }
  tree_.Append(hash, node);
  last_hash_ = hash;
  return absl::OkStatus();
}

absl::StatusOr<Hash256> QueryChain::Add(const v1::QueryRecord& record) {
  const uint64_t n = size_;
  if (record.sequence() != n) return Bad("query", n, "the record says it is another sequence");
  if (record.previous_hash() != AsBytes(last_hash_)) {
    return n == 0 ? Bad("query", 0, "its previous_hash is not 32 zero bytes")
                  : Bad("query", n - 1,
                        absl::StrCat("its hash is not the one query ", n, " recorded for it"));
  }
  last_hash_ = QueryRecordHash(record);
  ++size_;
  return last_hash_;
}

}  // namespace credit
