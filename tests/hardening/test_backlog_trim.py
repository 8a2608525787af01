#!/usr/bin/python3
"""Memory a burst of slow consumers needed comes back once they recover, against the real binary
(argv after `--`). Issue 13: a connection that was slow once kept its grown send buffer (in the
pool variant up to a 32 MiB chunk) until it closed.

SLOW consumers connect, send 64 KiB messages without reading until the server stops reading them
(their backlogs pass the 2 MiB high water), then read every echo and stay connected, idle. Then,
per variant:

  pool, zerocopy  every backlog gives its capacity back after a quiet sweep period
                  (Backlog::trim_if_idle; /stats backlog_trimmed_bytes) and the pool gives idle
                  large chunks' pages back beyond its 4 MiB budget: RSS (/proc/PID/status)
                  returns to within BOUND of where it was before the burst, still connected
  malloc          every backlog gives its capacity back (free()); RSS is then glibc's to return
                  and is printed, not asserted: after a freed mmapped chunk glibc raises its mmap
                  threshold and keeps later ones in its heap (measured: 8 slow consumers +6.5 MiB
                  after recovery, 16 slow consumers +43 MiB)
  arena           a connection area frees nothing singly: its memory comes back when the area is
                  reset, at close; RSS within 16 MiB (bound_mib) once the slow consumers closed

The burst must have grown RSS by at least 2 x BOUND, or the test would prove nothing.

Bounded: every socket has a timeout, every wait a deadline; the server stops by PID (exit 0).
"""
import json
import os
import select
import socket
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, ".."), os.path.join(HERE, "..", "conformance")]  # tests/: the package pylib
from pylib import server_process  # noqa: E402
import wsproto  # noqa: E402
from wsconn import build_request  # noqa: E402

SERVER = []  # filled from argv
WATCHDOG_SECONDS = int(os.environ.get("WSALLOC_HARDENING_WATCHDOG", "150"))
SLOW = 16                     # slow consumers in the burst
MESSAGE = 64 * 1024           # small enough that per-connection message buffers stay small
BOUND_MIB = 8                 # RSS after recovery: at most this above the level before the burst


def bound_mib(variant):
    # The arena also keeps what its largest loop iteration and messages needed (loop and message
    # areas grow to hold a whole cycle, never shrink) and 4 MiB of grown idle connection areas:
    # measured +10.7 to +11.1 MiB after this burst.
    return 16 if variant == "arena" else BOUND_MIB
STALL = 1.0                   # unwritable this long: the server stopped reading us
SETTLE = 10.0 * server_process.SLOW  # time for the server's 250 ms sweeps to give memory back
CLIENT_RCVBUF = 16 * 1024     # so the kernel holds little of the echo on our side
HIGH_WATER = 2 << 20          # the server's default: a slow consumer's backlog passes it


def stats(server):
    s = socket.create_connection((server.host, server.port), timeout=5)
    try:
        s.sendall(b"GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
    finally:
        s.close()
    return json.loads(raw.partition(b"\r\n\r\n")[2])


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def upgraded(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, CLIENT_RCVBUF)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    s.sendall(build_request(wsproto.new_client_key()))
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            raise AssertionError("closed during the handshake")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise AssertionError(f"handshake answered {head[:40]!r}")
    return s


def flood_until_stalled(socks, frame):
    """Sends `frame` on every socket, all at once, until each has stayed unwritable for STALL
    seconds (the server stopped reading it); returns per socket (frames owed, unsent rest of the
    frame in flight)."""
    for s in socks:
        s.setblocking(False)
    sent = {s: 0 for s in socks}
    pending = {s: memoryview(frame) for s in socks}
    writable_at = {s: time.monotonic() for s in socks}
    deadline = time.monotonic() + 60
    live = set(socks)
    while live:
        if time.monotonic() > deadline:
            raise AssertionError(f"the server kept reading {len(live)} clients that do not read")
        _, writable, _ = select.select([], list(live), [], 0.05)
        now = time.monotonic()
        for s in writable:
            writable_at[s] = now
            n = s.send(pending[s])
            pending[s] = pending[s][n:]
            if not pending[s]:
                sent[s] += 1
                pending[s] = memoryview(frame)
        live = {s for s in live if now - writable_at[s] <= STALL}
    owed = []
    for s in socks:
        rest = bytes(pending[s]) if len(pending[s]) != len(frame) else b""
        owed.append((sent[s] + (1 if rest else 0), rest))  # the frame in flight is finished later
    return owed


def read_echoes(socks, owed):
    """Reads every echo owed on every socket, all at once, sending the rest of a partial frame."""
    echo = MESSAGE + 2 + (0 if MESSAGE < 126 else 2 if MESSAGE < 65536 else 8)  # frame header + payload
    want = {s: n * echo for s, (n, _) in zip(socks, owed)}
    rest = {s: r for s, (_, r) in zip(socks, owed)}
    deadline = time.monotonic() + 60
    while any(w > 0 for w in want.values()):
        if time.monotonic() > deadline:
            raise AssertionError(f"echo bytes still owed: {sorted(want.values())}")
        readable, writable, _ = select.select([s for s in socks if want[s] > 0], [s for s in socks if rest[s]], [], 0.5)
        for s in writable:
            rest[s] = rest[s][s.send(rest[s]):]
        for s in readable:
            chunk = s.recv(1 << 20)
            if not chunk:
                raise AssertionError("closed while reading the echoes")
            want[s] -= len(chunk)
    if any(w < 0 for w in want.values()):
        raise AssertionError(f"more echo bytes than messages sent: {sorted(want.values())}")


class BacklogTrim(unittest.TestCase):
    def wait_rss_within(self, pid, limit_kib, what):
        deadline = time.monotonic() + SETTLE
        while rss_kib(pid) > limit_kib and time.monotonic() < deadline:
            time.sleep(0.1)  # polling the condition (RSS), at the sweep's pace
        now = rss_kib(pid)
        self.assertLessEqual(now, limit_kib, f"{what}: RSS {now / 1024:.1f} MiB, more than the bound "
                                             f"{limit_kib / 1024:.1f} MiB after {SETTLE:.0f} s")
        return now

    def wait_trimmed(self, server, at_least):
        deadline = time.monotonic() + SETTLE
        while True:
            trimmed = stats(server).get("backlog_trimmed_bytes", 0)
            if trimmed >= at_least:
                return trimmed
            if time.monotonic() > deadline:
                self.fail(f"backlogs gave back {trimmed} B after {SETTLE:.0f} s, expected at least {at_least} "
                          f"({SLOW} recovered slow consumers over the {HIGH_WATER} B high water)")
            time.sleep(0.1)  # polling /stats at the sweep's pace

    def test_rss_returns_after_slow_consumers_recover(self):
        # A peer that takes no byte for --send-timeout-ms is reset; these recover, later.
        server = server_process.ServerProcess(SERVER + ["--threads", "1", "--send-timeout-ms", "600000"]).start()
        try:
            variant = SERVER[SERVER.index("--variant") + 1] if "--variant" in SERVER else "malloc"
            pid = server.proc.pid
            frame = wsproto.encode_frame(wsproto.OP_BINARY, os.urandom(MESSAGE))
            # Warm-up: one consumer that is slow for a moment, so buffers of the usual sizes exist.
            warm = [upgraded(server.port)]
            read_echoes(warm, flood_until_stalled(warm, frame))
            warm[0].close()
            before = rss_kib(pid)
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:  # let a sweep or two run after the warm-up
                before = min(before, rss_kib(pid))
                time.sleep(0.1)
            socks = [upgraded(server.port) for _ in range(SLOW)]
            owed = flood_until_stalled(socks, frame)
            peak = rss_kib(pid)
            read_echoes(socks, owed)
            grew = (peak - before) / 1024
            sys.stderr.write(f"  RSS before {before / 1024:.1f} MiB, with {SLOW} slow consumers "
                             f"{peak / 1024:.1f} MiB (+{grew:.1f})\n")
            self.assertGreaterEqual(grew, 2 * BOUND_MIB, "the burst did not grow RSS enough to prove anything")
            limit = before + bound_mib(variant) * 1024
            if variant in ("pool", "zerocopy"):
                now = self.wait_rss_within(pid, limit, "slow consumers recovered, still connected")
            if variant in ("pool", "zerocopy", "malloc"):
                trimmed = self.wait_trimmed(server, SLOW * HIGH_WATER)
                sys.stderr.write(f"  backlog capacity given back: {trimmed / 2**20:.1f} MiB\n")
            now = rss_kib(pid)
            sys.stderr.write(f"  recovered, connected: {now / 1024:.1f} MiB\n")
            for s in socks:
                s.close()
            if variant == "arena":
                now = self.wait_rss_within(pid, limit, "slow consumers closed")
            else:
                now = rss_kib(pid)
            sys.stderr.write(f"  closed: {now / 1024:.1f} MiB\n")
        finally:
            server.stop()


if __name__ == "__main__":
    SERVER[:], sys.argv = server_process.take_server_argv(sys.argv)
    server_process.start_watchdog(WATCHDOG_SECONDS, "test_backlog_trim.py")
    unittest.main(verbosity=2)
