#!/usr/bin/python3
"""Runs conformance groups against one server command line.

  run_group.py [--timeout SECONDS] GROUP [GROUP ...] -- SERVER_ARGV...
  run_group.py all -- build/bin/wsalloc-server --variant malloc

GROUP is a file test_<GROUP>.py in this directory ("all" = every group). The server argv is
exported as WSALLOC_SERVER_CMD (shell-quoted) for the cases, which append
`--host 127.0.0.1 --port 0` (and, for limits, `--max-message 65536`). Without `--`, the
command is taken from WSALLOC_SERVER_CMD as it is.

A watchdog bounds the whole run: after --timeout seconds it kills the servers this process
started (by PID) and exits 124. Exit 0 = every case passed, 1 = a case failed, 2 = usage.
"""
import glob
import os
import shlex
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))  # tests/: the package pylib

from pylib import server_process  # noqa: E402
from pylib.suite_runner import EXIT_USAGE, run_against_env_server  # noqa: E402


def all_groups() -> list[str]:
    return sorted(os.path.basename(p)[len("test_"):-3] for p in glob.glob(os.path.join(HERE, "test_*.py")))


def main(argv: list[str]) -> int:
    timeout = 240
    if "--" in argv:
        cut = argv.index("--")
        argv, server_argv = argv[:cut], argv[cut + 1:]
        if not server_argv:
            print("run_group.py: nothing after --; expected the server command line", file=sys.stderr)
            return EXIT_USAGE
        os.environ[server_process.SERVER_CMD_ENV] = shlex.join(server_argv)
    if len(argv) >= 2 and argv[0] == "--timeout":
        timeout, argv = int(argv[1]), argv[2:]
    groups = all_groups() if argv == ["all"] else argv
    unknown = [g for g in groups if g not in all_groups()]
    if not groups or unknown:
        print(f"run_group.py: unknown group(s) {unknown}; known: {all_groups()}", file=sys.stderr)
        return EXIT_USAGE
    return run_against_env_server([f"test_{g}" for g in groups], timeout, f"run_group.py {' '.join(groups)}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
