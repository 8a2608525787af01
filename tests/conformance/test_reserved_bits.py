"""Reserved bits (Autobahn 3.x): with no extension negotiated, any RSV bit fails the connection
with 1002, and the offending frame is not echoed."""
import unittest

import wsproto
from conformance_case import ServerCase
from wsproto import OP_BINARY, OP_PING, OP_TEXT, RSV1, RSV2, RSV3

CASES = {"rsv1": RSV1, "rsv2": RSV2, "rsv3": RSV3, "rsv1+rsv3": RSV1 | RSV3, "rsv2+rsv3": RSV2 | RSV3,
         "all": RSV1 | RSV2 | RSV3}


class ReservedBits(ServerCase):
    def test_text_frame_with_reserved_bits_fails_with_1002_and_is_not_echoed(self):
        for name, rsv in CASES.items():
            with self.subTest(bits=name):
                conn = self.open()
                conn.send_frame(OP_TEXT, b"Hello, world!", rsv=rsv)
                conn.expect_close(1002)

    def test_binary_frame_with_rsv_bits_fails_with_1002(self):
        conn = self.open()
        conn.send_frame(OP_BINARY, bytes(range(16)), rsv=RSV1 | RSV2)
        conn.expect_close(1002)

    def test_ping_with_rsv_bits_fails_with_1002_and_gets_no_pong(self):
        conn = self.open()
        conn.send_frame(OP_PING, b"ping", rsv=RSV3)
        before = conn.expect_close(1002)
        self.assertEqual(before, [], "a ping with RSV bits must not be answered")

    def test_valid_frame_then_rsv_frame_in_one_write(self):
        # Autobahn 3.3: the first frame is echoed, the second fails the connection.
        conn = self.open()
        conn.send_raw(wsproto.encode_frame(OP_TEXT, b"first") + wsproto.encode_frame(OP_TEXT, b"second", rsv=RSV3)
                      + wsproto.encode_frame(OP_PING, b"never answered"))
        self.assert_echo(conn, OP_TEXT, b"first")
        before = conn.expect_close(1002)
        self.assertEqual(before, [], "nothing after the bad frame may be processed")

    def test_rsv_frame_sent_one_byte_per_write(self):
        conn = self.open()
        conn.send_frame(OP_TEXT, b"slow", rsv=RSV2, split=1, delay=0.001)
        conn.expect_close(1002)


if __name__ == "__main__":
    unittest.main()
