#include "credit/log_verifier.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/crypto/ed25519.h"
#include "common/io/read_file.h"
#include "common/merkle/merkle.h"
#include "common/merkle/tree_head.h"

namespace credit {
namespace {

absl::StatusOr<merkle::TreeHead> Parse(const v1::SignedTreeHead& head) {
  absl::StatusOr<Hash256> root = merkle::ToHash(head.root_hash(), "tree_head.root_hash");
  if (!root.ok()) return absl::FailedPreconditionError(root.status().message());
  absl::StatusOr<Hash256> key_id = merkle::ToHash(head.key_id(), "tree_head.key_id");
  if (!key_id.ok()) return absl::FailedPreconditionError(key_id.status().message());
  return merkle::TreeHead{head.tree_size(), head.timestamp_micros(), *root, *key_id};
}

}  // namespace

LogVerifier::LogVerifier(std::string public_key, merkle::HeadDomain domain)
    : public_key_(std::move(public_key)), domain_(domain) {}

absl::StatusOr<std::unique_ptr<LogVerifier>> LogVerifier::FromPublicKeyFile(
    const std::string& path, merkle::HeadDomain domain) {
  absl::StatusOr<std::string> pem = ReadFile(path, "server key");
  if (!pem.ok()) return pem.status();
  absl::StatusOr<std::string> key = PublicKeyFromPem(*pem);
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", key.status().message()));
  }
  return std::make_unique<LogVerifier>(*std::move(key), domain);
}

absl::Status LogVerifier::VerifyHead(const v1::SignedTreeHead& head) const {
  absl::StatusOr<merkle::TreeHead> parsed = Parse(head);
  if (!parsed.ok()) return parsed.status();
  if (parsed->tree_size == 0 && parsed->root_hash != merkle::EmptyRoot()) {
    return absl::FailedPreconditionError(
        absl::StrCat("tree_head: size 0 with root ", ToHex(AsBytes(parsed->root_hash)),
                     ", want the empty tree's root ", ToHex(AsBytes(merkle::EmptyRoot()))));
  }
  return merkle::VerifyTreeHeadSignature(*parsed, head.signature(), public_key_, domain_);
}

absl::Status LogVerifier::VerifyInclusion(uint64_t sequence, absl::string_view leaf_hash,
                                          const std::vector<std::string>& proof,
                                          const v1::SignedTreeHead& head) const {
  if (absl::Status s = VerifyHead(head); !s.ok()) return s;
  absl::StatusOr<Hash256> leaf = merkle::ToHash(leaf_hash, "leaf_hash");
  if (!leaf.ok()) return absl::FailedPreconditionError(leaf.status().message());
  return merkle::VerifyInclusion(sequence, head.tree_size(), *leaf, proof,
                                 *merkle::ToHash(head.root_hash(), "root"));
}

absl::Status LogVerifier::VerifyRecordInclusion(uint64_t sequence, absl::string_view record,
                                                const std::vector<std::string>& proof,
                                                const v1::SignedTreeHead& head) const {
  return VerifyInclusion(sequence, AsBytes(merkle::LeafHash(record)), proof, head);
}

absl::Status LogVerifier::Observe(const v1::SignedTreeHead& head,
                                  const std::vector<std::string>& proof) {
  if (absl::Status s = VerifyHead(head); !s.ok()) return s;
  std::lock_guard lock(mu_);
  if (!trusted_.has_value()) {
    trusted_ = head;
    return absl::OkStatus();
  }
  const v1::SignedTreeHead& old = *trusted_;
  Hash256 old_root = *merkle::ToHash(old.root_hash(), "root");
  Hash256 new_root = *merkle::ToHash(head.root_hash(), "root");
  absl::Status consistent =
      head.tree_size() >= old.tree_size()
          ? merkle::VerifyConsistency(old.tree_size(), head.tree_size(), old_root, new_root, proof)
          : merkle::VerifyConsistency(head.tree_size(), old.tree_size(), new_root, old_root, proof);
  if (!consistent.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the server's tree head of size ", head.tree_size(),
        " is not consistent with the trusted head of size ", old.tree_size(),
        " (the history was rewritten, or the proof is wrong): ", consistent.message()));
  }
  if (head.tree_size() > old.tree_size()) trusted_ = head;
  return absl::OkStatus();
}

std::optional<v1::SignedTreeHead> LogVerifier::trusted() const {
  std::lock_guard lock(mu_);
  return trusted_;
}

absl::Status LogVerifier::SaveTrusted(const std::string& path) const {
  std::optional<v1::SignedTreeHead> head = trusted();
  if (!head.has_value()) return absl::FailedPreconditionError("no trusted head to save yet");
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out || !head->SerializeToOstream(&out)) {
      return absl::InternalError(absl::StrCat("cannot write ", tmp));
    }
  }
  std::error_code error;
  std::filesystem::rename(tmp, path, error);
  if (error) return absl::InternalError(absl::StrCat("cannot write ", path, ": ", error.message()));
  return absl::OkStatus();
}

absl::Status LogVerifier::LoadTrusted(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("trusted head: cannot read ", path));
  v1::SignedTreeHead head;
  if (!head.ParseFromIstream(&in)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a stored tree head"));
  }
  if (absl::Status s = VerifyHead(head); !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": ", s.message()));
  }
  std::lock_guard lock(mu_);
  trusted_ = head;
  return absl::OkStatus();
}

}  // namespace credit
