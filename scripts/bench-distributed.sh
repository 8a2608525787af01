#!/usr/bin/env bash
# make bench-distributed: `wsbench run --load-hosts` with network namespaces as hosts.
#
#   one server namespace (10.201.0.1) and N load namespaces (10.201.0.11, .12, ...), each with a
#   veth into a bridge that lives in a namespace of its own, so nothing is added to the host's
#   network and traffic only flows between these namespaces. Each load namespace runs a Locust
#   worker named l1, l2, ...; wsbench runs in the server namespace, starts the Locust master and
#   the servers there, and splits every run's load over the workers.
#
# Everything is made and removed by this script: the names carry its PID (wsa<PID>-...), so
# concurrent runs do not collide; the EXIT trap removes what exists even when setup failed halfway
# or the run was interrupted; processes are stopped by their PIDs, never by name.
#
# usage: bench-distributed.sh BUILD_DIR [--hosts N] [--timeout S] [-- WSBENCH_RUN_ARGS...]
#   default run args: --quick --scenarios echo-small,broadcast --targets malloc,zerocopy
set -euo pipefail

build_dir=${1:?usage: bench-distributed.sh BUILD_DIR [--hosts N] [--timeout S] [-- WSBENCH_RUN_ARGS...]}
shift
hosts=3
timeout_s=900  # the whole wsbench run; it bounds each load itself, this bounds everything
run_args=(--quick --scenarios echo-small,broadcast --targets malloc,zerocopy)
while (($#)); do
  case "$1" in
    --hosts) hosts=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --) shift; (($#)) && run_args=("$@"); break ;;
    *) echo "bench-distributed: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
((hosts >= 1 && hosts <= 9)) || { echo "bench-distributed: --hosts $hosts: 1..9" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "bench-distributed: network namespaces need root (ip netns)" >&2; exit 2; }

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "$build_dir" && pwd)/bin
locustfile=$repo/harness/bench/distributed/locustfile.py
prefix=wsa$$
ns_switch=$prefix-sw
ns_server=$prefix-srv
server_ip=10.201.0.1
master_port=5557  # private to the server namespace: no clash with anything on the host
logs=$(cd "$build_dir" && pwd)/bench-distributed/$prefix
mkdir -p "$logs"

namespaces=()   # created so far, in order
pids=()         # started so far
cleanup() {
  local rc=$?
  set +e
  trap - INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  # Deleting a namespace deletes its end of every veth, and so the pair; the bridge goes with its own.
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null; done
  echo "bench-distributed: removed namespaces ${namespaces[*]:-(none)}; logs in $logs" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

add_namespace() {
  ip netns add "$1"
  namespaces+=("$1")
  ip -n "$1" link set lo up
}

# The bridge, in a namespace of its own.
add_namespace "$ns_switch"
ip -n "$ns_switch" link add br0 type bridge
ip -n "$ns_switch" link set br0 up

# A host: a namespace, a veth whose far end is plugged into the bridge, an address.
add_host() {
  local ns=$1 port=$2 ip=$3
  add_namespace "$ns"
  ip -n "$ns_switch" link add "$port" type veth peer name eth0 netns "$ns"
  ip -n "$ns_switch" link set "$port" master br0 up
  ip -n "$ns" addr add "$ip/24" dev eth0
  ip -n "$ns" link set eth0 up
}

add_host "$ns_server" srv "$server_ip"
names=()
for i in $(seq "$hosts"); do
  add_host "$prefix-l$i" "l$i" "10.201.0.$((10 + i))"
  names+=("l$i")
done
echo "bench-distributed: server $ns_server ($server_ip), load hosts ${names[*]} (10.201.0.11..), bridge in $ns_switch" >&2

# One Locust worker per load namespace; all their shards share CPU 1 (the server has CPU 0), so the
# client side has one core whatever the number of hosts: runs with different --hosts compare.
for name in "${names[@]}"; do
  ip netns exec "$prefix-$name" /usr/bin/env locust -f "$locustfile" --worker --master-host "$server_ip" \
    --master-port "$master_port" --wsalloc-host "$name" --wsalloc-wsload "$bin/wsload" --wsalloc-cpu 1 \
    --loglevel INFO --logfile "$logs/worker-$name.log" >"$logs/worker-$name.out" 2>&1 &
  pids+=($!)
done

host_list=$(IFS=,; echo "${names[*]}")
timeout -s TERM "$timeout_s" ip netns exec "$ns_server" "$bin/wsbench" run "${run_args[@]}" \
  --load-hosts "$host_list" --load-master "$server_ip:$master_port" --server-host "$server_ip" &
pids+=($!)
wait "${pids[-1]}"
