#!/usr/bin/env bash
# Runs a gate command RUNS times in a row and keeps one line per run: the evidence that an
# unchanged tree never goes red by chance, or that an injected slowdown is caught every time.
#
#   tests/gate/repeat-gate.sh RUNS LOG -- COMMAND...
#   tests/gate/repeat-gate.sh 20 build/gate-20.log -- make gate
#   tests/gate/repeat-gate.sh 10 build-slow/slow-10.log -- build-slow/bin/wsalloc-gate gate --variants zerocopy --no-core --ab-base HEAD
#
# LOG gets, per run: number, start time (UTC), load average at the start, seconds, exit code, and
# the gate's "gate: A/B ..." and "gate: PASS/FAIL ..." lines; LOG.d/run-N.txt keeps the whole output.
# The last line counts the exit codes. Exits 0 (the counts are the result).
set -uo pipefail
if [ $# -lt 4 ] || [ "$3" != "--" ]; then
  echo "usage: repeat-gate.sh RUNS LOG -- COMMAND..." >&2
  exit 2
fi
runs=$1 log=$2
shift 3
mkdir -p "$log.d"
: >"$log"
declare -A codes=()
for ((i = 1; i <= runs; i++)); do
  start=$(date -u +%H:%M:%S) load=$(cut -d' ' -f1-3 /proc/loadavg) t0=$(date +%s)
  "$@" >"$log.d/run-$i.txt" 2>&1
  rc=$?
  secs=$(($(date +%s) - t0))
  codes[$rc]=$((${codes[$rc]:-0} + 1))
  {
    printf 'run %2d  %s  load %s  %5d s  exit %d\n' "$i" "$start" "$load" "$secs" "$rc"
    grep -E '^gate: (A/B vs|A/B NOT DONE|PASS|FAIL)' "$log.d/run-$i.txt" | sed 's/^/    /'
  } | tee -a "$log"
done
summary="runs: $runs;"
for rc in "${!codes[@]}"; do summary+=" exit $rc: ${codes[$rc]};"; done
echo "$summary" | tee -a "$log"
