#!/usr/bin/python3
"""Reference echo server on Python's `websockets` library (asyncio), used to validate the
conformance suite itself before (and independently of) wsalloc-server.

Same command-line and stdout contract as wsalloc-server:
  reference_echo.py [--variant X] --host H --port P [--max-message B] [--threads N]
prints one line `listening on H:P` when ready, echoes text and binary messages on any path,
exits 0 on SIGTERM/SIGINT. --variant and --threads are accepted and ignored.

It is a reference for the suite, not a conformance oracle: websockets deviates from the
wsalloc contract on some cases; see README.md ("Deviations of the reference server").
"""
import argparse
import asyncio
import os
import sys

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: the package pylib
from pylib.echo_serve import serve_until_signal  # noqa: E402


async def echo(ws, path=None):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", default="reference")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9001)
    ap.add_argument("--max-message", type=int, default=16 << 20, help="bytes; 0 = unlimited")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    return await serve_until_signal(echo, args.host, args.port, max_size=args.max_message or None,
                                    compression=None, ping_interval=None, close_timeout=2)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
