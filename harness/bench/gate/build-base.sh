#!/usr/bin/env bash
# Builds wsalloc-server of one commit for the gate's A/B run (gate_base.hpp calls this).
#
#   build-base.sh REPO SHA DIR [CMAKE_ARGS...]
#
# DIR/src    the commit's files, from `git archive` (no checkout, no worktree entry left behind
#            when a job is killed; needs only the commit object, not a work tree)
# DIR/build  a build of the wsalloc-server target only, configured with CMAKE_ARGS (the
#            candidate's compiler, flags and build type) and without tests or peers
# A second call with the same SHA reuses both (ninja finds nothing to do); another SHA starts afresh.
# One build per DIR at a time (flock), so two gates in one build tree do not mix their files.
# Prints the server's path as its last line on stdout. Exit 0 built, 1 failed: the last lines of
# the failing step's log are on stderr, the whole log in DIR.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: build-base.sh REPO SHA DIR [CMAKE_ARGS...]" >&2
  exit 2
fi
repo=$1 sha=$2 dir=$3
shift 3
mkdir -p "$dir"
exec 9>"$dir/.lock"
if ! flock -w 900 9; then
  echo "build-base: $dir stayed locked by another gate for 15 min" >&2
  exit 1
fi

fail() {  # step log
  tail -n 15 "$2" >&2 || true
  echo "build-base: $1 of $sha failed (whole log: $2)" >&2
  exit 1
}

if [ "$(cat "$dir/src/.wsalloc-base-sha" 2>/dev/null || true)" != "$sha" ]; then
  rm -rf "$dir/src" "$dir/build"
  mkdir -p "$dir/src"
  git -C "$repo" archive --format=tar "$sha" 2>"$dir/archive.log" | tar -x -C "$dir/src" 2>>"$dir/archive.log" ||
    fail "git archive" "$dir/archive.log"
  echo "$sha" >"$dir/src/.wsalloc-base-sha"
fi
cmake -S "$dir/src" -B "$dir/build" -G Ninja -DWSALLOC_BUILD_TESTS=OFF -DWSALLOC_BUILD_PEERS=OFF "$@" \
  >"$dir/configure.log" 2>&1 || fail "cmake configure" "$dir/configure.log"
cmake --build "$dir/build" --target wsalloc-server >"$dir/build.log" 2>&1 || fail "build of wsalloc-server" "$dir/build.log"
test -x "$dir/build/bin/wsalloc-server" || fail "build (no bin/wsalloc-server)" "$dir/build.log"
echo "$dir/build/bin/wsalloc-server"
