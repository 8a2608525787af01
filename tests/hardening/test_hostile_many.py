#!/usr/bin/python3
"""Many hostile clients at once (the frame of every case: hostile_case.py).

  ManyHostileAtOnce           50 hostile connections in parallel threads, of every kind the other
                              test_hostile_*.py files attack with (their attack helpers are
                              imported from there)

  test_hostile_many.py -- SERVER_ARGV...
"""
import os
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, ".."), os.path.join(HERE, "..", "conformance")]  # tests/: the package pylib
import wsproto  # noqa: E402
from tcp_queues import wait_server_read_all  # noqa: E402
from wsconn import build_request  # noqa: E402
from wsproto import OP_BINARY  # noqa: E402
import hostile_case  # noqa: E402
from test_hostile_framing import half_frame  # noqa: E402
from test_hostile_handshake import tls_client_hello  # noqa: E402
from test_hostile_slow_readers import FLOOD_FRAME, FLOODER_RCVBUF, flood_until_stalled, upgraded_raw  # noqa: E402
from hostile_case import (HANDSHAKE_TIMEOUT_MS, LATE, SETTLE, SWEEP, HostileCase, connect, end, read_to_eof,  # noqa: E402
                          reset, rng_for, send_ignoring_close, upgraded)


# ---- many hostile connections at once ---------------------------------------------------------------
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


if __name__ == "__main__":
    hostile_case.main("test_hostile_many.py")
