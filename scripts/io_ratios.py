#!/usr/bin/python3
"""io_ratios.py: messages per server CPU-second of each target as a ratio to a reference target,
per repetition of a wsbench run (the targets of one repetition ran back to back: A B C A B C),
then the median, the range over repetitions and a bootstrap 95 % interval of the median.

  io_ratios.py results/latest/results.json [--reference rawecho] [--metric msgs_per_server_cpu_sec]
  io_ratios.py results/latest/results.json --pairs      # each X+uring against X (rawecho+uring vs rawecho)

Until harness/bench's comparisons module gives these with confidence intervals, this is how the
io_uring figures of issue 15 were read off wsbench's results.
"""
import argparse
import collections
import json
import random
import statistics
import sys

BOOTSTRAP_DRAWS = 2000


def bootstrap_median_ci(values, seed=15):
    """95 % percentile-bootstrap interval of the median; None below 3 values (no interval worth the name)."""
    if len(values) < 3:
        return None
    rng = random.Random(seed)  # fixed: the same results file always prints the same interval
    meds = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(BOOTSTRAP_DRAWS))
    return meds[int(0.025 * BOOTSTRAP_DRAWS)], meds[int(0.975 * BOOTSTRAP_DRAWS) - 1]


def load_runs(path, metric):
    """(scenario/case) -> target -> repetition -> value, timed passes that succeeded only."""
    with open(path) as f:
        res = json.load(f)
    runs = collections.defaultdict(lambda: collections.defaultdict(dict))
    for r in res["records"]:
        if r.get("pass", "time") != "time" or r.get("status", "ok") != "ok":
            continue
        m = r.get("metrics", {}).get(metric)
        value = m.get("value") if isinstance(m, dict) else m
        if value:
            runs[f"{r['scenario']}/{r['case']}"][r["target"]][r["repetition"]] = value
    return res, runs


def ratio_cells(reps, ref):
    ratios = [v / ref[i] for i, v in reps.items() if i in ref]
    if not ratios:
        return "     -"
    ci = bootstrap_median_ci(ratios)
    cis = f"  [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else ""
    return f"{statistics.median(ratios):6.2f}  {min(ratios):.2f}–{max(ratios):.2f}{cis}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--reference", default="rawecho")
    ap.add_argument("--pairs", action="store_true", help="ratio of each X+uring to X instead of to --reference")
    ap.add_argument("--metric", default="msgs_per_server_cpu_sec")
    args = ap.parse_args()
    res, runs = load_runs(args.results, args.metric)
    against = "its epoll self (X+uring / X)" if args.pairs else args.reference
    la = res.get("meta", {}).get("load_average")
    print(f"{args.metric}, ratio to {against} per repetition; load average at start: {la}")
    for case, by_target in runs.items():
        print(f"\n{case}")
        print(f"  {'target':<16} {'median':>10}  {'range':>21}   {'ratio':>6}  {'range':>9}  [95 % CI of median]  reps")
        for target, reps in by_target.items():
            base = target.rsplit("+uring", 1)[0] if args.pairs and target.endswith("+uring") else None
            ref = by_target.get(base if args.pairs else args.reference, {}) if (base or not args.pairs) else {}
            vals = list(reps.values())
            print(f"  {target:<16} {statistics.median(vals) / 1e3:9.1f}k  {min(vals) / 1e3:9.1f}k–{max(vals) / 1e3:9.1f}k"
                  f"   {ratio_cells(reps, ref)}  {len(vals)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
