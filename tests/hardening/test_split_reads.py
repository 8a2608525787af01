#!/usr/bin/python3
"""Requests that arrive in pieces, with frames right behind them, against the real binary (argv
after `--`). Issue 13: the zerocopy variant echoed a frame (>= 2048 B) that came in the same read
as the end of a split request from memory it had already freed. Here each request is sent in two
or three writes, and the next write is sent only once GET /stats shows the server has read the
previous one (received_bytes), so the server really gets the pieces as separate reads; the last
write carries the end of the request and the frames. Every echo must come back byte for byte.
Run under valgrind memcheck by `make test-memcheck` (and in CI), where a read of freed memory
fails the server's exit code.

Bounded: every socket has a timeout, every wait a deadline; the server stops by PID (exit 0).
"""
import json
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
from wsproto import OP_BINARY, OP_PING, OP_TEXT  # noqa: E402

SERVER = []  # filled from argv
WATCHDOG_SECONDS = int(os.environ.get("WSALLOC_HARDENING_WATCHDOG", "150"))
STATS_REQUEST = b"GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
READ_WAIT = 20.0  # for the server to read a write (generous: memcheck runs it 20-50x slower)
# Payload sizes on the thresholds the pipelines treat differently: the 7/16-bit lengths, the
# zerocopy pipeline's in-place reference size (2048) and cork (64 KiB), a frame larger than a
# socket read.
SIZES = (125, 2047, 2048, 2500, 65535, 65536, 70000, 300_000)


def payload(n, seed):
    return bytes((i * 131 + seed) & 0xFF for i in range(n))


class SplitReads(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = server_process.ServerProcess(SERVER + ["--threads", "1"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def received_bytes(self):
        """GET /stats' received_bytes; the request's own bytes are counted before the answer."""
        s = socket.create_connection((self.server.host, self.server.port), timeout=5)
        try:
            s.sendall(STATS_REQUEST)
            raw = b""
            while chunk := s.recv(65536):
                raw += chunk
        finally:
            s.close()
        return json.loads(raw.partition(b"\r\n\r\n")[2])["received_bytes"]

    def send_in_reads(self, conn, pieces):
        """Sends each piece only after the server has read the previous ones (polled, not slept)."""
        for i, piece in enumerate(pieces):
            last = i + 1 == len(pieces)
            before = None if last else self.received_bytes()
            conn.sock.sendall(piece)
            if last:
                return
            polls = 0
            deadline = time.monotonic() + READ_WAIT
            while True:
                polls += 1  # each poll's own request is read before it is answered
                if self.received_bytes() >= before + len(piece) + polls * len(STATS_REQUEST):
                    break
                if time.monotonic() > deadline:
                    self.fail(f"the server did not read write {i + 1} ({len(piece)} B) within {READ_WAIT} s")

    def upgrade_in_pieces(self, cuts, trailing):
        request = build_request(wsproto.new_client_key())
        cuts = [c if c >= 0 else len(request) + c for c in cuts]
        bounds = [0] + cuts + [len(request)]
        pieces = [request[a:b] for a, b in zip(bounds, bounds[1:])]
        pieces[-1] += trailing
        conn = Connection(self.server.host, self.server.port)
        self.addCleanup(conn.close_socket)
        self.send_in_reads(conn, pieces)
        response = conn.read_http_response()
        self.assertEqual(response.status, 101, response.raw)
        return conn

    def expect_echoes(self, conn, messages, what):
        for i, (op, data) in enumerate(messages):
            if op == OP_PING:
                conn.expect_pong(data)
                continue
            got_op, got = conn.recv_message(f"{what}: echo {i}")
            self.assertEqual(got_op, op, f"{what}: echo {i} opcode")
            if got != data:
                first = next((k for k, (a, b) in enumerate(zip(got, data)) if a != b), min(len(got), len(data)))
                self.fail(f"{what}: echo {i} of {len(data)} B differs from byte {first} (got {len(got)} B)")

    def test_a_frame_behind_a_request_split_in_two_is_echoed_intact(self):
        for n in SIZES:
            with self.subTest(size=n):
                messages = [(OP_BINARY, payload(n, 7))]
                conn = self.upgrade_in_pieces([40], wsproto.encode_frame(OP_BINARY, messages[0][1]))
                self.expect_echoes(conn, messages, f"{n} B behind a request split at byte 40")
                conn.close_cleanly()

    def test_frames_behind_a_request_split_inside_its_last_line_are_echoed_intact(self):
        messages = [(OP_TEXT, b"t" * 2048), (OP_PING, b"p"), (OP_BINARY, payload(4096, 3)), (OP_BINARY, b"")]
        trailing = b"".join(wsproto.encode_frame(op, data) for op, data in messages)
        for cuts in ([-1], [-2], [-3], [10, -2]):
            with self.subTest(cuts=cuts):
                conn = self.upgrade_in_pieces(cuts, trailing)
                self.expect_echoes(conn, messages, f"frames behind a request split at {cuts}")
                conn.close_cleanly()

    def test_a_fragmented_message_behind_a_split_request_is_echoed_whole(self):
        parts = [payload(3000, 1), payload(2048, 2), payload(5, 3)]
        trailing = (wsproto.encode_frame(OP_BINARY, parts[0], fin=False)
                    + wsproto.encode_frame(0x0, parts[1], fin=False)
                    + wsproto.encode_frame(0x0, parts[2]))
        conn = self.upgrade_in_pieces([60], trailing)
        self.expect_echoes(conn, [(OP_BINARY, b"".join(parts))], "a fragmented message behind a split request")
        conn.close_cleanly()


if __name__ == "__main__":
    SERVER[:], sys.argv = server_process.take_server_argv(sys.argv)
    server_process.start_watchdog(WATCHDOG_SECONDS, "test_split_reads.py")
    unittest.main(verbosity=2)
