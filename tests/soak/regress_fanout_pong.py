#!/usr/bin/python3
"""Regression (found by the soak): a /broadcast fan-out that closes a slow member (1008) must not
take the publisher's queued pong with it.

  regress_fanout_pong.py --variant zerocopy -- /path/to/wsalloc-server

Found on zerocopy at 0b224c5 (fixed in e393818): the publisher's pong waited in the loop-wide
cork while its message was fanned out; when the fan-out pushed a slow member past --max-backlog,
Connection::close() queued the member's 1008 into the same cork and flushed it to the MEMBER's
socket, pong included. The publisher never got its pong (and another client received it).

The scenario: a slow /broadcast member (4 KiB receive buffer, never reads; it pings itself so the
server's close linger keeps it open long enough to read what it was sent), and a publisher that
sends [ping i][64 KiB message] in one write and waits for pong i, until the member is closed.
Passes when every pong reaches the publisher and the member received no pong it did not ask for.
"""
import argparse
import asyncio
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path[:0] = [os.path.join(HERE, ".."), os.path.join(HERE, "..", "conformance")]  # tests/: the package pylib
import wsproto  # noqa: E402
from pylib.server_process import ServerProcess, start_watchdog, take_server_argv  # noqa: E402
from ws_client import OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, ServerClosed, WsClient  # noqa: E402

MAX_BACKLOG = 65536
ROUNDS = 400        # 25 MiB: far past the kernel's buffers (tcp_wmem max 4 MiB) plus the backlog
OWN_PING = b"the member's own ping"


async def scenario(port: int) -> list[str]:
    problems = []
    slow = await WsClient.open("127.0.0.1", port, 10, rcvbuf=4096)
    await slow.handshake("/broadcast")

    async def keep_alive():
        while True:
            await slow.send_raw(wsproto.encode_frame(OP_PING, OWN_PING))
            await asyncio.sleep(0.3)
    alive = asyncio.create_task(keep_alive())
    pub = await WsClient.open("127.0.0.1", port, 10)
    await pub.handshake("/broadcast")
    payload = os.urandom(64 * 1024)
    try:
        for i in range(ROUNDS):
            ping = f"publisher ping {i}".encode()
            await pub.send_raw(wsproto.encode_frame(OP_PING, ping) + wsproto.encode_frame(OP_BINARY, payload))
            try:
                frame = await pub.recv_frame(2)
            except TimeoutError:
                problems.append(f"round {i}: the publisher got no pong for {ping!r} within 2 s")
                break
            if frame.opcode != OP_PONG or frame.payload != ping:
                problems.append(f"round {i}: the publisher expected pong {ping!r}, got {frame.describe()}")
                break
    finally:
        alive.cancel()
        await asyncio.gather(alive, return_exceptions=True)
    closed = None
    try:
        while closed is None:
            frame = await slow.recv_frame(3)
            if frame.opcode == OP_PONG and frame.payload != OWN_PING:
                problems.append(f"the slow member received someone else's pong: {frame.payload!r}")
            elif frame.opcode == OP_CLOSE:
                closed = frame.close_code
    except (ServerClosed, TimeoutError) as e:
        closed = f"no close frame ({type(e).__name__})"
    if closed != 1008:
        problems.append(f"the slow member was not closed with 1008 ({closed}): the scenario did not run")
    slow.abort()
    pub.abort()
    return problems


def main() -> int:
    server_argv, own = take_server_argv(sys.argv[1:])
    ap = argparse.ArgumentParser(usage="regress_fanout_pong.py --variant V -- /path/to/wsalloc-server [args]")
    ap.add_argument("--variant", required=True)
    args = ap.parse_args(own)
    start_watchdog(120, os.path.basename(__file__))
    srv = ServerProcess(server_argv + ["--variant", args.variant, "--max-backlog", str(MAX_BACKLOG)]).start()
    try:
        problems = asyncio.run(asyncio.wait_for(scenario(srv.port), 60))
    finally:
        srv.stop()
    for p in problems:
        print(f"FAIL {args.variant}: {p}")
    if not problems:
        print(f"pass {args.variant}: every pong reached the publisher while a slow member was closed with 1008")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
