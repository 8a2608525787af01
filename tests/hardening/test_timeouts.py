#!/usr/bin/python3
"""Timeouts of wsalloc-server, against the real binary (argv after `--`):

  handshake timeout  a connection that has not upgraded within --handshake-timeout-ms is dropped,
                     counted from accept: a client trickling one byte at a time (slowloris) is
                     dropped as surely as a silent one, and an upgraded connection is not
  idle timeout       an upgraded connection that sends nothing for --idle-timeout-ms gets a close
                     handshake with 1001; any frame, a ping included, counts as activity

The server checks its timers every 250 ms, so a deadline fires up to that late; the windows below
allow for it plus scheduling noise. Bounded: every wait has a timeout; the server stops by PID.
"""
import json
import os
import socket
import sys
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, ".."), os.path.join(HERE, "..", "conformance")]  # tests/: the package pylib
from pylib import server_process  # noqa: E402
import wsproto  # noqa: E402
from wsconn import Connection, build_request  # noqa: E402

SERVER = []  # filled from argv

HANDSHAKE_TIMEOUT = 1.0
IDLE_TIMEOUT = 1.5
SWEEP = 0.25        # the server's timer period
LATE = 2.0          # scheduling noise on a loaded 2-core machine


def open_connections(server) -> int:
    """Connections the (one-thread) server holds open besides the one asking GET /stats."""
    with urllib.request.urlopen(f"http://{server.host}:{server.port}/stats", timeout=5) as r:
        return json.loads(r.read())["connections"] - 1


def wait_for_tcp_close(sock: socket.socket, limit: float) -> float:
    """Reads (discarding) until the server closes TCP; returns when, or fails after `limit` s."""
    start = time.monotonic()
    sock.settimeout(0.1)
    while time.monotonic() - start < limit:
        try:
            if not sock.recv(4096):
                return time.monotonic() - start
        except socket.timeout:
            continue
        except ConnectionResetError:
            return time.monotonic() - start
    raise AssertionError(f"the server did not close the connection within {limit} s")


class HandshakeTimeout(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = server_process.ServerProcess(
            SERVER + ["--handshake-timeout-ms", str(int(HANDSHAKE_TIMEOUT * 1000))]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def connect(self) -> socket.socket:
        s = socket.create_connection((self.server.host, self.server.port), timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.addCleanup(s.close)
        return s

    def test_silent_connection_is_dropped_after_the_timeout(self):
        s = self.connect()
        took = wait_for_tcp_close(s, HANDSHAKE_TIMEOUT + SWEEP + LATE)
        self.assertGreaterEqual(took, HANDSHAKE_TIMEOUT - 0.05, "dropped before its deadline")

    def test_slowloris_trickling_one_byte_at_a_time_is_dropped(self):
        # A valid request, one byte every 100 ms: it would take ~15 s to complete. Activity must
        # not extend the handshake deadline.
        s = self.connect()
        request = build_request(wsproto.new_client_key())
        start = time.monotonic()
        for i in range(len(request)):
            try:
                s.sendall(request[i:i + 1])
            except (BrokenPipeError, ConnectionResetError):
                break
            s.settimeout(0.1)
            try:
                if not s.recv(4096):
                    break   # closed by the server
            except socket.timeout:
                pass
            except ConnectionResetError:
                break
            if time.monotonic() - start > HANDSHAKE_TIMEOUT + SWEEP + LATE:
                self.fail(f"still connected after {i + 1} bytes and {time.monotonic() - start:.1f} s "
                          f"(handshake timeout {HANDSHAKE_TIMEOUT} s)")
        else:
            self.fail("the whole request went through at one byte per 100 ms; the test is too slow to tell")
        took = time.monotonic() - start
        self.assertGreaterEqual(took, HANDSHAKE_TIMEOUT - 0.05, "dropped before its deadline")

    def test_an_upgraded_connection_outlives_the_handshake_timeout(self):
        conn = Connection(self.server.host, self.server.port)
        self.addCleanup(conn.close_socket)
        conn.handshake()
        time.sleep(HANDSHAKE_TIMEOUT + 2 * SWEEP + 0.3)
        conn.send_frame(wsproto.OP_TEXT, b"still here")
        self.assertEqual(conn.recv_message(), (wsproto.OP_TEXT, b"still here"))
        conn.close_cleanly()

    def test_a_slow_but_timely_handshake_succeeds(self):
        # The whole request in pieces over ~half the timeout: legitimate slowness is not punished.
        conn = Connection(self.server.host, self.server.port)
        self.addCleanup(conn.close_socket)
        conn.handshake(split=40, delay=HANDSHAKE_TIMEOUT / 10)
        conn.close_cleanly()


class IdleTimeout(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = server_process.ServerProcess(
            SERVER + ["--idle-timeout-ms", str(int(IDLE_TIMEOUT * 1000))]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def open(self) -> Connection:
        conn = Connection(self.server.host, self.server.port)
        self.addCleanup(conn.close_socket)
        conn.handshake()
        return conn

    def test_a_silent_connection_gets_close_1001(self):
        conn = self.open()
        start = time.monotonic()
        conn.sock.settimeout(IDLE_TIMEOUT + SWEEP + LATE)
        conn.expect_close(1001)   # answers the close and checks the server then closes TCP
        took = time.monotonic() - start
        self.assertGreaterEqual(took, IDLE_TIMEOUT - 0.05, "closed before the idle deadline")

    def test_pings_keep_a_connection_alive(self):
        conn = self.open()
        end = time.monotonic() + 2 * IDLE_TIMEOUT + SWEEP
        n = 0
        while time.monotonic() < end:
            payload = f"ping {n}".encode()
            conn.send_frame(wsproto.OP_PING, payload)
            conn.expect_pong(payload)
            n += 1
            time.sleep(IDLE_TIMEOUT / 3)
        conn.send_frame(wsproto.OP_BINARY, b"\x00after pings")
        self.assertEqual(conn.recv_message(), (wsproto.OP_BINARY, b"\x00after pings"))
        conn.close_cleanly()

    def test_messages_keep_a_connection_alive_and_silence_then_ends_it(self):
        conn = self.open()
        for i in range(4):
            conn.send_frame(wsproto.OP_TEXT, f"message {i}".encode())
            self.assertEqual(conn.recv_message(), (wsproto.OP_TEXT, f"message {i}".encode()))
            time.sleep(IDLE_TIMEOUT / 2)
        conn.sock.settimeout(IDLE_TIMEOUT + SWEEP + LATE)
        conn.expect_close(1001)

    def test_a_client_that_never_answers_the_close_is_still_released(self):
        # The server half-closes after its close frame and waits close_linger (2 s) for the peer;
        # a peer that never answers nor closes must not keep its connection object forever.
        conn = self.open()
        conn.sock.settimeout(IDLE_TIMEOUT + SWEEP + LATE)
        frame = conn.recv_frame("the idle close")
        self.assertEqual((frame.opcode, frame.close_code), (wsproto.OP_CLOSE, 1001))
        # The reason names the value and the limit (issue 13).
        self.assertRegex(frame.close_reason, rb"^idle \d+ ms > idle_timeout %d ms$" % int(IDLE_TIMEOUT * 1000))
        deadline = time.monotonic() + 2.0 + SWEEP + LATE
        while open_connections(self.server) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(open_connections(self.server), 0,
                         "the server still holds a connection whose peer ignored the close")

if __name__ == "__main__":
    SERVER[:], sys.argv = server_process.take_server_argv(sys.argv)
    unittest.main()
