"""Good clients: persistent connections whose every message must come back byte for byte, in
order, and whose every ping must get its pong.

  echo       one connection on an echo path; text and binary, empty to 256 KiB, some fragmented
             (cut anywhere, also inside UTF-8 characters), pings between fragments and messages
  work       the same on /work (the handler on the executor; replies in arrival order)
  broadcast  a publisher and a subscriber on /broadcast: what the publisher sends must reach the
             subscriber, in order, and nothing may come back to the publisher

A client keeps at most ctx.good_window bytes unanswered, which keeps the server's unsent bytes
for it below --max-backlog: a good client is never a slow consumer. It sends at most
ctx.good_rate messages a second: the soak runs on one python core, and unpaced echo clients
would starve the churn, slow and hostile loops (which then test less). Any deviation is an error
(the soak's pass criterion); the client then reconnects and goes on.
"""
import asyncio
from collections import deque

import verify
import wsproto
from context import OP_TIMEOUT, RunContext
from payloads import MAX_MESSAGE, MessageMaker
from ws_client import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, CloseFrame, WsClient

P_FRAGMENTED = 0.3
P_PING_BETWEEN_FRAGMENTS = 0.3
P_PING_BEFORE_MESSAGE = 0.5
P_ONE_WRITE = 0.5
BIG = MAX_MESSAGE * 3 // 4   # "a maximal message" for the warm-up coverage
# The first messages of every client: the largest sizes in every form, so the warm-up meets the
# working set's peak at once (all clients start together).
OPENING = [(True, MAX_MESSAGE, False), (False, MAX_MESSAGE, True), (True, MAX_MESSAGE, True),
           (False, MAX_MESSAGE, False)]
RECONNECT_PAUSE = 0.5


class GoodClient:
    def __init__(self, ctx: RunContext, name: str, kind: str, tx_path: str, rx_path: str | None = None):
        self.ctx, self.name, self.kind = ctx, name, kind
        self.tx_path, self.rx_path = tx_path, rx_path
        self.rng = ctx.rng(name)
        self.maker = MessageMaker(self.rng, ctx.blobs, name)
        self.expected, self.pongs, self.last_answer = deque(), deque(), 0.0

    async def run(self) -> None:
        while not self.ctx.stop.is_set():
            try:
                await self.session()
            except Exception as e:  # noqa: BLE001 - every failure is recorded, then the client goes on
                quiet = self.ctx.now() - self.last_answer
                self.ctx.error(self.name, f"{verify.describe(e)} [last good answer {quiet:.1f} s before; "
                                          f"{len(self.expected)} messages, {len(self.pongs)} pongs outstanding]")
                await asyncio.sleep(RECONNECT_PAUSE)

    # ---- one connection (or publisher/subscriber pair) until stop --------------------------------
    async def session(self) -> None:
        self.expected = deque()      # (opcode, payload, fragmented) sent, not yet echoed
        self.pongs = deque()         # ping payloads sent, not yet answered
        self.outstanding = 0         # payload bytes in self.expected
        self.progress = asyncio.Event()
        self.last_answer = self.ctx.now()
        conns = []
        try:
            rx = None
            if self.rx_path is not None:  # broadcast: the subscriber joins before anything is published
                rx = await WsClient.open(self.ctx.host, self.ctx.port, OP_TIMEOUT)
                conns.append(rx)
                await rx.handshake(self.rx_path)
            tx = await WsClient.open(self.ctx.host, self.ctx.port, OP_TIMEOUT)
            conns.append(tx)
            await tx.handshake(self.tx_path)
            rx = rx or tx
            readers = [asyncio.create_task(self.read(rx, data=True, pongs=rx is tx))]
            if rx is not tx:
                readers.append(asyncio.create_task(self.read(tx, data=False, pongs=True)))
            writer = asyncio.create_task(self.write(tx))
            try:
                done, _ = await asyncio.wait([writer, *readers], return_when=asyncio.FIRST_COMPLETED)
                if writer not in done:  # a reader failed (it never returns on its own)
                    writer.cancel()
                    for r in done:
                        r.result()
                    raise AssertionError("reader stopped without an error")
                writer.result()
            finally:
                for t in [writer, *readers]:
                    t.cancel()
                await asyncio.gather(writer, *readers, return_exceptions=True)
            for c in conns:
                await c.close_handshake(1000)
            conns.clear()
        finally:
            for c in conns:
                c.abort()

    async def write(self, tx: WsClient) -> None:
        opening = list(OPENING)
        next_at = self.ctx.now()
        while not self.ctx.stop.is_set():
            if self.ctx.good_rate:
                next_at = max(next_at + 1 / self.ctx.good_rate, self.ctx.now() - 1)  # no catch-up bursts
                if next_at > self.ctx.now():
                    await asyncio.sleep(next_at - self.ctx.now())
            text, size, fragmented = opening.pop(0) if opening else \
                (self.rng.random() < 0.5, self.maker.size(), self.rng.random() < P_FRAGMENTED)
            payload = self.maker.make(text, size)
            await self.room_for(len(payload))
            opcode = OP_TEXT if text else OP_BINARY
            self.expected.append((opcode, payload, fragmented))
            self.outstanding += len(payload)
            # The frames of one message: a ping may go first or between fragments (5.4 allows
            # control frames inside a fragmented message).
            frames = [self.ping_frame()] if self.rng.random() < P_PING_BEFORE_MESSAGE else []
            if fragmented:
                pieces = self.maker.fragments(payload)
                for i, piece in enumerate(pieces):
                    if i and self.rng.random() < P_PING_BETWEEN_FRAGMENTS:
                        frames.append(self.ping_frame())
                    frames.append(wsproto.encode_frame(OP_CONT if i else opcode, piece, fin=i == len(pieces) - 1))
            else:
                frames.append(wsproto.encode_frame(opcode, payload))
            # Half the time all in one write, so one server read holds several frames (a ping's
            # pong is then queued while the message is still being handled); else frame by frame.
            if self.rng.random() < P_ONE_WRITE:
                await tx.send_raw(b"".join(frames))
            else:
                for frame in frames:
                    await tx.send_raw(frame)
            self.ctx.tally.broadcast_published += len(payload) if self.kind == "broadcast" else 0
        await self.wait_answered()

    def ping_frame(self) -> bytes:
        payload = self.maker.ping_payload()
        self.pongs.append(payload)  # before sending: the pong may beat the send's return
        return wsproto.encode_frame(OP_PING, payload)

    async def room_for(self, n: int) -> None:
        # One message beyond the window is allowed when nothing is outstanding (a message is never
        # larger than the window).
        while self.expected and self.outstanding + n > self.ctx.good_window:
            await self.wait_progress()

    async def wait_answered(self) -> None:
        while self.expected or self.pongs:
            await self.wait_progress()

    async def wait_progress(self) -> None:
        self.progress.clear()
        try:
            async with asyncio.timeout(OP_TIMEOUT):
                await self.progress.wait()
        except TimeoutError:
            head = verify.tag_of(self.expected[0][1]) if self.expected else "a pong"
            raise TimeoutError(f"nothing answered for {OP_TIMEOUT:.0f} s; waiting for {head}, "
                                       f"{len(self.expected)} messages and {len(self.pongs)} pongs outstanding") from None

    async def read(self, ws: WsClient, data: bool, pongs: bool) -> None:
        """Verifies frames until cancelled; raises on the first deviation."""
        opcode, parts = None, []
        while True:
            try:
                frame = await ws.recv_frame(OP_TIMEOUT)
            except TimeoutError:
                if (data and self.expected) or (pongs and self.pongs):
                    raise
                continue  # quiet because nothing is outstanding
            if frame.opcode == OP_PONG and pongs:
                if not self.pongs:
                    raise AssertionError(f"unsolicited pong {frame.describe()}")
                want = self.pongs.popleft()
                if frame.payload != want:
                    raise AssertionError(f"lost or reordered pong: got a pong of {len(frame.payload)} B "
                                         f"({frame.payload[:8].hex()}...), the next ping due an answer had "
                                         f"{len(want)} B ({want[:8].hex()}...)")
                self.ctx.tally.pongs += 1
                self.ctx.tally.covered.add(f"{self.kind}.ping")
                self.last_answer = self.ctx.now()
                self.progress.set()
                continue
            if frame.opcode == OP_CLOSE:
                raise CloseFrame(frame.close_code, frame.close_reason)
            if not data or frame.opcode in (OP_PING, OP_PONG):
                raise AssertionError(f"unexpected frame on {'the publisher' if not data else 'an echo'}: "
                                     f"{frame.describe()}")
            if opcode is None:
                if frame.opcode == OP_CONT:
                    raise AssertionError("server began a message with a continuation frame")
                opcode = frame.opcode
            elif frame.opcode != OP_CONT:
                raise AssertionError(f"server began a new message inside a fragmented one: {frame.describe()}")
            parts.append(frame.payload)
            if frame.fin:
                self.check(opcode, b"".join(parts))
                opcode, parts = None, []

    def check(self, opcode: int, payload: bytes) -> None:
        if not self.expected:
            raise AssertionError(f"a message nobody sent: {verify.OPCODE_NAMES[opcode]} {verify.tag_of(payload)} "
                                 f"({len(payload)} B)")
        want_op, want, fragmented = self.expected.popleft()
        wrong = verify.mismatch(want_op, want, opcode, payload, in_flight=self.expected)
        if wrong:
            raise AssertionError(wrong)
        self.outstanding -= len(want)
        tally = self.ctx.tally
        tally.verified(len(want))
        tally.covered.add(f"{self.kind}.message")
        if len(want) >= BIG:
            tally.covered.add(f"{self.kind}.max_{'text' if want_op == OP_TEXT else 'binary'}")
        if fragmented:
            tally.covered.add(f"{self.kind}.fragmented")
        self.last_answer = self.ctx.now()
        self.progress.set()


COVERAGE = {
    "echo": ["echo.max_text", "echo.max_binary", "echo.fragmented", "echo.ping"],
    "work": ["work.message"],
    "broadcast": ["broadcast.message", "broadcast.max_binary"],
}
