#!/usr/bin/python3
"""Soak test of wsalloc-server (issue 8, "Hardening"): every variant in turn, under a mix of good,
churning, slow and hostile clients for a bounded time, watching for lost or corrupted messages,
crashes and memory growth.

  soak.py [--seconds 45] [--warmup 15] [--variants malloc,arena,pool,zerocopy]
          [--server 'build/bin/wsalloc-server'] [--json out.json] [--seed N]

A variant passes when
  - no good client (echo, /work, broadcast, churn) saw a lost, reordered or corrupted message, a
    missing pong or an unexpected close;
  - every slow consumer was closed by the server, every stalled handshake dropped;
  - the server stayed up, had no connection left once the clients were gone (GET /stats), and
    exited 0 on SIGTERM;
  - RSS at the end <= RSS after warm-up x (1 + --rss-margin) + --rss-slack-kib (rss.py says
    which samples those are; README.md says why the defaults are what they are).
Exit 0 when every variant passed, 1 when one failed (the reasons are printed), 2 on bad usage,
124 when the watchdog (the whole run's time bound) fired.
"""
import argparse
import asyncio
import json
import os
import shlex
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path[:0] = [os.path.join(HERE, ".."), os.path.join(HERE, "..", "conformance")]  # tests/: the package pylib

import churn  # noqa: E402
import good  # noqa: E402
import hostile  # noqa: E402
import rss  # noqa: E402
import slow  # noqa: E402
from context import RunContext  # noqa: E402
from payloads import MAX_MESSAGE, Blobs  # noqa: E402
from pylib.server_process import ServerProcess, kill_all_started, start_watchdog  # noqa: E402

EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_WATCHDOG = 0, 1, 2, 124
VARIANTS = ("malloc", "arena", "pool", "zerocopy")
KINDS = ("echo", "work", "broadcast", "churn", "slow", "hostile")
DEFAULT_SERVER = os.path.normpath(os.path.join(HERE, "..", "..", "build", "bin", "wsalloc-server"))
DRAIN_TIMEOUT = 45.0       # after stop: good clients finish what is outstanding and close
CONNECTIONS_GONE_WITHIN = 10.0  # close linger (2 s) + sweeps + python's own lateness
PER_VARIANT_OVERHEAD = 10 + DRAIN_TIMEOUT + CONNECTIONS_GONE_WITHIN + 10  # start, drain, stop
MiB = 1024 * 1024


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=45, help="soak time per variant after the warm-up (default 45)")
    ap.add_argument("--warmup", type=float, default=15, help="warm-up per variant before the RSS baseline (default 15)")
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated (default all four)")
    ap.add_argument("--server", default=DEFAULT_SERVER,
                    help="server command line, shell-quoted; the soak appends --variant V --max-backlog N "
                         "--handshake-timeout-ms T --host 127.0.0.1 --port 0 (default %(default)s)")
    ap.add_argument("--kinds", default=",".join(KINDS), help=f"traffic kinds (default all: {','.join(KINDS)})")
    ap.add_argument("--echo-clients", type=int, default=6, help="persistent echo clients (default 6)")
    ap.add_argument("--good-rate", type=float, default=300,
                    help="messages per second per good client, 0 = unpaced (default 300: leaves python time "
                         "for the other kinds)")
    ap.add_argument("--churn-loops", type=int, default=2)
    ap.add_argument("--hostile-loops", type=int, default=2)
    ap.add_argument("--max-backlog", type=int, default=1 * MiB,
                    help="the server's --max-backlog (default 1 MiB: above a good client's window, below the "
                         "server's 2 MiB read high-water mark, so slow echo consumers get 1008)")
    ap.add_argument("--handshake-timeout-ms", type=int, default=2000)
    ap.add_argument("--rss-margin", type=float, default=0.05, help="relative RSS growth allowed (default 0.05)")
    ap.add_argument("--rss-slack-kib", type=int, default=4096, help="absolute RSS growth allowed (default 4096)")
    ap.add_argument("--seed", type=int, default=None, help="default: from the clock (printed)")
    ap.add_argument("--json", help="write the figures (and RSS samples) to this file")
    ap.add_argument("--log-dir", help="server stderr logs go here (default: a new directory under /tmp)")
    ap.add_argument("--no-stats", action="store_true",
                    help="the server has no GET /stats: skip the no-connection-left check")
    args = ap.parse_args(argv)
    args.variants = [v for v in args.variants.split(",") if v]
    args.kinds = [k for k in args.kinds.split(",") if k]
    args.server = shlex.split(args.server)
    bad = [k for k in args.kinds if k not in KINDS]
    if bad or not args.kinds:
        ap.error(f"--kinds: unknown {bad}; known: {','.join(KINDS)}")
    if not args.variants:
        ap.error("--variants: none given")
    if args.seconds <= 0 or args.warmup <= 0:
        ap.error(f"--seconds {args.seconds} and --warmup {args.warmup} must be > 0")
    args.good_window = 2 * MAX_MESSAGE
    if args.max_backlog < args.good_window + 64 * 1024:
        ap.error(f"--max-backlog {args.max_backlog} must exceed a good client's window ({args.good_window} B) "
                 f"plus frame overhead, or good clients would be closed as slow consumers")
    if not os.path.exists(args.server[0]):
        ap.error(f"--server: {args.server[0]} does not exist (build it first: make build)")
    if args.seed is None:
        args.seed = int(time.time()) % 1_000_000
    return args


# ---- one variant -------------------------------------------------------------------------------
def traffic(ctx: RunContext, args) -> list:
    """The coroutines of the mix, and the coverage the warm-up must reach."""
    coros, wanted = [], []
    if "echo" in args.kinds:
        coros += [good.GoodClient(ctx, f"echo{i}", "echo", f"/echo/{i}").run() for i in range(args.echo_clients)]
        wanted += good.COVERAGE["echo"]
    if "work" in args.kinds:
        coros.append(good.GoodClient(ctx, "work", "work", "/work").run())
        wanted += good.COVERAGE["work"]
    if "broadcast" in args.kinds:
        coros.append(good.GoodClient(ctx, "broadcast", "broadcast", "/broadcast", rx_path="/broadcast").run())
        wanted += good.COVERAGE["broadcast"]
    if "churn" in args.kinds:
        coros += [churn.churn_loop(ctx, f"churn{i}") for i in range(args.churn_loops)]
        wanted += churn.COVERAGE
    if "slow" in args.kinds:
        routes = ["echo"] + (["broadcast"] if "broadcast" in args.kinds else [])
        coros += [slow.slow_loop(ctx, f"slow-{r}", r) for r in routes]
        wanted += [c for r in routes for c in slow.COVERAGE[r]]
    if "hostile" in args.kinds:
        n = len(hostile.KINDS)
        coros += [hostile.hostile_loop(ctx, f"hostile{i}", i * n // args.hostile_loops)
                  for i in range(args.hostile_loops)]
        wanted += hostile.COVERAGE
    return coros, wanted


class Progress:
    """One status line per second on a terminal (rewritten in place), one per 5 s otherwise."""

    def __init__(self, variant: str):
        self.variant, self.tty = variant, sys.stdout.isatty()
        self.last_t, self.last_msgs, self.last_print = 0.0, 0, -1e9

    def show(self, ctx: RunContext, phase: str, trace: rss.RssTrace, final: bool = False) -> None:
        t = ctx.now()
        if not final and not self.tty and t - self.last_print < 5:
            return
        rate = (ctx.tally.messages - self.last_msgs) / max(t - self.last_t, 1e-3)
        self.last_t, self.last_msgs, self.last_print = t, ctx.tally.messages, t
        cur = trace.latest()
        line = (f"[{self.variant}] {phase} | {rate:7.0f} msg/s, {ctx.tally.messages} verified "
                f"({ctx.tally.bytes / MiB:.0f} MiB) | churn {ctx.tally.churn} slow {ctx.tally.slow_total()} "
                f"hostile {ctx.tally.hostile_total()} | RSS {fmt_mib(cur)} peak {fmt_mib(trace.peak())} MiB"
                f" | errors {ctx.tally.error_count}")
        if self.tty:
            print("\r\x1b[K" + line, end="\n" if final else "", flush=True)
        else:
            print(line, flush=True)


def fmt_mib(kib) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f}"


def growth(m: dict) -> str:
    if m["after_warmup"] is None or m["end"] is None:
        return "-"
    return f"{(m['end'] - m['after_warmup']) / 1024:+.1f}"


def sample_now(ctx: RunContext, srv: ServerProcess, trace: rss.RssTrace) -> None:
    kib = rss.rss_kib(srv.proc.pid)
    if kib is not None:
        trace.add(ctx.now(), kib)


async def sample_rss(ctx: RunContext, srv: ServerProcess, trace: rss.RssTrace, died: list) -> None:
    while True:
        code = srv.proc.poll()
        if code is not None:
            died.append(f"the server exited (code {code}; negative = signal) {ctx.now():.1f} s into the run")
            ctx.stop.set()
            return
        sample_now(ctx, srv, trace)
        await asyncio.sleep(rss.SAMPLE_EVERY)


def server_connections(port: int) -> int | None:
    """Open connections per GET /stats (the request itself is one), summed over workers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as r:
            body = json.loads(r.read())
    except (OSError, ValueError):
        return None
    workers = body.get("workers", [body]) if isinstance(body, dict) else []
    return sum(w.get("connections", 0) for w in workers)


async def soak_variant(srv: ServerProcess, variant: str, args, blobs: Blobs) -> dict:
    ctx = RunContext(host=srv.host, port=srv.port, seed=args.seed, blobs=blobs, max_backlog=args.max_backlog,
                     handshake_timeout=args.handshake_timeout_ms / 1000, good_window=args.good_window,
                     good_rate=args.good_rate)
    trace, died, failures = rss.RssTrace(), [], []
    coros, wanted = traffic(ctx, args)
    sampler = asyncio.create_task(sample_rss(ctx, srv, trace, died))
    tasks = [asyncio.create_task(c) for c in coros]
    progress = Progress(variant)
    warm_cap = args.warmup + max(10.0, args.warmup)  # coverage may need a little longer than --warmup

    # Warm-up: at least --warmup seconds, and until every traffic kind has happened at least once.
    while not ctx.stop.is_set():
        t = ctx.now()
        missing = ctx.tally.missing_coverage(wanted)
        if t >= args.warmup and not missing:
            break
        if t >= warm_cap:
            failures.append(f"the warm-up did not exercise {missing} within {warm_cap:.0f} s")
            break
        progress.show(ctx, f"warm-up {t:4.0f}/{args.warmup:.0f} s", trace)
        await asyncio.sleep(1.0)
    warm_end = ctx.now()
    sample_now(ctx, srv, trace)  # the after-warm-up window starts with a sample, however late the sampler is
    messages_at_warm_end = ctx.tally.messages

    while not ctx.stop.is_set() and not failures:
        t = ctx.now() - warm_end
        if t >= args.seconds:
            break
        progress.show(ctx, f"soak {t:4.0f}/{args.seconds:.0f} s, {args.seconds - t:3.0f} s left", trace)
        await asyncio.sleep(min(1.0, args.seconds - t))
    soak_end = ctx.now()
    sample_now(ctx, srv, trace)  # and the end window ends with one
    progress.show(ctx, f"done after {soak_end:.0f} s; draining", trace, final=True)
    messages_in_soak = ctx.tally.messages - messages_at_warm_end

    ctx.stop.set()
    _, pending = await asyncio.wait(tasks, timeout=DRAIN_TIMEOUT)
    for t in pending:
        t.cancel()
    if pending:
        failures.append(f"{len(pending)} client loops did not finish within {DRAIN_TIMEOUT:.0f} s of the stop")
    await asyncio.gather(*tasks, return_exceptions=True)
    sampler.cancel()
    await asyncio.gather(sampler, return_exceptions=True)
    failures += died

    left = None
    if not died and not args.no_stats:
        deadline = time.monotonic() + CONNECTIONS_GONE_WITHIN
        while True:
            left = await asyncio.to_thread(server_connections, srv.port)
            if left == 1 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        if left is None:
            failures.append("GET /stats did not answer")
        elif left != 1:
            failures.append(f"{left - 1} connections still open on the server {CONNECTIONS_GONE_WITHIN:.0f} s "
                            f"after every client finished")
    idle = rss.rss_kib(srv.proc.pid)

    window = rss.window_for(soak_end - warm_end)
    after_warmup = trace.plateau(warm_end, warm_end + window)
    at_end = trace.plateau(soak_end - window, soak_end)
    wrong_rss = rss.rss_verdict(after_warmup, at_end, args.rss_margin, args.rss_slack_kib)
    if wrong_rss and not died:
        failures.append(wrong_rss)
    tally = ctx.tally
    if tally.error_count:
        first = "; ".join(f"{who} at {t} s: {what}" for t, who, what in tally.errors[:3])
        failures.insert(0, f"{tally.error_count} client errors; first: {first}")
    return {
        "variant": variant, "passed": not failures, "failures": failures,
        "warmup_s": round(warm_end, 1), "soak_s": round(soak_end - warm_end, 1),
        "messages_verified": tally.messages, "bytes_verified": tally.bytes, "pongs_verified": tally.pongs,
        "messages_per_s_in_soak": round(messages_in_soak / max(soak_end - warm_end, 1e-3), 1),
        "churn_connections": tally.churn, "slow_consumers": dict(tally.slow), "hostile": dict(tally.hostile),
        "errors": tally.error_count, "first_errors": tally.errors,
        "rss_kib": {"after_warmup": after_warmup, "end": at_end, "peak": trace.peak(), "idle": idle,
                    "limit": rss.rss_limit_kib(after_warmup, args.rss_margin, args.rss_slack_kib)
                    if after_warmup else None},
        "rss_window_s": round(window, 1), "rss_samples": trace.samples, "connections_left": None if left is None else left - 1,
    }


def run_variant(variant: str, args, blobs: Blobs, log_dir: str) -> dict:
    started = time.monotonic()
    log = os.path.join(log_dir, f"{variant}.stderr")
    # The server's stderr (its exit statistics, any warning) goes to a file, not over the progress
    # lines. `exec` keeps the PID, so SIGTERM and /proc/PID/status reach the server itself.
    argv = ["/bin/sh", "-c", 'exec "$@" 2>"$0"', log] + args.server + [
        "--variant", variant, "--max-backlog", str(args.max_backlog),
        "--handshake-timeout-ms", str(args.handshake_timeout_ms)]
    srv = ServerProcess(argv)
    try:
        srv.start()
    except AssertionError as e:
        return {"variant": variant, "passed": False, "failures": [f"server did not start: {e}"],
                "wall_s": round(time.monotonic() - started, 1), "server_log": log}
    result = asyncio.run(soak_variant(srv, variant, args, blobs))
    if srv.proc.poll() is None:
        try:
            srv.stop()
        except AssertionError as e:
            result["failures"].append(f"on SIGTERM: {e}")
    else:
        srv._kill()  # already dead: reaped; the crash is already a failure
    result["passed"] = not result["failures"]
    result["wall_s"] = round(time.monotonic() - started, 1)
    result["server_log"] = log
    return result


# ---- the report --------------------------------------------------------------------------------
def print_table(results: list, args) -> None:
    print()
    print(f"soak: {args.seconds:.0f} s per variant after a warm-up of >= {args.warmup:.0f} s; seed {args.seed}; "
          f"RSS limit = after warm-up x {1 + args.rss_margin:.2f} + {args.rss_slack_kib} KiB")
    head = (f"{'variant':9} {'verdict':7} {'messages':>9} {'MiB':>6} {'msg/s':>6} {'churn':>6} {'slow':>5} "
            f"{'(1008)':>6} {'hostile':>7} {'RSS warm':>8} {'end':>6} {'growth':>6} {'peak':>6} {'idle':>6} {'limit':>6} "
            f"{'errors':>6} {'wall s':>6}")
    print(head)
    for r in results:
        if "rss_kib" not in r:
            print(f"{r['variant']:9} {'FAIL':7} (did not run)")
            continue
        m = r["rss_kib"]
        closed_1008 = sum(n for k, n in r["slow_consumers"].items() if k.endswith("close 1008"))
        print(f"{r['variant']:9} {'pass' if r['passed'] else 'FAIL':7} {r['messages_verified']:>9} "
              f"{r['bytes_verified'] / MiB:>6.0f} {r['messages_per_s_in_soak']:>6.0f} {r['churn_connections']:>6} "
              f"{sum(r['slow_consumers'].values()):>5} {closed_1008:>6} {sum(r['hostile'].values()):>7} "
              f"{fmt_mib(m['after_warmup']):>8} {fmt_mib(m['end']):>6} {growth(m):>6} {fmt_mib(m['peak']):>6} "
              f"{fmt_mib(m['idle']):>6} {fmt_mib(m['limit']):>6} {r['errors']:>6} {r['wall_s']:>6}")
    print(f"(RSS in MiB: warm = largest sample in the {rss.window_for(args.seconds):.0f} s after the warm-up, "
          f"end = largest in the last {rss.window_for(args.seconds):.0f} s, idle = after every client left)")
    for r in results:
        for f in r["failures"]:
            print(f"FAIL {r['variant']}: {f}")
        if r["failures"] and r.get("server_log"):
            print(f"     server stderr: {r['server_log']}")


def main(argv) -> int:
    args = parse_args(argv)
    log_dir = args.log_dir or f"/tmp/wsalloc-soak-{os.getpid()}"
    os.makedirs(log_dir, exist_ok=True)
    budget = int(len(args.variants) * (args.warmup + max(10.0, args.warmup) + args.seconds + PER_VARIANT_OVERHEAD))

    start_watchdog(budget, "soak.py", EXIT_WATCHDOG)

    print(f"soak: variants {','.join(args.variants)}; kinds {','.join(args.kinds)}; seed {args.seed}; "
          f"server {shlex.join(args.server)}; logs {log_dir}; bounded by {budget} s", flush=True)
    blobs = Blobs(args.seed)
    started = time.monotonic()
    results = []
    try:
        for variant in args.variants:
            results.append(run_variant(variant, args, blobs, log_dir))
    finally:
        kill_all_started()
    wall = time.monotonic() - started
    print_table(results, args)
    passed = all(r["passed"] for r in results)
    print(f"soak: {'PASS' if passed else 'FAIL'} ({wall:.0f} s)")
    if args.json:
        meta = {"seed": args.seed, "seconds": args.seconds, "warmup": args.warmup, "kinds": args.kinds,
                "server": args.server, "max_backlog": args.max_backlog, "rss_margin": args.rss_margin,
                "rss_slack_kib": args.rss_slack_kib, "wall_s": round(wall, 1),
                "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "passed": passed, "variants": results}, f, indent=1)
    return EXIT_PASS if passed else EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
