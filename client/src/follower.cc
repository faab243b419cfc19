#include "credit/follower.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/changelog/change_record.h"
#include "common/proto/deterministic.h"

namespace credit {
namespace {

absl::Status Refused(absl::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat("change stream refused: ", why));
}

// Whether `shown` (a Change's object field) is what the record's bytes hold.
template <typename Message>
bool Shows(const std::string& bytes, bool present, const Message& shown) {
  if (bytes.empty()) return !present;
  Message decoded;
  return present && decoded.ParseFromString(bytes) &&
         SerializeDeterministic(decoded) == SerializeDeterministic(shown);
}

// The checks of a change sent with its record bytes: they decode, name its sequence, carry its
// previous hash, hash to its hash, and hold what its fields show.
absl::Status CheckRecord(const v1::Change& change) {
  absl::StatusOr<ChangeRecord> record = DecodeChangeRecord(change.record());
  if (!record.ok())
    return Refused(absl::StrCat("change ", change.sequence(), ": ", record.status().message()));
  if (record->sequence != change.sequence() ||
      AsBytes(record->previous_hash) != change.previous_hash() ||
      AsBytes(ChangeRecordHash(change.record())) != change.hash() ||
      record->operation != static_cast<uint8_t>(change.operation()) ||
      record->reason != change.reason() || record->actor_identity != change.actor().identity()) {
    return Refused(
        absl::StrCat("change ", change.sequence(),
                     ": its record bytes do not hash to, or do not hold, what it shows"));
  }
  bool shown = false;
  switch (record->object_type) {
    case ObjectType::kEntry:
      shown = Shows(record->before, change.has_entry_before(), change.entry_before()) &&
              Shows(record->after, change.has_entry_after(), change.entry_after());
      break;
    case ObjectType::kMeasure:
      shown = Shows(record->before, change.has_measure_before(), change.measure_before()) &&
              Shows(record->after, change.has_measure_after(), change.measure_after());
      break;
    case ObjectType::kFeedback:
      shown = Shows(record->before, change.has_feedback_before(), change.feedback_before()) &&
              Shows(record->after, change.has_feedback_after(), change.feedback_after());
      break;
  }
  if (!shown) {
    return Refused(absl::StrCat("change ", change.sequence(),
                                ": the objects it shows are not those its record bytes hold"));
  }
  return absl::OkStatus();
}

}  // namespace

Follower::Follower(std::string public_key)
    : verifier_(std::make_unique<LogVerifier>(std::move(public_key))) {}

absl::StatusOr<Follower> Follower::FromPublicKeyFile(const std::string& path) {
  absl::StatusOr<std::unique_ptr<LogVerifier>> verifier = LogVerifier::FromPublicKeyFile(path);
  if (!verifier.ok()) return verifier.status();
  Follower follower("");
  follower.verifier_ = *std::move(verifier);
  return follower;
}

absl::StatusOr<merkle::CompactRange> Follower::StartTree(
    const v1::WatchChangesResponse& batch) const {
  const v1::SignedTreeHead& start = batch.start_head();
  if (absl::Status s = verifier_->VerifyHead(start); !s.ok()) {
    return Refused(absl::StrCat("start_head: ", s.message()));
  }
  std::vector<Hash256> roots;
  for (const std::string& bytes : batch.start_frontier()) {
    absl::StatusOr<Hash256> root = merkle::ToHash(bytes, "start_frontier");
    if (!root.ok()) return Refused(root.status().message());
    roots.push_back(*root);
  }
  absl::StatusOr<merkle::CompactRange> tree =
      merkle::CompactRange::FromRoots(start.tree_size(), std::move(roots));
  if (!tree.ok()) return Refused(absl::StrCat("start_frontier: ", tree.status().message()));
  if (AsBytes(tree->Root()) != start.root_hash()) {
    return Refused("start_frontier: does not hash to the root of the signed start_head");
  }
  return tree;
}

absl::Status Follower::Accept(const v1::WatchChangesResponse& batch) {
  if (batch.changes_size() == 0) return Refused("a message without changes");
  const v1::SignedTreeHead& head = batch.tree_head();
  if (absl::Status s = verifier_->VerifyHead(head); !s.ok()) {
    return Refused(absl::StrCat("tree_head: ", s.message()));
  }
  // The checks run on copies: the follower changes only once the whole batch has passed.
  merkle::CompactRange tree = tree_;
  Hash256 last_hash = last_hash_;
  bool last_hash_known = last_hash_known_;
  if (!started_ && batch.changes(0).sequence() > 0) {
    absl::StatusOr<merkle::CompactRange> start = StartTree(batch);
    if (!start.ok()) return start.status();
    tree = *std::move(start);
    last_hash_known = false;  // the change before lies in the frontier, not hashed alone
  }
  for (const v1::Change& change : batch.changes()) {
    if (change.sequence() != tree.size()) {
      return Refused(
          absl::StrCat("change ", change.sequence(), " where change ", tree.size(), " was due"));
    }
    absl::StatusOr<Hash256> hash = merkle::ToHash(change.hash(), "hash");
    absl::StatusOr<Hash256> previous = merkle::ToHash(change.previous_hash(), "previous_hash");
    if (!hash.ok() || !previous.ok()) {
      return Refused(absl::StrCat("change ", change.sequence(), ": a hash is not 32 bytes"));
    }
    if ((last_hash_known || change.sequence() == 0) && *previous != last_hash) {
      return Refused(absl::StrCat("change ", change.sequence(),
                                  " does not carry the hash of the change before it that this "
                                  "follower took: a fork or a rewrite"));
    }
    if (!change.record().empty()) {
      if (absl::Status s = CheckRecord(change); !s.ok()) return s;
    }
    tree.Append(*hash, [](int, uint64_t, const Hash256&) {});
    last_hash = *hash;
    last_hash_known = true;
  }
  if (head.tree_size() != tree.size() || AsBytes(tree.Root()) != head.root_hash()) {
    return Refused(absl::StrCat(
        "the changes up to ", tree.size() - 1, " do not hash to the root of the signed head ",
        "of size ", head.tree_size(),
        ": the server's history is not the one this follower has taken (a fork or a rewrite)"));
  }
  tree_ = std::move(tree);
  last_hash_ = last_hash;
  last_hash_known_ = true;
  head_ = head;
  started_ = true;
  return absl::OkStatus();
}

absl::Status Follower::Save(const std::string& path) const {
  std::ostringstream text;
  text << "credit-follower 1\nsize " << tree_.size() << "\n";
  text << "last_hash " << (last_hash_known_ ? ToHex(AsBytes(last_hash_)) : "-") << "\n";
  for (const Hash256& root : tree_.roots()) text << "root " << ToHex(AsBytes(root)) << "\n";
  if (head_.has_value()) text << "head " << ToHex(head_->SerializeAsString()) << "\n";
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!(out << text.str()) || !out.flush()) {
      return absl::InternalError(absl::StrCat("cannot write ", tmp));
    }
  }
  std::error_code error;
  std::filesystem::rename(tmp, path, error);
  if (error) return absl::InternalError(absl::StrCat("cannot write ", path, ": ", error.message()));
  return absl::OkStatus();
}

absl::Status Follower::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("follower state: cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  auto bad = [&](absl::string_view why) {
    return absl::DataLossError(absl::StrCat(path, ": ", why));
  };
  uint64_t size = 0;
  std::vector<Hash256> roots;
  std::optional<Hash256> last;
  std::optional<v1::SignedTreeHead> head;
  std::vector<std::string> lines = absl::StrSplit(text.str(), '\n', absl::SkipEmpty());
  if (lines.empty() || lines[0] != "credit-follower 1") return bad("not a follower state");
  for (size_t i = 1; i < lines.size(); ++i) {
    std::pair<std::string, std::string> field = absl::StrSplit(lines[i], absl::MaxSplits(' ', 1));
    std::string bytes = absl::HexStringToBytes(field.second);
    if (field.first == "size") {
      if (!absl::SimpleAtoi(field.second, &size)) return bad("size");
    } else if (field.first == "last_hash" && field.second != "-") {
      absl::StatusOr<Hash256> hash = merkle::ToHash(bytes, "last_hash");
      if (!hash.ok()) return bad(hash.status().message());
      last = *hash;
    } else if (field.first == "root") {
      absl::StatusOr<Hash256> root = merkle::ToHash(bytes, "root");
      if (!root.ok()) return bad(root.status().message());
      roots.push_back(*root);
    } else if (field.first == "head") {
      head.emplace();
      if (!head->ParseFromString(bytes)) return bad("head");
    }
  }
  absl::StatusOr<merkle::CompactRange> tree = merkle::CompactRange::FromRoots(size, roots);
  if (!tree.ok()) return bad(tree.status().message());
  if (head.has_value()) {
    if (absl::Status s = verifier_->VerifyHead(*head); !s.ok()) return bad(s.message());
    if (head->tree_size() != size || AsBytes(tree->Root()) != head->root_hash()) {
      return bad("its tree does not have the root of its head");
    }
  }
  tree_ = *std::move(tree);
  last_hash_ = last.value_or(Hash256{});
  last_hash_known_ = last.has_value();
  head_ = std::move(head);
  started_ = true;
  return absl::OkStatus();
}

}  // namespace credit
