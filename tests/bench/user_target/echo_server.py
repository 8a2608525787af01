#!/usr/bin/python3
"""A small WebSocket echo server of "your own", the README's worked example of a target file
(python-echo.toml beside it): Python's `websockets` (Debian python3-websockets), echo on /echo only.

    echo_server.py --host H --port P

It does not follow wsalloc's CLI contract on purpose, as a server of your own would not: it needs a
real port (wsbench picks one and passes it as {port}), prints its own ready line
("echo server ready on H:P"), serves /echo and refuses every other path with HTTP 404, and exits 0
on SIGTERM.
"""
import argparse
import asyncio
import http
import signal
import sys

import websockets


async def echo(ws, path):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def only_echo_path(path, request_headers):
    if path != "/echo":
        return http.HTTPStatus.NOT_FOUND, [], b"only /echo here\n"
    return None


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()

    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))

    async with websockets.serve(echo, args.host, args.port, process_request=only_echo_path, max_size=16 << 20,
                                compression=None, ping_interval=None, close_timeout=2):
        print(f"echo server ready on {args.host}:{args.port}", flush=True)
        await stop
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
