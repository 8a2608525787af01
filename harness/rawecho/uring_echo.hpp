#pragma once
// uring_echo.hpp: wsalloc-rawecho --io uring, the io_uring ceiling.
//
// The best a TCP echo can do on io_uring, so a WebSocket server on the same backend has a floor
// to be compared with (as the epoll echo is the floor for epoll servers). Same shape as the
// server's backend, none of its code (the harness does not link server internals):
//   one ring (SINGLE_ISSUER | DEFER_TASKRUN), one io_uring_enter per loop iteration;
//   multishot accept; a multishot receive per connection into one provided-buffer ring
//   (incremental consumption when the kernel has it, re-armed on ENOBUFS);
//   the echo is sent FROM the receive buffer (no copy in user space): the buffer goes back to the
//   kernel when the send completes. At most one send in flight per connection; what arrives
//   meanwhile waits as references (up to kMaxQueued receives, then receiving pauses, which pushes
//   back on the sender through TCP as the epoll echo's EPOLLOUT switch does).
//
// Calls ready() once the ring is set up (the caller prints `listening on H:P`). Returns the exit
// code: 0 after SIGINT/SIGTERM (signal_fd becomes readable) once every connection is closed; 2
// when io_uring cannot be set up here (the message on stderr names --io epoll).
int run_uring_echo(int listen_fd, int signal_fd, void (*ready)());
