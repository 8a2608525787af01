#!/usr/bin/python3
"""Hostile clients that stop reading: flow control, queued replies and the send timeout (the
frame of every case: hostile_case.py).

  ResetWithRepliesQueued      a client that sends big messages (or pings) and never reads, until
                              the server stops reading it (its backlog is full), then resets or
                              closes; a protocol error queued behind that backlog; a 15 MiB echo
                              never read; SIGTERM with such a client connected still exits 0
  StalledPeer                 a peer that stops reading with replies queued is reset after
                              --send-timeout-ms

  test_hostile_slow_readers.py -- SERVER_ARGV...
"""
import os
import select
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, ".."), os.path.join(HERE, "..", "conformance")]  # tests/: the package pylib
from pylib import server_process  # noqa: E402
import wsproto  # noqa: E402
from wsconn import build_request  # noqa: E402
from wsproto import OP_BINARY  # noqa: E402
import hostile_case  # noqa: E402
from hostile_case import (CLOSE_LINGER, LATE, SWEEP, GoodClient, HostileCase, Server, connect, reset, rng_for)  # noqa: E402


# ---- reset while replies are queued ---------------------------------------------------------------
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
    # Longer than a flood takes to stall, so the reset comes after it: scaled like every other
    # wait here, or under valgrind (6x slower) the server resets the peer while it is still
    # flooding and the case fails with ConnectionResetError instead of testing the stall.
    SEND_TIMEOUT = 5.0 * server_process.SLOW
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


if __name__ == "__main__":
    hostile_case.main("test_hostile_slow_readers.py")
