"""Framing (Autobahn 1.x, 2-4 in spirit): echo of text and binary messages across the 7/16/64-bit
length encodings, and any split of the byte stream into TCP writes."""
import os
import random
import unittest

import wsproto
from conformance_case import ServerCase
from wsproto import OP_BINARY, OP_TEXT

SIZES = (0, 1, 125, 126, 127, 65535, 65536, 65537)


def text_payload(n: int) -> bytes:
    return (b"*" * n)


def binary_payload(n: int) -> bytes:
    return os.urandom(n)


class Framing(ServerCase):
    def test_text_echo_at_length_encoding_boundaries(self):
        conn = self.open()
        for n in SIZES:
            with self.subTest(bytes=n):
                payload = text_payload(n)
                conn.send_frame(OP_TEXT, payload)
                self.assert_echo(conn, OP_TEXT, payload, f"text echo of {n} B")
        conn.close_cleanly()

    def test_binary_echo_at_length_encoding_boundaries(self):
        conn = self.open()
        for n in SIZES:
            with self.subTest(bytes=n):
                payload = binary_payload(n)
                conn.send_frame(OP_BINARY, payload)
                self.assert_echo(conn, OP_BINARY, payload, f"binary echo of {n} B")
        conn.close_cleanly()

    def test_text_echo_1_mib(self):
        conn = self.open()
        payload = bytes(random.Random(1).choices(b"abcdefghijklmnopqrstuvwxyz0123456789 ", k=1 << 20))
        conn.send_frame(OP_TEXT, payload)
        self.assert_echo(conn, OP_TEXT, payload, "1 MiB text echo")
        conn.join_sender()
        conn.close_cleanly()

    def test_binary_echo_1_mib(self):
        conn = self.open()
        payload = binary_payload(1 << 20)
        conn.send_frame(OP_BINARY, payload)
        self.assert_echo(conn, OP_BINARY, payload, "1 MiB binary echo")
        conn.join_sender()
        conn.close_cleanly()

    def test_many_frames_in_one_write_are_echoed_in_order(self):
        rng = random.Random(2)
        messages = [(OP_TEXT if i % 2 else OP_BINARY, bytes(rng.randrange(97, 123) for _ in range(rng.randrange(0, 300))))
                    for i in range(200)]
        conn = self.open()
        conn.send_raw(b"".join(wsproto.encode_frame(op, p) for op, p in messages))
        for i, (op, p) in enumerate(messages):
            self.assert_echo(conn, op, p, f"echo {i} of {len(messages)} sent in one write")
        conn.close_cleanly()

    def test_frames_sent_one_byte_per_write(self):
        # One frame per length encoding, so the header is split at every position of each form.
        conn = self.open()
        for op, n in ((OP_TEXT, 5), (OP_BINARY, 200), (OP_TEXT, 0)):
            payload = text_payload(n)
            conn.send_frame(op, payload, split=1, delay=0.0005)
            self.assert_echo(conn, op, payload, f"{n} B frame sent one byte per write")
        payload = text_payload(70000)
        frame = wsproto.encode_frame(OP_BINARY, payload)
        conn.send_raw(frame, split=[1] * 20, delay=0.001)   # 64-bit header + mask + start, byte by byte
        self.assert_echo(conn, OP_BINARY, payload, "70000 B frame whose first 20 bytes came one per write")
        conn.close_cleanly()

    def test_frames_split_at_random_points(self):
        rng = random.Random(3)
        messages = [(OP_TEXT, text_payload(rng.randrange(0, 2000))) for _ in range(20)]
        conn = self.open()
        conn.send_raw(b"".join(wsproto.encode_frame(op, p) for op, p in messages), split="random")
        for i, (op, p) in enumerate(messages):
            self.assert_echo(conn, op, p, f"echo {i} of a randomly split stream")
        conn.close_cleanly()

    def test_frame_header_and_payload_in_separate_writes(self):
        conn = self.open()
        for n in (10, 300, 70000):
            payload = binary_payload(n)
            frame = wsproto.encode_frame(OP_BINARY, payload)
            header_len = len(frame) - n
            conn.send_raw(frame, split=[header_len], delay=0.01)
            self.assert_echo(conn, OP_BINARY, payload, f"{n} B frame, header and payload written apart")
        conn.close_cleanly()

    def test_non_minimal_length_encodings_are_accepted(self):
        # RFC 6455 5.2 asks senders for the minimal form; the wsalloc contract accepts the others.
        for bits, n in ((16, 5), (64, 5), (64, 300)):
            with self.subTest(length_bits=bits, bytes=n):
                conn = self.open()
                payload = text_payload(n)
                conn.send_frame(OP_TEXT, payload, length_bits=bits)
                self.assert_echo(conn, OP_TEXT, payload, f"{n} B in a {bits}-bit length field")
                conn.close_cleanly()

    def test_echo_has_no_mask_and_no_reserved_bits(self):
        conn = self.open()
        conn.send_frame(OP_BINARY, b"check the server frame")
        self.assert_echo(conn, OP_BINARY, b"check the server frame")
        # The decoder raises on masked frames or RSV bits; also check explicitly.
        self.assertTrue(all(not f.masked and f.rsv == 0 for f in conn.received))
        conn.close_cleanly()


if __name__ == "__main__":
    unittest.main()
