#!/usr/bin/python3
"""wsalloc-server's application routes, against the real binary (argv after `--`):

  /broadcast  a message reaches every other /broadcast connection, never the sender
  /work       the fixed-cost handler answers through the inline and the thread-pool executor
  slow consumer  a /broadcast member that never reads is closed (1008) once its unsent bytes
                 pass --max-backlog, and the others keep being served
  --threads 2    /broadcast reaches the members of both poller threads: 200 members, publishers
                 on both threads, every member gets every message in each publisher's order; a
                 slow member on the other thread than the publisher is closed 1008 too; members
                 with permessage-deflate get them too (uncompressed: one frame serves all)

Bounded: every wait has a timeout; the server is stopped by PID.
"""
import asyncio
import json
import os
import socket
import sys
import time
import unittest
import urllib.request

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: the package pylib
from pylib import server_process  # noqa: E402

SERVER = []  # filled from argv


class Server(server_process.ServerProcess):
    """The conformance suite's server runner (start, `listening on`, SIGTERM by PID, exit 0),
    plus this file's window onto GET /stats."""

    def __init__(self, *extra):
        super().__init__(SERVER + list(extra))
        self.start()

    def stats(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=5) as r:
            return json.loads(r.read())

    async def wait_members(self, n, limit=10.0):
        """Polls /stats until the /broadcast group has n members (not a sleep: a member that joins
        late would miss messages and the test would check something else)."""
        deadline = time.monotonic() + limit
        while (got := await asyncio.to_thread(lambda: self.stats()["broadcast_members"])) != n:
            if time.monotonic() > deadline:
                raise AssertionError(f"/broadcast has {got} members after {limit} s, expected {n}")
            await asyncio.sleep(0.01)

    def every_worker(self, threads):
        """/stats of each poller thread: a request reaches one of them (SO_REUSEPORT picks by the
        connection's addresses), so ask until each has answered (bounded)."""
        seen = {}
        for _ in range(200):
            s = self.stats()
            seen[s["worker"]] = s
            if len(seen) == threads:
                return [seen[i] for i in range(threads)]
        raise AssertionError(f"only workers {sorted(seen)} of {threads} answered /stats")


def members_per_worker(srv, threads=2):
    return [w["app"]["broadcast"]["members"] for w in srv.every_worker(threads)]


async def wait_spread(srv, n, limit=10.0):
    """Polls until the /broadcast members of both threads add up to n; returns them per thread."""
    deadline = time.monotonic() + limit * server_process.SLOW
    while sum(spread := await asyncio.to_thread(members_per_worker, srv)) != n:
        if time.monotonic() > deadline:
            raise AssertionError(f"/broadcast members per thread {spread} after {limit} s, expected {n} in all")
        await asyncio.sleep(0.01)
    return spread


def open_unread_member(port):
    """A /broadcast member that completes the handshake and then never reads: a raw socket with a
    4 KiB receive buffer, so the server's sends to it back up soon (a slow consumer)."""
    member = socket.create_connection(("127.0.0.1", port), timeout=5)
    member.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    member.sendall(b"GET /broadcast HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += member.recv(1)
    if not head.startswith(b"HTTP/1.1 101"):
        member.close()
        raise AssertionError(f"/broadcast handshake answered {head[:40]!r}, expected HTTP/1.1 101")
    return member


async def publish_past_the_slow_members(pub, fast):
    """pub publishes 20 MiB in 64 KiB messages: past what the kernel buffers for a member that never
    reads (tcp_wmem's maximum is 4 MiB by default; loopback auto-tunes up to it) plus the 256 KiB
    backlog cap the slow-consumer tests set. fast (a reading member) must get every message; then
    both close."""
    payload = b"z" * 65536
    for k in range(320):
        await pub.send(payload)
        got = await asyncio.wait_for(fast.recv(), 5)
        if got != payload:
            raise AssertionError(f"message {k}: the reading member got {len(got)} B, expected the {len(payload)} B sent")
    await fast.close()
    await pub.close()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


class BroadcastTest(unittest.TestCase):
    def test_every_other_member_gets_each_message_and_the_sender_none(self):
        srv = Server()
        try:
            async def scenario():
                url = f"ws://127.0.0.1:{srv.port}/broadcast"
                subs = [await websockets.connect(url) for _ in range(8)]
                pub = await websockets.connect(url)
                echo = await websockets.connect(f"ws://127.0.0.1:{srv.port}/echo")
                await srv.wait_members(9)
                for i in range(20):
                    await pub.send(f"news {i}" if i % 2 else f"news {i}".encode())
                for s in subs:
                    got = [await asyncio.wait_for(s.recv(), 5) for _ in range(20)]
                    self.assertEqual(got, [f"news {i}" if i % 2 else f"news {i}".encode() for i in range(20)])
                with self.assertRaises(asyncio.TimeoutError):
                    await asyncio.wait_for(pub.recv(), 0.3)
                with self.assertRaises(asyncio.TimeoutError):
                    await asyncio.wait_for(echo.recv(), 0.3)  # not a member
                big = os.urandom(300_000)
                await subs[0].send(big)  # any member may publish
                for s in subs[1:] + [pub]:
                    self.assertEqual(await asyncio.wait_for(s.recv(), 5), big)
                for s in subs + [pub, echo]:
                    await s.close()
            run(scenario())
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_slow_consumer_is_closed_with_1008_and_others_keep_going(self):
        srv = Server("--max-backlog", str(256 * 1024))
        try:
            # A member that handshakes and then never reads.
            slow = open_unread_member(srv.port)

            async def scenario():
                url = f"ws://127.0.0.1:{srv.port}/broadcast"
                fast = await websockets.connect(url, max_size=None)
                pub = await websockets.connect(url)
                await srv.wait_members(3)  # slow, fast, pub
                await publish_past_the_slow_members(pub, fast)
            run(scenario())
            # The server gives up on the slow member: close 1008 queued behind what it could not
            # send, then (close linger) a reset. Only the /stats request itself remains.
            deadline = time.monotonic() + 10
            while srv.stats()["connections"] > 1 and time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertEqual(srv.stats()["connections"], 1, "the slow consumer is still connected")
            slow.settimeout(5)
            try:
                while slow.recv(1 << 20):
                    pass
            except ConnectionResetError:
                pass  # the expected end: a reset, since the peer never read its backlog
            slow.close()
        finally:
            self.assertEqual(srv.stop(), 0)


class CrossThreadBroadcastTest(unittest.TestCase):
    def test_200_members_on_two_threads_get_every_publishers_messages_in_order(self):
        srv = Server("--threads", "2")
        try:
            async def scenario():
                url = f"ws://127.0.0.1:{srv.port}/broadcast"
                members = [await websockets.connect(url, max_queue=None) for _ in range(200)]
                spread = await wait_spread(srv, 200)
                self.assertTrue(all(n > 0 for n in spread), f"members per thread {spread}: not spread")

                # Find which thread each would-be publisher is on (its thread's "published" count
                # moves), until two publishers on each thread have been found.
                published = [w["app"]["broadcast"]["published"] for w in srv.every_worker(2)]
                pubs, on = [], [[], []]
                for k, m in enumerate(members):
                    await m.send(f"probe {k}")
                    now = [w["app"]["broadcast"]["published"] for w in srv.every_worker(2)]
                    t = 0 if now[0] > published[0] else 1
                    published = now
                    if len(on[t]) < 2:
                        on[t].append(k)
                        pubs.append(k)
                    if len(pubs) == 4:
                        break
                self.assertEqual(len(pubs), 4, f"publishers per thread {on}")
                for i in range(50):  # interleaved: four streams at once, from both threads
                    for k in pubs:
                        await members[k].send(f"p{k} {i}")

                async def collect(j, m):
                    want = 50 * sum(1 for k in pubs if k != j)
                    got = {k: [] for k in pubs}
                    while sum(map(len, got.values())) < want:
                        text = await asyncio.wait_for(m.recv(), 10)
                        if text.startswith("probe"):
                            continue
                        k, i = text[1:].split()
                        got[int(k)].append(int(i))
                    return got

                results = await asyncio.gather(*(collect(j, m) for j, m in enumerate(members)))
                for j, got in enumerate(results):
                    for k in pubs:
                        self.assertEqual(got[k], [] if k == j else list(range(50)),
                                         f"member {j}: publisher {k}'s messages missing, repeated or out of order")
                with self.assertRaises(asyncio.TimeoutError):  # nothing more: no duplicates
                    text = await asyncio.wait_for(members[-1].recv(), 0.3)
                    while text.startswith("probe"):
                        text = await asyncio.wait_for(members[-1].recv(), 0.3)
                workers = srv.every_worker(2)
                self.assertTrue(all(w["app"]["broadcast"]["from_other_threads"] > 0 for w in workers),
                                "each thread delivered messages published on the other")
                for m in members:
                    await m.close()
            run(scenario())
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_members_with_permessage_deflate_get_the_other_threads_messages(self):
        # One frame serves every member, so it goes out uncompressed (RSV1 clear, which RFC 7692
        # allows on a deflate session); what the publishers send compressed is inflated first.
        srv = Server("--threads", "2", "--deflate")
        try:
            async def scenario():
                url = f"ws://127.0.0.1:{srv.port}/broadcast"
                members = [await websockets.connect(url, max_queue=None) for _ in range(24)]
                spread = await wait_spread(srv, 24)
                self.assertTrue(all(n > 0 for n in spread), f"members per thread {spread}: not spread")
                for m in members:
                    self.assertTrue(m.extensions, "the client's permessage-deflate offer was not agreed")
                text = "compressible " * 40
                for j, m in enumerate(members):
                    await m.send(f"{j} {text}")

                async def collect(j, m):
                    got = set()
                    while len(got) < len(members) - 1:
                        k, rest = (await asyncio.wait_for(m.recv(), 10)).split(" ", 1)
                        self.assertEqual(rest, text)
                        got.add(int(k))
                    return got

                results = await asyncio.gather(*(collect(j, m) for j, m in enumerate(members)))
                for j, got in enumerate(results):
                    self.assertEqual(got, set(range(len(members))) - {j}, f"member {j}")
                self.assertTrue(all(w["app"]["broadcast"]["from_other_threads"] > 0 for w in srv.every_worker(2)))
                for m in members:
                    await m.close()
            run(scenario())
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_slow_member_on_the_other_thread_is_closed_1008_and_others_keep_going(self):
        srv = Server("--threads", "2", "--max-backlog", str(256 * 1024))
        slow = []
        try:
            async def scenario():
                url = f"ws://127.0.0.1:{srv.port}/broadcast"
                pub = await websockets.connect(url)
                pub_thread = (await wait_spread(srv, 1)).index(1)
                # Members that never read, until one is on the other thread than the publisher.
                for _ in range(60):
                    slow.append(open_unread_member(srv.port))
                    if members_per_worker(srv)[1 - pub_thread] > 0:
                        break
                self.assertGreater(members_per_worker(srv)[1 - pub_thread], 0, "no slow member on the other thread")
                fast = await websockets.connect(url, max_size=None)
                await wait_spread(srv, len(slow) + 2)
                await publish_past_the_slow_members(pub, fast)
            run(scenario())
            # Each thread's /stats answer counts only the request asking it: every slow member closed.
            deadline = time.monotonic() + 10
            while any(w["connections"] > 1 for w in srv.every_worker(2)) and time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertEqual([w["connections"] for w in srv.every_worker(2)], [1, 1], "a slow member is still connected")
        finally:
            for s in slow:
                s.close()
            self.assertEqual(srv.stop(), 0)


class WorkTest(unittest.TestCase):
    def check(self, *flags):
        srv = Server("--work-us", "200", *flags)
        try:
            async def scenario():
                conns = [await websockets.connect(f"ws://127.0.0.1:{srv.port}/work") for _ in range(4)]
                for c in conns:
                    for i in range(10):
                        await c.send(f"job {i}")
                for c in conns:
                    self.assertEqual([await asyncio.wait_for(c.recv(), 5) for _ in range(10)],
                                     [f"job {i}" for i in range(10)])
                # A connection that leaves with work in flight must not take the server down.
                await conns[0].send("abandoned")
                await conns[0].close()
                for c in conns[1:]:
                    await c.close()
            run(scenario())
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_inline_executor_answers_in_order(self):
        self.check("--executor", "inline")

    def test_thread_pool_executor_answers_in_order(self):
        self.check("--executor", "pool", "--executor-threads", "2")


if __name__ == "__main__":
    SERVER[:], sys.argv = server_process.take_server_argv(sys.argv)
    unittest.main()
