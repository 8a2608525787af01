#!/usr/bin/python3
"""A reference peer's /broadcast route, against the real binary (argv after `--`), so the broadcast
scenario compares wsalloc-server with the peers instead of skipping them (issue 14, item 7):

  /broadcast  every message reaches every other /broadcast connection, in order, with its type,
              and never the sender; any member may publish
  /           still echoes, and is not a member
  slow consumer  a member that never reads is closed (1008, or dropped: its close frame would wait) once its unsent
                 bytes pass the peer's 16 MiB backlog, and the others keep being served

The peers have no /stats, so membership is established by probing: the publisher sends probes
until every member has seen one (the same test wsbench's feature probe makes).
Bounded: every wait has a timeout; the server is stopped by PID.
"""
import asyncio
import os
import socket
import sys
import time
import unittest

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: the package pylib
from pylib import server_process  # noqa: E402

SERVER = []  # filled from argv
PROBE = "probe"


def start():
    return server_process.ServerProcess(SERVER).start()


def run(coro, limit=60):
    return asyncio.run(asyncio.wait_for(coro, limit * server_process.SLOW))


async def until_all_joined(pub, members, limit=10.0):
    """Probes from `pub` until each member has received one; probes still in flight are skipped by
    next_message()."""
    seen = [False] * len(members)
    deadline = time.monotonic() + limit
    while not all(seen):
        if time.monotonic() > deadline:
            raise AssertionError(f"{seen.count(False)} of {len(members)} members never got a probe in {limit} s")
        await pub.send(PROBE)
        for i, m in enumerate(members):
            if seen[i]:
                continue
            try:
                seen[i] = (await asyncio.wait_for(m.recv(), 0.2)) == PROBE
            except asyncio.TimeoutError:
                pass


async def next_message(ws, limit=5.0):
    while (m := await asyncio.wait_for(ws.recv(), limit)) == PROBE:
        pass
    return m


class PeerBroadcastTest(unittest.TestCase):
    def test_every_other_member_gets_each_message_and_the_sender_none(self):
        srv = start()
        try:
            async def scenario():
                url = f"ws://127.0.0.1:{srv.port}/broadcast"
                subs = [await websockets.connect(url) for _ in range(8)]
                pub = await websockets.connect(url)
                echo = await websockets.connect(f"ws://127.0.0.1:{srv.port}/")
                await until_all_joined(pub, subs)
                sent = [f"news {i}" if i % 2 else f"news {i}".encode() for i in range(20)]
                for m in sent:
                    await pub.send(m)
                for s in subs:
                    self.assertEqual([await next_message(s) for _ in sent], sent)
                with self.assertRaises(asyncio.TimeoutError):  # never the sender
                    await next_message(pub, 0.3)
                await echo.send("still an echo")
                self.assertEqual(await asyncio.wait_for(echo.recv(), 5), "still an echo")
                with self.assertRaises(asyncio.TimeoutError):  # "/" is not a member
                    await asyncio.wait_for(echo.recv(), 0.3)
                big = os.urandom(300_000)
                await subs[0].send(big)  # any member may publish
                for s in subs[1:] + [pub]:
                    self.assertEqual(await next_message(s), big)
                for s in subs + [pub, echo]:
                    await s.close()
            run(scenario())
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_slow_consumer_is_closed_and_others_keep_going(self):
        srv = start()
        slow = None
        try:
            # A member that handshakes and then never reads.
            # (Its receive buffer is left as it is: a tiny window would make the drain at the end
            # crawl through zero-window probes.)
            slow = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            slow.sendall(b"GET /broadcast HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            head = b""
            while b"\r\n\r\n" not in head:
                head += slow.recv(1)
            self.assertTrue(head.startswith(b"HTTP/1.1 101"), head)

            async def scenario():
                url = f"ws://127.0.0.1:{srv.port}/broadcast"
                fast = await websockets.connect(url, max_size=None)
                pub = await websockets.connect(url)
                await until_all_joined(pub, [fast])
                payload = b"z" * 65536
                # 40 MiB: past the peer's 16 MiB backlog plus what loopback buffers for the slow
                # member (tcp_wmem's and tcp_rmem's maxima, 4 and 6 MiB by default).
                for _ in range(640):
                    await pub.send(payload)
                    self.assertEqual(await next_message(fast), payload)
                await fast.close()
                await pub.close()
            run(scenario())
            # The peer gave up on the slow member: what the kernel still held for it arrives, then
            # the end (EOF, or a reset), not the rest of the 40 MiB.
            slow.settimeout(5 * server_process.SLOW)
            got, ended = 0, False
            deadline = time.monotonic() + 20 * server_process.SLOW
            try:
                while time.monotonic() < deadline:
                    chunk = slow.recv(1 << 20)
                    if not chunk:
                        ended = True
                        break
                    got += len(chunk)
            except ConnectionResetError:
                ended = True
            except socket.timeout:
                pass
            self.assertTrue(ended, f"the slow consumer is still connected after reading {got} bytes")
            self.assertLess(got, 40 << 20, "the slow consumer was sent everything: it was never dropped")
        finally:
            if slow:
                slow.close()
            self.assertEqual(srv.stop(), 0)


if __name__ == "__main__":
    SERVER[:], rest = server_process.take_server_argv(sys.argv[1:])
    server_process.start_watchdog(110, "test_peer_broadcast")
    unittest.main(argv=[sys.argv[0]] + rest)
