"""Opcodes (Autobahn 4.x): the reserved non-control opcodes 3-7 and control opcodes 0xB-0xF
fail the connection with 1002."""
import unittest

import wsproto
from conformance_case import ServerCase
from wsproto import OP_PING, OP_TEXT

RESERVED = (0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF)


class Opcodes(ServerCase):
    def test_reserved_opcode_without_payload_fails_with_1002(self):
        for op in RESERVED:
            with self.subTest(opcode=f"0x{op:X}"):
                conn = self.open()
                conn.send_frame(op, b"")
                conn.expect_close(1002)

    def test_reserved_opcode_with_payload_fails_with_1002(self):
        for op in RESERVED:
            with self.subTest(opcode=f"0x{op:X}"):
                conn = self.open()
                conn.send_frame(op, b"reserved opcode payload")
                conn.expect_close(1002)

    def test_valid_frame_then_reserved_opcode_then_ping(self):
        # Autobahn 4.1.3 / 4.2.3: echo the first, fail at the reserved opcode, ignore the rest.
        for op in (0x5, 0xD):
            with self.subTest(opcode=f"0x{op:X}"):
                conn = self.open()
                conn.send_raw(wsproto.encode_frame(OP_TEXT, b"before") + wsproto.encode_frame(op, b"x")
                              + wsproto.encode_frame(OP_PING, b"after"))
                self.assert_echo(conn, OP_TEXT, b"before")
                before = conn.expect_close(1002)
                self.assertEqual(before, [], "the ping after the bad frame must not be answered")

    def test_reserved_opcode_inside_a_fragmented_message(self):
        conn = self.open()
        conn.send_frame(OP_TEXT, b"frag", fin=False)
        conn.send_frame(0x3, b"x")
        conn.expect_close(1002, allow_data=True)   # a streaming server may have echoed "frag" already


if __name__ == "__main__":
    unittest.main()
