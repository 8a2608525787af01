"""UTF-8 handling (Autobahn 6.x): valid text is echoed however it is fragmented; invalid
UTF-8 in a text message fails the connection with 1007, as early as it can be detected."""
import unittest

import wsproto
from conformance_case import ServerCase
from wsproto import OP_BINARY, OP_CONT, OP_TEXT

VALID = {
    "latin_mix": "Hello-µ@ßöäüàá-UTF-8!!".encode(),
    "kosme": "κόσμε".encode(),
    "u0000": b"\x00",
    "u007f": b"\x7f",
    "u0080": b"\xc2\x80",
    "u07ff": b"\xdf\xbf",
    "u0800": b"\xe0\xa0\x80",
    "ud7ff": b"\xed\x9f\xbf",       # last code point before the surrogates
    "ue000": b"\xee\x80\x80",       # first after them
    "ufffd": b"\xef\xbf\xbd",
    "ufffe": b"\xef\xbf\xbe",       # a noncharacter, still valid UTF-8
    "uffff": b"\xef\xbf\xbf",
    "u10000": b"\xf0\x90\x80\x80",
    "u10ffff": b"\xf4\x8f\xbf\xbf",  # the last code point
    "emoji_mix": "a😀b€c¢d𝄞".encode(),
}

INVALID = {
    "lone_continuation_80": b"\x80",
    "lone_continuation_bf": b"\xbf",
    "overlong_c0_80": b"\xc0\x80",
    "overlong_c1_bf": b"\xc1\xbf",
    "overlong_e0_80_80": b"\xe0\x80\x80",
    "overlong_e0_9f_bf": b"\xe0\x9f\xbf",
    "overlong_f0_80_80_80": b"\xf0\x80\x80\x80",
    "overlong_f0_8f_bf_bf": b"\xf0\x8f\xbf\xbf",
    "surrogate_d800": b"\xed\xa0\x80",
    "surrogate_dfff": b"\xed\xbf\xbf",
    "surrogate_pair": b"\xed\xa0\x80\xed\xb0\x80",
    "above_10ffff": b"\xf4\x90\x80\x80",
    "f5_lead": b"\xf5\x80\x80\x80",
    "five_byte_form": b"\xf8\x88\x80\x80\x80",
    "six_byte_form": b"\xfc\x84\x80\x80\x80\x80",
    "fe": b"\xfe",
    "ff": b"\xff",
    "lead_then_ascii": b"\xc2\x41",
    "three_byte_lead_then_ascii": b"\xe0\xa0\x41",
    "kosme_then_surrogate": "κόσμε".encode() + b"\xed\xa0\x80edited",
    "invalid_after_long_ascii": b"a" * 1000 + b"\xff" + b"b" * 1000,
}

TRUNCATED_AT_END = {
    "two_byte_half": b"ab\xc3",
    "three_byte_one_of_three": b"ab\xe2",
    "three_byte_two_of_three": b"ab\xe2\x82",
    "four_byte_three_of_four": b"ab\xf0\x9f\x98",
    "kosme_cut": b"\xce\xba\xe1\xbd",
}


class Utf8(ServerCase):
    def test_valid_multibyte_text_is_echoed(self):
        conn = self.open()
        for name, payload in VALID.items():
            with self.subTest(case=name):
                conn.send_frame(OP_TEXT, payload)
                self.assert_echo(conn, OP_TEXT, payload, f"valid text {name}")
        everything = b"".join(VALID.values())
        conn.send_frame(OP_TEXT, everything)
        self.assert_echo(conn, OP_TEXT, everything, "all valid samples in one message")
        conn.close_cleanly()

    def test_multibyte_chars_at_every_alignment_are_echoed(self):
        # A word-at-a-time ASCII fast path must hand over correctly at any offset.
        conn = self.open()
        for offset in range(17):
            payload = b"a" * offset + "€😀é".encode() * 9 + b"z" * offset
            conn.send_frame(OP_TEXT, payload)
            self.assert_echo(conn, OP_TEXT, payload, f"multi-byte text at offset {offset}")
        conn.close_cleanly()

    def test_valid_utf8_split_across_fragments_at_every_byte_position(self):
        conn = self.open()
        for char in ("é", "€", "😀"):
            message = b"a" + char.encode() + b"z"
            for cut in range(1, len(message)):
                with self.subTest(char=char, cut=cut):
                    parts = [message[:cut], message[cut:]]
                    conn.send_frame(OP_TEXT, parts[0], fin=False)
                    conn.send_frame(OP_CONT, parts[1], fin=True)
                    self.assert_echo(conn, OP_TEXT, message, f"{char!r} split at byte {cut}")
            with self.subTest(char=char, cut="every byte"):
                for i, b in enumerate(message):
                    conn.send_frame(OP_TEXT if i == 0 else OP_CONT, bytes([b]), fin=(i == len(message) - 1))
                self.assert_echo(conn, OP_TEXT, message, f"{char!r} one byte per fragment")
        conn.close_cleanly()

    def test_valid_utf8_in_frame_split_over_writes_mid_character(self):
        conn = self.open()
        message = "κόσμε😀".encode() * 3
        frame = wsproto.encode_frame(OP_TEXT, message)
        conn.send_raw(frame, split=1, delay=0.0005)
        self.assert_echo(conn, OP_TEXT, message)
        conn.close_cleanly()

    def test_binary_messages_are_not_utf8_checked(self):
        conn = self.open()
        payload = b"\xff\xfe\xed\xa0\x80\xc0\x80"
        conn.send_frame(OP_BINARY, payload)
        self.assert_echo(conn, OP_BINARY, payload)
        conn.close_cleanly()

    def test_invalid_utf8_text_fails_with_1007(self):
        for name, payload in INVALID.items():
            with self.subTest(case=name):
                conn = self.open()
                conn.send_frame(OP_TEXT, payload)
                conn.expect_close(1007)

    def test_invalid_utf8_in_a_later_fragment_fails_with_1007(self):
        for name in ("ff", "surrogate_d800", "overlong_c0_80"):
            with self.subTest(case=name):
                conn = self.open()
                conn.send_frame(OP_TEXT, "κόσμε".encode(), fin=False)
                conn.send_frame(OP_CONT, b"fine", fin=False)
                conn.send_frame(OP_CONT, INVALID[name] + b"tail", fin=True)
                before = conn.expect_close(1007, allow_data=True)   # a streaming echo may precede
                self.assertNotIn(INVALID[name], b"".join(f.payload for f in before),
                                 "the invalid bytes must not be echoed")

    def test_invalid_fragment_fails_fast_before_the_message_ends(self):
        # The message stays open (FIN=0, no more fragments sent): the server must fail it now,
        # not when it would end (Autobahn 6.4.1/6.4.2).
        conn = self.open()
        conn.send_frame(OP_TEXT, "κόσμε".encode(), fin=False)
        conn.send_frame(OP_CONT, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80", fin=False)
        conn.expect_close(1007, allow_data=True)

    def test_invalid_byte_fails_fast_before_the_frame_ends(self):
        # Only the payload up to the impossible byte (0x90 after 0xF4: above U+10FFFF) is sent of
        # 64 declared bytes, so the server must fail without waiting for the rest of the frame
        # (Autobahn 6.4.3/6.4.4; the wsalloc contract asks for fail-fast validation).
        conn = self.open()
        prefix = "κόσμε".encode() + b"\xf4\x90"
        payload = (prefix + b"\x80\x80" + b"x" * 64)[:64]
        frame = wsproto.encode_frame(OP_TEXT, payload)
        header_len = len(frame) - len(payload)
        conn.send_raw(frame[:header_len + len(prefix)])
        conn.expect_close(1007)

    def test_text_truncated_mid_character_at_message_end_fails_with_1007(self):
        for name, payload in TRUNCATED_AT_END.items():
            with self.subTest(case=name, fragmented=False):
                conn = self.open()
                conn.send_frame(OP_TEXT, payload)
                conn.expect_close(1007)
            with self.subTest(case=name, fragmented=True):
                conn = self.open()
                conn.send_frame(OP_TEXT, payload, fin=False)
                conn.send_frame(OP_CONT, b"", fin=True)
                conn.expect_close(1007, allow_data=True)

    def test_invalid_text_sent_one_byte_per_write_fails_with_1007(self):
        conn = self.open()
        conn.send_frame(OP_TEXT, b"abc\xed\xa0\x80def", split=1, delay=0.001)
        conn.expect_close(1007)


if __name__ == "__main__":
    unittest.main()
