#!/usr/bin/python3
"""How the soak's clients name a wrong echo (verify.mismatch), on fixed messages: the name is what
a failing soak reports, and soak.selftest expects the right one for each injected fault.

  test_verify.py
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
import verify  # noqa: E402
from wsproto import OP_BINARY, OP_TEXT  # noqa: E402


class MismatchNamesTheFault(unittest.TestCase):
    def test_an_exact_echo_is_right(self):
        self.assertIsNone(verify.mismatch(OP_TEXT, b"echo1#3:abc", OP_TEXT, b"echo1#3:abc"))

    def test_a_changed_byte_in_the_body_is_corruption(self):
        wrong = verify.mismatch(OP_TEXT, b"echo1#3:abcdef", OP_TEXT, b"echo1#3:abXdef")
        self.assertRegex(wrong, r"^corrupted at byte 10 \(sent 0x63, got 0x58\)")

    def test_a_changed_byte_in_a_message_shorter_than_its_tag_is_corruption(self):
        # The soak's message of 2 B carries "ec", a cut of its tag "echo1#7:"; the faulty server
        # flipped its last bit. A client once called this "lost or reordered" (CI, 2026-12-06).
        wrong = verify.mismatch(OP_TEXT, b"ec", OP_TEXT, b"eb", in_flight=[(OP_TEXT, b"echo1#8:xyz", False)])
        self.assertRegex(wrong, r"^corrupted at byte 1 \(sent 0x63, got 0x62\)")

    def test_a_changed_byte_inside_a_whole_tag_is_corruption(self):
        wrong = verify.mismatch(OP_BINARY, b"echo1#123:ab", OP_BINARY, b"echo1#1x3:ab")
        self.assertRegex(wrong, r"^corrupted at byte 7 ")

    def test_the_next_message_in_place_of_the_expected_one_is_lost_or_reordered(self):
        # Same type and length, one byte apart: only the messages in flight tell it from corruption.
        wrong = verify.mismatch(OP_TEXT, b"echo1#12", OP_TEXT, b"echo1#13",
                                in_flight=[(OP_TEXT, b"echo1#13"), (OP_TEXT, b"echo1#14")])
        self.assertRegex(wrong, r"^lost or reordered: expected text ")

    def test_another_senders_message_is_lost_or_reordered(self):
        wrong = verify.mismatch(OP_TEXT, b"echo1#12:abc", OP_TEXT, b"echo2#40:abcdef")
        self.assertRegex(wrong, r"^lost or reordered: ")

    def test_a_different_type_or_length_of_the_same_message_is_named_so(self):
        self.assertRegex(verify.mismatch(OP_TEXT, b"echo1#3:abc", OP_BINARY, b"echo1#3:abc"), r"^wrong type: ")
        self.assertRegex(verify.mismatch(OP_TEXT, b"echo1#3:abc", OP_TEXT, b"echo1#3:ab"), r"^wrong length: ")


if __name__ == "__main__":
    unittest.main()
