"""Churn: short, well-behaved connections, one after another: connect, handshake (sometimes split
across two writes, sometimes with the first frame in the same write), a few verified echoes and a
ping, then a clean closing handshake (1000 answered with 1000, then the server's FIN).

Every connection is a good client: any deviation is an error (the soak's pass criterion).
"""
import asyncio

import verify
import wsproto
from context import OP_TIMEOUT, RunContext
from payloads import MessageMaker
from ws_client import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, CloseFrame, WsClient

LARGEST = 64 * 1024
PAUSE_AFTER_ERROR = 0.5


async def churn_loop(ctx: RunContext, name: str) -> None:
    rng = ctx.rng(name)
    maker = MessageMaker(rng, ctx.blobs, name)
    while not ctx.stop.is_set():
        try:
            await one_connection(ctx, rng, maker)
            ctx.tally.churn += 1
            ctx.tally.covered.add("churn.connection")
        except Exception as e:  # noqa: BLE001 - recorded; the loop goes on
            ctx.error(name, verify.describe(e))
            await asyncio.sleep(PAUSE_AFTER_ERROR)


async def one_connection(ctx: RunContext, rng, maker: MessageMaker) -> None:
    ws = await WsClient.open(ctx.host, ctx.port, OP_TIMEOUT)
    clean = False
    try:
        pending = []  # (opcode, payload) echoes still to come, in order
        trailing = b""
        if rng.random() < 0.2:
            first = maker.make(True, maker.size(LARGEST))
            trailing = wsproto.encode_frame(OP_TEXT, first)
            pending.append((OP_TEXT, first))
        split = rng.randint(1, 100) if rng.random() < 0.2 else None
        await ws.handshake(f"/churn/{rng.randrange(1000)}", trailing=trailing, split_at=split,
                           pause=rng.uniform(0, 0.05))
        for _ in range(rng.randint(0 if pending else 1, 4)):
            text = rng.random() < 0.5
            payload = maker.make(text, maker.size(LARGEST))
            opcode = OP_TEXT if text else OP_BINARY
            if rng.random() < 0.3:
                pieces = maker.fragments(payload, max_pieces=4)
                for i, piece in enumerate(pieces):
                    await ws.send_frame(OP_CONT if i else opcode, piece, fin=i == len(pieces) - 1)
            else:
                await ws.send_frame(opcode, payload)
            pending.append((opcode, payload))
        ping = maker.ping_payload() if rng.random() < 0.5 else None
        if ping is not None:
            await ws.send_frame(OP_PING, ping)
        # The pong may come before the echoes (RFC 6455 does not order it against them).
        pong_due = ping is not None
        opcode, parts = None, []
        while pending or pong_due:
            frame = await ws.recv_frame()
            if frame.opcode == OP_PONG:
                if not pong_due or frame.payload != ping:
                    raise AssertionError(f"unexpected pong {frame.describe()} (ping sent: "
                                         f"{'none' if ping is None else f'{len(ping)} B'})")
                pong_due = False
                ctx.tally.pongs += 1
                continue
            if frame.opcode == OP_CLOSE:
                raise CloseFrame(frame.close_code, frame.close_reason)
            if frame.opcode == OP_PING or (opcode is None) != (frame.opcode != OP_CONT):
                raise AssertionError(f"unexpected frame from the server: {frame.describe()}")
            opcode = opcode if opcode is not None else frame.opcode
            parts.append(frame.payload)
            if frame.fin:
                if not pending:
                    raise AssertionError(f"a message nobody sent: {len(b''.join(parts))} B")
                want_op, want = pending.pop(0)
                wrong = verify.mismatch(want_op, want, opcode, b"".join(parts), in_flight=pending)
                if wrong:
                    raise AssertionError(wrong)
                ctx.tally.verified(len(want))
                opcode, parts = None, []
        await ws.close_handshake(1000, b"bye" if rng.random() < 0.5 else b"")
        clean = True
    finally:
        if not clean:
            ws.abort()


COVERAGE = ["churn.connection"]
