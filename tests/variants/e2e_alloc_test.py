#!/usr/bin/python3
"""End-to-end proof of zero allocations per message: the real wsalloc-server under the LD_PRELOAD
allocation counter, driven by wsload over loopback.

For each workload: a warm-up run of wsload (new connections, every message size of the
workload), then the counters are read, the SAME run is repeated (new connections again: a
connection's whole life is inside the window), and the counters are read again (plus the arena's
page mappings, which bypass malloc: GET /stats memory.pages.maps). The arena, pool
and zerocopy variants must show exactly 0 allocations in that window; a window that allocates is
repeated (at most WINDOWS in all) and the last must show 0: growth to a peak the warm-up missed
happens once, an allocation per message in every window. The malloc variant's allocations per
message are printed, not asserted.

With --suite broadcast the server runs two poller threads and the workloads are /broadcast: the
window's messages are deliveries to members of both threads, from publishers on either, carried
between the threads by the broadcast rings; the server's exit statistics must show that messages did
cross (deliveries from the other thread), or the test proves nothing about that path.

  e2e_alloc_test.py --server BIN --wsload BIN --preload LIB --reader BIN --variant V [--io epoll|uring]
                  [--suite echo|broadcast]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: the package pylib
from pylib import server_process  # noqa: E402

# The whole run is bounded below its ctest TIMEOUT (300 s): past this the server is killed by PID.
WATCHDOG_SECONDS = 280

ECHO = [  # (name, wsload arguments); every message is at least 8 bytes (wsload's sequence tag)
    ("binary 32 B x16 in flight", ["-c", "8", "-k", "16", "-s", "32", "-m", "4000"]),
    ("text 512 B", ["-c", "8", "-k", "4", "-s", "512", "--text", "-m", "2000"]),
    # One connection, one message in flight: with more, how many 1 MiB replies wait in backlogs at
    # once (a fresh socket's send buffer starts small) depends on scheduling, and no warm-up could
    # be sure to have seen that peak.
    ("size mix to 1 MiB", ["-c", "1", "-k", "1", "-s", "32,4096,65536,1048576", "--weights", "4,3,2,1", "-m", "100"]),
    ("4 fragments", ["-c", "8", "-k", "4", "-s", "4096", "-f", "4", "-m", "1000"]),
]
BROADCAST = [  # (name, wsload arguments, or a list of them for wsload processes run side by side)
    ("broadcast 40 members, 64 B", ["--broadcast", "-c", "40", "-k", "8", "-s", "64", "-m", "1000"]),
    ("broadcast 2 publishers, 512 B", [["--broadcast", "--broadcast-shard", f"{k}/2", "-c", "20", "-k", "8", "-s", "512",
                                        "-m", "500"] for k in (1, 2)]),
]
SUITES = {"echo": (ECHO, []), "broadcast": (BROADCAST, ["--threads", "2"])}


def run_wsloads(cmds, timeout):
    """Runs the wsload commands side by side; returns (worst exit code, stderr, messages, errors)."""
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in cmds]
    rc, err, messages, errors = 0, "", 0, 0
    for p in procs:
        out, e = p.communicate(timeout=timeout)
        rc, err = max(rc, p.returncode), err + e
        if p.returncode in (0, 1):
            result = json.loads(out)
            messages += result["messages"]
            errors += result["errors"]["total"]
    return rc, err, messages, errors


def read(reader, path):
    out = subprocess.run([reader, path], capture_output=True, text=True, timeout=10, check=True).stdout
    return json.loads(out)


def page_maps(port):
    """Mappings the arena variant's areas made (memory.pages.maps in GET /stats; 0 for the other
    variants): allocations the LD_PRELOAD counter does not see, so they count here."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as r:
        body = json.loads(r.read())
    workers = body.get("workers", [body])
    return sum(w.get("memory", {}).get("pages", {}).get("maps", 0) for w in workers)


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def published_per_thread(port, threads=2):
    """How many /broadcast messages each poller thread has published: a /stats request reaches one
    thread (the kernel's pick), so ask until every one has answered (bounded)."""
    seen = {}
    for _ in range(200):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as r:
            s = json.loads(r.read())
        seen[s["worker"]] = s["app"]["broadcast"]["published"]
        if len(seen) == threads:
            return [seen[i] for i in range(threads)]
    raise RuntimeError(f"only threads {sorted(seen)} answered /stats")


def settle(port, pid, idle_fds, timeout=10.0):
    """Waits (polling, never sleeping blind) until the server has run a timer sweep (its first tick
    sizes the timer queue once: warm-up too), holds no connection but the /stats request asking,
    and has closed that one too: its descriptors are back to idle_fds."""
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as r:
            stats = json.loads(r.read())
        if stats["sweeps"] >= 1 and stats["connections"] <= 1:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"server did not settle within {timeout} s: {stats['connections']} connections, "
                             f"{stats['sweeps']} sweeps")
        time.sleep(0.05)
    while open_fds(pid) > idle_fds:  # the /stats connection itself, closed by the server
        if time.monotonic() > deadline:
            raise SystemExit(f"server holds {open_fds(pid)} descriptors after {timeout} s, {idle_fds} when idle")
        time.sleep(0.01)


WINDOWS = 3  # counted windows per workload at most, the last of which must allocate nothing


def measure_window(args, counter, port, pid, idle_fds, name, cmds, window):
    """One counted run of the workload; returns what is wrong with it, or None."""
    # The previous run's connections must be gone before the window opens: if they were still
    # closing, the window's connections would come on top and grow the tables once.
    settle(port, pid, idle_fds)
    maps_before = page_maps(port)
    before = read(args.reader, counter)
    run_rc, run_err, messages, errors = run_wsloads(cmds, 90)
    after = read(args.reader, counter)
    maps_after = page_maps(port)
    if run_rc != 0:
        return f"wsload exited {run_rc}: {run_err.strip()[:300]}"
    maps = maps_after - maps_before
    allocations = after["allocations"] - before["allocations"] + maps
    per_message = allocations / messages if messages else float("nan")
    print(f"{args.variant:9} {name:28} window {window}  messages {messages:6}  allocations {allocations:7}  "
          f"per message {per_message:.3f}  errors {errors}")
    if messages == 0:
        return "no message was echoed"
    if errors != 0:
        return f"wsload counted {errors} errors"
    if args.variant != "malloc" and allocations != 0:
        grew = {k: after["families"][k]["bytes"] - before["families"][k]["bytes"]
                for k in after["families"] if after["families"][k]["calls"] != before["families"][k]["calls"]}
        return (f"{allocations} allocations in steady state (expected 0) in window {window}, {maps} of them page "
                f"mappings; bytes by call: {grew}")
    return None


def main():
    ap = argparse.ArgumentParser()
    for a in ("server", "wsload", "preload", "reader", "variant"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--io", default="epoll", choices=["epoll", "uring"])
    ap.add_argument("--suite", choices=sorted(SUITES), default="echo")
    args = ap.parse_args()
    workloads, server_flags = SUITES[args.suite]

    server_process.start_watchdog(WATCHDOG_SECONDS, "e2e_alloc_test.py")
    counter = tempfile.NamedTemporaryFile(prefix="wsalloc-e2e-", dir="/dev/shm", delete=False).name
    env = server_process.environment_with(LD_PRELOAD=args.preload, WSALLOC_MALLOCCOUNT_FILE=counter)
    exit_stats = counter + ".stats.json"
    server = server_process.ServerProcess(
        [args.server, "--variant", args.variant, "--io", args.io, "--stats-out", exit_stats] + server_flags,
        env=env, stderr=subprocess.DEVNULL, stop_timeout=10.0)
    failures = []
    try:
        try:
            server.start()
        except server_process.ServerDidNotStart as e:
            print(f"server did not start: {e}")
            return 1
        port = str(server.port)
        idle_fds = open_fds(server.pid)  # listening, before any connection
        for name, extra in workloads:
            base = [args.wsload, "--port", port, "--json", "-q", "-d", "0", "--hard-timeout", "60"]
            cmds = [base + e for e in (extra if isinstance(extra[0], list) else [extra])]
            # The warm-up must see the workload's peak: with a size mix, how many large messages are
            # in flight at once varies from run to run, so it runs three times as long.
            warm_cmds = [list(c) for c in cmds]
            for w in warm_cmds:
                m = w.index("-m") + 1
                w[m] = str(3 * int(w[m]))
                # Two threads: which one a connection lands on is the kernel's pick (SO_REUSEPORT
                # hashes its addresses), so a thread's share varies from run to run; with twice the
                # connections the warm-up has seen more on each thread than the window will bring,
                # and the window's connections find their tables and areas grown already.
                # Likewise how many members hold a backlog at once (a burst drained from the other
                # thread can fill a socket): four times the messages in flight make that peak too.
                if args.suite == "broadcast":
                    c = w.index("-c") + 1
                    w[c] = str(2 * int(w[c]))
                    k = w.index("-k") + 1
                    w[k] = str(4 * int(w[k]))
            # Warm up until a warm-up run itself allocates nothing (at most 4): how much a slow
            # reader leaves in a backlog, and so which pool classes it touches, varies with
            # scheduling; steady state is where that has been seen.
            # Two threads: the one whose member publishes takes the publisher's path (its message
            # buffers, the ring), the other the reader's; the kernel decides which is which, so the
            # warm-up goes on until each thread has published (at most 20 runs).
            published_at_start = published_per_thread(port) if args.suite == "broadcast" else None
            for attempt in range(1 if args.variant == "malloc" else 20):  # malloc never gets quiet
                settle(port, server.pid, idle_fds)
                maps_before = page_maps(port)  # GET /stats allocates: asked outside the counted span
                w_before = read(args.reader, counter)["allocations"]
                warm_rc, warm_err, _, _ = run_wsloads(warm_cmds, 90)
                w_after = read(args.reader, counter)["allocations"]
                quiet = w_after == w_before and page_maps(port) == maps_before
                both_published = published_at_start is None or all(
                    now > then for now, then in zip(published_per_thread(port), published_at_start))
                if warm_rc != 0 or (quiet and both_published) or (attempt >= 3 and published_at_start is None):
                    break
            if warm_rc != 0:
                failures.append(f"{name}: warm-up wsload exited {warm_rc}: {warm_err.strip()[:300]}")
                continue
            # A window that allocates is measured again, up to WINDOWS times in all: the last must
            # show 0. A per-message allocation shows in every window (each has hundreds of
            # messages); a peak the warm-up happened not to reach (a loaded machine leaves a larger
            # reply in a backlog once, and an area or pool grows to it) shows in one, and the next
            # window, with that peak now seen, is steady state. Every window is printed.
            for window in range(1, (1 if args.variant == "malloc" else WINDOWS) + 1):
                problem = measure_window(args, counter, port, server.pid, idle_fds, name, cmds, window)
                if problem is None or problem.startswith("wsload") or problem.startswith("no message"):
                    break
            if problem is not None:
                failures.append(f"{name}: {problem}")
    finally:
        if server.proc is not None:
            try:
                server.stop()  # SIGTERM by PID; SIGKILL after 10 s
            except AssertionError as e:
                failures.append(str(e))
        os.unlink(counter)
    if args.suite == "broadcast":
        try:
            with open(exit_stats) as f:
                crossed = [w["app"]["broadcast"]["from_other_threads"] for w in json.load(f)["workers"]]
            os.unlink(exit_stats)
            print(f"messages carried from the other thread, per thread: {crossed}")
            if len(crossed) != 2 or sum(crossed) == 0:
                failures.append(f"no message crossed between the two threads ({crossed}): the cross-thread path was not measured")
        except (OSError, ValueError, KeyError) as e:
            failures.append(f"exit statistics {exit_stats}: {e}")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
