"""How a good client decides that an echo is right, and how it says what was wrong."""

import wsproto
from ws_client import CloseFrame, ServerClosed

OPCODE_NAMES = wsproto.OPCODE_NAMES


def tag_of(payload: bytes) -> str:
    """The `sender#seq:` prefix payloads.MessageMaker puts on every message (for error texts)."""
    head = payload[:40]
    cut = head.find(b":")
    return head[:cut].decode("ascii", "replace") if cut > 0 else repr(head[:16])


def mismatch(expected_op: int, expected: bytes, got_op: int, got: bytes,
             in_flight=()) -> str | None:
    """None when the echo is exactly what was sent; otherwise what differs, naming both messages.

    `in_flight` holds the messages sent after `expected` and not yet echoed, as tuples that begin
    with (opcode, payload); it is read only when the echo is wrong. An echo equal to one of them
    is a lost or reordered message; one equal to none of them, of the expected type and length,
    was corrupted. The tags alone cannot tell these apart: a message shorter than its tag carries
    only a cut of it ("ec" for "echo1#7:"), and a byte changed inside a tag makes it look like
    another message's."""
    if got_op == expected_op and got == expected:
        return None
    what = f"expected {OPCODE_NAMES[expected_op]} {tag_of(expected)} ({len(expected)} B), " \
           f"got {OPCODE_NAMES.get(got_op, got_op)} {tag_of(got)} ({len(got)} B)"
    if any(sent[0] == got_op and sent[1] == got for sent in in_flight):
        return "lost or reordered: " + what
    if got_op == expected_op and len(got) == len(expected):
        at = next(i for i in range(len(got)) if got[i] != expected[i])
        return f"corrupted at byte {at} (sent 0x{expected[at]:02X}, got 0x{got[at]:02X}): " + what
    if tag_of(got) != tag_of(expected):
        return "lost or reordered: " + what
    if got_op != expected_op:
        return "wrong type: " + what
    return "wrong length: " + what


def describe(e: BaseException) -> str:
    """One line for an error record."""
    if isinstance(e, TimeoutError):
        return f"timed out ({e})" if str(e) else "timed out"
    if isinstance(e, CloseFrame):
        return f"unexpected close from the server: {e}"
    if isinstance(e, ServerClosed):
        return f"server closed TCP: {e}"
    if isinstance(e, wsproto.ProtocolViolation):
        return f"protocol violation by the server: {e}"
    if isinstance(e, AssertionError):
        return str(e)
    return f"{type(e).__name__}: {e}"
