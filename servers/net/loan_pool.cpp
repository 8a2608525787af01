#include "net/loan_pool.hpp"

#include <bit>

namespace wsalloc::net {

size_t LoanPool::class_of(size_t n) noexcept {
  const size_t rounded = std::bit_ceil(n < kMinBytes ? kMinBytes : n);
  return static_cast<size_t>(std::countr_zero(rounded) - std::countr_zero(kMinBytes));
}

std::optional<LoanPool::Loan> LoanPool::take(size_t n) {
  if (n > kMaxBytes) return std::nullopt;
  const size_t cls = class_of(n);
  const size_t size = kMinBytes << cls;
  if (lent_bytes_ + size > kCapBytes) {
    ++refused_;
    return std::nullopt;
  }
  if (free_.size() <= cls) free_.resize(cls + 1);
  uint32_t id;
  if (!free_[cls].empty()) {
    id = free_[cls].back();
    free_[cls].pop_back();
  } else {
    id = static_cast<uint32_t>(loans_.size());
    loans_.push_back(Record{IdlePages(size), size, 0, false});
    // give_back()/unpin() are noexcept: room in the free list for every buffer of the class.
    size_t in_class = 0;
    for (const Record& r : loans_) in_class += r.size == size;
    free_[cls].reserve(in_class);
  }
  Record& r = loans_[id];
  r.lent = true;
  r.bytes.touch();
  lent_bytes_ += r.size;
  return Loan{r.bytes.data(), r.size, id};
}

bool LoanPool::contains(uint32_t id, const void* p, size_t n) const noexcept {
  const Record& r = loans_[id];
  const auto* q = static_cast<const uint8_t*>(p);
  return q >= r.bytes.data() && q + n <= r.bytes.data() + r.size;
}

void LoanPool::give_back(uint32_t id) noexcept {
  loans_[id].lent = false;
  if (loans_[id].pins == 0) recycle(id);
}

void LoanPool::unpin(uint32_t id) noexcept {
  if (--loans_[id].pins == 0 && !loans_[id].lent) recycle(id);
}

void LoanPool::recycle(uint32_t id) noexcept {
  lent_bytes_ -= loans_[id].size;
  loans_[id].bytes.touch();  // idle from now
  free_[class_of(loans_[id].size)].push_back(id);
}

void LoanPool::trim_idle(IdlePages::Clock::time_point now, IdlePages::Clock::duration idle) noexcept {
  for (const std::vector<uint32_t>& cls : free_)
    for (uint32_t id : cls) loans_[id].bytes.trim_if_idle(now, idle);
}

}  // namespace wsalloc::net
