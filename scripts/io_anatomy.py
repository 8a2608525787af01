#!/usr/bin/python3
"""io_anatomy.py: what one echoed message costs the server, per I/O backend.

  io_anatomy.py --bin build/bin --case pipelined|text|64k [--rounds 3] [--seconds 5]
                [--targets zerocopy,zerocopy+uring,rawecho,rawecho+uring]

For each round, every target in turn (A B C A B C): the server pinned to CPU 0, wsload to CPU 1,
and at wsload's `window start` / `window end` lines the server's counters are read from /proc
(CPU time, minor page faults, voluntary context switches = sleeps in the kernel, read/write-type
system calls) and from GET /stats (epoll_wait or io_uring_enter calls, wsalloc-server only).
Prints per message: server CPU µs and messages per server CPU-second, system calls, wake-ups,
page faults; then each target's msgs per CPU-second as a ratio to the first target of the same
round (median and range over rounds). rawecho has no /stats: its wait calls are not counted
(shown as "-"). A bounded measurement tool, not a test: every run stops by itself.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time
import urllib.request

CASES = {  # wsload arguments, as in scenarios/echo-pipelined, echo-text and echo-large (64KiB)
    "pipelined": ["-c", "100", "-k", "16", "-s", "32"],
    "text": ["-c", "1000", "-k", "1", "-s", "512", "--text"],
    "64k": ["-c", "10", "-k", "1", "-s", "64KiB"],
}
CLK_TCK = 100


def proc_counters(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    c = {"cpu_s": (int(fields[11]) + int(fields[12])) / CLK_TCK, "minflt": int(fields[7])}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches"):
                c["wakeups"] = int(line.split()[1])
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            k, v = line.split(":")
            if k in ("syscr", "syscw"):
                c[k] = int(v)
    return c


def kernel_waits(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as r:
            io = json.loads(r.read())["io"]
        return io.get("epoll_wait", io.get("io_uring_enter"))
    except Exception:  # rawecho: no /stats
        return None


def argv_for(bindir, target):
    name, _, io = target.partition("+")
    extra = ["--io", io] if io else []
    if name == "rawecho":
        return [f"{bindir}/wsalloc-rawecho", *extra], True
    return [f"{bindir}/wsalloc-server", "--variant", name, *extra], False


def one_run(bindir, target, case, seconds):
    argv, raw = argv_for(bindir, target)
    srv = subprocess.Popen(["taskset", "-c", "0", *argv, "--host", "127.0.0.1", "--port", "0"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(srv.stdout.readline().rsplit(":", 1)[1])
        load = ["taskset", "-c", "1", f"{bindir}/wsload", "--host", "127.0.0.1", "--port", str(port), "--json",
                "--duration", str(seconds), "--warmup", "1", *CASES[case], *(["--raw"] if raw else [])]
        wl = subprocess.Popen(load, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        marks = {}
        for line in wl.stderr:
            if "window start" in line:
                marks["start"] = (proc_counters(srv.pid), kernel_waits(port))
            elif "window end" in line:
                marks["end"] = (proc_counters(srv.pid), kernel_waits(port))
        result = json.loads(wl.stdout.read())
        wl.wait(timeout=60)
    finally:
        srv.terminate()
        srv.wait(timeout=30)
    (a, wa), (b, wb) = marks["start"], marks["end"]
    msgs = result["counters"]["messages"] if "counters" in result else result["messages"]
    d = {k: b[k] - a[k] for k in a}
    per = lambda x: x / msgs
    return {"msgs": msgs, "cpu_us": per(d["cpu_s"]) * 1e6, "msgs_per_cpu_s": msgs / d["cpu_s"] if d["cpu_s"] else 0,
            "waits": per(wb - wa) if wa is not None and wb is not None else None,
            "rw_calls": per(d.get("syscr", 0) + d.get("syscw", 0)), "wakeups": per(d["wakeups"]),
            "faults": per(d["minflt"])}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="build/bin")
    ap.add_argument("--case", choices=sorted(CASES), required=True)
    ap.add_argument("--targets", default="zerocopy,zerocopy+uring,rawecho,rawecho+uring")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5)
    args = ap.parse_args()
    targets = args.targets.split(",")
    with open("/proc/loadavg") as f:
        print(f"case {args.case} ({' '.join(CASES[args.case])}); load average at start: {f.read().split()[:3]}")
    runs = {t: [] for t in targets}
    for r in range(args.rounds):
        for t in targets:
            runs[t].append(one_run(args.bin, t, args.case, args.seconds))
            x = runs[t][-1]
            print(f"  round {r + 1} {t:<16} {x['msgs_per_cpu_s'] / 1e3:8.1f} k msg/cpu-s", flush=True)
    fmt = lambda v, p=3: "-" if v is None else f"{v:.{p}f}"
    print(f"\n{'target':<16} {'msg/cpu-s':>10} {'cpu µs':>7} {'waits':>7} {'r/w calls':>9} {'wake-ups':>9} "
          f"{'faults':>8} {'ratio to ' + targets[0]:>22}   (per message; medians over {args.rounds} rounds)")
    for t in targets:
        med = lambda k: None if runs[t][0][k] is None else statistics.median(x[k] for x in runs[t])
        ratios = [runs[t][i]["msgs_per_cpu_s"] / runs[targets[0]][i]["msgs_per_cpu_s"] for i in range(args.rounds)]
        print(f"{t:<16} {med('msgs_per_cpu_s') / 1e3:9.1f}k {fmt(med('cpu_us'), 2):>7} {fmt(med('waits')):>7} "
              f"{fmt(med('rw_calls')):>9} {fmt(med('wakeups'), 4):>9} {fmt(med('faults'), 4):>8} "
              f"{statistics.median(ratios):9.2f} ({min(ratios):.2f}–{max(ratios):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
