#!/usr/bin/python3
"""End-to-end proof of zero allocations per message: the real wsalloc-server under the LD_PRELOAD
allocation counter, driven by wsload over loopback.

For each workload: a warm-up run of wsload (new connections, every message size of the
workload), then the counters are read, the SAME run is repeated (new connections again: a
connection's whole life is inside the window), and the counters are read again. The arena, pool
and zerocopy variants must show exactly 0 allocations in that window; the malloc variant's
allocations per message are printed, not asserted.

  e2e_alloc_test.py --server BIN --wsload BIN --preload LIB --reader BIN --variant V
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile

WORKLOADS = [  # (name, wsload arguments); every message is at least 8 bytes (wsload's sequence tag)
    ("binary 32 B x16 in flight", ["-c", "8", "-k", "16", "-s", "32", "-m", "4000"]),
    ("text 512 B", ["-c", "8", "-k", "4", "-s", "512", "--text", "-m", "2000"]),
    ("size mix to 1 MiB", ["-c", "4", "-k", "2", "-s", "32,4096,65536,1048576", "--weights", "4,3,2,1", "-m", "200"]),
    ("4 fragments", ["-c", "8", "-k", "4", "-s", "4096", "-f", "4", "-m", "1000"]),
]


def read(reader, path):
    out = subprocess.run([reader, path], capture_output=True, text=True, timeout=10, check=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    for a in ("server", "wsload", "preload", "reader", "variant"):
        ap.add_argument("--" + a, required=True)
    args = ap.parse_args()

    counter = tempfile.NamedTemporaryFile(prefix="wsalloc-e2e-", dir="/dev/shm", delete=False).name
    env = dict(os.environ, LD_PRELOAD=args.preload, WSALLOC_MALLOCCOUNT_FILE=counter)
    server = subprocess.Popen([args.server, "--variant", args.variant, "--host", "127.0.0.1", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    failures = []
    try:
        line = server.stdout.readline()
        if not line.startswith("listening on "):
            print(f"server did not start: {line!r}")
            return 1
        port = line.rsplit(":", 1)[1].strip()
        for name, extra in WORKLOADS:
            cmd = [args.wsload, "--port", port, "--json", "-q", "-d", "0", "--hard-timeout", "60"] + extra
            warm = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
            if warm.returncode != 0:
                failures.append(f"{name}: warm-up wsload exited {warm.returncode}: {warm.stderr.strip()[:300]}")
                continue
            before = read(args.reader, counter)
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
            after = read(args.reader, counter)
            if run.returncode != 0:
                failures.append(f"{name}: wsload exited {run.returncode}: {run.stderr.strip()[:300]}")
                continue
            result = json.loads(run.stdout)
            messages = result["messages"]
            allocations = after["allocations"] - before["allocations"]
            per_message = allocations / messages if messages else float("nan")
            print(f"{args.variant:9} {name:28} messages {messages:6}  allocations {allocations:7}  "
                  f"per message {per_message:.3f}  errors {result['errors']['total']}")
            if result["errors"]["total"] != 0:
                failures.append(f"{name}: wsload counted errors {result['errors']}")
            if messages == 0:
                failures.append(f"{name}: no message was echoed")
            if args.variant != "malloc" and allocations != 0:
                failures.append(f"{name}: {allocations} allocations in steady state (expected 0)")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            rc = server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            rc = -1
        os.unlink(counter)
    if rc != 0:
        failures.append(f"server exited {rc}")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
