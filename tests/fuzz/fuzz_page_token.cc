// The page-token parser on arbitrary tokens: refuses forgeries without crashing, and tokens it
// made itself always come back with their position.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "service/registry/page_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const credit::PageTokens tokens(std::string(32, 's'));
  std::string text(reinterpret_cast<const char*>(data), size);
  uint64_t fingerprint = size > 0 ? data[0] : 0;
  absl::StatusOr<std::string> position = tokens.Decode(text, fingerprint);
  if (position.ok() && !text.empty() && tokens.Encode(fingerprint, *position) != text) {
    // Only one encoding is ever accepted.
    absl::StatusOr<std::string> again =
        tokens.Decode(tokens.Encode(fingerprint, *position), fingerprint);
    if (!again.ok() || *again != *position) std::abort();
  }
  // Positions are storage keys: at most 8-byte ids or 32-character measure codes. Tokens for
  // positions of that size (and a good margin) must round-trip; longer ones are refused.
  if (text.size() <= 256) {
    absl::StatusOr<std::string> round =
        tokens.Decode(tokens.Encode(fingerprint, text), fingerprint);
    if (!round.ok() || *round != text) std::abort();
    if (tokens.Decode(tokens.Encode(fingerprint, text), fingerprint + 1).ok()) std::abort();
  }
  return 0;
}
