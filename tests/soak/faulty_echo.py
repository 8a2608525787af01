#!/usr/bin/python3
"""A deliberately broken echo server (Python websockets), to prove the soak catches each failure:

  --fault none      an honest echo (the control)
  --fault corrupt   every --every-th message comes back with one byte changed
  --fault drop      every --every-th message is not echoed
  --fault reorder   every --every-th message is echoed after the one that follows it
  --fault leak      keeps a copy of every message (up to --leak-cap-mib), so RSS only grows
  --fault crash     exits with code 3 after --every messages in total

Same command-line and stdout contract as wsalloc-server (`listening on H:P`, exit 0 on SIGTERM);
accepts and ignores the flags the soak passes to wsalloc-server. No GET /stats: run the soak with
--no-stats and without the slow/broadcast/work kinds (this server has no --max-backlog).
"""
import argparse
import asyncio
import os
import sys

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: the package pylib
from pylib.echo_serve import serve_until_signal  # noqa: E402

_retained = []
_retained_bytes = 0
_count = 0


def corrupt(message):
    mid = len(message) // 2
    if isinstance(message, str):
        # Flipping the lowest bit of a code point keeps its UTF-8 length (and never makes a
        # surrogate), so the text stays valid and the same size: only content is wrong.
        return message[:mid] + chr(ord(message[mid]) ^ 1) + message[mid + 1:]
    return message[:mid] + bytes([message[mid] ^ 0x5A]) + message[mid + 1:]


def handler(args):
    async def echo(ws, path=None):
        global _count, _retained_bytes
        held = None
        try:
            async for message in ws:
                _count += 1
                nth = _count % args.every == 0 and len(message) > 0
                if args.fault == "crash" and _count >= args.every:
                    os._exit(3)
                if args.fault == "leak" and _retained_bytes < args.leak_cap_mib << 20:
                    copy = bytes(message, "utf-8") if isinstance(message, str) else bytes(message)
                    _retained.append(copy)
                    _retained_bytes += len(copy)
                if nth and args.fault == "drop":
                    continue
                if nth and args.fault == "corrupt":
                    message = corrupt(message)
                if nth and args.fault == "reorder" and held is None:
                    held = message
                    continue
                await ws.send(message)
                if held is not None:
                    await ws.send(held)
                    held = None
        except websockets.ConnectionClosed:
            pass
    return echo


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fault", choices=["none", "corrupt", "drop", "reorder", "leak", "crash"], required=True)
    ap.add_argument("--every", type=int, default=500)
    ap.add_argument("--leak-cap-mib", type=int, default=256)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9001)
    # wsalloc-server flags the soak passes; meaningless here.
    for flag in ("--variant", "--max-backlog", "--handshake-timeout-ms"):
        ap.add_argument(flag)
    args = ap.parse_args()
    return await serve_until_signal(handler(args), args.host, args.port, max_size=None, compression=None,
                                    ping_interval=None, close_timeout=2)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
