"""Close handling (Autobahn 7.x): the closing handshake, close-payload validation, data after
close, and the masking rule (an unmasked client frame fails the connection with 1002)."""
import unittest

import wsproto
from conformance_case import ServerCase
from wsproto import OP_BINARY, OP_CLOSE, OP_PING, OP_TEXT

INVALID_CODES = (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)
VALID_CODES = (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999)


class Close(ServerCase):
    def _close_reply(self, conn, what):
        frame = conn.recv_frame(what)
        self.assertEqual(frame.opcode, OP_CLOSE, f"{what}: expected a close frame, got {frame.describe()}")
        return frame

    def test_close_1000_gets_close_1000_then_server_closes_tcp(self):
        conn = self.open()
        conn.send_close(1000, b"bye")
        frame = self._close_reply(conn, "the reply to close 1000")
        self.assertEqual(frame.close_code, 1000)
        conn.expect_tcp_closed()   # clean FIN, not a reset; the client never closes first

    def test_close_with_empty_payload_gets_close_reply(self):
        # RFC 6455 5.5.1: the reply typically echoes the code; with none received, an empty
        # close or 1000 are both acceptable.
        conn = self.open()
        conn.send_close(None)
        frame = self._close_reply(conn, "the reply to an empty close")
        self.assertIn(frame.close_code, (None, 1000), f"reply {frame.describe()}")
        conn.expect_tcp_closed()

    def test_close_after_echo_traffic(self):
        conn = self.open()
        conn.send_frame(OP_TEXT, b"before close")
        self.assert_echo(conn, OP_TEXT, b"before close")
        conn.close_cleanly()

    def test_close_payload_of_one_byte_fails_with_1002(self):
        conn = self.open()
        conn.send_frame(OP_CLOSE, b"\x03")
        conn.expect_close(1002)

    def test_invalid_close_codes_fail_with_1002(self):
        for code in INVALID_CODES:
            with self.subTest(code=code):
                conn = self.open()
                conn.send_close(code)
                conn.expect_close(1002)

    def test_valid_close_codes_are_echoed(self):
        for code in VALID_CODES:
            with self.subTest(code=code):
                conn = self.open()
                conn.send_close(code, b"reason")
                frame = self._close_reply(conn, f"the reply to close {code}")
                self.assertEqual(frame.close_code, code, f"close {code} answered with {frame.describe()}")
                conn.expect_tcp_closed()

    def test_close_with_125_byte_payload_is_accepted(self):
        conn = self.open()
        conn.send_close(1000, b"r" * 123)
        frame = self._close_reply(conn, "the reply to a 125-byte close")
        self.assertEqual(frame.close_code, 1000)
        conn.expect_tcp_closed()

    def test_close_with_126_byte_payload_fails_with_1002(self):
        conn = self.open()
        conn.send_close(1000, b"r" * 124)
        conn.expect_close(1002)

    def test_close_with_valid_utf8_reason_is_accepted(self):
        conn = self.open()
        conn.send_close(1000, "κόσμε 😀".encode())
        frame = self._close_reply(conn, "the reply to a close with a UTF-8 reason")
        self.assertEqual(frame.close_code, 1000)
        conn.expect_tcp_closed()

    def test_close_reason_with_invalid_utf8_fails_with_1007(self):
        for name, reason in (("ff", b"\xff"), ("surrogate", b"abc\xed\xa0\x80"), ("truncated", b"ok\xe2\x82")):
            with self.subTest(reason=name):
                conn = self.open()
                conn.send_close(1000, reason)
                conn.expect_close(1007)

    def test_data_after_close_is_ignored(self):
        conn = self.open()
        conn.send_raw(wsproto.encode_frame(OP_CLOSE, wsproto.close_payload(1000))
                      + wsproto.encode_frame(OP_TEXT, b"after close")
                      + wsproto.encode_frame(OP_PING, b"after close"))
        frame = conn.recv_frame("the close reply")
        self.assertEqual(frame.opcode, OP_CLOSE, f"expected only the close reply, got {frame.describe()}")
        self.assertEqual(frame.close_code, 1000)
        conn.expect_tcp_closed(allow_reset=True)

    def test_data_sent_after_close_in_a_later_write_is_ignored(self):
        conn = self.open()
        conn.send_close(1000)
        conn.send_frame(OP_BINARY, b"late data")
        frame = conn.recv_frame("the close reply")
        self.assertEqual(frame.opcode, OP_CLOSE, f"expected only the close reply, got {frame.describe()}")
        conn.expect_tcp_closed(allow_reset=True)

    def test_close_in_the_middle_of_a_fragmented_message(self):
        # Control frames may interleave fragments; the open message is abandoned.
        conn = self.open()
        conn.send_frame(OP_TEXT, b"unfinished", fin=False)
        conn.send_close(1000)
        frame = self._close_reply(conn, "the reply to a close inside a fragmented message")
        self.assertEqual(frame.close_code, 1000)
        conn.expect_tcp_closed()

    def test_close_sent_one_byte_per_write(self):
        conn = self.open()
        conn.send_close(1000, b"slow", split=1, delay=0.001)
        frame = self._close_reply(conn, "the reply to a split close")
        self.assertEqual(frame.close_code, 1000)
        conn.expect_tcp_closed()

    def test_unmasked_client_frame_fails_with_1002(self):
        for op in (OP_TEXT, OP_BINARY, OP_PING, OP_CLOSE):
            with self.subTest(opcode=wsproto.OPCODE_NAMES[op]):
                conn = self.open()
                payload = wsproto.close_payload(1000) if op == OP_CLOSE else b"unmasked"
                conn.send_frame(op, payload, masked=False)
                conn.expect_close(1002)

    def test_unmasked_frame_after_a_valid_one(self):
        conn = self.open()
        conn.send_raw(wsproto.encode_frame(OP_TEXT, b"masked") + wsproto.encode_frame(OP_TEXT, b"unmasked", masked=False))
        self.assert_echo(conn, OP_TEXT, b"masked")
        conn.expect_close(1002)


if __name__ == "__main__":
    unittest.main()
