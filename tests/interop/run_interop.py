#!/usr/bin/python3
"""Runs the Python `websockets` interoperability test against one server command line.

  run_interop.py [--timeout SECONDS] [--module NAME] -- SERVER_ARGV...

NAME: the test module (default test_websockets_client; test_websockets_deflate needs a server
command line with --deflate).

The server argv is exported as WSALLOC_SERVER_CMD; the test appends --host 127.0.0.1 --port 0.
A watchdog kills the servers this process started (by PID) and exits 124 after --timeout s.
Exit 0 = passed, 1 = failed, 2 = usage.
"""
import os
import shlex
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path[:0] = [os.path.join(HERE, ".."), os.path.join(HERE, "..", "conformance")]  # tests/: the package pylib

from pylib import server_process  # noqa: E402
from pylib.suite_runner import EXIT_USAGE, run_against_env_server  # noqa: E402


def websockets_version() -> str:
    # Imported once the server command is known good and the watchdog runs, as the tests import it.
    import websockets
    return f"; websockets {websockets.__version__}"


def main(argv):
    timeout = 120
    if "--" in argv:
        cut = argv.index("--")
        argv, server_argv = argv[:cut], argv[cut + 1:]
        if server_argv:
            os.environ[server_process.SERVER_CMD_ENV] = shlex.join(server_argv)
    module = "test_websockets_client"
    while len(argv) >= 2 and argv[0] in ("--timeout", "--module"):
        if argv[0] == "--timeout":
            timeout = int(argv[1])
        else:
            module = argv[1]
        argv = argv[2:]
    if argv:
        print(f"run_interop.py: unexpected arguments {argv}", file=sys.stderr)
        return EXIT_USAGE
    return run_against_env_server([module], timeout, "run_interop.py", websockets_version)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
