"""Limits (Autobahn 9.x in spirit): the server runs with --max-message 65536. A message over the
limit fails the connection with 1009 as soon as a frame header shows it will be too big, before
the payload is received (refused before buffered); a 64-bit length with its top bit set is a
protocol error (1002)."""
import os
import struct
import unittest

import wsproto
from conformance_case import ServerCase
from wsproto import OP_BINARY, OP_CONT, OP_TEXT

MAX_MESSAGE = 65536


class Limits(ServerCase):
    SERVER_EXTRA_ARGS = ("--max-message", str(MAX_MESSAGE))

    def test_message_of_exactly_the_maximum_is_echoed(self):
        conn = self.open()
        payload = os.urandom(MAX_MESSAGE)
        conn.send_frame(OP_BINARY, payload)
        self.assert_echo(conn, OP_BINARY, payload, f"a {MAX_MESSAGE} B message (the maximum)")
        conn.close_cleanly()

    def test_fragmented_message_of_exactly_the_maximum_is_echoed(self):
        conn = self.open()
        parts = [os.urandom(40000), os.urandom(MAX_MESSAGE - 40000 - 1), b"!"]
        for i, part in enumerate(parts):
            conn.send_frame(OP_BINARY if i == 0 else OP_CONT, part, fin=(i == 2))
        self.assert_echo(conn, OP_BINARY, b"".join(parts), "a fragmented message of exactly the maximum")
        conn.close_cleanly()

    def test_frame_declaring_more_than_the_maximum_is_refused_before_its_payload(self):
        # Only the header is sent. A server that waited for (buffered) the payload before
        # judging the size would time out here.
        for op in (OP_BINARY, OP_TEXT):
            with self.subTest(opcode=wsproto.OPCODE_NAMES[op]):
                conn = self.open()
                conn.send_raw(wsproto.encode_frame(op, declared_length=MAX_MESSAGE + 1, header_only=True))
                conn.expect_close(1009)

    def test_frame_declaring_a_huge_length_is_refused_before_its_payload(self):
        conn = self.open()
        conn.send_raw(wsproto.encode_frame(OP_BINARY, declared_length=(1 << 62), header_only=True))
        conn.expect_close(1009)

    def test_frame_over_the_maximum_with_part_of_its_payload_gets_1009(self):
        conn = self.open()
        frame = wsproto.encode_frame(OP_BINARY, os.urandom(MAX_MESSAGE + 1))
        conn.send_raw(frame[:1000])   # header + a little payload; the rest never comes
        conn.expect_close(1009)

    def test_fragmented_message_over_the_maximum_gets_1009(self):
        # The first fragment fits; the second's header pushes the total over the limit. Its
        # payload is not sent, so the refusal must come from the header alone.
        conn = self.open()
        conn.send_frame(OP_BINARY, os.urandom(40000), fin=False)
        conn.send_raw(wsproto.encode_frame(OP_CONT, declared_length=MAX_MESSAGE - 40000 + 1, fin=True,
                                           header_only=True))
        conn.expect_close(1009, allow_data=True)   # a streaming echo of fragment 1 may precede

    def test_many_small_fragments_over_the_maximum_get_1009(self):
        conn = self.open()
        frames = [wsproto.encode_frame(OP_TEXT if i == 0 else OP_CONT, b"x" * 4096, fin=False) for i in range(16)]
        frames.append(wsproto.encode_frame(OP_CONT, declared_length=1, fin=True, header_only=True))
        conn.send_raw(b"".join(frames))   # 16 * 4096 = the maximum, then a header for one byte more
        conn.expect_close(1009, allow_data=True)

    def test_connection_still_works_after_an_echo_near_the_limit(self):
        conn = self.open()
        for n in (MAX_MESSAGE - 1, 10, MAX_MESSAGE):
            payload = b"y" * n
            conn.send_frame(OP_TEXT, payload)
            self.assert_echo(conn, OP_TEXT, payload, f"{n} B under a {MAX_MESSAGE} B limit")
        conn.close_cleanly()

    def test_64_bit_length_with_top_bit_set_fails_with_1002(self):
        # RFC 6455 5.2: the most significant bit of a 64-bit length MUST be 0.
        for length in ((1 << 63), (1 << 63) | 5, 0xFFFFFFFFFFFFFFFF):
            with self.subTest(length=hex(length)):
                conn = self.open()
                header = struct.pack("!BBQ", 0x82, 0x80 | 127, length) + os.urandom(4)
                conn.send_raw(header)
                conn.expect_close(1002)


if __name__ == "__main__":
    unittest.main()
