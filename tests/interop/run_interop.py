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
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path[:0] = [os.path.join(HERE, ".."), os.path.join(HERE, "..", "conformance")]  # tests/: the package pylib

from pylib import server_process  # noqa: E402

EXIT_USAGE = 2
EXIT_WATCHDOG = 124


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
    try:
        server_process.server_argv_from_env()
    except RuntimeError as e:
        print(f"run_interop.py: {e}", file=sys.stderr)
        return EXIT_USAGE

    server_process.start_watchdog(timeout, "run_interop.py", EXIT_WATCHDOG)

    import websockets
    print(f"server: {os.environ[server_process.SERVER_CMD_ENV]}; websockets {websockets.__version__}",
          file=sys.stderr)
    suite = unittest.defaultTestLoader.loadTestsFromName(module)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stderr).run(suite)
    server_process.kill_all_started()
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
