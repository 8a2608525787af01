#!/usr/bin/env bash
# install-peers.sh: installs the reference servers that come from npm into the git-ignored .peers/.
#
# Bun (npm package `bun`): its WebSocket server is uWebSockets, so it stands for uWS in the
# comparison. The `bun` package pulls its platform binary as an optional dependency
# (@oven/bun-linux-x64 and friends) and links it into .peers/node_modules/.bin/bun.
#
# Idempotent and quiet when Bun is already there. Failure to install is not fatal: wsbench lists
# the target as unavailable with the reason, and every other target still runs. Exit codes:
# 0 installed or already present, 0 with a warning when npm is missing or the install failed.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
peers="$repo/.peers"
bun_bin="$peers/node_modules/.bin/bun"

if [[ -x "$bun_bin" ]] && "$bun_bin" --version >/dev/null 2>&1; then
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "install-peers: npm not found; Bun will be listed as unavailable (install Debian's npm)" >&2
  exit 0
fi

mkdir -p "$peers"
# The lockfile must not record registry URLs: nothing under .peers names a registry host.
cat > "$peers/.npmrc" <<'NPMRC'
omit-lockfile-registry-resolved=true
fund=false
audit=false
update-notifier=false
NPMRC
[[ -f "$peers/package.json" ]] || echo '{"name":"wsalloc-peers","private":true}' > "$peers/package.json"

echo "install-peers: installing bun into .peers/" >&2
if ! (cd "$peers" && npm install --no-progress --loglevel=error bun >/dev/null); then
  echo "install-peers: 'npm install bun' failed; Bun will be listed as unavailable" >&2
  exit 0
fi
if ! "$bun_bin" --version >/dev/null 2>&1; then
  echo "install-peers: $bun_bin does not run; Bun will be listed as unavailable" >&2
fi
exit 0
