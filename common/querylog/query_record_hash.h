// The hash of a query-log record: SHA-256(0x00 || the record serialised deterministically with
// its `hash` field cleared). Each record's previous_hash is its predecessor's hash, so the
// server's writer, the offline verifier and `creditctl querylog verify` all use this one
// function. Thread-safe.
#ifndef CREDIT_COMMON_QUERYLOG_QUERY_RECORD_HASH_H_
#define CREDIT_COMMON_QUERYLOG_QUERY_RECORD_HASH_H_

#include "common/crypto/sha256.h"
#include "credit/registry/v1/resources.pb.h"

namespace credit {

Hash256 QueryRecordHash(const registry::v1::QueryRecord& record);

}  // namespace credit

#endif  // CREDIT_COMMON_QUERYLOG_QUERY_RECORD_HASH_H_
