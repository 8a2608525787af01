#!/usr/bin/python3
"""Hostile clients at the framing layer, after a good upgrade (the frame of every case:
hostile_case.py).

  HalfFrameThenDisconnect     a frame cut in its header, its 16/64-bit length, its mask key or its
                              payload (also a large or fragmented message), then FIN or reset
  RandomBytesAfterHandshake   random bytes as frames (also in the same write as the request): a
                              close (1002 when the first header is already invalid) or a TCP close,
                              and nothing after the close frame

  test_hostile_framing.py -- SERVER_ARGV...
"""
import os
import random
import select
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, ".."), os.path.join(HERE, "..", "conformance")]  # tests/: the package pylib
import wsproto  # noqa: E402
from tcp_queues import wait_server_read_all  # noqa: E402
from wsconn import Connection, build_request  # noqa: E402
from wsproto import OP_BINARY, OP_CLOSE, OP_TEXT  # noqa: E402
import hostile_case  # noqa: E402
from hostile_case import (CLOSED_ERRORS, LATE, SEED, SETTLE, HostileCase, end, random_text, rng_for,  # noqa: E402
                          send_ignoring_close, upgraded)


# ---- half a frame, then disconnect ----------------------------------------------------------------
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



# ---- random bytes after a good handshake ---------------------------------------------------------
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


if __name__ == "__main__":
    hostile_case.main("test_hostile_framing.py")
