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
    """Incremental decoder of server frames. feed() bytes, then pop frames with next_frame()."""

    def __init__(self):
        self._buf = bytearray()

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

    @staticmethod
    def _check(frame: Frame) -> None:
        if frame.masked:
            raise ProtocolViolation(f"server sent a masked frame (RFC 6455 5.1 forbids it): {frame.describe()}")
        if frame.rsv:
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
