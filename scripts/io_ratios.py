#!/usr/bin/python3
"""io_ratios.py: messages per server CPU-second of each target as a ratio to a reference target,
per repetition of a wsbench run (the targets of one repetition ran back to back: A B C A B C),
then the median and the range over repetitions.

  io_ratios.py results/latest/results.json [--reference rawecho] [--metric msgs_per_server_cpu_sec]

Until harness/bench's comparisons module gives these with confidence intervals, this is how the
io_uring figures of issue 15 were read off wsbench's results.
"""
import argparse
import collections
import json
import statistics
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--reference", default="rawecho")
    ap.add_argument("--metric", default="msgs_per_server_cpu_sec")
    args = ap.parse_args()
    with open(args.results) as f:
        res = json.load(f)
    # (scenario/case) -> target -> repetition -> value
    runs = collections.defaultdict(lambda: collections.defaultdict(dict))
    for r in res["records"]:
        if r.get("pass", "time") != "time" or r.get("status", "ok") != "ok":
            continue
        m = r.get("metrics", {}).get(args.metric)
        value = m.get("value") if isinstance(m, dict) else m
        if value:
            runs[f"{r['scenario']}/{r['case']}"][r["target"]][r["repetition"]] = value
    la = res.get("meta", {}).get("load_average")
    print(f"{args.metric}, ratio to {args.reference} per repetition; load average at start: {la}")
    for case, by_target in runs.items():
        ref = by_target.get(args.reference, {})
        print(f"\n{case}")
        print(f"  {'target':<16} {'median':>10}  {'range':>21}   {'ratio':>6}  {'range':>11}  reps")
        for target, reps in by_target.items():
            vals = list(reps.values())
            ratios = [v / ref[i] for i, v in reps.items() if i in ref]
            rr = f"{statistics.median(ratios):6.2f}  {min(ratios):.2f}–{max(ratios):.2f}" if ratios else "     -"
            print(f"  {target:<16} {statistics.median(vals) / 1e3:9.1f}k  {min(vals) / 1e3:9.1f}k–{max(vals) / 1e3:9.1f}k"
                  f"   {rr}  {len(vals)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
