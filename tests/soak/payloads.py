"""Messages for the soak's good clients: random valid UTF-8 text and random binary, sizes from
empty to MAX_MESSAGE, each tagged with its sender and sequence number so that a lost, repeated or
reordered echo names the message it should have been. Plus fragment plans (where a message is cut
into frames and where pings go between them).

All randomness comes from the caller's random.Random, so a run is reproducible from its seed
(apart from scheduling).
"""
import random

MAX_MESSAGE = 256 * 1024
_BLOB_BYTES = 2 * MAX_MESSAGE  # slices are taken from these; fresh per process

# Code points of every UTF-8 length (1, 2, 3 and 4 bytes), so a fragment cut at a random byte
# often lands inside a character and the server's validator has to carry state across frames.
_TEXT_RANGES = [(0x20, 0x7E), (0xA1, 0x24F), (0x400, 0x4FF), (0x3041, 0x30FF), (0x4E00, 0x9FFF),
                (0xAC00, 0xD7A3), (0x1F300, 0x1F64F), (0x20000, 0x2A6DF)]


def _text_blob(rng: random.Random) -> bytes:
    chars, size = [], 0
    while size < _BLOB_BYTES:
        lo, hi = _TEXT_RANGES[rng.randrange(len(_TEXT_RANGES))]
        run = "".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(1, 16)))
        chars.append(run)
        size += len(run.encode("utf-8"))
    return "".join(chars).encode("utf-8")


class Blobs:
    """The bytes every message is sliced from; built once per run (about 0.3 s of CPU)."""

    def __init__(self, seed: int):
        rng = random.Random(seed)
        self.text = _text_blob(rng)
        self.binary = rng.randbytes(_BLOB_BYTES)


class MessageMaker:
    def __init__(self, rng: random.Random, blobs: Blobs, sender: str):
        self.rng, self.sender, self.seq = rng, sender, 0
        self.text_blob, self.binary_blob = blobs.text, blobs.binary

    def size(self, largest: int = MAX_MESSAGE) -> int:
        """Log-uniform from 1 B to `largest`, plus some empty messages: most messages are small,
        every size class is visited."""
        if self.rng.random() < 0.03:
            return 0
        return min(largest, int(2 ** self.rng.uniform(0, largest.bit_length() - 1)))

    def make(self, text: bool, size: int) -> bytes:
        """A payload of about `size` bytes (text is trimmed to whole characters), never empty
        unless size is 0: the tag makes every message unique."""
        self.seq += 1
        if size == 0:
            return b""
        tag = f"{self.sender}#{self.seq}:".encode("ascii")[:size]
        body_size = size - len(tag)
        if text:
            blob = self.text_blob
            start = self.rng.randrange(len(blob) - body_size + 1)
            end = start + body_size
            while start < end and 0x80 <= blob[start] <= 0xBF:  # start on a character
                start += 1
            while end < len(blob) and start < end and 0x80 <= blob[end] <= 0xBF:  # end on one
                end -= 1
            return tag + blob[start:end]
        start = self.rng.randrange(len(self.binary_blob) - body_size + 1)
        return tag + self.binary_blob[start:start + body_size]

    def fragments(self, payload: bytes, max_pieces: int = 6) -> list[bytes]:
        """Cuts at random byte offsets (inside UTF-8 characters too); equal cuts give empty
        continuation frames, which are legal."""
        pieces = self.rng.randint(2, max_pieces)
        cuts = sorted(self.rng.randint(0, len(payload)) for _ in range(pieces - 1))
        bounds = [0] + cuts + [len(payload)]
        return [payload[a:b] for a, b in zip(bounds, bounds[1:])]

    def ping_payload(self) -> bytes:
        return self.rng.randbytes(self.rng.randint(0, 125))
