#!/usr/bin/env bash
# install-deps.sh: installs every Debian (and npm) package wsalloc needs.
# Idempotent: quiet when everything is present; runs `apt-get update` once only when
# something is missing. --no-install-recommends because recommends can pull in
# Boost 1.74 and remove 1.81.
set -euo pipefail

debian_packages=(
  # build
  cmake ninja-build g++ clang-14 libclang-rt-14-dev pkg-config
  # libraries
  libboost1.81-dev libwebsocketpp-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libtomlplusplus-dev libssl-dev zlib1g-dev
  # the io_uring backend (servers/net; newer kernel features go through raw syscalls)
  liburing-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev libbenchmark-tools python3-websockets
  # load from several hosts (wsbench run --load-hosts, make bench-distributed): Locust carries the
  # wsload shards; iproute2 makes the network namespaces that stand in for hosts here
  python3-locust iproute2
  # measuring
  valgrind heaptrack libheaptrack util-linux procps
  # allocators compared against glibc
  libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4
  # report
  libjs-chart.js chromium
)

# npm (for Bun, the uWebSockets reference peer): from Debian only when no npm is on PATH, because
# Debian's npm conflicts with a nodejs installed some other way.
command -v npm >/dev/null 2>&1 || debian_packages+=(nodejs npm)

missing=()
for p in "${debian_packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
