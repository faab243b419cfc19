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
#include "rocksdb/write_batch.h"
#include "service/registry/registry.h"

namespace credit {

// One request's part of a commit group, while its build runs.
struct Registry::Mutation {
  const Caller* caller = nullptr;
  std::string request_id;
  int64_t time_micros = 0;
  // The group's batch, and its writes to the families not keyed in the order they are written
  // (subjects, the subject indexes, Merkle nodes: level first), added to the batch in key order
  // when it is written. A build that fails is rolled back in both to where it started.
  rocksdb::WriteBatch* batch = nullptr;
  SortedWrites* keyed = nullptr;
  // This mutation's writes to the families mutations read (family + key -> value or deletion);
  // merged into Registry::pending_ when the mutation joins its group.
  absl::flat_hash_map<std::string, std::optional<std::string>> writes;
  // Stored values read ahead in one MultiGet (ReadAhead), keyed like `writes`: what the store
  // held, under write_mu_, for keys no uncommitted group had written.
  absl::flat_hash_map<std::string, std::optional<std::string>> read_ahead;
  // The Merkle nodes of the upper levels its records complete, for UpperNodes once committed.
  std::vector<UpperNodes::Node> upper_nodes;
  std::optional<uint64_t> first_sequence;  // of the mutation's first change record
  uint64_t last_sequence = 0;
  // Runs once the group is durable, under write_mu_ (e.g. the committed catalogue's update).
  std::function<void()> on_commit;
};

// Mutations that share one synced write and one signed head.
struct Registry::Group {
  uint64_t id = 0;
  rocksdb::WriteBatch batch;
  SortedWrites keyed;
  // Per member: its request key, and what stores its answer once the group's head is known.
  std::vector<std::string> request_keys;
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
