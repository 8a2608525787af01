#!/usr/bin/python3
"""Hostile clients at the handshake (the frame of every case: hostile_case.py).

  DisconnectMidHandshake      part of the upgrade request, then FIN, reset or silence
  GarbageBeforeHandshake      random bytes, binary junk, a TLS ClientHello, HTTP/1.0, a huge line:
                              an HTTP 4xx or a close, never a 101

  test_hostile_handshake.py -- SERVER_ARGV...
"""
import os
import random
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, ".."), os.path.join(HERE, "..", "conformance")]  # tests/: the package pylib
import wsproto  # noqa: E402
from tcp_queues import wait_server_read_all  # noqa: E402
from wsconn import build_request  # noqa: E402
from wsproto import OP_BINARY, OP_CLOSE  # noqa: E402
import hostile_case  # noqa: E402
from hostile_case import (HANDSHAKE_TIMEOUT_MS, LATE, SETTLE, SWEEP, HostileCase, connect, end, read_to_eof,  # noqa: E402
                          reset, rng_for, send_ignoring_close)


# ---- disconnect in the middle of the handshake ------------------------------------------------------
class DisconnectMidHandshake(HostileCase):
    REQUEST = build_request(wsproto.new_client_key(), path="/chat")
    CUTS = (1, 4, 20, len(REQUEST) // 2, len(REQUEST) - 2, len(REQUEST) - 1)  # -2: the final CRLF missing

    def disconnect_after(self, how: str) -> None:
        def action():
            for n in self.CUTS:
                with self.subTest(bytes_sent=n, end=how):
                    s = connect(self.server.port)
                    s.sendall(self.REQUEST[:n])
                    wait_server_read_all(s, self.server.port, SETTLE)
                    end(s, how)
        self.survive(action)

    def test_partial_request_then_fin(self):
        self.disconnect_after("fin")

    def test_partial_request_then_reset(self):
        self.disconnect_after("reset")

    def test_full_request_then_reset_before_reading_the_101(self):
        def action():
            for _ in range(5):
                s = connect(self.server.port)
                s.sendall(self.REQUEST)
                reset(s)  # the 101 meets a reset socket
        self.survive(action)

    def test_partial_request_then_silence_is_dropped_at_the_handshake_timeout(self):
        def action():
            socks = [connect(self.server.port) for _ in range(3)]
            for s, n in zip(socks, (0, 10, len(self.REQUEST) - 1)):
                s.sendall(self.REQUEST[:n])
            self.while_hostile(len(socks))
            for s in socks:
                got, _ = read_to_eof(s, HANDSHAKE_TIMEOUT_MS / 1000 + SWEEP + LATE)
                self.assertEqual(got, b"", "a half-sent request got an answer")
                s.close()
        self.survive(action)


# ---- garbage before the handshake ---------------------------------------------------------------
def tls_client_hello(rng: random.Random) -> bytes:
    """A TLS 1.2 record carrying a ClientHello (what a client speaking wss:// to ws:// sends)."""
    body = (b"\x03\x03" + rng.randbytes(32) + b"\x20" + rng.randbytes(32)
            + b"\x00\x04\x13\x01\xc0\x2f" + b"\x01\x00"
            + b"\x00\x0e" + b"\x00\x00\x00\x0a\x00\x08\x00\x00\x05local")
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + len(handshake).to_bytes(2, "big") + handshake


class GarbageBeforeHandshake(HostileCase):
    """The server answers an HTTP 4xx or just closes; never 101. Input without an end of headers
    is either cut short by us (half-close: the server sees FIN) or left hanging until the server's
    handshake timeout drops it."""

    def exchange(self, data: bytes, *, then: str) -> tuple[bytes, float]:
        """Sends `data`, then 'read' (wait for the server), or 'half-close' first; returns what the
        server sent before closing TCP and how long the close took."""
        s = connect(self.server.port)
        try:
            send_ignoring_close(s, data)
            if then == "half-close":
                s.shutdown(socket.SHUT_WR)
            start = time.monotonic()
            got, _ = read_to_eof(s, HANDSHAKE_TIMEOUT_MS / 1000 + SWEEP + LATE)
            return got, time.monotonic() - start
        finally:
            s.close()

    def assert_no_upgrade(self, got: bytes, *, status: int | None) -> None:
        """status: the exact 4xx expected; None: nothing or any 4xx."""
        self.assertFalse(got.startswith(b"HTTP/1.1 101"), f"garbage was upgraded: {got[:200]!r}")
        if status is None and not got:
            return
        line = got.split(b"\r\n", 1)[0]
        parts = line.split(b" ")
        self.assertTrue(len(parts) >= 2 and parts[0] == b"HTTP/1.1" and parts[1].isdigit(),
                        f"not an HTTP status line: {got[:200]!r}")
        code = int(parts[1])
        if status is None:
            self.assertTrue(400 <= code < 500, f"expected a 4xx, got {line!r}")
        else:
            self.assertEqual(code, status, f"status line {line!r}")

    def test_random_bytes(self):
        rng = rng_for("random garbage")

        def action():
            for i in range(6):
                junk = rng.randbytes(rng.randrange(1, 4000)).replace(b"\r\n\r\n", b"")
                with self.subTest(trial=i, ending="end of headers"):
                    self.assert_no_upgrade(self.exchange(junk + b"\r\n\r\n", then="read")[0], status=400)
                with self.subTest(trial=i, ending="half-close"):
                    got, took = self.exchange(junk, then="half-close")
                    self.assert_no_upgrade(got, status=None)
                    self.assertLess(took, 1.0 + LATE, "a half-closed junk connection was held")
            # No end of headers and no FIN: held until the handshake timeout, then closed silently.
            got, took = self.exchange(rng.randbytes(500).replace(b"\r\n\r\n", b""), then="read")
            self.assert_no_upgrade(got, status=None)
            self.assertGreaterEqual(took, HANDSHAKE_TIMEOUT_MS / 1000 - 0.3, "closed before the handshake timeout")
        self.survive(action)

    def test_binary_junk(self):
        rng = rng_for("binary junk")
        junks = {
            "zeros": bytes(2048),
            "0xff": b"\xff" * 2048,
            "a websocket frame before any upgrade": wsproto.encode_frame(OP_BINARY, rng.randbytes(300)),
            "a close frame before any upgrade": wsproto.encode_frame(OP_CLOSE, wsproto.close_payload(1000)),
            "nul inside the request line": b"GET /\x00chat HTTP/1.1\r\nHost: x\r\n\r\n",
            "control bytes as headers": b"GET / HTTP/1.1\r\n\x01\x02\x03\r\n\x7f: \xff\r\n\r\n",
        }

        def action():
            for label, junk in junks.items():
                with self.subTest(junk=label):
                    self.assert_no_upgrade(self.exchange(junk + b"\r\n\r\n", then="read")[0], status=400)
        self.survive(action)

    def test_tls_client_hello(self):
        rng = rng_for("tls")

        def action():
            got, _ = self.exchange(tls_client_hello(rng), then="half-close")
            self.assert_no_upgrade(got, status=None)
            got, _ = self.exchange(tls_client_hello(rng), then="read")  # a real TLS client waits
            self.assert_no_upgrade(got, status=None)
        self.survive(action)

    def test_http_1_0_requests(self):
        key = wsproto.new_client_key()

        def action():
            for label, request in {
                "plain": b"GET / HTTP/1.0\r\n\r\n",
                "upgrade over HTTP/1.0": build_request(key, http_version="HTTP/1.0"),
                "HTTP/0.9 style": b"GET /\r\n\r\n",
            }.items():
                with self.subTest(request=label):
                    self.assert_no_upgrade(self.exchange(request, then="read")[0], status=400)
        self.survive(action)

    def test_huge_line(self):
        def action():
            # Well past --max-header (8 KiB): answered 431 while the rest is still being sent.
            for label, request in {
                "request line without end": b"GET /" + b"a" * (1 << 20),
                "header line without end": b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"b" * (1 << 20),
                "header line with end": b"GET / HTTP/1.1\r\nX-Long: " + b"c" * 100_000 + b"\r\n\r\n",
            }.items():
                with self.subTest(request=label):
                    self.assert_no_upgrade(self.exchange(request, then="read")[0], status=431)
        self.survive(action)


if __name__ == "__main__":
    hostile_case.main("test_hostile_handshake.py")
