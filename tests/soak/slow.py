"""Slow consumers: connections that stop reading while the server has more and more to send them.
The server must give up on each once its unsent bytes pass --max-backlog: close 1008, and (its
close linger) a reset if the close frame is not taken either.

  echo       sends 64 KiB messages on an echo path and never reads the echoes
  broadcast  joins /broadcast and never reads what the publisher sends

Both use a 4 KiB receive buffer, so the kernel soaks up little on their side. Only once the
server must have given up does the consumer read what is left and report how the connection
ended (reading earlier would drain the server's backlog and make the consumer fast again):
  echo       when a write cannot drain for BLOCKED_AFTER: the server stopped reading it, which
             happens only once it closed it (--max-backlog is below its 2 MiB read high-water
             mark). Cap: max_backlog + the kernel's largest send and receive buffers + 4 MiB (the
             server's receive buffer alone may absorb tcp_rmem's maximum before the write blocks).
  broadcast  when the publisher has pushed max_backlog + twice the largest send buffer since it
             joined: nothing else can hold the bytes.
A 1008 close frame, or a reset/FIN (the server's close linger gave up before the close frame
could be read), counts as "closed by the server"; any other close code, or a connection still
open 5 s after its data stopped, is an error.
"""
import asyncio

import verify
import wsproto
from context import RunContext
from ws_client import OP_BINARY, OP_CLOSE, ServerClosed, WsClient

RCVBUF = 4096
MESSAGE = 64 * 1024
BLOCKED_AFTER = 1.0       # a write that cannot drain this long: the server stopped reading us
STILL_OPEN_AFTER = 5.0    # no byte and no close for this long after the data: not closed
PUBLISH_DEADLINE = 30.0   # a broadcast member waits at most this long for its bytes to be pushed
CONNECT_TIMEOUT = 10.0


def kernel_buffer_max(which: str, default: int) -> int:
    """The maximum of net.ipv4.tcp_wmem or tcp_rmem: what one socket may hold beyond the backlog."""
    try:
        with open(f"/proc/sys/net/ipv4/{which}") as f:
            return int(f.read().split()[2])
    except (OSError, ValueError, IndexError):
        return default


def broadcast_budget(ctx: RunContext) -> int:
    return ctx.max_backlog + 2 * kernel_buffer_max("tcp_wmem", 4 << 20)


def echo_cap(ctx: RunContext) -> int:
    return ctx.max_backlog + kernel_buffer_max("tcp_wmem", 4 << 20) + kernel_buffer_max("tcp_rmem", 6 << 20) + (4 << 20)


async def slow_loop(ctx: RunContext, name: str, route: str) -> None:
    once = slow_echo if route == "echo" else slow_broadcast_member
    while not ctx.stop.is_set():
        try:
            outcome = await once(ctx)
        except Exception as e:  # noqa: BLE001 - a failure to even connect: recorded, loop goes on
            ctx.error(name, f"slow consumer ({route}): {verify.describe(e)}")
            await asyncio.sleep(0.5)
            continue
        if outcome is None:
            continue  # the run stopped before this one could be tested
        ctx.tally.slow[f"{route}: {outcome}"] += 1
        if outcome in ("close 1008", "reset", "FIN"):
            ctx.tally.covered.add(f"slow.{route}")
        else:
            ctx.error(name, f"slow consumer ({route}) was not closed by the server: {outcome}")


async def slow_echo(ctx: RunContext) -> str:
    ws = await WsClient.open(ctx.host, ctx.port, CONNECT_TIMEOUT, rcvbuf=RCVBUF)
    try:
        await ws.handshake("/slow-echo")
        frame = wsproto.encode_frame(OP_BINARY, ctx.blobs.binary[:MESSAGE])
        cap, sent = echo_cap(ctx), 0
        try:
            while sent < cap:
                ws.writer.write(frame)
                async with asyncio.timeout(BLOCKED_AFTER):
                    await ws.writer.drain()
                sent += len(frame)
        except TimeoutError:
            pass  # blocked: the server stopped reading (it closed us, or it is applying backpressure)
        except (ConnectionResetError, BrokenPipeError):
            return "reset"
        return await how_it_ended(ws)
    finally:
        ws.abort()


async def slow_broadcast_member(ctx: RunContext) -> str | None:
    ws = await WsClient.open(ctx.host, ctx.port, CONNECT_TIMEOUT, rcvbuf=RCVBUF)
    try:
        await ws.handshake("/broadcast")
        start, budget = ctx.tally.broadcast_published, broadcast_budget(ctx)
        deadline = ctx.now() + PUBLISH_DEADLINE
        while ctx.tally.broadcast_published - start < budget:
            if ctx.stop.is_set():
                return None  # the publisher has stopped
            if ctx.now() > deadline:
                return f"publisher pushed only {ctx.tally.broadcast_published - start} of {budget} B " \
                       f"in {PUBLISH_DEADLINE:.0f} s"
            await asyncio.sleep(0.1)
        return await how_it_ended(ws)
    finally:
        ws.abort()


async def how_it_ended(ws: WsClient) -> str:
    """Reads (and discards) data until the connection ends; returns how it ended."""
    while True:
        try:
            frame = await ws.recv_frame(STILL_OPEN_AFTER)
        except TimeoutError:
            return f"still open {STILL_OPEN_AFTER:.0f} s after its data stopped"
        except ServerClosed as e:
            return "reset" if e.reset else "FIN"
        if frame.opcode == OP_CLOSE:
            return f"close {frame.close_code}"


COVERAGE = {"echo": ["slow.echo"], "broadcast": ["slow.broadcast"]}
