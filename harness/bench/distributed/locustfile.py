"""wsalloc's load shards on Locust: Locust (master and workers over ZeroMQ) is the distribution
layer, wsload the load. Nothing here generates load in Python.

    controller:  wsbench run --load-hosts h1,h2,h3 ...     (starts the master with this file)
    each host:   locust -f locustfile.py --worker --master-host CONTROLLER --wsalloc-host h1

Roles
- A worker says hello (its host name, PID, wsload) as soon as it is connected. When the master sends
  it a shard ("wsalloc_run"), it runs `wsload ... --json` as a child process and sends back the
  JSON, the exit status and the tail of stderr ("wsalloc_result"). wsload dies with the worker
  (PR_SET_PDEATHSIG), so a worker killed mid-run is a host gone, not a load left running.
- The master waits for every named host, then writes ready.json into its control folder (and
  hosts.json at every hello, so a host that never came can be named). wsbench
  drops one plan-ID.json per measured run there; the master hands each host its shard and writes
  result-ID.json once every host has answered, went missing (Locust's heartbeat: about 4 s of
  silence), or missed the plan's deadline. It never merges or judges: wsbench does that (with
  `wsload merge`), so a lost host is reported, never dropped from the sums unseen.
Locust's own users are idle (one per worker, waiting): Locust needs a user class to run at all.

Control folder files are written whole and renamed into place, so a reader never sees half a file.
"""

import ctypes
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import gevent
import locust.runners
from locust import User, constant, events, task
from locust.runners import STATE_MISSING, MasterRunner, WorkerRunner

HELLO, RUN, RESULT = "wsalloc_hello", "wsalloc_run", "wsalloc_result"
PR_SET_PDEATHSIG = 1
STDERR_TAIL = 4096  # bytes of wsload's stderr sent back: enough for its last errors, small on the wire
POLL_S = 0.05       # how often the master looks at its control folder and its workers


def package_version():
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", "python3-locust"], capture_output=True, text=True,
                              timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# Debian's python3-locust 2.12.1-1 ships an empty version string (its _version.py is generated at
# build time and came out empty), and a master refuses a worker whose "client_ready" carries an
# empty version as "an old (pre 2.0) worker". This file is imported by master and worker before
# either connects, so giving the runners the package's version here makes distributed mode work.
if not locust.runners.__version__:
    locust.runners.__version__ = package_version()


class IdleShardHost(User):
    """One per worker, doing nothing: the shard runs in a message handler, not in a Locust user."""

    wait_time = constant(3600)

    @task
    def idle(self):
        pass


@events.init_command_line_parser.add_listener
def add_arguments(parser):
    group = parser.add_argument_group("wsalloc shards")
    group.add_argument("--wsalloc-control", default="", help="master: folder of plan-*.json / result-*.json")
    group.add_argument("--wsalloc-hosts", default="", help="master: comma-separated names of the load hosts to wait for")
    group.add_argument("--wsalloc-host", default=socket.gethostname(), help="worker: this load host's name")
    group.add_argument("--wsalloc-wsload", default="", help="worker: the wsload binary (default: build/bin/wsload of this checkout)")
    group.add_argument("--wsalloc-cpu", default="", help="worker: pin wsload to this CPU list with taskset")


def write_atomic(path, obj):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj))
    os.replace(tmp, path)


# ------------------------------------------------------------------------------------------ worker

def default_wsload():
    return str(Path(__file__).resolve().parents[3] / "build" / "bin" / "wsload")


def die_with_parent():
    # Runs in the child between fork and exec: the kernel kills wsload when this worker dies.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def run_shard(runner, me, plan_id, shard, deadline_s):
    argv = (["taskset", "-c", me["cpu"]] if me["cpu"] else []) + [me["wsload"]] + shard["args"]
    reply = {"id": plan_id, "host": me["host"], "command": " ".join(argv), "exit_code": None,
             "stdout": "", "stderr_tail": "", "error": None}
    started = time.time()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                preexec_fn=die_with_parent)
        reply["pid"] = proc.pid
        try:
            out, err = proc.communicate(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            proc.kill()  # by its own PID; wsload's hard timeout should have fired first
            out, err = proc.communicate()
            reply["error"] = f"wsload still running after the plan's deadline of {deadline_s:.0f} s: killed"
        reply["exit_code"] = proc.returncode
        reply["stdout"] = out.decode("utf-8", "replace")
        reply["stderr_tail"] = err[-STDERR_TAIL:].decode("utf-8", "replace")
    except OSError as e:
        reply["error"] = f"could not start {argv[0]}: {e}"
    reply["seconds"] = time.time() - started
    runner.send_message(RESULT, reply)


def start_worker(environment):
    runner, options = environment.runner, environment.parsed_options
    # Read once, now: Locust copies the master's values of custom options over the worker's when it
    # spawns users, so options.wsalloc_host would later say the master's name.
    me = {"host": options.wsalloc_host, "wsload": options.wsalloc_wsload or default_wsload(), "cpu": options.wsalloc_cpu}

    def on_run(environment, msg, **_):
        plan = msg.data
        for shard in plan["shards"]:
            if shard["host"] == me["host"]:
                gevent.spawn(run_shard, runner, me, plan["id"], shard, plan["deadline_s"])

    runner.register_message(RUN, on_run)
    runner.send_message(HELLO, dict(me, pid=os.getpid()))


# ------------------------------------------------------------------------------------------ master

class Controller:
    """The master's side: which node is which host, and one plan at a time from the control folder."""

    def __init__(self, runner, control, hosts):
        self.runner, self.control, self.hosts = runner, Path(control), hosts
        self.nodes = {}      # host name -> {"node": client id, "pid": ..., ...}
        self.conflicts = []  # hosts that said hello from two nodes
        self.results = {}    # host -> reply of the current plan
        runner.register_message(HELLO, self.on_hello)
        runner.register_message(RESULT, self.on_result)

    def on_hello(self, environment, msg, **_):
        info = dict(msg.data, node=msg.node_id)
        old = self.nodes.get(info["host"])
        if old and old["node"] != msg.node_id and self.alive(info["host"]):
            self.conflicts.append(f"two workers call themselves {info['host']!r} ({old['node']}, {msg.node_id})")
        self.nodes[info["host"]] = info
        write_atomic(self.control / "hosts.json", {"hosts": self.nodes, "conflicts": self.conflicts})

    def on_result(self, environment, msg, **_):
        self.results[(msg.data["id"], msg.data["host"])] = msg.data

    def alive(self, host):
        info = self.nodes.get(host)
        if info is None:
            return False
        node = self.runner.clients.get(info["node"])
        return node is not None and node.state != STATE_MISSING

    def wait_for_hosts(self):
        while not all(self.alive(h) for h in self.hosts):
            gevent.sleep(POLL_S)
        write_atomic(self.control / "ready.json", {"engine": "locust", "hosts": {h: self.nodes[h] for h in self.hosts},
                                                   "conflicts": self.conflicts})

    def run_plan(self, plan):
        pid = plan["id"]
        deadline = time.monotonic() + plan["deadline_s"] + 10  # the worker's own deadline fires first
        status = {}
        for shard in plan["shards"]:
            h = shard["host"]
            if not self.alive(h):
                status[h] = {"host": h, "status": "not_connected",
                             "reason": "its worker was not connected when the run started (lost in an earlier run?)"}
            else:
                self.runner.send_message(RUN, plan, client_id=self.nodes[h]["node"])
        while True:
            for shard in plan["shards"]:
                h = shard["host"]
                if h in status:
                    continue
                reply = self.results.pop((pid, h), None)
                if reply is not None:
                    status[h] = dict(reply, status="ok" if reply["error"] is None else "failed",
                                     reason=reply["error"])
                elif not self.alive(h):
                    status[h] = {"host": h, "status": "lost",
                                 "reason": "its worker stopped answering Locust's heartbeat during the run (host down, "
                                           "worker killed or network cut)"}
                elif time.monotonic() > deadline:
                    status[h] = {"host": h, "status": "no_result",
                                 "reason": f"no result within the plan's deadline ({plan['deadline_s']:.0f} s + 10 s)"}
            if len(status) == len(plan["shards"]):
                break
            gevent.sleep(POLL_S)
        write_atomic(self.control / f"result-{pid}.json",
                     {"id": pid, "hosts": [dict(status[s["host"]], share=s.get("share")) for s in plan["shards"]]})

    def loop(self):
        self.wait_for_hosts()
        done = set()
        while True:
            for plan_file in sorted(self.control.glob("plan-*.json")):
                if plan_file.name in done:
                    continue
                done.add(plan_file.name)
                self.run_plan(json.loads(plan_file.read_text()))
            gevent.sleep(POLL_S)


@events.init.add_listener
def on_locust_init(environment, **_):
    options = environment.parsed_options
    if isinstance(environment.runner, WorkerRunner):
        start_worker(environment)
    elif isinstance(environment.runner, MasterRunner) and options.wsalloc_control:
        hosts = [h for h in options.wsalloc_hosts.split(",") if h]
        controller = Controller(environment.runner, options.wsalloc_control, hosts)
        # A crash of the controller is written where wsbench looks, instead of leaving it waiting.
        gevent.spawn(controller.loop).link_exception(
            lambda g: write_atomic(Path(options.wsalloc_control) / "error.json", {"error": repr(g.exception)}))
