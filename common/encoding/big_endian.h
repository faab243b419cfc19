// Unsigned 64-bit integers as 8 big-endian bytes: byte order is numeric order, so encoded numbers
// sort as the numbers do. Pure functions; thread-safe.
#ifndef CREDIT_COMMON_ENCODING_BIG_ENDIAN_H_
#define CREDIT_COMMON_ENCODING_BIG_ENDIAN_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace credit {

// Appends the 8 bytes of `value` to `out`.
inline void AppendBigEndian64(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

inline std::string BigEndian64(uint64_t value) {
  std::string out;
  out.reserve(8);
  AppendBigEndian64(&out, value);
  return out;
}

// The number in the first 8 bytes of `bytes`; 0 when there are fewer.
inline uint64_t ReadBigEndian64(absl::string_view bytes) {
  if (bytes.size() < 8) return 0;
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

}  // namespace credit

#endif  // CREDIT_COMMON_ENCODING_BIG_ENDIAN_H_
