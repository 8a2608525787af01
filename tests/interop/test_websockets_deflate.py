"""permessage-deflate with a client no one here wrote: Python's `websockets` (Debian
python3-websockets), whose compression is on by default, against a server started with --deflate
(WSALLOC_SERVER_CMD must include it). Both the library's default offer and offers with each
parameter set; every message is checked after the round trip, and the agreement the library
records is checked against what was offered.
"""
import asyncio
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: the package pylib

import websockets  # noqa: E402
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory  # noqa: E402
from pylib.server_case import OneServerPerClass  # noqa: E402

STEP_TIMEOUT = 10.0
ONE_MIB = 1 << 20


def json_like(n: int, seed: int) -> str:
    parts, size, i = [], 0, seed
    while size < n:
        item = f'{{"id":{i * 7919 % 100003},"user":"κόσμε-{i % 97}","active":{str(i % 3 == 0).lower()}}},'
        parts.append(item)
        size += len(item)
        i += 1
    return "".join(parts)[:n]


class WebsocketsDeflate(OneServerPerClass, unittest.IsolatedAsyncioTestCase):
    async def connect(self, **kw):
        options = dict(max_size=4 * ONE_MIB, ping_interval=None, close_timeout=5, open_timeout=STEP_TIMEOUT)
        options.update(kw)
        uri = f"ws://{self.server.host}:{self.server.port}/"
        return await asyncio.wait_for(websockets.connect(uri, **options), STEP_TIMEOUT)

    async def roundtrip(self, ws, message):
        await asyncio.wait_for(ws.send(message), STEP_TIMEOUT)
        return await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)

    async def close_and_check(self, ws):
        await asyncio.wait_for(ws.close(1000, "done"), STEP_TIMEOUT)
        self.assertEqual(ws.close_code, 1000)

    def agreed(self, ws):
        self.assertEqual(len(ws.extensions), 1, f"permessage-deflate was not agreed: {ws.extensions}")
        return ws.extensions[0]

    async def exercise(self, ws):
        for n in (0, 1, 100, 125, 126, 5000, 65535, 65536, 300_000, ONE_MIB):
            text = json_like(n, n)
            self.assertEqual(await self.roundtrip(ws, text), text, f"{n} chars of JSON-like text")
            blob = os.urandom(n)
            self.assertEqual(await self.roundtrip(ws, blob), blob, f"{n} random bytes")
        parts = [json_like(1000, 1), "κόσμε", "", json_like(70_000, 2)]
        self.assertEqual(await self.roundtrip(ws, parts), "".join(parts), "a fragmented compressed message")
        messages = [json_like(40 + i, i) if i % 2 else os.urandom(i) for i in range(200)]
        for m in messages:
            await asyncio.wait_for(ws.send(m), STEP_TIMEOUT)
        for m in messages:
            self.assertEqual(await asyncio.wait_for(ws.recv(), STEP_TIMEOUT), m)
        pong = await asyncio.wait_for(ws.ping(b"between"), STEP_TIMEOUT)
        await asyncio.wait_for(pong, STEP_TIMEOUT)

    async def test_default_client_offer_is_accepted_and_everything_roundtrips(self):
        ws = await self.connect()   # websockets' own default: compression="deflate"
        ext = self.agreed(ws)
        self.assertEqual(ext.name, "permessage-deflate")
        await self.exercise(ws)
        await self.close_and_check(ws)

    async def test_every_parameter_set_roundtrips(self):
        cases = [
            dict(client_no_context_takeover=True),
            dict(server_no_context_takeover=True),
            dict(server_no_context_takeover=True, client_no_context_takeover=True),
            dict(server_max_window_bits=9, client_max_window_bits=9),
            dict(server_max_window_bits=12, client_max_window_bits=10, compress_settings={"memLevel": 1}),
            dict(server_max_window_bits=15, client_max_window_bits=15, compress_settings={"memLevel": 9}),
        ]
        for params in cases:
            with self.subTest(**{k: v for k, v in params.items() if k != "compress_settings"}):
                ws = await self.connect(compression=None, extensions=[ClientPerMessageDeflateFactory(**params)])
                ext = self.agreed(ws)
                if params.get("server_no_context_takeover"):
                    self.assertTrue(ext.remote_no_context_takeover, "server_no_context_takeover not honoured")
                if params.get("client_no_context_takeover"):
                    self.assertTrue(ext.local_no_context_takeover)
                if params.get("server_max_window_bits"):
                    self.assertLessEqual(ext.remote_max_window_bits, params["server_max_window_bits"])
                await self.exercise(ws)
                await self.close_and_check(ws)

    async def test_several_compressed_connections_at_once(self):
        sockets = [await self.connect() for _ in range(10)]
        texts = [json_like(2000 + i, i) for i in range(10)]
        echoes = await asyncio.gather(*(self.roundtrip(ws, t) for ws, t in zip(sockets, texts)))
        self.assertEqual(echoes, texts)
        for ws in sockets:
            await self.close_and_check(ws)


if __name__ == "__main__":
    unittest.main()
