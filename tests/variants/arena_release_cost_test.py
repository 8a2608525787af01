#!/usr/bin/python3
"""Closing a connection of the arena variant costs the same with 500 or 8000 others open.

Runs arena_release_cost (acquire N connection areas, release them all) under callgrind, counting
only the instructions inside ArenaPlan::release_connection (--toggle-collect), for a small and a
large N. Instruction counts are exact, so this is a count, not a timing: with a release that
searched the live list (issue 13) the cost per release grew with N (8000/500: about 14x); in
O(1) it stays flat. Passes when the per-release count at the large N is under twice that at
the small one.

  arena_release_cost_test.py --valgrind valgrind --program build/bin/arena_release_cost
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

SMALL, LARGE = 500, 8000
MAX_RATIO = 2.0


def instructions_per_release(valgrind, program, n, workdir):
    out = os.path.join(workdir, f"callgrind.{n}")
    cmd = [valgrind, "--tool=callgrind", f"--callgrind-out-file={out}",
           "--toggle-collect=*ArenaPlan::release_connection*", program, str(n)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr[-500:]}")
    with open(out) as f:
        text = f.read()
    m = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
    if not m or int(m.group(1)) == 0:
        raise SystemExit(f"no instruction count in {out}: did the toggle match release_connection?")
    return int(m.group(1)) / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--valgrind", required=True)
    ap.add_argument("--program", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="wsalloc-release-cost-") as d:
        small = instructions_per_release(args.valgrind, args.program, SMALL, d)
        large = instructions_per_release(args.valgrind, args.program, LARGE, d)
    ratio = large / small
    print(f"instructions per release_connection: {small:.0f} with {SMALL} connections, "
          f"{large:.0f} with {LARGE}: ratio {ratio:.2f} (limit {MAX_RATIO})")
    return 0 if ratio < MAX_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
