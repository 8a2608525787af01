"""The runner behind run_group.py (conformance) and run_interop.py (websockets interop): unittest
modules against the server command in WSALLOC_SERVER_CMD, bounded by the watchdog.

Exit status, as both runners document it: 0 every case passed, 1 a case failed, 2 usage (no
server command), 124 the watchdog fired (the servers it started are killed by PID first).
"""
import os
import sys
import unittest

from pylib import server_process

EXIT_USAGE = 2
EXIT_WATCHDOG = 124


def run_against_env_server(module_names: list[str], timeout: int, who: str, about=None) -> int:
    """Loads `module_names` (importable from sys.path) and runs them verbosely on stderr. `who`
    names the runner in its messages; `about()`, called once the watchdog runs, is appended to the
    line naming the server."""
    try:
        server_process.server_argv_from_env()
    except RuntimeError as e:
        print(f"{who}: {e}", file=sys.stderr)
        return EXIT_USAGE
    server_process.start_watchdog(timeout, who, EXIT_WATCHDOG)
    print(f"server: {os.environ[server_process.SERVER_CMD_ENV]}{about() if about else ''}", file=sys.stderr)
    suite = unittest.defaultTestLoader.loadTestsFromNames(module_names)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stderr).run(suite)
    server_process.kill_all_started()
    return 0 if result.wasSuccessful() else 1
