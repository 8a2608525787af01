"""Interoperability with a client no one here wrote: Python's `websockets` (Debian
python3-websockets) talks to the server under test (WSALLOC_SERVER_CMD) over loopback.

Uses the library's asyncio client, which every packaged version has (websockets.sync only
exists from 11.0; Debian bookworm ships 10.4). Only attributes common to the legacy (<14) and
the new (>=14) asyncio implementations are used.
"""
import asyncio
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: the package pylib

import websockets  # noqa: E402
from pylib.server_case import OneServerPerClass  # noqa: E402

STEP_TIMEOUT = 10.0   # every await on the network is bounded
ONE_MIB = 1 << 20


def close_frames(ws):
    """(sent, received) Close objects, for either implementation of the library."""
    holder = getattr(ws, "protocol", ws)
    return getattr(holder, "close_sent", None), getattr(holder, "close_rcvd", None)


class WebsocketsClient(OneServerPerClass, unittest.IsolatedAsyncioTestCase):
    def uri(self, path="/"):
        return f"ws://{self.server.host}:{self.server.port}{path}"

    async def connect(self, **kw):
        options = dict(max_size=4 * ONE_MIB, compression=None, ping_interval=None, close_timeout=5,
                       open_timeout=STEP_TIMEOUT)
        options.update(kw)
        return await asyncio.wait_for(websockets.connect(self.uri(), **options), STEP_TIMEOUT)

    async def roundtrip(self, ws, message):
        await asyncio.wait_for(ws.send(message), STEP_TIMEOUT)
        return await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)

    async def close_and_check(self, ws):
        await asyncio.wait_for(ws.close(1000, "done"), STEP_TIMEOUT)
        sent, received = close_frames(ws)
        self.assertIsNotNone(sent, "the client sent no close frame")
        self.assertEqual(sent.code, 1000, "the client's close code (what the server saw)")
        self.assertIsNotNone(received, "the server never answered the close frame")
        self.assertEqual(received.code, 1000, f"the server answered close 1000 with {received}")
        self.assertEqual(ws.close_code, 1000)

    async def test_text_with_multibyte_characters_roundtrips(self):
        ws = await self.connect()
        for text in ("hello", "κόσμε", "€ and 😀 and 𝄞", "Hello-µ@ßöäüàá-UTF-8!!" * 100):
            echoed = await self.roundtrip(ws, text)
            self.assertIsInstance(echoed, str, "a text message must come back as text")
            self.assertEqual(echoed, text)
        await self.close_and_check(ws)

    async def test_binary_roundtrips(self):
        ws = await self.connect()
        for payload in (bytes(range(256)), os.urandom(125), os.urandom(126), os.urandom(65536)):
            echoed = await self.roundtrip(ws, payload)
            self.assertIsInstance(echoed, bytes, "a binary message must come back as binary")
            self.assertEqual(echoed, payload)
        await self.close_and_check(ws)

    async def test_empty_messages_roundtrip(self):
        ws = await self.connect()
        self.assertEqual(await self.roundtrip(ws, ""), "")
        self.assertEqual(await self.roundtrip(ws, b""), b"")
        await self.close_and_check(ws)

    async def test_fragmented_messages_come_back_whole(self):
        ws = await self.connect()
        text_parts = ["first fragment, ", "κόσμε, ", "", "😀 last"]
        self.assertEqual(await self.roundtrip(ws, text_parts), "".join(text_parts))
        binary_parts = [os.urandom(n) for n in (1, 1000, 70000, 3)]
        self.assertEqual(await self.roundtrip(ws, binary_parts), b"".join(binary_parts))

        async def slow_fragments():   # fragments spread over time, with a ping in between
            yield "slow-1 "
            await asyncio.sleep(0.05)
            yield "slow-2 "
            await asyncio.sleep(0.05)
            yield "slow-3"
        self.assertEqual(await self.roundtrip(ws, slow_fragments()), "slow-1 slow-2 slow-3")
        await self.close_and_check(ws)

    async def test_one_mib_messages_roundtrip(self):
        ws = await self.connect()
        text = ("0123456789abcdef" * (ONE_MIB // 16))
        self.assertEqual(await self.roundtrip(ws, text), text)
        payload = os.urandom(ONE_MIB)
        self.assertEqual(await self.roundtrip(ws, payload), payload)
        await self.close_and_check(ws)

    async def test_ping_gets_pong(self):
        ws = await self.connect()
        for data in (b"", b"interop ping", os.urandom(125)):
            pong_waiter = await asyncio.wait_for(ws.ping(data), STEP_TIMEOUT)
            await asyncio.wait_for(pong_waiter, STEP_TIMEOUT)
        self.assertEqual(await self.roundtrip(ws, "after pings"), "after pings")
        await self.close_and_check(ws)

    async def test_many_messages_in_flight_come_back_in_order(self):
        ws = await self.connect()
        messages = [f"message {i}" if i % 2 else os.urandom(i) for i in range(200)]
        for m in messages:
            await asyncio.wait_for(ws.send(m), STEP_TIMEOUT)
        for m in messages:
            self.assertEqual(await asyncio.wait_for(ws.recv(), STEP_TIMEOUT), m)
        await self.close_and_check(ws)

    async def test_default_client_with_compression_on_connects_and_echoes(self):
        # websockets offers permessage-deflate unless told not to, as browsers do; a server that
        # does not compress must still complete the handshake without the extension.
        ws = await self.connect(compression="deflate")
        for message in ("compression offered", os.urandom(70000), "κόσμε" * 1000):
            self.assertEqual(await self.roundtrip(ws, message), message)
        await self.close_and_check(ws)

    async def test_clean_close_with_code_1000(self):
        ws = await self.connect()
        await self.close_and_check(ws)
        await asyncio.wait_for(ws.wait_closed(), STEP_TIMEOUT)

    async def test_several_connections_at_once(self):
        sockets = [await self.connect() for _ in range(10)]
        echoes = await asyncio.gather(*(self.roundtrip(ws, f"conn {i}") for i, ws in enumerate(sockets)))
        self.assertEqual(echoes, [f"conn {i}" for i in range(10)])
        for ws in sockets:
            await self.close_and_check(ws)


if __name__ == "__main__":
    unittest.main()
