#include "variants/flush.hpp"

#include <algorithm>

namespace wsalloc::variants {
namespace {

// Linux's IOV_MAX is 1024; 64 segments per call already amortise the syscall.
constexpr int kMaxIov = 64;

}  // namespace

void spill_into(Backlog& backlog, std::span<const iovec> segments) {
  for (const iovec& s : segments) backlog.append(s.iov_base, s.iov_len);
}

WriteOutcome write_or_spill(Writer& writer, Backlog& backlog, std::span<const iovec> segments) {
  size_t seg = 0;          // next segment not yet fully written
  size_t seg_offset = 0;   // bytes of segments[seg] already written
  bool backlog_pending = !backlog.empty();

  while (backlog_pending || seg < segments.size()) {
    iovec iov[kMaxIov];
    int count = 0;
    size_t offered = 0;
    if (backlog_pending) {
      auto b = backlog.front();
      iov[count++] = {const_cast<uint8_t*>(b.data()), b.size()};
      offered += b.size();
    }
    for (size_t i = seg; i < segments.size() && count < kMaxIov; ++i) {
      size_t off = i == seg ? seg_offset : 0;
      if (segments[i].iov_len == off) continue;
      iov[count++] = {static_cast<uint8_t*>(segments[i].iov_base) + off, segments[i].iov_len - off};
      offered += segments[i].iov_len - off;
    }
    if (count == 0) break;

    ssize_t n = writer.write(iov, count);
    if (n < 0) return WriteOutcome::Failed;
    size_t taken = static_cast<size_t>(n);

    if (backlog_pending) {
      size_t from_backlog = std::min(taken, backlog.size());
      backlog.consume(from_backlog);
      taken -= from_backlog;
      backlog_pending = !backlog.empty();
    }
    while (taken > 0 && seg < segments.size()) {
      size_t left = segments[seg].iov_len - seg_offset;
      if (taken >= left) {
        taken -= left;
        ++seg;
        seg_offset = 0;
      } else {
        seg_offset += taken;
        taken = 0;
      }
    }
    while (seg < segments.size() && segments[seg].iov_len == seg_offset) {
      ++seg;
      seg_offset = 0;
    }
    if (static_cast<size_t>(n) < offered) {
      // Short write: the socket buffer is full. Keep the rest, in order, behind the backlog.
      if (seg < segments.size()) {
        iovec first = {static_cast<uint8_t*>(segments[seg].iov_base) + seg_offset,
                       segments[seg].iov_len - seg_offset};
        spill_into(backlog, {&first, 1});
        spill_into(backlog, segments.subspan(seg + 1));
      }
      return WriteOutcome::Blocked;
    }
  }
  return WriteOutcome::Flushed;
}

}  // namespace wsalloc::variants
