#pragma once
// watchdog.hpp: bounds a test whose synchronous Beast calls have no timeout of their own.
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

// Shuts `fd` down (both directions) if not cancelled within `limit`. shutdown(2) on the fd is the one
// thing that is safe to do from another thread while a synchronous asio call blocks on it.
class Watchdog {
 public:
  Watchdog(int fd, std::chrono::milliseconds limit)
      : thread_([this, fd, limit] {
          std::unique_lock lock(mu_);
          if (!cv_.wait_for(lock, limit, [this] { return cancelled_; })) {
            fired_ = true;
            ::shutdown(fd, SHUT_RDWR);
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  bool fired() const { return fired_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool cancelled_ = false;
  std::atomic<bool> fired_{false};
  std::thread thread_;
};
