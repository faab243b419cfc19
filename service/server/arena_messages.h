// ArenaMessages: a grpc::MessageAllocator that gives each call of one method its request and its
// response on a protobuf arena, and keeps the arenas, each with its first block, from call to
// call. A status answer is built in place (a batch's 1000 results with their subjects and
// measures are arena allocations, not ~5-10 heap allocations each; only strings longer than the
// library's inline 15 characters, such as the codes, still reach the heap) and freed at once when
// gRPC releases the call.
//
// Thread-safe. Must outlive the server whose method uses it.
#ifndef CREDIT_SERVICE_SERVER_ARENA_MESSAGES_H_
#define CREDIT_SERVICE_SERVER_ARENA_MESSAGES_H_

#include <grpcpp/support/message_allocator.h>

#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "google/protobuf/arena.h"

namespace credit {

template <typename Request, typename Response>
class ArenaMessages final : public grpc::MessageAllocator<Request, Response> {
 public:
  // Each arena's first block holds `block_bytes` (a larger answer adds blocks, freed with it);
  // at most `kept` arenas wait for the next calls.
  ArenaMessages(size_t block_bytes, size_t kept) : block_bytes_(block_bytes), kept_(kept) {}
  ArenaMessages(const ArenaMessages&) = delete;
  ArenaMessages& operator=(const ArenaMessages&) = delete;

  grpc::MessageHolder<Request, Response>* AllocateMessages() override {
    std::unique_ptr<Holder> holder;
    {
      absl::MutexLock lock(&mu_);
      if (!idle_.empty()) {
        holder = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    if (holder == nullptr) holder = std::make_unique<Holder>(this, block_bytes_);
    holder->Start();
    return holder.release();
  }

 private:
  class Holder final : public grpc::MessageHolder<Request, Response> {
   public:
    Holder(ArenaMessages* owner, size_t block_bytes)
        : owner_(owner),
          block_(std::make_unique_for_overwrite<char[]>(block_bytes)),
          arena_(Options(block_.get(), block_bytes)) {}

    void Start() {
      this->set_request(google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    // gRPC is done with the call: everything on the arena goes; the first block stays.
    void Release() override {
      arena_.Reset();
      owner_->Keep(std::unique_ptr<Holder>(this));
    }

   private:
    static google::protobuf::ArenaOptions Options(char* block, size_t bytes) {
      google::protobuf::ArenaOptions options;
      options.initial_block = block;
      options.initial_block_size = bytes;
      options.max_block_size = 64 << 10;  // past the first block, grow by up to this much
      return options;
    }

    ArenaMessages* owner_;
    std::unique_ptr<char[]> block_;  // declared before the arena: outlives it
    google::protobuf::Arena arena_;
  };

  void Keep(std::unique_ptr<Holder> holder) {
    absl::MutexLock lock(&mu_);
    if (idle_.size() < kept_) idle_.push_back(std::move(holder));
  }

  const size_t block_bytes_;
  const size_t kept_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Holder>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace credit

#endif  // CREDIT_SERVICE_SERVER_ARENA_MESSAGES_H_
