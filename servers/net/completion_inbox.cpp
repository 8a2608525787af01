#include "net/completion_inbox.hpp"

#include <cerrno>
#include <cstdint>
#include <sys/eventfd.h>
#include <system_error>
#include <unistd.h>

namespace wsalloc::net {

CompletionInbox::CompletionInbox() {
  efd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

CompletionInbox::~CompletionInbox() { ::close(efd_); }

void CompletionInbox::post(std::function<void()> fn) {
  bool was_empty;
  {
    std::lock_guard lock(mu_);
    // Dropped: `fn` is a parameter, destroyed after the lock is released (its destructor may
    // take other locks or free captured state).
    if (closed_) return;
    was_empty = items_.empty();
    items_.push_back(std::move(fn));
  }
  if (was_empty) wake();
}

void CompletionInbox::reserve(size_t n) {
  std::lock_guard lock(mu_);
  items_.reserve(n);
}

void CompletionInbox::take(std::vector<std::function<void()>>& out) {
  std::lock_guard lock(mu_);
  items_.swap(out);
}

void CompletionInbox::close() noexcept {
  std::vector<std::function<void()>> doomed;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    doomed.swap(items_);
  }
  // doomed destroyed here, outside the lock.
}

void CompletionInbox::wake() const noexcept {
  int saved = errno;  // stop() may run in a signal handler
  uint64_t one = 1;
  // EAGAIN means the counter is at its maximum: the poller is already due to wake up.
  [[maybe_unused]] ssize_t r = ::write(efd_, &one, sizeof one);
  errno = saved;
}

void CompletionInbox::drain_wakeups() const noexcept {
  uint64_t count;
  [[maybe_unused]] ssize_t r = ::read(efd_, &count, sizeof count);
}

}  // namespace wsalloc::net
