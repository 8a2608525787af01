"""The frame of every hostile-client case (the test_hostile_*.py files, split by what they attack):
wsalloc-server against the real binary (argv after `--`).

Each case runs one hostile action while a good client, connected before it, echoes random text and
binary payloads of several sizes in a background thread. Every case then checks:

  - the good client saw every echo intact, during and after the action, and kept going;
  - a new connection opened after the action upgrades and echoes;
  - the server process is still running;
  - within a bounded time GET /stats shows only the good connection (plus the /stats request
    itself): no hostile connection leaked or got stuck, the pooled connection objects agree, and
    the memory counters that track live bytes are back where they were before the action.

One server per test class (HostileCase). Bounded: every socket has a timeout, every loop a
deadline, a watchdog (SIGALRM) kills the servers this process started (by PID) and exits 124.
Randomness comes from one seed, printed at the start; WSALLOC_HOSTILE_SEED=N repeats a run.
"""
import json
import os
import random
import shlex
import socket
import struct
import sys
import threading
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, ".."), os.path.join(HERE, "..", "conformance")]  # tests/: the package pylib
from pylib import server_process  # noqa: E402
import wsproto  # noqa: E402
from wsconn import Connection  # noqa: E402
from wsproto import OP_BINARY, OP_TEXT  # noqa: E402

SERVER = []  # filled from argv
SEED = int(os.environ.get("WSALLOC_HOSTILE_SEED", time.time_ns() % 1_000_000))
WATCHDOG_SECONDS = int(os.environ.get("WSALLOC_HARDENING_WATCHDOG", "150"))  # one file; natively well under a minute
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


def main(who: str) -> None:
    """The entry point of a test_hostile_*.py file: the server argv after `--`, the watchdog, the
    seed, then that file's cases (unittest.main loads them from __main__)."""
    SERVER[:], sys.argv = server_process.take_server_argv(sys.argv)
    server_process.start_watchdog(WATCHDOG_SECONDS, who, EXIT_WATCHDOG)
    sys.stderr.write(f"{who}: seed {SEED} (repeat with WSALLOC_HOSTILE_SEED={SEED}); "
                     f"server: {shlex.join(SERVER)}\n")
    unittest.main(verbosity=2)
