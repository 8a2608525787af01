#!/usr/bin/env bash
# run_fuzz.sh BUILD_DIR SECONDS MERGE TARGET... — the body of `make fuzz`.
#
# Runs each libFuzzer binary BUILD_DIR/bin/fuzz_<target> for SECONDS (-max_total_time), starting
# from its seed corpus (read only) and a scratch corpus in BUILD_DIR/fuzz/<target>/corpus that keeps
# what it finds between runs. Crashes land in BUILD_DIR/fuzz/<target>/artifacts/. MERGE=1 then adds
# to the committed seed corpus only the scratch inputs that bring new coverage (-merge=1).
# Prints one summary line per target; exits 1 if any target crashed, leaked or timed out.
set -uo pipefail

build=$1 seconds=$2 merge=$3
shift 3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
status=0

for target in "$@"; do
  case $target in
    session_*) seeds=session; dict=session.dict ;;
    handshake) seeds=handshake; dict=handshake.dict ;;
    frame_parser) seeds=frame_parser; dict=frames.dict ;;
    *) seeds=$target; dict= ;;
  esac
  bin=$build/bin/fuzz_$target
  work=$build/fuzz/$target
  mkdir -p "$work/corpus" "$work/artifacts"
  args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 -max_len=4096
        -artifact_prefix="$work/artifacts/")
  if [[ $dict == session.dict ]]; then  # raw mode sends a request, the rest is frames: both
    cat "$here/handshake.dict" "$here/frames.dict" >"$work/session.dict"
    args+=(-dict="$work/session.dict")
  elif [[ -n $dict ]]; then
    args+=(-dict="$here/$dict")
  fi

  "$bin" "${args[@]}" "$work/corpus" "$here/corpus/$seeds" >"$work/fuzz.log" 2>&1
  rc=$?
  # The last status line ("#N DONE cov: C ft: F corp: ...") and libFuzzer's final stats.
  last=$(grep -E '^#[0-9]+' "$work/fuzz.log" | tail -1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/fuzz.log")
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
  if ((rc != 0)); then
    status=1
    echo "fuzz_$target: FAILED (exit $rc) after ${execs:-?} execs; log $work/fuzz.log, inputs in $work/artifacts/"
    grep -m3 -E 'FUZZ CHECK FAILED|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' "$work/fuzz.log" | sed 's/^/    /'
  else
    echo "fuzz_$target: ok ${seconds}s, ${execs:-?} execs (${rate:-?}/s), cov ${cov:-?} ft ${ft:-?}, corpus ${corp:-?}"
  fi
  if [[ $merge == 1 ]]; then
    before=$(find "$here/corpus/$seeds" -type f | wc -l)
    "$bin" -merge=1 -max_len=4096 "$here/corpus/$seeds" "$work/corpus" >>"$work/fuzz.log" 2>&1 || status=1
    after=$(find "$here/corpus/$seeds" -type f | wc -l)
    echo "    merged $((after - before)) new inputs into tests/fuzz/corpus/$seeds"
  fi
done
exit $status
