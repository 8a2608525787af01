"""Hostile clients: connections that break the protocol or vanish at awkward moments. The server
must survive them and drop each one within a bound; what it answers is recorded (the conformance
suite checks the exact codes). Each loop cycles through every kind in turn, so a warm-up of a few
cycles has met them all.

Errors (the pass criterion): the server does not accept a connection, or keeps a stalled
handshake open past --handshake-timeout-ms (plus a sweep's slack).
"""
import asyncio

import verify
import wsproto
from context import RunContext
from ws_client import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_TEXT, ServerClosed, WsClient

CONNECT_TIMEOUT = 10.0
ANSWER_TIMEOUT = 3.0       # how long a hostile client listens for the server's reaction
HANDSHAKE_SLACK = 3.0      # the server sweeps every 250 ms; python may be late too


async def listen(ws: WsClient, timeout: float = ANSWER_TIMEOUT) -> str:
    """What the server does next: its close code, an HTTP status, FIN, reset or nothing."""
    buf = bytearray()
    try:
        while True:
            chunk = await ws.recv_raw(timeout)
            if not chunk:
                return _first_answer(buf) + "FIN"
            buf += chunk
            if buf.startswith(b"HTTP/") and b"\r\n" in buf:
                return "http " + buf[9:12].decode("ascii", "replace")
            ws.decoder.feed(chunk)
            while (frame := ws.decoder.next_frame()) is not None:
                if frame.opcode == OP_CLOSE:
                    return f"close {frame.close_code}"
    except TimeoutError:
        return _first_answer(buf) + "silent"
    except ServerClosed:
        return _first_answer(buf) + "reset"
    except wsproto.ProtocolViolation as e:
        return f"bad frame from the server: {e}"


def _first_answer(buf: bytearray) -> str:
    return f"{len(buf)} B then " if buf else ""


# ---- the kinds -------------------------------------------------------------------------------
async def half_frame_then_fin(ctx, rng, ws):
    await ws.handshake("/h")
    frame = wsproto.encode_frame(OP_BINARY, rng.randbytes(rng.randint(200, 70000)))
    await ws.send_raw(frame[:rng.randint(1, len(frame) - 1)])
    ws.writer.write_eof()
    return await listen(ws)


async def half_frame_then_reset(ctx, rng, ws):
    await ws.handshake("/h")
    frame = wsproto.encode_frame(OP_TEXT, b"x" * rng.randint(200, 70000))
    await ws.send_raw(frame[:rng.randint(1, len(frame) - 1)])
    await asyncio.sleep(0.01)
    ws.abort(reset=True)
    return "reset sent"


async def garbage_before_handshake(ctx, rng, ws):
    junk = rng.randbytes(rng.randint(1, 4000))
    if rng.random() < 0.5:
        junk += b"\r\n\r\n"  # a complete (nonsense) request head: an HTTP error is due
    await ws.send_raw(junk)
    return await listen(ws)


async def garbage_after_handshake(ctx, rng, ws):
    await ws.handshake("/h")
    await ws.send_raw(rng.randbytes(rng.randint(1, 8000)))
    return await listen(ws)


async def reset_with_replies_queued(ctx, rng, ws):
    await ws.handshake("/h")
    for _ in range(rng.randint(2, 8)):
        await ws.send_frame(OP_BINARY, ctx.blobs.binary[:64 * 1024])
    await asyncio.sleep(0.05)  # the server has echoed into its buffers
    ws.abort(reset=True)
    return "reset sent"


async def stalled_handshake(ctx, rng, ws):
    await ws.send_raw(b"GET /stalled HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: webs")
    bound = ctx.handshake_timeout + HANDSHAKE_SLACK
    outcome = await listen(ws, bound)
    if outcome.endswith("silent"):
        raise AssertionError(f"a stalled handshake was still open {bound:.1f} s later "
                             f"(--handshake-timeout-ms {ctx.handshake_timeout * 1000:.0f})")
    return outcome


async def oversized_message(ctx, rng, ws):
    await ws.handshake("/h")
    await ws.send_raw(wsproto.encode_frame(OP_BINARY, declared_length=1 << 30, header_only=True))
    return await listen(ws)


async def abandoned_fragmented_message(ctx, rng, ws):
    await ws.handshake("/h")
    for i in range(rng.randint(1, 4)):
        await ws.send_frame(OP_CONT if i else OP_BINARY, rng.randbytes(rng.randint(1, 40000)), fin=False)
    ws.abort(reset=rng.random() < 0.5)
    return "left mid-message"


async def broadcast_member_resets(ctx, rng, ws):
    await ws.handshake("/broadcast")
    await asyncio.sleep(rng.uniform(0, 0.2))  # receives whatever is published meanwhile
    ws.abort(reset=True)
    return "reset sent"


async def work_abandoned(ctx, rng, ws):
    await ws.handshake("/work")
    for _ in range(rng.randint(1, 5)):
        await ws.send_frame(OP_TEXT, b"abandoned " * rng.randint(1, 500))
    ws.abort(reset=True)  # replies still on the executor
    return "reset sent"


async def ping_flood_then_reset(ctx, rng, ws):
    await ws.handshake("/h")
    flood = b"".join(wsproto.encode_frame(OP_PING, b"p" * 125) for _ in range(200))
    for _ in range(rng.randint(1, 10)):
        await ws.send_raw(flood)
    ws.abort(reset=True)
    return "reset sent"


KINDS = {f.__name__: f for f in (
    half_frame_then_fin, half_frame_then_reset, garbage_before_handshake, garbage_after_handshake,
    reset_with_replies_queued, stalled_handshake, oversized_message, abandoned_fragmented_message,
    broadcast_member_resets, work_abandoned, ping_flood_then_reset)}
COVERAGE = [f"hostile.{k}" for k in KINDS]


async def hostile_loop(ctx: RunContext, name: str, offset: int) -> None:
    rng = ctx.rng(name)
    order = list(KINDS)
    i = offset
    while not ctx.stop.is_set():
        kind = order[i % len(order)]
        i += 1
        try:
            ws = await WsClient.open(ctx.host, ctx.port, CONNECT_TIMEOUT)
        except Exception as e:  # noqa: BLE001
            ctx.error(name, f"hostile {kind}: could not connect: {verify.describe(e)}")
            await asyncio.sleep(0.5)
            continue
        try:
            outcome = await KINDS[kind](ctx, rng, ws)
        except AssertionError as e:
            ctx.error(name, f"hostile {kind}: {e}")
            outcome = "error"
        except ServerClosed as e:  # the server may cut a hostile client short
            outcome = "dropped early: " + ("reset" if e.reset else "FIN")
        except ConnectionError as e:
            outcome = f"dropped early: {type(e).__name__}"
        except TimeoutError:
            outcome = "dropped early: timeout"
        finally:
            ws.abort(reset=False)
        ctx.tally.hostile[f"{kind}: {outcome}"] += 1
        ctx.tally.covered.add(f"hostile.{kind}")

