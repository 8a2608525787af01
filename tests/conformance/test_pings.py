"""Ping and pong (Autobahn 2.x): a ping is answered with a pong carrying the same payload;
control-frame limits are enforced with close 1002; unsolicited pongs are ignored."""
import os
import unittest

import wsproto
from conformance_case import ServerCase
from wsproto import OP_PING, OP_PONG, OP_TEXT


class Pings(ServerCase):
    def test_ping_without_payload_gets_empty_pong(self):
        conn = self.open()
        conn.send_frame(OP_PING, b"")
        conn.expect_pong(b"")
        conn.close_cleanly()

    def test_ping_with_text_payload_gets_same_payload(self):
        conn = self.open()
        conn.send_frame(OP_PING, b"Hello, world!")
        conn.expect_pong(b"Hello, world!")
        conn.close_cleanly()

    def test_ping_with_binary_payload_gets_same_payload(self):
        conn = self.open()
        payload = bytes([0x00, 0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0x00, 0xFF])
        conn.send_frame(OP_PING, payload)
        conn.expect_pong(payload)
        conn.close_cleanly()

    def test_ping_with_125_byte_payload_gets_same_payload(self):
        conn = self.open()
        payload = os.urandom(125)
        conn.send_frame(OP_PING, payload)
        conn.expect_pong(payload)
        conn.close_cleanly()

    def test_ping_sent_one_byte_per_write(self):
        conn = self.open()
        payload = os.urandom(125)
        conn.send_frame(OP_PING, payload, split=1, delay=0.0005)
        conn.expect_pong(payload)
        conn.close_cleanly()

    def test_ten_pings_in_one_write_get_ten_pongs_in_order(self):
        conn = self.open()
        payloads = [f"ping {i}".encode() for i in range(10)]
        conn.send_raw(b"".join(wsproto.encode_frame(OP_PING, p) for p in payloads))
        for p in payloads:
            conn.expect_pong(p)
        conn.close_cleanly()

    def test_ping_with_126_byte_payload_fails_with_1002(self):
        conn = self.open()
        conn.send_frame(OP_PING, os.urandom(126))
        before = conn.expect_close(1002)
        self.assertFalse([f for f in before if f.opcode == OP_PONG], "an oversized ping must not be answered")

    def test_fragmented_ping_fails_with_1002(self):
        conn = self.open()
        conn.send_frame(OP_PING, b"frag", fin=False)
        conn.send_frame(wsproto.OP_CONT, b"ment", fin=True)
        before = conn.expect_close(1002)
        self.assertFalse([f for f in before if f.opcode == OP_PONG], "a fragmented ping must not be answered")

    def test_unsolicited_pong_is_ignored(self):
        conn = self.open()
        conn.send_frame(OP_PONG, b"unsolicited")
        conn.send_frame(OP_PONG, b"")
        conn.send_frame(OP_TEXT, b"still here")
        self.assert_echo(conn, OP_TEXT, b"still here", "the echo after two unsolicited pongs")
        self.assertEqual([f.describe() for f in conn.received if f.opcode != OP_TEXT], [],
                         "nothing but the echo is expected after unsolicited pongs")
        conn.close_cleanly()

    def test_unsolicited_pong_then_ping_gets_one_pong(self):
        conn = self.open()
        conn.send_frame(OP_PONG, b"unsolicited")
        conn.send_frame(OP_PING, b"solicited")
        conn.expect_pong(b"solicited")
        conn.close_cleanly()
        self.assertEqual([f.payload for f in conn.received if f.opcode == OP_PONG], [b"solicited"])


if __name__ == "__main__":
    unittest.main()
