#!/usr/bin/python3
"""Connection limits of wsalloc-server, against the real binary (argv after `--`):

  --max-connections N  the N+1st connection (all threads together) is answered 503 with
                       Retry-After and closed; the N open ones keep being served, and a slot
                       freed by a close is usable again at once
  descriptor limit     run under a small RLIMIT_NOFILE, a connection beyond it is refused the
                       same way (the server keeps a spare descriptor for that) instead of hanging
                       in the listen backlog, and existing connections keep working

Bounded: every wait has a timeout; at most a hundred sockets; the server stops by PID.
"""
import os
import socket
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, ".."), os.path.join(HERE, "..", "conformance")]  # tests/: the package pylib
from pylib import server_process  # noqa: E402
import wsproto  # noqa: E402
from wsconn import Connection, build_request  # noqa: E402

SERVER = []  # filled from argv
FD_LIMIT = 64   # the server's RLIMIT_NOFILE in the descriptor test: room for ~55 connections


def try_open(server) -> Connection | str:
    """An upgraded connection, or how the server refused it ("503" or "closed")."""
    conn = Connection(server.host, server.port)
    try:
        conn.send_raw(build_request(wsproto.new_client_key()))
        response = conn.read_http_response()
    except (AssertionError, OSError):
        conn.close_socket()
        return "closed"
    if response.status == 101:
        return conn
    conn.close_socket()
    if response.status == 503:
        if response.header("Retry-After") is None:
            raise AssertionError(f"503 without Retry-After: {response.raw!r}")
        return "503"
    raise AssertionError(f"expected 101 or 503, got {response.status} {response.reason}")


def assert_all_echo(test: unittest.TestCase, conns: list[Connection]) -> None:
    for i, conn in enumerate(conns):
        payload = os.urandom(64 + i)
        conn.send_frame(wsproto.OP_BINARY, payload)
        test.assertEqual(conn.recv_message(f"echo on open connection {i}"), (wsproto.OP_BINARY, payload))


def open_when_a_slot_frees(test: unittest.TestCase, server, limit_s: float = 5.0) -> Connection:
    """After a close the server frees the slot within its loop iteration; allow for scheduling."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        got = try_open(server)
        if isinstance(got, Connection):
            test.addCleanup(got.close_socket)
            return got
        time.sleep(0.05)
    test.fail(f"no connection accepted within {limit_s} s after closing one")


class MaxConnections(unittest.TestCase):
    LIMIT = 8
    THREADS = 1

    @classmethod
    def setUpClass(cls):
        cls.server = server_process.ServerProcess(
            SERVER + ["--max-connections", str(cls.LIMIT), "--threads", str(cls.THREADS)]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_beyond_the_limit_gets_503_and_the_others_keep_working(self):
        conns = []
        for i in range(self.LIMIT):
            got = try_open(self.server)
            self.assertIsInstance(got, Connection, f"connection {i + 1} of {self.LIMIT} was refused ({got})")
            self.addCleanup(got.close_socket)
            conns.append(got)
        for extra in range(3):   # with several threads, each may be asked
            self.assertEqual(try_open(self.server), "503", f"connection {self.LIMIT + extra + 1} over the limit")
        assert_all_echo(self, conns)

        conns.pop(0).close_cleanly()
        conns.append(open_when_a_slot_frees(self, self.server))
        self.assertEqual(try_open(self.server), "503", "the freed slot is taken again: the limit holds")
        assert_all_echo(self, conns)
        for conn in conns:
            conn.close_cleanly()


class MaxConnectionsAcrossThreads(MaxConnections):
    """The cap is the server's, not each thread's: two pollers share it."""
    LIMIT = 6
    THREADS = 2


class DescriptorLimit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # prlimit execs the server, so the PID is the server's (SIGTERM reaches it). Soft = hard,
        # so the server's own raise to the hard limit cannot lift it.
        cls.server = server_process.ServerProcess(
            ["prlimit", f"--nofile={FD_LIMIT}:{FD_LIMIT}", "--"] + SERVER).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_beyond_the_descriptor_limit_is_refused_and_the_others_keep_working(self):
        conns, refusals = [], []
        for attempt in range(FD_LIMIT + 20):
            started = time.monotonic()
            got = try_open(self.server)
            took = time.monotonic() - started
            if isinstance(got, Connection):
                self.addCleanup(got.close_socket)
                conns.append(got)
                continue
            refusals.append(got)
            self.assertLess(took, 3.0, "a refusal must be prompt, not a connection left in the backlog")
            if len(refusals) == 5:
                break
        self.assertEqual(len(refusals), 5, f"{len(conns)} connections accepted and none refused under "
                                           f"RLIMIT_NOFILE {FD_LIMIT}")
        self.assertGreater(len(conns), FD_LIMIT // 2, "refused long before the descriptor limit")
        self.assertIn("503", refusals, "no refusal carried the 503 answer")
        assert_all_echo(self, conns)

        for conn in conns[:5]:
            conn.close_cleanly()
        conns = conns[5:]
        conns.append(open_when_a_slot_frees(self, self.server))
        assert_all_echo(self, conns)
        for conn in conns:
            conn.close_cleanly()


if __name__ == "__main__":
    SERVER[:], sys.argv = server_process.take_server_argv(sys.argv)
    unittest.main()
