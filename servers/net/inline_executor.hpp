#pragma once
// InlineExecutor: work and done run on the origin poller's thread, after the current event batch,
// in posting order (the Poller's default when no executor is set). Stateless: one instance may
// serve any number of pollers. REQUIRES: execute() is called on origin's thread (or before
// origin.run() starts).

#include "net/executor.hpp"

namespace wsalloc::net {

class InlineExecutor final : public Executor {
 public:
  void execute(Poller& origin, std::function<void()> work, std::function<void()> done) override;
};

}  // namespace wsalloc::net
