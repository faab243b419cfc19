// The offline verifier: checks a registry database directly (the server stopped), independent
// of everything the server keeps in memory. It re-reads every change record, recomputes every
// record hash, the hash chain, every Merkle node and the root of every signed tree head, checks
// the heads' signatures, that the indexes agree with the entries, and the same for the query log:
// its chain, its tree's nodes and its signed heads.
#ifndef CREDIT_SERVICE_VERIFY_STORE_VERIFIER_H_
#define CREDIT_SERVICE_VERIFY_STORE_VERIFIER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/crypto/sha256.h"
#include "service/storage/store.h"

namespace credit {

struct VerifyReport {
  uint64_t changes = 0;
  Hash256 root{};
  uint64_t heads_checked = 0;
  // How long checking the change log (records, chain, nodes, heads) took.
  absl::Duration changes_time;
  uint64_t entries = 0;
  uint64_t queries = 0;
  Hash256 query_root{};
  uint64_t query_heads_checked = 0;
};

// Verifies `store`. `public_key` (32 raw bytes) checks head signatures; empty skips that check.
// DATA_LOSS naming the first bad item ("change 17: ...", "query 3: ...", "entry 5: ...") when
// anything does not match.
absl::StatusOr<VerifyReport> VerifyStore(Store& store, absl::string_view public_key);

// What the scan of the entries needs from a stored Entry: its id and its subject's code, read
// from the wire bytes as protobuf reads them (the last value of a field wins; a subject given
// twice is merged), without parsing the rest. False when the bytes are not a well-formed
// message, at the top or inside the subject; the other fields' contents are not looked at (a
// text field that is not UTF-8, which protobuf's parse refuses, passes). `code` points into
// `bytes`.
bool ReadEntryKey(absl::string_view bytes, uint64_t* id, absl::string_view* code);

}  // namespace credit

#endif  // CREDIT_SERVICE_VERIFY_STORE_VERIFIER_H_
