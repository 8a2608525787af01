"""An asyncio WebSocket client on a raw socket, for the soak's many concurrent connections.

Framing and strict decoding come from the conformance suite's wsproto.py (written from RFC 6455,
independently of the server's codec). Every network wait is bounded by a timeout: a silent
server raises TimeoutError, never hangs the soak.

Timeouts use `asyncio.timeout()`, never `asyncio.wait_for()`: on Python 3.11, wait_for swallows a
cancellation that arrives in the same loop iteration as its result (CPython gh-86296), and a
client task cancelled that way runs on instead of stopping (seen here as a 30 s hang).
"""
import asyncio
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance"))
import wsproto  # noqa: E402
from wsproto import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT  # noqa: E402,F401

READ_CHUNK = 256 * 1024
# StreamReader pauses the socket when this many bytes wait unread (x2); small enough that a
# "never reads" client really leaves the bytes in the kernel, large enough for a 256 KiB echo.
READER_LIMIT = 64 * 1024


class ServerClosed(Exception):
    """The server closed or reset TCP. `reset` tells which; `closing` is its close frame, if any."""

    def __init__(self, what: str, reset: bool):
        super().__init__(what)
        self.reset = reset


class CloseFrame(Exception):
    """A close frame arrived where a data frame or pong was expected."""

    def __init__(self, code: int | None, reason: bytes):
        super().__init__(f"close frame code {code} reason {reason[:60]!r}")
        self.code, self.reason = code, reason


def upgrade_request(path: str, key: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode("ascii")


class WsClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float):
        self.reader, self.writer, self.timeout = reader, writer, timeout
        self.decoder = wsproto.FrameDecoder()

    @classmethod
    async def open(cls, host: str, port: int, timeout: float, rcvbuf: int | None = None) -> "WsClient":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            if rcvbuf:
                # Before connect, so the window the server sees is small from the first segment.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            async with asyncio.timeout(timeout):
                await asyncio.get_running_loop().sock_connect(sock, (host, port))
            reader, writer = await asyncio.open_connection(sock=sock, limit=READER_LIMIT)
        except BaseException:
            sock.close()
            raise
        return cls(reader, writer, timeout)

    # ---- raw bytes ------------------------------------------------------------------------
    async def send_raw(self, data: bytes) -> None:
        self.writer.write(data)
        async with asyncio.timeout(self.timeout):
            await self.writer.drain()

    async def recv_raw(self, timeout: float | None = None) -> bytes:
        """Next bytes; b"" on FIN. Raises ServerClosed(reset=True) on a reset."""
        try:
            async with asyncio.timeout(timeout or self.timeout):
                return await self.reader.read(READ_CHUNK)
        except (ConnectionResetError, BrokenPipeError) as e:
            raise ServerClosed(f"reset ({e})", reset=True) from None

    # ---- handshake ------------------------------------------------------------------------
    async def handshake(self, path: str = "/", trailing: bytes = b"", split_at: int | None = None,
                        pause: float = 0.0) -> None:
        """Upgrade on `path`; `trailing` rides in the same write as the request; `split_at` sends
        the request in two writes `pause` seconds apart (the server's multi-read handshake path)."""
        key = wsproto.new_client_key()
        request = upgrade_request(path, key) + trailing
        if split_at:
            await self.send_raw(request[:split_at])
            await asyncio.sleep(pause)
            await self.send_raw(request[split_at:])
        else:
            await self.send_raw(request)
        head = bytearray()
        while b"\r\n\r\n" not in head:
            chunk = await self.recv_raw()
            if not chunk:
                raise ServerClosed(f"FIN before a complete handshake response; got {bytes(head[:200])!r}", reset=False)
            head += chunk
        end = head.index(b"\r\n\r\n") + 4
        status = bytes(head[:end])
        if not status.startswith(b"HTTP/1.1 101 "):
            raise AssertionError(f"handshake on {path}: expected 101, got {status[:200]!r}")
        accept = f"Sec-WebSocket-Accept: {wsproto.accept_key(key)}\r\n".encode().lower()
        if accept not in status.lower():
            raise AssertionError(f"handshake on {path}: wrong or missing Sec-WebSocket-Accept in {status!r}")
        self.decoder.feed(bytes(head[end:]))

    # ---- frames ---------------------------------------------------------------------------
    async def send_frame(self, opcode: int, payload: bytes = b"", fin: bool = True, **kw) -> None:
        await self.send_raw(wsproto.encode_frame(opcode, payload, fin=fin, **kw))

    async def recv_frame(self, timeout: float | None = None) -> wsproto.Frame:
        """The next server frame, strictly decoded (wsproto.ProtocolViolation on a bad one)."""
        while True:
            frame = self.decoder.next_frame()
            if frame is not None:
                return frame
            chunk = await self.recv_raw(timeout)
            if not chunk:
                partial = f" with {self.decoder.buffered()} B of a frame buffered" if self.decoder.buffered() else ""
                raise ServerClosed(f"FIN without a close frame{partial}", reset=False)
            self.decoder.feed(chunk)

    # ---- closing --------------------------------------------------------------------------
    async def close_handshake(self, code: int = 1000, reason: bytes = b"") -> None:
        """Client-initiated clean close: our close, the server's close with the same code (pongs
        may come first; data may not), then the server's FIN (a reset fails it)."""
        await self.send_frame(OP_CLOSE, wsproto.close_payload(code, reason))
        while True:
            frame = await self.recv_frame()
            if frame.opcode == OP_PONG:
                continue
            if frame.opcode != OP_CLOSE:
                raise AssertionError(f"expected the close reply, got {frame.describe()}")
            if frame.close_code != code:
                raise AssertionError(f"close {code} answered with close {frame.close_code} {frame.close_reason!r}")
            break
        while True:
            chunk = await self.recv_raw()
            if not chunk:
                break
            self.decoder.feed(chunk)
            raise AssertionError(f"{len(chunk)} B after the server's close frame")
        self.writer.close()

    def abort(self, reset: bool = True) -> None:
        """Drop the connection now; `reset` makes the kernel send a RST (SO_LINGER 0), which also
        discards whatever the server sent that we never read."""
        sock = self.writer.get_extra_info("socket")
        if reset and sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        self.writer.transport.abort()
