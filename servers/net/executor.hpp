#pragma once
// Executor: decides which thread runs a task's `work` (see Poller::task).
//
// Contract for implementations: run `work` exactly once (or destroy it unrun on shutdown), then
// hand `done` (if non-empty) back to origin's thread, e.g. with origin.post_completion(done).
// `done` must never run on any other thread: it is where the application touches sockets again.

#include <functional>

namespace wsalloc::net {

class Poller;

class Executor {
 public:
  virtual ~Executor() = default;
  virtual void execute(Poller& origin, std::function<void()> work, std::function<void()> done) = 0;
};

}  // namespace wsalloc::net
