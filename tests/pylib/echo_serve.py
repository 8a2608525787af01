"""The server side of the wsalloc-server contract for the Python stand-ins (the conformance
reference echo, the soak's deliberately faulty echo): serve `handler` with Python's websockets
on HOST:PORT (port 0: any free one), print the one line `listening on HOST:PORT` once the socket
listens, and return 0 when SIGTERM or SIGINT arrives (the contract's clean exit).
"""
import asyncio
import signal

import websockets


async def serve_until_signal(handler, host: str, port: int, **options) -> int:
    """options go to websockets.serve (max_size, compression, ping_interval, close_timeout...)."""
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with websockets.serve(handler, host, port, **options) as server:
        print(f"listening on {host}:{server.sockets[0].getsockname()[1]}", flush=True)
        await stop
    return 0
