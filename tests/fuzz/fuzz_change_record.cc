// The change-record decoder and the proof verifiers on arbitrary bytes. A record that decodes
// must encode back to exactly the same bytes (the format is canonical).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/changelog/change_record.h"
#include "common/merkle/merkle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<credit::ChangeRecord> record = credit::DecodeChangeRecord(bytes);
  if (record.ok() && credit::EncodeChangeRecord(*record) != bytes) std::abort();

  // The same bytes as a proof: sizes from the first 16 bytes, then 32-byte elements (the last
  // may be short: the verifiers must say no, not crash).
  if (size < 16) return 0;
  uint64_t a = 0, b = 0;
  for (int i = 0; i < 8; ++i) a = (a << 8) | data[i];
  for (int i = 8; i < 16; ++i) b = (b << 8) | data[i];
  a %= 1u << 20;
  b %= 1u << 20;
  std::vector<std::string> proof;
  for (size_t at = 16; at < size && proof.size() < 64; at += 32) {
    proof.push_back(bytes.substr(at, 32));
  }
  credit::Hash256 root = credit::merkle::LeafHash(bytes);
  credit::Hash256 leaf = credit::merkle::LeafHash(bytes.substr(0, 16));
  (void)credit::merkle::VerifyInclusion(a, b, leaf, proof, root);
  (void)credit::merkle::VerifyConsistency(a, b, leaf, root, proof);
  return 0;
}
