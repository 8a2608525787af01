#include "net/inline_executor.hpp"

#include "net/poller.hpp"

namespace wsalloc::net {

void InlineExecutor::execute(Poller& origin, std::function<void()> work,
                             std::function<void()> done) {
  origin.post_inline(std::move(work), std::move(done));
}

}  // namespace wsalloc::net
