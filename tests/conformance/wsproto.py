"""Client side of RFC 6455, written for testing a server: it can build any frame,
including the invalid ones a conformance case needs (reserved bits, reserved opcodes,
unmasked frames, non-minimal or lying length fields), and decodes server frames strictly.

Independent of the server's own code on purpose: a bug shared by the codec under test
and the codec doing the testing would pass unnoticed.
"""
import base64
import hashlib
import os
import struct
import zlib
from dataclasses import dataclass

OP_CONT = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA
CONTROL_OPCODES = (OP_CLOSE, OP_PING, OP_PONG)
DATA_OPCODES = (OP_CONT, OP_TEXT, OP_BINARY)
OPCODE_NAMES = {OP_CONT: "continuation", OP_TEXT: "text", OP_BINARY: "binary",
                OP_CLOSE: "close", OP_PING: "ping", OP_PONG: "pong"}

RSV1, RSV2, RSV3 = 0x40, 0x20, 0x10

# RFC 6455 section 1.3: the GUID appended to Sec-WebSocket-Key before hashing.
ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_key(client_key: str) -> str:
    digest = hashlib.sha1(client_key.encode("ascii") + ACCEPT_GUID).digest()
    return base64.b64encode(digest).decode("ascii")


def new_client_key() -> str:
    return base64.b64encode(os.urandom(16)).decode("ascii")


def mask(payload: bytes, key: bytes) -> bytes:
    """XOR with the 4-byte key, through one big integer so a 1 MiB payload stays fast."""
    n = len(payload)
    if n == 0:
        return b""
    stream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")


def encode_frame(opcode: int, payload: bytes = b"", *, fin: bool = True, rsv: int = 0,
                 masked: bool = True, mask_key: bytes | None = None,
                 length_bits: int | None = None, declared_length: int | None = None,
                 header_only: bool = False) -> bytes:
    """One client frame.

    length_bits: None = minimal encoding; 7, 16 or 64 forces that encoding (non-minimal
    encodings are legal to receive). declared_length: write this length in the header instead
    of len(payload) (limit cases declare more than they send). header_only: return the header
    (with its mask key) and no payload bytes.
    """
    length = len(payload) if declared_length is None else declared_length
    b0 = (0x80 if fin else 0) | (rsv & 0x70) | (opcode & 0x0F)
    mbit = 0x80 if masked else 0
    if length_bits is None:
        length_bits = 7 if length <= 125 else 16 if length <= 0xFFFF else 64
    if length_bits == 7:
        if length > 125:
            raise ValueError(f"encode_frame: length {length} does not fit the 7-bit form (max 125)")
        header = struct.pack("!BB", b0, mbit | length)
    elif length_bits == 16:
        if length > 0xFFFF:
            raise ValueError(f"encode_frame: length {length} does not fit the 16-bit form (max 65535)")
        header = struct.pack("!BBH", b0, mbit | 126, length)
    elif length_bits == 64:
        header = struct.pack("!BBQ", b0, mbit | 127, length)
    else:
        raise ValueError(f"encode_frame: length_bits {length_bits} is not one of 7, 16, 64")
    if not masked:
        return header if header_only else header + payload
    key = mask_key if mask_key is not None else os.urandom(4)
    if header_only:
        return header + key
    return header + key + mask(payload, key)


def close_payload(code: int | None, reason: bytes = b"") -> bytes:
    return b"" if code is None else struct.pack("!H", code) + reason


@dataclass
class Frame:
    fin: bool
    rsv: int
    opcode: int
    masked: bool
    payload: bytes

    @property
    def close_code(self) -> int | None:
        return struct.unpack("!H", self.payload[:2])[0] if len(self.payload) >= 2 else None

    @property
    def close_reason(self) -> bytes:
        return self.payload[2:]

    def describe(self) -> str:
        name = OPCODE_NAMES.get(self.opcode, f"opcode 0x{self.opcode:X}")
        extra = f" code {self.close_code}" if self.opcode == OP_CLOSE else ""
        preview = self.payload[:24]
        return (f"<{name} fin={int(self.fin)} rsv=0x{self.rsv:02X}{extra} "
                f"{len(self.payload)} B {preview!r}{'...' if len(self.payload) > 24 else ''}>")


class ProtocolViolation(AssertionError):
    """The server sent a frame no server may send (RFC 6455 section 5)."""


class FrameDecoder:
    """Incremental decoder of server frames. feed() bytes, then pop frames with next_frame().
    rsv1_allowed: permessage-deflate was agreed, so RSV1 may mark a data message's first frame."""

    def __init__(self):
        self._buf = bytearray()
        self.rsv1_allowed = False

    def feed(self, data: bytes) -> None:
        self._buf += data

    def buffered(self) -> int:
        return len(self._buf)

    def next_frame(self) -> Frame | None:
        buf = self._buf
        if len(buf) < 2:
            return None
        b0, b1 = buf[0], buf[1]
        length = b1 & 0x7F
        pos = 2
        if length == 126:
            if len(buf) < 4:
                return None
            length = struct.unpack_from("!H", buf, 2)[0]
            pos = 4
        elif length == 127:
            if len(buf) < 10:
                return None
            length = struct.unpack_from("!Q", buf, 2)[0]
            pos = 10
        masked = bool(b1 & 0x80)
        key = b""
        if masked:
            if len(buf) < pos + 4:
                return None
            key = bytes(buf[pos:pos + 4])
            pos += 4
        if len(buf) < pos + length:
            return None
        payload = bytes(buf[pos:pos + length])
        del buf[:pos + length]
        frame = Frame(fin=bool(b0 & 0x80), rsv=b0 & 0x70, opcode=b0 & 0x0F, masked=masked,
                      payload=mask(payload, key) if masked else payload)
        self._check(frame)
        return frame

    def _check(self, frame: Frame) -> None:
        if frame.masked:
            raise ProtocolViolation(f"server sent a masked frame (RFC 6455 5.1 forbids it): {frame.describe()}")
        if frame.rsv == RSV1 and self.rsv1_allowed:
            if frame.opcode not in (OP_TEXT, OP_BINARY):
                raise ProtocolViolation(f"server set RSV1 on a continuation or control frame (RFC 7692 6.1): "
                                        f"{frame.describe()}")
        elif frame.rsv:
            raise ProtocolViolation(f"server set RSV bits without an extension: {frame.describe()}")
        if frame.opcode not in CONTROL_OPCODES + DATA_OPCODES:
            raise ProtocolViolation(f"server sent a reserved opcode: {frame.describe()}")
        if frame.opcode in CONTROL_OPCODES:
            if not frame.fin:
                raise ProtocolViolation(f"server fragmented a control frame: {frame.describe()}")
            if len(frame.payload) > 125:
                raise ProtocolViolation(f"server control frame over 125 B: {frame.describe()}")
            if frame.opcode == OP_CLOSE and len(frame.payload) == 1:
                raise ProtocolViolation(f"server close frame with a 1-byte payload: {frame.describe()}")


# ---- permessage-deflate (RFC 7692), the client's side, on Python's zlib

DEFLATE_TAIL = b"\x00\x00\xff\xff"


class Deflate:
    """What a client that agreed to permessage-deflate does: compresses its messages (Z_SYNC_FLUSH,
    tail removed, RFC 7692 7.2.1) and inflates the server's (tail appended, 7.2.2), keeping or
    dropping each direction's LZ77 context as agreed. Independent of the server's zlib wrapper."""

    def __init__(self, client_bits: int = 15, client_takeover: bool = True,
                 server_bits: int = 15, server_takeover: bool = True):
        self.client_bits, self.client_takeover = client_bits, client_takeover
        self.server_bits, self.server_takeover = server_bits, server_takeover
        self._c = None
        self._d = None

    def compress(self, payload: bytes) -> bytes:
        if not payload:
            return b"\x00"   # 7.2.3.6: an empty message
        if self._c is None or not self.client_takeover:
            # zlib refuses a raw 8-bit window; 9 bits never reaches back more than 250 bytes.
            self._c = zlib.compressobj(6, zlib.DEFLATED, -max(9, self.client_bits))
        out = self._c.compress(payload) + self._c.flush(zlib.Z_SYNC_FLUSH)
        if not out.endswith(DEFLATE_TAIL):
            raise AssertionError("zlib's sync flush did not end in 00 00 ff ff")
        return out[:-4]

    def decompress(self, payload: bytes) -> bytes:
        """Inflates one server message; a distance beyond the agreed window is an error."""
        if self._d is None or not self.server_takeover:
            self._d = zlib.decompressobj(-self.server_bits)
        try:
            return self._d.decompress(payload + DEFLATE_TAIL)
        except zlib.error as e:
            raise ProtocolViolation(f"server sent compressed data this client cannot inflate "
                                    f"(window {self.server_bits} bits): {e}") from None


def parse_extension_params(value: str) -> tuple[str, dict[str, str | None]]:
    """'permessage-deflate; a; b=1' -> ('permessage-deflate', {'a': None, 'b': '1'}); duplicates fail."""
    name, *params = [p.strip() for p in value.split(";")]
    out: dict[str, str | None] = {}
    for p in params:
        k, eq, v = p.partition("=")
        k = k.strip()
        if k in out:
            raise AssertionError(f"duplicate extension parameter {k!r} in {value!r}")
        out[k] = v.strip().strip('"') if eq else None
    return name, out
