#!/usr/bin/python3
"""Hostile clients never hurt anyone else: wsalloc-server against the real binary (argv after `--`).

Each case runs one hostile action while a good client, connected before it, echoes random text and
binary payloads of several sizes in a background thread. Every case then checks:

  - the good client saw every echo intact, during and after the action, and kept going;
  - a new connection opened after the action upgrades and echoes;
  - the server process is still running;
  - within a bounded time GET /stats shows only the good connection (plus the /stats request
    itself): no hostile connection leaked or got stuck, the pooled connection objects agree, and
    the memory counters that track live bytes are back where they were before the action.

The hostile actions, one class each (one server per class):

  HalfFrameThenDisconnect     a frame cut in its header, its 16/64-bit length, its mask key or its
                              payload (also a large or fragmented message), then FIN or reset
  DisconnectMidHandshake      part of the upgrade request, then FIN, reset or silence
  GarbageBeforeHandshake      random bytes, binary junk, a TLS ClientHello, HTTP/1.0, a huge line:
                              an HTTP 4xx or a close, never a 101
  RandomBytesAfterHandshake   random bytes as frames (also in the same write as the request): a
                              close (1002 when the first header is already invalid) or a TCP close,
                              and nothing after the close frame
  ResetWithRepliesQueued      a client that sends big messages (or pings) and never reads, until
                              the server stops reading it (its backlog is full), then resets or
                              closes; a protocol error queued behind that backlog; a 15 MiB echo
                              never read; SIGTERM with such a client connected still exits 0
  ManyHostileAtOnce           50 of the above in parallel threads

Bounded: every socket has a timeout, every loop a deadline, a watchdog (SIGALRM) kills the servers
this process started (by PID) and exits 124. Randomness comes from one seed, printed at the start;
WSALLOC_HOSTILE_SEED=N repeats a run.
"""
import json
import os
import random
import select
import shlex
import socket
import struct
import sys
import threading
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
sys.path.insert(0, os.path.join(HERE, ".."))  # tests/: the package pylib (the shared server launcher)
from pylib import server_process  # noqa: E402
import wsproto  # noqa: E402
from tcp_queues import wait_server_read_all  # noqa: E402
from wsconn import Connection, build_request  # noqa: E402
from wsproto import OP_BINARY, OP_CLOSE, OP_TEXT  # noqa: E402

SERVER = []  # filled from argv
SEED = int(os.environ.get("WSALLOC_HOSTILE_SEED", time.time_ns() % 1_000_000))
WATCHDOG_SECONDS = int(os.environ.get("WSALLOC_HARDENING_WATCHDOG", "150"))  # the whole file; natively well under a minute
EXIT_WATCHDOG = 124

HANDSHAKE_TIMEOUT_MS = 1000  # passed to the server, so silent half-handshakes end within a case
SWEEP = 0.25                 # the server checks its timers every 250 ms
SETTLE = 10.0 * server_process.SLOW  # how long a hostile connection may take to leave /stats
CLOSE_LINGER = 2.0           # the server's default wait for a peer to take its last bytes
LATE = 3.0 * server_process.SLOW  # scheduling noise on a loaded 2-core machine

# The good client's payloads: empty, the 7/16/64-bit length boundaries, a few larger ones. Kept
# under 256 KiB so one sendall() cannot deadlock against the echo (the server buffers up to its
# 2 MiB high water before it stops reading).
GOOD_SIZES = (0, 1, 125, 126, 127, 1000, 65535, 65536, 70000, 200_000)
# Printable ASCII for random text, plus multi-byte characters so UTF-8 validation spans reads.
_ASCII = bytes(0x20 + (b % 95) for b in range(256))
_MULTIBYTE = ("é".encode(), "€".encode(), "𝄞".encode())

CLOSED_ERRORS = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


def rng_for(name: str) -> random.Random:
    return random.Random(f"{SEED}:{name}")


def random_text(rng: random.Random, n: int) -> bytes:
    """n bytes of valid UTF-8: random ASCII with multi-byte characters every 8th position at most."""
    out = bytearray(rng.randbytes(n).translate(_ASCII))
    for slot in rng.sample(range(n // 8), min(16, n // 8)):
        ch = rng.choice(_MULTIBYTE)
        out[slot * 8:slot * 8 + len(ch)] = ch   # same length; slots 8 B apart never overlap
    return bytes(out)


# ---- sockets ---------------------------------------------------------------------------------
def connect(port: int, rcvbuf: int | None = None) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:  # before connect(), so the window the client advertises is small from the start
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def reset(sock: socket.socket) -> None:
    """Close with SO_LINGER {1, 0}: the kernel sends a RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def end(sock: socket.socket, how: str) -> None:
    """'fin': shutdown(SHUT_WR) then close; 'reset': RST."""
    if how == "reset":
        reset(sock)
        return
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # already reset by the server
    sock.close()


def send_ignoring_close(sock: socket.socket, data: bytes) -> bool:
    """A hostile client keeps writing even when the server has given up on it."""
    try:
        sock.sendall(data)
        return True
    except CLOSED_ERRORS:
        return False


def read_to_eof(sock: socket.socket, limit: float) -> tuple[bytes, str]:
    """Everything the server sends until it closes TCP: (bytes, 'eof' | 'reset'); fails after `limit` s."""
    got = bytearray()
    deadline = time.monotonic() + limit
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            upgraded_note = " (an UPGRADE)" if got.startswith(b"HTTP/1.1 101") else ""
            raise AssertionError(f"the server did not close TCP within {limit:.2f} s; it sent{upgraded_note} "
                                 f"{bytes(got[:200])!r}")
        sock.settimeout(min(left, 0.5))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except CLOSED_ERRORS:
            return bytes(got), "reset"
        if not chunk:
            return bytes(got), "eof"
        got += chunk


def upgraded(port: int) -> Connection:
    conn = Connection("127.0.0.1", port)
    conn.handshake("/hostile")
    return conn


# ---- the server and its /stats -----------------------------------------------------------------
class Server(server_process.ServerProcess):
    """The conformance suite's runner (start, `listening on`, SIGTERM by PID, exit 0) plus GET /stats.
    One poller thread (the default) so /stats sees every connection; made explicit unless given."""

    def __init__(self, *extra):
        argv = SERVER + ([] if "--threads" in SERVER else ["--threads", "1"]) + list(extra)
        super().__init__(argv)

    def stats(self) -> dict:
        """GET /stats on a raw socket read to EOF, so the server has finished with this request
        before the next one; `connections` counts this request's own connection."""
        s = connect(self.port)
        try:
            s.sendall(b"GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            raw, _ = read_to_eof(s, 5)
        finally:
            s.close()
        head, _, body = raw.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise AssertionError(f"GET /stats answered {head[:80]!r}")
        return json.loads(body)


def live_counters(stats: dict) -> dict[str, int]:
    """Every counter of memory in use, by path: these must return to their value before a case."""
    # Not "live_blocks": a recycled arena connection area keeps its first block by design.
    keys = {"live", "live_bytes", "large_live", "large_live_bytes", "bytes_in_use"}
    found = {}

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in keys and isinstance(v, int):
                    found[f"{path}.{k}"] = v
                else:
                    walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")
    walk(stats.get("memory", {}), "memory")
    return found


# ---- the good client -------------------------------------------------------------------------
class GoodClient:
    """A well-behaved connection echoing random payloads, optionally in a background thread.
    Any mismatch, close or stall is kept in `errors` and ends the loop."""

    STOP_TIMEOUT = 30.0  # one echo is bounded by wsconn's 5 s per recv / 20 s per operation

    def __init__(self, port: int, name: str):
        self.name = name
        self.rng = rng_for(name)
        self.conn = upgraded(port)
        self.echoes = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = None

    def echo_once(self, opcode: int, payload: bytes) -> None:
        self.conn.send_frame(opcode, payload)
        got_op, got = self.conn.recv_message(f"the echo of a {len(payload)} B message")
        if (got_op, got) != (opcode, payload):
            raise AssertionError(f"{self.name}: sent {wsproto.OPCODE_NAMES[opcode]} {len(payload)} B "
                                 f"{payload[:16]!r}, echo was {wsproto.OPCODE_NAMES.get(got_op)} {len(got)} B "
                                 f"{got[:16]!r}")
        self.echoes += 1

    def echo_random(self) -> None:
        size = self.rng.choice(GOOD_SIZES)
        if self.rng.random() < 0.5:
            self.echo_once(OP_TEXT, random_text(self.rng, size))
        else:
            self.echo_once(OP_BINARY, self.rng.randbytes(size))

    def echo_every_size(self) -> None:
        for size in GOOD_SIZES:
            self.echo_once(OP_TEXT, random_text(self.rng, size))
            self.echo_once(OP_BINARY, self.rng.randbytes(size))

    def start(self) -> None:
        def run():
            try:
                while not self._stop.is_set():
                    self.echo_random()
            except BaseException as e:  # noqa: BLE001 - reported by stop()
                self.errors.append(f"{self.name} failed after {self.echoes} good echoes: "
                                   f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
        self._thread = threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()

    def wait_for_echoes(self, more: int, limit: float = 10.0 * server_process.SLOW) -> None:
        """Blocks until the loop has done `more` further echoes; fails if it stalls or failed."""
        target = self.echoes + more
        deadline = time.monotonic() + limit
        while self.echoes < target:
            if self.errors:
                raise AssertionError(self.errors[0])
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: only {self.echoes - target + more} of {more} echoes "
                                     f"within {limit} s (stalled)")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(self.STOP_TIMEOUT)
        if self._thread.is_alive():
            raise AssertionError(f"{self.name}: an echo did not finish within {self.STOP_TIMEOUT} s")
        self._thread = None
        if self.errors:
            raise AssertionError(self.errors[0])

    def close(self) -> None:
        self.conn.close_cleanly()
        self.conn.close_socket()

    def abandon(self) -> None:  # cleanup after a failure: no assertions
        self._stop.set()
        if self._thread:
            self._thread.join(self.STOP_TIMEOUT)
        self.conn.close_socket()


# ---- the frame of every case ---------------------------------------------------------------------
class HostileCase(unittest.TestCase):
    SERVER_FLAGS: tuple[str, ...] = ("--handshake-timeout-ms", str(HANDSHAKE_TIMEOUT_MS))

    @classmethod
    def setUpClass(cls):
        cls.server = Server(*cls.SERVER_FLAGS).start()

    @classmethod
    def tearDownClass(cls):
        # Exit 0 on SIGTERM is part of the contract: a hostile client must not break shutdown.
        assert cls.server.stop() == 0

    def wait_for_connections(self, expected: int, why: str, limit: float = SETTLE) -> dict:
        """Polls GET /stats until `connections` (this request included) equals `expected`."""
        deadline = time.monotonic() + limit
        while True:
            stats = self.server.stats()
            if stats["connections"] == expected:
                return stats
            if time.monotonic() > deadline:
                self.fail(f"{why}: GET /stats still shows {stats['connections']} connections after "
                          f"{limit:.2f} s, expected {expected} (accepted {stats['accepted']}, closed "
                          f"{stats['closed']}; seed {SEED})")
            time.sleep(0.05)

    def check_memory_settled(self, stats: dict, before: dict) -> None:
        objects = stats.get("connection_objects")
        if isinstance(objects, dict):  # pooled connections: every free() reached the pool
            self.assertEqual(objects["live"], stats["connections"],
                             f"pooled connection objects live vs open connections: {objects}")
        areas = stats["memory"].get("connection_areas")
        if areas:  # arena: one area per open connection, every other one back on the idle list
            self.assertEqual((areas["live"], areas["created"]), (stats["connections"], areas["live"] + areas["idle"]),
                             f"arena connection areas (live, created) vs (connections, live + idle): {areas}")
        self.assertEqual(live_counters(stats), live_counters(before),
                         f"memory in use differs from before the hostile action (seed {SEED})")

    def survive(self, action) -> None:
        """Runs `action()` (the hostile part, which makes its own assertions) with a good client
        echoing in the background (self.good), then checks that nobody else was hurt and nothing
        leaked. An action may call self.while_hostile() when its hostile connections are open."""
        srv = self.server
        srv.assert_running()
        self.wait_for_connections(1, "before the case")
        before = srv.stats()
        self.good = good = GoodClient(srv.port, f"good client of {self.id().split('.', 1)[1]}")
        try:
            good.echo_every_size()
            good.start()
            good.wait_for_echoes(2)
            action()
            good.wait_for_echoes(5)  # still served after the action
            fresh = GoodClient(srv.port, "new client after the action")
            fresh.echo_every_size()
            fresh.close()
            srv.assert_running()
            self.wait_for_connections(2, "after the hostile action (good client + this request)")
            good.stop()
            good.close()
        except BaseException:
            good.abandon()
            raise
        srv.assert_running()
        self.check_memory_settled(self.wait_for_connections(1, "after the good client left"), before)

    def while_hostile(self, hostile_open: int, echoes: int = 3) -> None:
        """Called with `hostile_open` hostile connections established: /stats must show them (so
        their later disappearance means something), and the good client must keep being served."""
        stats = self.server.stats()
        self.assertGreaterEqual(stats["connections"], 2 + hostile_open,
                                "the hostile connections are not open on the server")
        self.good.wait_for_echoes(echoes)


# ---- 1. half a frame, then disconnect ----------------------------------------------------------------
def half_frame(port: int, cut: bytes, how: str) -> None:
    conn = upgraded(port)
    send_ignoring_close(conn.sock, cut)
    wait_server_read_all(conn.sock, port, SETTLE)  # the partial frame is read before the disconnect
    end(conn.sock, how)


class HalfFrameThenDisconnect(HostileCase):
    def cuts(self, name: str) -> dict[str, bytes]:
        rng = rng_for(name)
        payload = rng.randbytes(3000)
        whole = wsproto.encode_frame(OP_BINARY, payload)  # 16-bit length: 2 + 2 + 4 + 3000
        return {
            "first header byte": whole[:1],
            "header, no mask key": bytes([0x82, 0x80 | 5]),
            "16-bit length cut in the middle": whole[:3],
            "64-bit length cut in the middle": wsproto.encode_frame(OP_BINARY, payload, length_bits=64)[:6],
            "mask key cut": whole[:6],
            "header and part of the payload": whole[:8 + 1500],
            "all but the last payload byte": whole[:-1],
            "text cut inside a multi-byte character": wsproto.encode_frame(OP_TEXT, "ab€".encode())[:-1],
        }

    def run_cuts(self, name: str, how: str) -> None:
        cuts = self.cuts(name)

        def action():
            for label, cut in cuts.items():
                with self.subTest(cut=label, end=how):
                    half_frame(self.server.port, cut, how)
        self.survive(action)

    def test_half_frame_then_fin(self):
        self.run_cuts("half frame fin", "fin")

    def test_half_frame_then_reset(self):
        self.run_cuts("half frame reset", "reset")

    def test_large_message_cut_after_300_kib_then_fin_and_reset(self):
        # 1 MiB declared, 300 KiB sent: the server holds a partly received message when the peer goes.
        rng = rng_for("large cut")
        frame = wsproto.encode_frame(OP_BINARY, rng.randbytes(1 << 20))

        def action():
            for how in ("fin", "reset"):
                half_frame(self.server.port, frame[:300 * 1024], how)
        self.survive(action)

    def test_fragmented_message_cut_in_its_second_fragment(self):
        rng = rng_for("fragments")
        first = wsproto.encode_frame(OP_TEXT, random_text(rng, 5000), fin=False)
        second = wsproto.encode_frame(0, random_text(rng, 5000), fin=True)

        def action():
            for how in ("fin", "reset"):
                half_frame(self.server.port, first + second[:2000], how)
        self.survive(action)


# ---- 2. disconnect in the middle of the handshake ------------------------------------------------------
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


# ---- 3. garbage before the handshake ---------------------------------------------------------------
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


# ---- 4. random bytes after a good handshake ---------------------------------------------------------
_RESERVED_OPCODES = set(range(3, 8)) | set(range(0xB, 0x10))


def first_header_fails(blob: bytes) -> bool:
    """True when the first two bytes alone make the frame invalid (RFC 6455 5.1-5.5): RSV bits, a
    reserved opcode, no mask, a continuation with nothing to continue, a fragmented or long control
    frame. The server must then fail the connection with 1002 before anything else."""
    b0, b1 = blob[0], blob[1]
    op = b0 & 0x0F
    control = op >= 8
    return bool(b0 & 0x70 or op in _RESERVED_OPCODES or not b1 & 0x80 or op == 0
                or (control and (not b0 & 0x80 or (b1 & 0x7F) > 125)))


def random_frames_blob(rng: random.Random, valid_header: bool) -> bytes:
    body = rng.randbytes(rng.randrange(2, 20_000))
    if not valid_header:
        return body
    # A well-formed masked data frame header with a random length, then random bytes: the server
    # has to get past the first header and judge what follows.
    op = rng.choice((OP_TEXT, OP_BINARY))
    n = rng.choice((rng.randrange(126), rng.randrange(126, 20_000), rng.randrange(1 << 16, 1 << 22)))
    return wsproto.encode_frame(op, b"", fin=rng.random() < 0.7, declared_length=n, header_only=True) + body


class RandomBytesAfterHandshake(HostileCase):
    QUIET = 1.0  # no reply for this long: the server waits for the rest of a frame

    def throw_random(self, blob: bytes, how: str, *, with_request: bool = False, split=None) -> tuple[str, list]:
        """Sends `blob` on an upgraded connection (with_request: in the same write as the upgrade
        request, which `split` may cut into writes) and reads the server's reaction until it closes
        TCP; when the server goes quiet first (it waits for the rest of a frame), a FIN from us
        must make it close. Returns the outcome ('close <code>', 'tcp': closed without a close
        frame, 'waiting': closed on our FIN) and the frames, each checked strictly."""
        if with_request:
            conn = Connection("127.0.0.1", self.server.port)
            conn.handshake("/hostile", trailing=blob, split=split, delay=0.01 if split else 0.0)
        else:
            conn = upgraded(self.server.port)
            send_ignoring_close(conn.sock, blob)
        sock = conn.sock
        try:
            half_closed = False
            deadline = time.monotonic() + self.QUIET + 2 * LATE
            while True:
                self.assertLess(time.monotonic(), deadline, "the server neither reacted nor closed TCP")
                readable, _, _ = select.select([sock], [], [], self.QUIET)
                if not readable:
                    if not half_closed:
                        sock.shutdown(socket.SHUT_WR)
                        half_closed = True
                    continue
                try:
                    chunk = sock.recv(65536)
                except CLOSED_ERRORS:
                    break
                if not chunk:
                    break
                conn.decoder.feed(chunk)
            frames = []
            while (frame := conn.decoder.next_frame()) is not None:
                frames.append(frame)
            closes = [i for i, f in enumerate(frames) if f.opcode == OP_CLOSE]
            if closes:
                self.assertEqual((closes[0], conn.decoder.buffered()), (len(frames) - 1, 0),
                                 f"the server sent more after its close frame: {[f.describe() for f in frames]}")
                return f"close {frames[-1].close_code}", frames
            return ("waiting" if half_closed else "tcp"), frames
        finally:
            end(sock, how)

    def test_random_bytes_fail_the_connection(self):
        rng = rng_for("random after handshake")
        outcomes = {}

        def action():
            for i in range(24):
                blob = random_frames_blob(rng, valid_header=i % 2 == 1)
                how = rng.choice(("fin", "reset"))
                with self.subTest(trial=i, first_bytes=blob[:12].hex(), seed=SEED):
                    outcome, frames = self.throw_random(blob, how)
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
                    if first_header_fails(blob):
                        self.assertEqual(outcome, "close 1002", f"frames: {[f.describe() for f in frames]}")
                        self.assertEqual(len(frames), 1, "the close must be the only frame")
        self.survive(action)
        sys.stderr.write(f"  random-bytes outcomes: {outcomes}\n")

    def test_random_bytes_in_the_same_write_as_the_request(self):
        # The bytes behind the request take another path: parsed out of the handshake read, or out
        # of the copy kept when the request itself arrived in pieces (split).
        rng = rng_for("random with request")
        request_bytes = len(build_request(wsproto.new_client_key(), path="/hostile"))

        def action():
            for i in range(8):
                blob = random_frames_blob(rng, valid_header=i % 2 == 1)
                split = [request_bytes - 3] if i >= 4 else None
                with self.subTest(trial=i, split=split, first_bytes=blob[:12].hex(), seed=SEED):
                    outcome, frames = self.throw_random(blob, "reset", with_request=True, split=split)
                    if first_header_fails(blob):
                        self.assertEqual(outcome, "close 1002", f"frames: {[f.describe() for f in frames]}")
        self.survive(action)

    def test_unmasked_and_reserved_headers_get_1002(self):
        rng = rng_for("invalid headers")
        blobs = {
            "unmasked": wsproto.encode_frame(OP_BINARY, rng.randbytes(100), masked=False),
            "rsv1": wsproto.encode_frame(OP_BINARY, rng.randbytes(100), rsv=wsproto.RSV1),
            "opcode 0x3": wsproto.encode_frame(0x3, rng.randbytes(100)),
            "64-bit length with the top bit": wsproto.encode_frame(OP_BINARY, b"", declared_length=1 << 63,
                                                                   header_only=True) + rng.randbytes(100),
        }

        def action():
            for label, blob in blobs.items():
                with self.subTest(header=label):
                    self.assertEqual(self.throw_random(blob + rng.randbytes(5000), "fin")[0], "close 1002")
        self.survive(action)


# ---- 5. reset while replies are queued ---------------------------------------------------------------
FLOOD_FRAME_BYTES = 1 << 20
FLOOD_LIMIT_BYTES = 256 << 20   # far past any kernel buffers plus the server's 2 MiB high water
FLOOD_STALL = 1.0 * server_process.SLOW      # unwritable this long: the server stopped reading us
FLOOD_DEADLINE = 25.0 * server_process.SLOW


def flood_until_stalled(sock: socket.socket, frame: bytes, once: bool = False) -> int:
    """Sends `frame` over and over (once: one time) without reading until the socket stays
    unwritable for FLOOD_STALL seconds: the server has stopped reading (its backlog for us passed
    its high water) and the kernel buffers both ways are full. Returns the bytes sent."""
    sock.setblocking(False)
    sent, view = 0, memoryview(frame)
    pos = 0
    deadline = time.monotonic() + FLOOD_DEADLINE
    while sent < FLOOD_LIMIT_BYTES:
        if time.monotonic() > deadline:
            raise AssertionError(f"the server still read after {sent} B in {FLOOD_DEADLINE} s "
                                 f"from a client that never reads (no backpressure)")
        try:
            n = sock.send(view[pos:])
        except BlockingIOError:
            _, writable, _ = select.select([], [sock], [], FLOOD_STALL)
            if not writable:
                return sent
            continue
        sent += n
        pos = (pos + n) % len(frame)
        if once and sent == len(frame):
            return sent
    raise AssertionError(f"the server read {sent} B from a client that never reads (no backpressure)")


def upgraded_raw(port: int, rcvbuf: int | None = None) -> socket.socket:
    """An upgraded connection as a bare socket (no frame decoder: a flooder never reads frames)."""
    s = connect(port, rcvbuf)
    s.sendall(build_request(wsproto.new_client_key()))
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)  # byte by byte: nothing after the 101 may be consumed here
        if not chunk:
            raise AssertionError(f"closed during the handshake: {head!r}")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise AssertionError(f"handshake answered {head[:80]!r}")
    return s


# A small receive buffer on the flooder: the server's replies back up after a few KiB in flight.
FLOODER_RCVBUF = 16 * 1024
FLOOD_FRAME = wsproto.encode_frame(OP_BINARY, rng_for("flood").randbytes(FLOOD_FRAME_BYTES))


class ResetWithRepliesQueued(HostileCase):
    def flood_then(self, how: str, flooders: int) -> None:
        sent = []

        def action():
            socks = [upgraded_raw(self.server.port, FLOODER_RCVBUF) for _ in range(flooders)]
            sent.extend(flood_until_stalled(s, FLOOD_FRAME) for s in socks)
            self.while_hostile(flooders)  # replies queued, server not reading them: others served
            for s in socks:
                s.setblocking(True)
                if how == "reset":
                    reset(s)
                else:
                    # What a naive client does: FIN, then close. The FIN waits behind the unread
                    # data in our send buffer, and closing with replies unread makes the kernel
                    # send a reset anyway (RFC 2525 2.17); the server must cope with either.
                    s.shutdown(socket.SHUT_WR)
                    time.sleep(0.2)  # not a wait for the server (it reads nothing now): the client's own pause
                    s.close()
        self.survive(action)
        sys.stderr.write(f"  {how} x{flooders}: {[f'{n / 2**20:.1f} MiB' for n in sent]} "
                         f"sent before the server stopped reading\n")
        for n in sent:  # the server stops reading only past its 2 MiB high water of unsent replies
            self.assertGreater(n, 2 << 20, "the client stalled before the server's backlog could fill")

    def test_reset_while_replies_are_queued(self):
        self.flood_then("reset", flooders=1)

    def test_fin_then_close_while_replies_are_queued(self):
        self.flood_then("fin", flooders=1)

    def test_two_resets_while_replies_are_queued(self):
        self.flood_then("reset", flooders=2)

    def test_reset_while_pongs_are_queued(self):
        # Control replies take their own path (pongs are queued outside any message): a ping flood
        # that never reads the pongs must back up and then be freed just the same.
        pings = wsproto.encode_frame(wsproto.OP_PING, b"p" * 125) * 1000

        def action():
            s = upgraded_raw(self.server.port, FLOODER_RCVBUF)
            sent = flood_until_stalled(s, pings)
            self.assertGreater(sent, 2 << 20, "stalled before the server's pong backlog could fill")
            self.while_hostile(1)
            s.setblocking(True)
            reset(s)
        self.survive(action)

    def test_protocol_error_behind_queued_replies_to_a_client_that_never_reads(self):
        # The server's close frame (1002) waits behind 1.5 MiB of echo the client never reads; the
        # server must give up after its close linger (2 s) instead of waiting for the client forever.
        def action():
            s = upgraded_raw(self.server.port, FLOODER_RCVBUF)
            s.sendall(wsproto.encode_frame(OP_BINARY, rng_for("behind").randbytes(1_500_000)))
            s.sendall(wsproto.encode_frame(OP_BINARY, b"x", rsv=wsproto.RSV1))
            self.while_hostile(1)
            self.wait_for_connections(2, "the server waited on a client that never reads (good client + "
                                      "this request expected)", limit=CLOSE_LINGER + SWEEP + LATE)
            s.close()
        self.survive(action)

    def test_reset_with_a_15_mib_echo_queued(self):
        # One message near --max-message (16 MiB), never read: the whole echo sits in the server's
        # backlog (the memory counters show it) until the reset, and must all be given back.
        frame = wsproto.encode_frame(OP_BINARY, rng_for("15 MiB").randbytes(15 << 20))

        def action():
            s = upgraded_raw(self.server.port, FLOODER_RCVBUF)
            sent = flood_until_stalled(s, frame, once=True)  # all of it, unless the echo streams
            self.assertGreater(sent, 2 << 20, "stalled before the server's backlog could fill")
            readable, _, _ = select.select([s], [], [], FLOOD_DEADLINE)
            self.assertTrue(readable, "no echo started: the message is not queued yet")  # (not read)
            self.while_hostile(1)
            reset(s)
        self.survive(action)

    def test_sigterm_with_a_stalled_flooder_still_exits_0(self):
        # A client that never reads must not hold up shutdown: the server's close (1001) cannot
        # reach it, so the server has to give up on it within its shutdown grace.
        srv = Server(*self.SERVER_FLAGS).start()
        try:
            stalled = upgraded_raw(srv.port, FLOODER_RCVBUF)
            flood_until_stalled(stalled, FLOOD_FRAME)
            half = connect(srv.port)
            half.sendall(b"GET / HTTP/1.1\r\nHo")
            good = GoodClient(srv.port, "good client at shutdown")
            good.echo_every_size()
        finally:
            self.assertEqual(srv.stop(), 0)  # within server_process.STOP_TIMEOUT (5 s)
        for sock in (stalled, half, good.conn.sock):
            sock.close()

    def test_fin_with_replies_queued_is_dropped_while_the_client_still_holds_the_socket(self):
        # Under its high water the server still reads, so it sees the FIN behind a 1 MiB message
        # whose echo it cannot deliver (16 KiB window), and must let go without waiting for us.
        def action():
            s = upgraded_raw(self.server.port, FLOODER_RCVBUF)
            s.sendall(FLOOD_FRAME)
            self.while_hostile(1)
            s.shutdown(socket.SHUT_WR)
            self.wait_for_connections(2, "the server kept a connection whose peer sent FIN (good client + "
                                      "this request expected)")
            s.close()
        self.survive(action)


class StalledPeer(HostileCase):
    """A client that neither reads nor can be heard: the server stopped reading it (backpressure),
    it stopped reading the server, and even its FIN waits in its own send buffer behind bytes the
    server's shut window will not take. Only --send-timeout-ms frees what it pins."""
    SEND_TIMEOUT = 5.0  # longer than a flood takes to stall, so the reset comes after it
    SERVER_FLAGS = HostileCase.SERVER_FLAGS + ("--send-timeout-ms", str(int(SEND_TIMEOUT * 1000)))

    def stall_then(self, how: str) -> None:
        def action():
            s = upgraded_raw(self.server.port, FLOODER_RCVBUF)
            sent = flood_until_stalled(s, FLOOD_FRAME)
            self.assertGreater(sent, 2 << 20, "stalled before the server's backlog could fill")
            if how == "fin":
                s.setblocking(True)
                s.shutdown(socket.SHUT_WR)  # queued behind unsent bytes: never reaches the server
            self.wait_for_connections(2, f"the server kept a stalled peer ({how}) past its send timeout "
                                      f"(good client + this request expected)",
                                      limit=self.SEND_TIMEOUT + SWEEP + LATE)
            s.close()
        self.survive(action)

    def test_stalled_peer_holding_its_socket_is_reset_after_the_send_timeout(self):
        self.stall_then("hold")

    def test_stalled_peer_whose_fin_cannot_arrive_is_reset_after_the_send_timeout(self):
        self.stall_then("fin")

# ---- 6. many hostile connections at once ---------------------------------------------------------------
class ManyHostileAtOnce(HostileCase):
    COUNT = 50
    FLOODERS = 3      # each parks ~10 MiB in kernel buffers; more only slows the 2-core machine
    JOIN_LIMIT = 40.0

    def kinds(self) -> dict:
        """Each kind is one hostile connection, run in its own thread with its own random source;
        it raises if the server answered it wrongly."""
        port = self.server.port
        request = build_request(wsproto.new_client_key())
        frame = wsproto.encode_frame(OP_BINARY, rng_for("many frame").randbytes(3000))

        def partial_request(n: int) -> socket.socket:
            s = connect(port)
            s.sendall(request[:n])
            wait_server_read_all(s, port, SETTLE)
            return s

        def silent_half_handshake(rng):
            s = partial_request(10)
            got, _ = read_to_eof(s, HANDSHAKE_TIMEOUT_MS / 1000 + SWEEP + 2 * LATE)
            s.close()
            if got:
                raise AssertionError(f"a half-sent request got an answer: {got[:60]!r}")

        def garbage(rng):
            s = connect(port)
            send_ignoring_close(s, tls_client_hello(rng) + b"\r\n\r\n")
            got, _ = read_to_eof(s, 10)
            s.close()
            if not got.startswith(b"HTTP/1.1 400"):
                raise AssertionError(f"garbage answered {got[:60]!r}, expected 400")

        def huge_line(rng):
            s = connect(port)
            send_ignoring_close(s, b"GET /" + b"a" * 100_000)
            got, _ = read_to_eof(s, 10)
            s.close()
            if not got.startswith(b"HTTP/1.1 431"):
                raise AssertionError(f"huge line answered {got[:60]!r}, expected 431")

        def random_after_handshake(rng):
            conn = upgraded(port)
            send_ignoring_close(conn.sock, rng.randbytes(5000))
            wait_server_read_all(conn.sock, port, SETTLE)
            end(conn.sock, rng.choice(("fin", "reset")))

        def flood_and_reset(rng):
            s = upgraded_raw(port, FLOODER_RCVBUF)
            flood_until_stalled(s, FLOOD_FRAME)
            s.setblocking(True)
            reset(s)

        return {
            "half frame, fin": lambda rng: half_frame(port, frame[:rng.randrange(1, len(frame))], "fin"),
            "half frame, reset": lambda rng: half_frame(port, frame[:rng.randrange(1, len(frame))], "reset"),
            "mid-handshake fin": lambda rng: end(partial_request(rng.randrange(1, len(request))), "fin"),
            "mid-handshake reset": lambda rng: end(partial_request(rng.randrange(1, len(request))), "reset"),
            "mid-handshake silence": silent_half_handshake,
            "garbage": garbage,
            "huge line": huge_line,
            "random after handshake": random_after_handshake,
            "flood and reset": flood_and_reset,
        }

    def test_fifty_mixed_hostile_connections_in_parallel(self):
        kinds = self.kinds()
        others = [k for k in kinds if k != "flood and reset"]
        plan = ["flood and reset"] * self.FLOODERS + [others[i % len(others)]
                                                      for i in range(self.COUNT - self.FLOODERS)]
        errors = []
        barrier = threading.Barrier(len(plan), timeout=10)

        def run(i, kind):
            try:
                rng = rng_for(f"many {i}")
                barrier.wait()  # all at once
                kinds[kind](rng)
            except BaseException as e:  # noqa: BLE001 - collected and asserted below
                errors.append(f"{kind}: {type(e).__name__}: {e}")

        def action():
            threads = [threading.Thread(target=run, args=(i, k), daemon=True) for i, k in enumerate(plan)]
            for t in threads:
                t.start()
            self.good.wait_for_echoes(3)  # served while the 50 are at it
            deadline = time.monotonic() + self.JOIN_LIMIT
            for t in threads:
                t.join(max(0.0, deadline - time.monotonic()))
            stuck = [k for k, t in zip(plan, threads) if t.is_alive()]
            self.assertEqual(stuck, [], f"hostile clients still running after {self.JOIN_LIMIT} s")
            self.assertEqual(errors, [], "hostile clients were answered wrongly")
        self.survive(action)


def main() -> None:
    SERVER[:], sys.argv = server_process.take_server_argv(sys.argv)
    server_process.start_watchdog(WATCHDOG_SECONDS, "test_hostile.py", EXIT_WATCHDOG)
    sys.stderr.write(f"test_hostile.py: seed {SEED} (repeat with WSALLOC_HOSTILE_SEED={SEED}); "
                     f"server: {shlex.join(SERVER)}\n")
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
