#include "common/merkle/tree_head.h"

#include "common/crypto/ed25519.h"

namespace credit::merkle {
namespace {

// Domain separation: these bytes can never be mistaken for another message signed by a key
// that is (wrongly) used for something else as well.
constexpr char kChangeLogContext[] = "credit-registry/tree-head/v1";
constexpr char kQueryLogContext[] = "credit-registry/query-head/v1";

void PutU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

}  // namespace

std::string TreeHeadSigningInput(const TreeHead& head, HeadDomain domain) {
  // The context and its NUL terminator.
  std::string out = domain == HeadDomain::kChangeLog
                        ? std::string(kChangeLogContext, sizeof(kChangeLogContext))
                        : std::string(kQueryLogContext, sizeof(kQueryLogContext));
  PutU64(&out, head.tree_size);
  PutU64(&out, static_cast<uint64_t>(head.timestamp_micros));
  out.append(reinterpret_cast<const char*>(head.root_hash.data()), head.root_hash.size());
  out.append(reinterpret_cast<const char*>(head.key_id.data()), head.key_id.size());
  return out;
}

Hash256 KeyId(absl::string_view public_key) { return Sha256({public_key}); }

absl::Status VerifyTreeHeadSignature(const TreeHead& head, absl::string_view signature,
                                     absl::string_view public_key, HeadDomain domain) {
  if (head.key_id != KeyId(public_key)) {
    return absl::FailedPreconditionError(
        "tree head: signed by another key than the one trusted (key id differs)");
  }
  if (!VerifyEd25519(public_key, TreeHeadSigningInput(head, domain), signature)) {
    return absl::FailedPreconditionError("tree head: the signature does not verify");
  }
  return absl::OkStatus();
}

}  // namespace credit::merkle
