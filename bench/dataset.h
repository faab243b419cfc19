// The benchmark's data set: subject n (n = 0, 1, 2, ...) has a valid code of its kind (even n an
// organisation, odd n a person), a realistic Chinese name, and an entry with realistic texts. A
// data set of N listed subjects is subjects 0..N-1; subjects N..2N-1 are on no list, so a
// lookup drawn from 0..2N-1 finds a listing half of the time.
#ifndef CREDIT_BENCH_DATASET_H_
#define CREDIT_BENCH_DATASET_H_

#include <cstdint>
#include <string>

#include "credit/registry/v1/resources.pb.h"

namespace credit::bench {

// A unified social credit code (GB 32100) for organisation number `n`.
std::string OrgCode(uint64_t n);
// A resident identity number (GB 11643) for person number `n`.
std::string PersonCode(uint64_t n);
// Subject n: OrgCode(n / 2) for even n, PersonCode(n / 2) for odd n.
std::string SubjectCode(uint64_t n);
// The entry listing subject n, as a deciding authority would record it.
registry::v1::Entry EntryFor(uint64_t n);
// The same, written into `entry` (an empty one, e.g. one just added to a request).
void FillEntry(uint64_t n, registry::v1::Entry* entry);

}  // namespace credit::bench

#endif  // CREDIT_BENCH_DATASET_H_
