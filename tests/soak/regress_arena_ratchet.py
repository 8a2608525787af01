#!/usr/bin/python3
"""Reproduction (found by the soak): repeating the same workload must not keep raising RSS.

  regress_arena_ratchet.py --variant arena -- /path/to/wsalloc-server

16 connection areas exist (16 connections opened and closed), then 24 identical slow echo
consumers come one after another, each followed by 16 short connections (which reshuffle the
arena variant's LIFO stack of idle connection areas). The workload never changes, so RSS may grow
by what a variant is allowed to keep (the arena's idle-area budget, 4 MiB) and then not at all.
Passes when RSS grows by at most 5 MiB (the budget + 1 MiB) from the 1st slow consumer to the
24th, and by at most 1 MiB from the 12th to the 24th.

Found with arena at e393818: 7 -> 26 MiB while pool stays at 10 (an area that overflowed was
rebuilt with a block of bit_ceil(high water + block) and never shrank, and each slow consumer that
drew a still-small area converted one more). With the idle-area budget alone: 7 -> 21 MiB, +1.1
MiB over the second half (blocks freed into glibc's malloc stayed resident). With the areas' large
blocks also mapped directly (servers/memory/page_resource.hpp): 7 -> 11 MiB, flat from the 10th
consumer on. ctest `soak.regress_ratchet.arena` (~90 s, mostly waiting out close lingers);
README.md "Found by the soak".
"""
import argparse
import asyncio
import json
import os
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path[:0] = [os.path.join(HERE, ".."), os.path.join(HERE, "..", "conformance")]  # tests/: the package pylib
import rss  # noqa: E402
import slow  # noqa: E402
from context import RunContext  # noqa: E402
from payloads import Blobs  # noqa: E402
from pylib.server_process import ServerProcess, start_watchdog, take_server_argv  # noqa: E402
from ws_client import WsClient  # noqa: E402

MAX_BACKLOG = 1 << 20
AREAS = 16
ROUNDS = 24
SETTLED_AFTER = ROUNDS // 2
ALLOWED_TOTAL_KIB = 5 * 1024
ALLOWED_SETTLED_KIB = 1024


async def short_connections(port: int, n: int) -> None:
    conns = [await WsClient.open("127.0.0.1", port, 10) for _ in range(n)]
    for c in conns:
        await c.handshake("/")
    for c in conns:
        await c.close_handshake(1000)


async def scenario(port: int, pid: int) -> list[int]:
    ctx = RunContext(host="127.0.0.1", port=port, seed=1, blobs=Blobs(1), max_backlog=MAX_BACKLOG,
                     handshake_timeout=10, good_window=512 * 1024, good_rate=0)
    await short_connections(port, AREAS)
    after = []
    for _ in range(ROUNDS):
        outcome = await slow.slow_echo(ctx)
        if outcome not in ("close 1008", "reset", "FIN"):
            raise AssertionError(f"the slow consumer was not closed by the server: {outcome}")
        await asyncio.sleep(2.5)  # the server's close linger (2 s) has ended: the area is idle again
        await short_connections(port, AREAS)
        after.append(rss.rss_kib(pid))
    return after


def memory_stats(port: int) -> str:
    """The server's own view (GET /stats "memory"), printed with the result for diagnosis."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as r:
            body = json.loads(r.read())
    except (OSError, ValueError) as e:
        return f"(GET /stats failed: {e})"
    memory = body.get("workers", [body])[0].get("memory", {})
    return json.dumps({k: v for k, v in memory.items() if k in ("connection_areas", "rebuilds", "pages", "plan")})


def main() -> int:
    server_argv, own = take_server_argv(sys.argv[1:])
    ap = argparse.ArgumentParser(usage="regress_arena_ratchet.py --variant V -- /path/to/wsalloc-server [args]")
    ap.add_argument("--variant", required=True)
    args = ap.parse_args(own)
    start_watchdog(240, os.path.basename(__file__))
    srv = ServerProcess(server_argv + ["--variant", args.variant, "--max-backlog", str(MAX_BACKLOG)]).start()
    try:
        after = asyncio.run(asyncio.wait_for(scenario(srv.port, srv.proc.pid), 180))
        print(f"{args.variant}: server memory statistics: {memory_stats(srv.port)}")
    finally:
        srv.stop()
    print(f"{args.variant}: RSS MiB after each slow consumer: " + " ".join(f"{k / 1024:.0f}" for k in after))
    total, settled = after[-1] - after[0], after[-1] - after[SETTLED_AFTER - 1]
    verdict = (f"RSS grew {total} KiB from the 1st to the {ROUNDS}th identical slow consumer (allowed "
               f"{ALLOWED_TOTAL_KIB}), {settled} KiB from the {SETTLED_AFTER}th (allowed {ALLOWED_SETTLED_KIB})")
    if total > ALLOWED_TOTAL_KIB or settled > ALLOWED_SETTLED_KIB:
        print(f"FAIL {args.variant}: {verdict}")
        return 1
    print(f"pass {args.variant}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
