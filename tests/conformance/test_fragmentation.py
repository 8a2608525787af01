"""Fragmentation (Autobahn 5.x): a message in 2..N fragments is echoed as one message (the
server may fragment its echo differently, so the suite reassembles); control frames may sit
between fragments and are answered; continuation and control-frame rules fail with 1002."""
import os
import unittest

import wsproto
from conformance_case import ServerCase
from wsproto import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT


def fragment_frames(opcode: int, parts: list[bytes]) -> bytes:
    out = []
    for i, part in enumerate(parts):
        out.append(wsproto.encode_frame(opcode if i == 0 else OP_CONT, part, fin=(i == len(parts) - 1)))
    return b"".join(out)


class Fragmentation(ServerCase):
    def test_text_message_in_2_to_n_fragments_is_echoed_as_one(self):
        conn = self.open()
        for n in (2, 3, 10, 100):
            with self.subTest(fragments=n):
                parts = [f"fragment {i};".encode() for i in range(n)]
                conn.send_raw(fragment_frames(OP_TEXT, parts))
                self.assert_echo(conn, OP_TEXT, b"".join(parts), f"text in {n} fragments")
        conn.close_cleanly()

    def test_binary_message_in_fragments_is_echoed_as_one(self):
        conn = self.open()
        for sizes in ((1, 1), (125, 126, 65536), (0, 100, 0), (70000, 1, 70000)):
            with self.subTest(sizes=sizes):
                parts = [os.urandom(n) for n in sizes]
                conn.send_raw(fragment_frames(OP_BINARY, parts))
                self.assert_echo(conn, OP_BINARY, b"".join(parts), f"binary in fragments of {sizes} B")
        conn.close_cleanly()

    def test_fragments_in_separate_writes(self):
        conn = self.open()
        parts = [b"one ", b"two ", b"three"]
        for i, part in enumerate(parts):
            conn.send_frame(OP_TEXT if i == 0 else OP_CONT, part, fin=(i == 2))
        self.assert_echo(conn, OP_TEXT, b"one two three")
        conn.close_cleanly()

    def test_fragmented_message_sent_one_byte_per_write(self):
        conn = self.open()
        parts = [b"ab", b"", b"cd", b"e"]
        conn.send_raw(fragment_frames(OP_TEXT, parts), split=1, delay=0.0005)
        self.assert_echo(conn, OP_TEXT, b"abcde")
        conn.close_cleanly()

    def test_single_fragment_with_empty_final_continuation(self):
        conn = self.open()
        conn.send_raw(fragment_frames(OP_BINARY, [b"payload", b""]))
        self.assert_echo(conn, OP_BINARY, b"payload")
        conn.send_raw(fragment_frames(OP_TEXT, [b"", b"", b""]))
        self.assert_echo(conn, OP_TEXT, b"", "an empty message in three empty fragments")
        conn.close_cleanly()

    def test_ping_between_fragments_is_answered_before_the_message_completes(self):
        # Autobahn 5.6-5.9: a pong for the ping, then the whole message.
        conn = self.open()
        conn.send_frame(OP_TEXT, b"fragment1", fin=False)
        conn.send_frame(OP_PING, b"ping between")
        conn.send_frame(OP_CONT, b"fragment2", fin=True)
        self.assert_echo(conn, OP_TEXT, b"fragment1fragment2")
        conn.expect_pong(b"ping between")
        pong_at = next(i for i, f in enumerate(conn.received) if f.opcode == OP_PONG)
        last_data = max(i for i, f in enumerate(conn.received) if f.opcode in (OP_TEXT, OP_CONT))
        self.assertLess(pong_at, last_data, "the pong must come before the message that was still open "
                                            "when the ping arrived is complete")
        conn.close_cleanly()

    def test_several_pings_between_fragments_are_answered_in_order(self):
        conn = self.open()
        frames = [wsproto.encode_frame(OP_BINARY, b"a", fin=False)]
        for i in range(5):
            frames.append(wsproto.encode_frame(OP_PING, f"p{i}".encode()))
            frames.append(wsproto.encode_frame(OP_CONT, bytes([98 + i]), fin=False))
        frames.append(wsproto.encode_frame(OP_CONT, b"!", fin=True))
        conn.send_raw(b"".join(frames), split=7)
        self.assert_echo(conn, OP_BINARY, b"abcdef!")
        for i in range(5):
            conn.expect_pong(f"p{i}".encode())
        conn.close_cleanly()

    def test_unsolicited_pong_between_fragments_is_ignored(self):
        conn = self.open()
        conn.send_raw(wsproto.encode_frame(OP_TEXT, b"x", fin=False) + wsproto.encode_frame(OP_PONG, b"")
                      + wsproto.encode_frame(OP_CONT, b"y", fin=True))
        self.assert_echo(conn, OP_TEXT, b"xy")
        conn.close_cleanly()

    def test_continuation_without_start_fails_with_1002(self):
        for fin in (True, False):
            with self.subTest(fin=fin):
                conn = self.open()
                conn.send_frame(OP_CONT, b"orphan continuation", fin=fin)
                conn.expect_close(1002)

    def test_continuation_after_a_complete_message_fails_with_1002(self):
        conn = self.open()
        conn.send_frame(OP_TEXT, b"complete")
        conn.send_frame(OP_CONT, b"stray", fin=True)
        self.assert_echo(conn, OP_TEXT, b"complete")
        conn.expect_close(1002)

    def test_new_data_message_while_one_is_open_fails_with_1002(self):
        for first, second in ((OP_TEXT, OP_TEXT), (OP_TEXT, OP_BINARY), (OP_BINARY, OP_TEXT)):
            with self.subTest(first=first, second=second):
                conn = self.open()
                conn.send_frame(first, b"open", fin=False)
                conn.send_frame(second, b"new message", fin=True)
                conn.expect_close(1002, allow_data=True)   # a streaming server may have echoed "open"

    def test_fragmented_control_frames_fail_with_1002(self):
        for op in (OP_PING, OP_PONG, OP_CLOSE):
            with self.subTest(opcode=wsproto.OPCODE_NAMES[op]):
                conn = self.open()
                payload = wsproto.close_payload(1000) if op == OP_CLOSE else b"frag"
                conn.send_frame(op, payload, fin=False)
                conn.send_frame(OP_CONT, b"ment", fin=True)
                before = conn.expect_close(1002)
                self.assertFalse([f for f in before if f.opcode == OP_PONG], "a fragmented ping must not be answered")

    def test_fragmented_control_frame_inside_a_fragmented_message_fails_with_1002(self):
        conn = self.open()
        conn.send_frame(OP_TEXT, b"data", fin=False)
        conn.send_frame(OP_PING, b"frag", fin=False)
        conn.expect_close(1002, allow_data=True)


if __name__ == "__main__":
    unittest.main()
