// Registry's write path, shared by registry.cc (the commit engine) and registry_mutations.cc
// (the mutations). Not part of any API.
#ifndef CREDIT_SERVICE_REGISTRY_GROUP_COMMIT_H_
#define CREDIT_SERVICE_REGISTRY_GROUP_COMMIT_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "service/registry/registry.h"

namespace credit {

// One request's part of a commit group, while its build runs.
struct Registry::Mutation {
  const Caller* caller = nullptr;
  std::string request_id;
  int64_t time_micros = 0;
  // The group's writes. A build that fails is rolled back to where it started.
  WriteSet* out = nullptr;
  // This mutation's writes to the rows mutations read (row -> value or deletion); merged into
  // Registry::pending_ when the mutation joins its group.
  absl::flat_hash_map<Row, std::optional<std::string>> writes;
  // Stored values read ahead in one MultiGet (ReadAhead), by row: what the store held, under
  // write_mu_, for rows no uncommitted group had written.
  absl::flat_hash_map<Row, std::optional<std::string>> read_ahead;
  // The Merkle nodes of the upper levels its records complete, for UpperNodes once committed.
  std::vector<UpperNodes::Node> upper_nodes;
  std::optional<uint64_t> first_sequence;  // of the mutation's first change record
  uint64_t last_sequence = 0;
  // Runs once the group is durable, under write_mu_ (e.g. the committed catalogue's update).
  std::function<void()> on_commit;
};

// Mutations that share one synced write and one signed head.
struct Registry::Group {
  explicit Group(const Store& store) : writes(store) {}
  uint64_t id = 0;
  WriteSet writes;
  // Per member: its request's row, and what stores its answer once the group's head is known.
  std::vector<Row> request_keys;
  std::vector<std::function<std::string(const v1::SignedTreeHead&)>> finishers;
  std::vector<std::function<void()>> on_commit;
  std::vector<UpperNodes::Node> upper_nodes;  // its members', in order
  bool done = false;
  absl::Status status;
  // Members wait on it (with Registry::write_mu_). Signalled when the group is done, and once
  // when it may be written and nobody is writing: then the member woken leads. (Others waiting
  // for the group, such as a retry of a member's request, wait on Registry::idle_.)
  absl::CondVar changed;
};

}  // namespace credit

#endif  // CREDIT_SERVICE_REGISTRY_GROUP_COMMIT_H_
