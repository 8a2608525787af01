#!/usr/bin/python3
"""The accept path under kernel pressure, against the real binary (argv after `--`), with system
calls made to fail by the LD_PRELOAD library fault_inject.cpp (its path in WSALLOC_FAULT_SHIM):

  WatchFails     epoll_ctl(ADD) of one new connection fails with ENOSPC (max_user_watches): that
                 connection alone is refused (503), its descriptor and its --max-connections slot
                 come back, the server logs why, and every other connection is served on
  AcceptErrors   accept4 fails with ENOBUFS for half a second: the server logs it (rate-limited,
                 with the errno), stops listening for a moment instead of spinning on the
                 level-triggered listener, and serves the waiting client once accept4 works again

Bounded: every socket has a timeout, every wait a deadline; the servers stop by PID (exit 0).
"""
import errno
import os
import socket
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, ".."), os.path.join(HERE, "..", "conformance")]  # tests/: the package pylib
from pylib import server_process  # noqa: E402
import wsproto  # noqa: E402
from test_connection_limits import try_open  # noqa: E402  (a refusal is a 503 with Retry-After there too)
from wsconn import Connection  # noqa: E402

SERVER = []  # filled from argv
SHIM = os.environ.get("WSALLOC_FAULT_SHIM", "")
WATCHDOG_SECONDS = int(os.environ.get("WSALLOC_HARDENING_WATCHDOG", "120"))
ACCEPT_FAULT_MS = 500
BACKOFF_S = 0.1              # the server's pause after an accept error (acceptor.hpp Acceptor::kBackoff)
SETTLE = 10.0


def faulty_server(extra_args, fault_env, stderr):
    """The server with the fault library preloaded; its stderr goes to the file `stderr`."""
    if not os.path.isfile(SHIM):
        raise AssertionError(f"WSALLOC_FAULT_SHIM={SHIM!r} is not a file: build wsalloc-fault-inject "
                             f"(ctest sets it; by hand: WSALLOC_FAULT_SHIM=build/lib/libwsalloc-fault-inject.so)")
    env = dict(os.environ, LD_PRELOAD=SHIM, **fault_env)
    # An ASan build wants its runtime first among the libraries; the shim only wraps two calls.
    env["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS", ""), "verify_asan_link_order=0"]))
    return server_process.ServerProcess(SERVER + ["--threads", "1"] + list(extra_args), env=env, stderr=stderr)


def echo(test, conn, what):
    payload = os.urandom(100)
    conn.send_frame(wsproto.OP_BINARY, payload)
    test.assertEqual(conn.recv_message(what), (wsproto.OP_BINARY, payload))


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def read_report(path):
    with open(path) as f:
        return {k: int(v) for k, v in (item.split("=") for item in f.read().split())}


class FaultCase(unittest.TestCase):
    def start(self, extra_args, fault_env):
        self.dir = tempfile.mkdtemp(prefix="wsalloc-faults-")
        self.report = os.path.join(self.dir, "report")
        self.log = os.path.join(self.dir, "stderr")
        env = dict(fault_env, WSALLOC_FAULT_REPORT=self.report)
        with open(self.log, "wb") as err:
            self.server = faulty_server(extra_args, env, err).start()
        self.addCleanup(self.stop_quietly)
        return self.server

    def stop_quietly(self):
        if not self.server.stopped:
            self.server.stop()

    def stderr(self):
        with open(self.log, errors="replace") as f:
            return f.read()


class WatchFails(FaultCase):
    LIMIT = 3

    def test_a_connection_that_cannot_be_watched_is_refused_alone(self):
        server = self.start(["--max-connections", str(self.LIMIT)], {"WSALLOC_FAULT_WATCH_ENOSPC": "2"})
        first = try_open(server)
        self.assertIsInstance(first, Connection, "the first connection")
        self.addCleanup(first.close_socket)
        fds_before = open_fds(server.proc.pid)
        second = try_open(server)  # its watch fails
        self.assertEqual(second, "503", "the connection whose epoll_ctl(ADD) failed must get a 503")
        deadline = time.monotonic() + SETTLE
        while open_fds(server.proc.pid) != fds_before and time.monotonic() < deadline:
            time.sleep(0.02)  # polling the condition; the server closes the descriptor at once
        self.assertEqual(open_fds(server.proc.pid), fds_before, "the refused connection's descriptor was kept")
        echo(self, first, "echo on the first connection after the failure")
        # The slot came back: LIMIT connections fit.
        more = []
        for i in range(self.LIMIT - 1):
            got = try_open(server)
            self.assertIsInstance(got, Connection, f"connection {i + 2} of {self.LIMIT} (a slot was not returned?)")
            self.addCleanup(got.close_socket)
            more.append(got)
        self.assertEqual(try_open(server), "503", f"connection {self.LIMIT + 1} must hit --max-connections")
        for i, conn in enumerate(more):
            echo(self, conn, f"echo on connection {i + 2}")
        server.stop()
        self.assertIn("refused a connection", self.stderr())
        self.assertIn("No space left on device", self.stderr())
        self.assertEqual(read_report(self.report)["watch_failed"], 1, "the fault library failed one watch")


class AcceptErrors(FaultCase):
    def test_accept_errors_are_logged_and_the_listener_rests(self):
        server = self.start([], {"WSALLOC_FAULT_ACCEPT_ERRNO": str(errno.ENOBUFS),
                                 "WSALLOC_FAULT_ACCEPT_MS": str(ACCEPT_FAULT_MS)})
        started = time.monotonic()
        conn = try_open(server)  # waits in the backlog while accept4 fails, then is served
        self.assertIsInstance(conn, Connection, "the client waiting through the accept errors")
        self.addCleanup(conn.close_socket)
        self.assertGreaterEqual(time.monotonic() - started, ACCEPT_FAULT_MS / 1000 * 0.8,
                                "served before the accept errors ended: the fault library did not act")
        echo(self, conn, "echo after the accept errors")
        server.stop()
        report = read_report(self.report)
        # Spinning on the level-triggered listener makes thousands of calls in half a second; resting
        # BACKOFF_S after each error makes about ACCEPT_FAULT_MS / 100 ms of them.
        self.assertGreaterEqual(report["accept4_failed"], 2, report)
        self.assertLessEqual(report["accept4_failed"], 4 * ACCEPT_FAULT_MS / 1000 / BACKOFF_S,
                             f"accept4 retried {report['accept4_failed']} times in {ACCEPT_FAULT_MS} ms: "
                             f"the listener was not paused")
        lines = [l for l in self.stderr().splitlines() if "accept4(" in l]
        self.assertTrue(lines, "the accept errors were not logged")
        self.assertIn("No buffer space available", lines[0])
        self.assertIn(f"errno {errno.ENOBUFS}", lines[0])
        self.assertLessEqual(len(lines), 2, f"not rate-limited: {len(lines)} lines in {ACCEPT_FAULT_MS} ms")


if __name__ == "__main__":
    SERVER[:], sys.argv = server_process.take_server_argv(sys.argv)
    server_process.start_watchdog(WATCHDOG_SECONDS, "test_accept_faults.py")
    unittest.main(verbosity=2)
