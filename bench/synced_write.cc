#include "bench/synced_write.h"

#include <string>

#include "rocksdb/write_batch.h"
#include "service/storage/keys.h"

namespace credit::bench {

absl::Status RecordingSizedWrites::WriteNext() {
  static const std::string kValue(600, 'v');
  static const std::string kNode(32, 'h');
  const uint64_t n = next_.fetch_add(1);
  rocksdb::WriteBatch batch;
  for (Family family : {Family::kEntries, Family::kChanges, Family::kSubjects, Family::kRequests}) {
    batch.Put(store_.Handle(family), keys::U64(n), kValue);
  }
  batch.Put(store_.Handle(Family::kTreeNodes), keys::TreeNode(0, n), kNode);
  return store_.Write(&batch);
}

}  // namespace credit::bench
