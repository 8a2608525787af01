"""A raw-socket WebSocket client connection for conformance cases.

Every wait is bounded: each recv has a socket timeout (RECV_TIMEOUT) and each multi-recv
operation a deadline, so a silent server fails a case instead of hanging the suite.
"""
import errno
import random
import socket
import threading
import time

import wsproto
from pylib.server_process import SLOW
from wsproto import Frame, FrameDecoder, OP_CLOSE, OP_CONT, OP_PING, OP_PONG

RECV_TIMEOUT = 5.0 * SLOW       # one recv; also "promptly" for every expected reaction
OP_DEADLINE = 20.0 * SLOW       # one multi-recv operation (a 1 MiB echo is many recvs)
THREADED_SEND_BYTES = 256 * 1024  # above this, send from a thread so a streaming echo cannot deadlock

# A peer that closed (or reset) is what the close cases expect; these are the errno values
# Linux reports for it, depending on whether a FIN or an RST won the race.
_CLOSED_ERRNOS = (errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED)


class ServerClosedTcp(AssertionError):
    pass


class HttpResponse:
    def __init__(self, status: int, reason: str, headers: list[tuple[str, str]], raw: bytes, body: bytes):
        self.status, self.reason, self.headers, self.raw, self.body = status, reason, headers, raw, body

    def header(self, name: str) -> str | None:
        values = self.header_all(name)
        return values[0] if values else None

    def header_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return f"HttpResponse({self.status} {self.reason}, {self.headers})"


def build_request(key: str | None, *, path: str = "/", host: str | None = "127.0.0.1",
                  method: str = "GET", http_version: str = "HTTP/1.1", version: str | None = "13",
                  upgrade: str | None = "websocket", connection: str | None = "Upgrade",
                  extra: list[tuple[str, str]] = ()) -> bytes:
    lines = [f"{method} {path} {http_version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    if upgrade is not None:
        lines.append(f"Upgrade: {upgrade}")
    if connection is not None:
        lines.append(f"Connection: {connection}")
    if key is not None:
        lines.append(f"Sec-WebSocket-Key: {key}")
    if version is not None:
        lines.append(f"Sec-WebSocket-Version: {version}")
    lines += [f"{k}: {v}" for k, v in extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Connection:
    def __init__(self, host: str, port: int):
        self.sock = socket.create_connection((host, port), timeout=RECV_TIMEOUT)
        self.sock.settimeout(RECV_TIMEOUT)
        # Without NODELAY the "one byte per write" cases would be coalesced by Nagle and
        # never exercise the server's split-input paths.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.decoder = FrameDecoder()
        self.received: list[Frame] = []   # every frame, in arrival order (tests inspect ordering)
        self.pongs: list[bytes] = []       # pong payloads not yet claimed by expect_pong()
        self.tcp_closed = False
        self.send_error = None             # set when the server closed while we were still writing
        self.deflate: wsproto.Deflate | None = None   # permessage-deflate, once agreed
        self.last_compressed = False       # the last message recv_message returned had RSV1
        self.last_wire_bytes = 0           # its payload bytes on the wire

    # ---- sending -------------------------------------------------------------------------
    def send_raw(self, data: bytes, split=None, delay: float = 0.0) -> None:
        """split: None = one write; int n = writes of n bytes; list = those sizes (rest at the end);
        'random' = random sizes 1..64 from a fixed seed (reproducible)."""
        self.join_sender()   # never interleave with a large write still in flight
        if split is None:
            if len(data) > THREADED_SEND_BYTES:
                self._send_in_thread(data)
                return
            sizes = [len(data)]
        elif split == "random":
            rng = random.Random(6455)
            sizes, left = [], len(data)
            while left > 0:
                sizes.append(min(left, rng.randint(1, 64)))
                left -= sizes[-1]
        elif isinstance(split, int):
            sizes = [split] * ((len(data) + split - 1) // split)
        else:
            sizes = list(split) + [len(data) - sum(split)]
        pos = 0
        for n in sizes:
            if n <= 0:
                continue
            try:
                self.sock.sendall(data[pos:pos + n])
            except OSError as e:
                # The server may rightly fail the connection before the client finished writing
                # (fail-fast cases); what it sent before closing is still read and checked.
                if e.errno in _CLOSED_ERRNOS:
                    self.send_error = e
                    return
                raise
            pos += n
            if delay:
                time.sleep(delay)

    def _send_in_thread(self, data: bytes) -> None:
        errors = []

        def run():
            try:
                self.sock.sendall(data)
            except OSError as e:
                errors.append(e)
        t = threading.Thread(target=run, daemon=True)
        t.start()
        self._pending_sender = (t, errors)

    def join_sender(self) -> None:
        pending = getattr(self, "_pending_sender", None)
        if pending:
            t, errors = pending
            t.join(OP_DEADLINE)
            self._pending_sender = None
            if t.is_alive():
                raise AssertionError(f"sending did not finish within {OP_DEADLINE} s (server not reading?)")
            if errors:
                raise errors[0]

    def send_frame(self, opcode: int, payload: bytes = b"", split=None, delay: float = 0.0, **kw) -> None:
        self.send_raw(wsproto.encode_frame(opcode, payload, **kw), split=split, delay=delay)

    def enable_deflate(self, deflate: "wsproto.Deflate") -> None:
        self.deflate = deflate
        self.decoder.rsv1_allowed = True

    def send_compressed(self, opcode: int, payload: bytes, fragments: int = 1, split=None, delay: float = 0.0) -> None:
        """One message compressed with the agreed parameters: RSV1 on its first frame only
        (RFC 7692 6.1), the compressed bytes cut into `fragments` frames."""
        z = self.deflate.compress(payload)
        frames = []
        for f in range(fragments):
            a, b = f * len(z) // fragments, (f + 1) * len(z) // fragments
            frames.append(wsproto.encode_frame(opcode if f == 0 else OP_CONT, z[a:b], fin=f == fragments - 1,
                                               rsv=wsproto.RSV1 if f == 0 else 0))
        self.send_raw(b"".join(frames), split=split, delay=delay)

    def send_close(self, code: int | None = 1000, reason: bytes = b"", **kw) -> None:
        self.send_frame(OP_CLOSE, wsproto.close_payload(code, reason), **kw)

    # ---- handshake -------------------------------------------------------------------------
    def read_http_response(self, read_body_to_eof: bool = False) -> HttpResponse:
        buf = bytearray()
        deadline = time.monotonic() + OP_DEADLINE
        while b"\r\n\r\n" not in buf:
            if time.monotonic() > deadline:
                raise AssertionError(f"no complete HTTP response within {OP_DEADLINE} s; got {bytes(buf)!r}")
            try:
                chunk = self._recv(f"the HTTP response (have {bytes(buf[:200])!r})")
            except ConnectionError as e:
                raise ServerClosedTcp(f"server reset TCP ({e}) before a complete HTTP response; "
                                      f"got {bytes(buf)!r}") from None
            if not chunk:
                raise ServerClosedTcp(f"server closed TCP before a complete HTTP response; got {bytes(buf)!r}")
            buf += chunk
        end = buf.index(b"\r\n\r\n") + 4
        head, rest = bytes(buf[:end]), bytes(buf[end:])
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise AssertionError(f"malformed HTTP status line {lines[0]!r}")
        headers = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers.append((name.strip(), value.strip()))
        response = HttpResponse(int(parts[1]), parts[2] if len(parts) > 2 else "", headers, head, b"")
        if response.status == 101:
            self.decoder.feed(rest)        # frames may follow the 101 in the same segment
        elif read_body_to_eof:
            body = bytearray(rest)
            while True:
                if time.monotonic() > deadline:
                    raise AssertionError(f"server kept the connection open {OP_DEADLINE} s after a {response.status}")
                try:
                    chunk = self._recv(f"EOF after the {response.status} response")
                except ConnectionError:
                    break
                if not chunk:
                    break
                body += chunk
            response.body = bytes(body)
            self.tcp_closed = True
        return response

    def handshake(self, path: str = "/", trailing: bytes = b"", split=None, delay: float = 0.0,
                  extensions: list[str] = ()) -> HttpResponse:
        """Sends a valid upgrade (plus `trailing` bytes in the same write) and checks the 101.
        extensions: Sec-WebSocket-Extensions field values to offer, one header line each."""
        key = wsproto.new_client_key()
        extra = [("Sec-WebSocket-Extensions", e) for e in extensions]
        self.send_raw(build_request(key, path=path, extra=extra) + trailing, split=split, delay=delay)
        response = self.read_http_response()
        if response.status != 101:
            raise AssertionError(f"handshake: expected 101, got {response.status} {response.reason}: {response.raw!r}")
        expected = wsproto.accept_key(key)
        if response.header("Sec-WebSocket-Accept") != expected:
            raise AssertionError(f"handshake: Sec-WebSocket-Accept {response.header('Sec-WebSocket-Accept')!r}, "
                                 f"expected {expected!r}")
        return response

    # ---- receiving -------------------------------------------------------------------------
    def _recv(self, what: str) -> bytes:
        try:
            return self.sock.recv(256 * 1024)
        except socket.timeout:
            raise AssertionError(f"no bytes from the server within {RECV_TIMEOUT} s while waiting for {what}") from None

    def recv_frame(self, what: str = "a frame") -> Frame:
        deadline = time.monotonic() + OP_DEADLINE
        while True:
            frame = self.decoder.next_frame()
            if frame is not None:
                self.received.append(frame)
                if frame.opcode == OP_PONG:
                    self.pongs.append(frame.payload)
                return frame
            if time.monotonic() > deadline:
                raise AssertionError(f"no complete frame within {OP_DEADLINE} s while waiting for {what}")
            try:
                chunk = self._recv(what)
            except OSError as e:
                if e.errno in _CLOSED_ERRNOS:
                    self.tcp_closed = True
                    raise ServerClosedTcp(f"server reset TCP ({e}) while the client waited for {what}; "
                                          f"frames so far: {self._history()}") from None
                raise
            if not chunk:
                self.tcp_closed = True
                partial = f", {self.decoder.buffered()} B of an incomplete frame" if self.decoder.buffered() else ""
                raise ServerClosedTcp(f"server closed TCP without a close frame while the client waited for "
                                      f"{what}{partial}; frames so far: {self._history()}")
            self.decoder.feed(chunk)

    def _history(self) -> str:
        return "[" + ", ".join(f.describe() for f in self.received[-8:]) + "]"

    def recv_message(self, what: str = "an echoed message") -> tuple[int, bytes]:
        """Reassembles one data message (the server may fragment its echo however it likes).
        Pongs are recorded in self.received and skipped; a close frame here is a failure.
        A message whose first frame has RSV1 (permessage-deflate) is returned inflated."""
        opcode, parts, compressed = None, [], False
        while True:
            frame = self.recv_frame(what)
            if frame.opcode == OP_CLOSE:
                raise AssertionError(f"server sent close (code {frame.close_code}, reason {frame.close_reason!r}) "
                                     f"while the client waited for {what}")
            if frame.opcode in (OP_PING, OP_PONG):
                continue
            if opcode is None:
                if frame.opcode == OP_CONT:
                    raise wsproto.ProtocolViolation(f"server began a message with a continuation frame")
                opcode = frame.opcode
                compressed = bool(frame.rsv & wsproto.RSV1)
            elif frame.opcode != OP_CONT:
                raise wsproto.ProtocolViolation(f"server began a new {wsproto.OPCODE_NAMES[frame.opcode]} message "
                                                f"while its previous message was still open")
            parts.append(frame.payload)
            if frame.fin:
                payload = b"".join(parts)
                self.last_compressed, self.last_wire_bytes = compressed, len(payload)
                return opcode, self.deflate.decompress(payload) if compressed else payload

    def expect_pong(self, payload: bytes) -> None:
        """The next unclaimed pong (already received, or the next frame) carries `payload`."""
        while not self.pongs:
            frame = self.recv_frame(f"a pong with {len(payload)} B payload")
            if frame.opcode == OP_CLOSE:
                raise AssertionError(f"expected a pong, server sent close code {frame.close_code} "
                                     f"reason {frame.close_reason!r}")
            if frame.opcode != OP_PONG:
                raise AssertionError(f"expected a pong, server sent {frame.describe()}")
        got = self.pongs.pop(0)
        if got != payload:
            raise AssertionError(f"pong payload {got[:40]!r} ({len(got)} B) differs from the ping's "
                                 f"{payload[:40]!r} ({len(payload)} B)")

    def expect_close(self, code, *, allow_data: bool = False, reply: bool = True) -> list[Frame]:
        """Waits for the server's close frame and asserts its code, then (as RFC 6455 5.5.1 asks of
        the client) answers it and asserts the server closes TCP. `code` may be an int, None (empty
        close payload) or a tuple of acceptable values. Data frames before the close fail the case
        unless allow_data. Returns the frames that came before the close."""
        accepted = code if isinstance(code, tuple) else (code,)
        before = []
        while True:
            frame = self.recv_frame(f"a close frame with code {code}")
            if frame.opcode == OP_CLOSE:
                break
            if frame.opcode in (OP_CONT, wsproto.OP_TEXT, wsproto.OP_BINARY) and not allow_data:
                raise AssertionError(f"expected close {code}, but the server first sent data {frame.describe()}")
            before.append(frame)
        if frame.close_code not in accepted:
            raise AssertionError(f"expected close code {code}, server sent close code {frame.close_code} "
                                 f"reason {frame.close_reason!r}")
        try:
            frame.close_reason.decode("utf-8")
        except UnicodeDecodeError:
            raise AssertionError(f"server close reason is not UTF-8: {frame.close_reason!r}") from None
        if reply:
            try:
                self.send_close(frame.close_code if frame.close_code is not None else None)
            except OSError as e:
                if e.errno not in _CLOSED_ERRNOS:
                    raise
        self.expect_tcp_closed(allow_reset=True)
        return before

    def expect_tcp_closed(self, allow_reset: bool = False) -> None:
        """The server must close TCP within RECV_TIMEOUT and send nothing more."""
        deadline = time.monotonic() + RECV_TIMEOUT
        while True:
            if self.decoder.buffered():
                frame = self.decoder.next_frame()
                raise AssertionError(f"server sent more after its close frame: "
                                     f"{frame.describe() if frame else f'{self.decoder.buffered()} B'}")
            if time.monotonic() > deadline:
                raise AssertionError(f"server did not close TCP within {RECV_TIMEOUT} s of the closing handshake")
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise AssertionError(f"server did not close TCP within {RECV_TIMEOUT} s "
                                     f"of the closing handshake") from None
            except OSError as e:
                if allow_reset and e.errno in _CLOSED_ERRNOS:
                    self.tcp_closed = True
                    return
                raise AssertionError(f"server reset TCP instead of closing it cleanly: {e}") from None
            if not chunk:
                self.tcp_closed = True
                return
            self.decoder.feed(chunk)

    def close_cleanly(self) -> None:
        """Client-initiated closing handshake: close 1000 -> close 1000 -> server closes TCP."""
        self.send_close(1000)
        frame = self.recv_frame("the close reply")
        while frame.opcode == OP_PONG:
            frame = self.recv_frame("the close reply")
        if frame.opcode != OP_CLOSE:
            raise AssertionError(f"expected the close reply, got {frame.describe()}")
        if frame.close_code != 1000:
            raise AssertionError(f"close 1000 answered with code {frame.close_code}")
        self.expect_tcp_closed()

    def close_socket(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
