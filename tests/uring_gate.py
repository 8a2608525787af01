#!/usr/bin/python3
"""uring_gate.py: runs a test that needs io_uring, or skips it and says why.

  uring_gate.py PROBE_BIN [PROBE_ARGS...] -- TEST_COMMAND...

PROBE_BIN PROBE_ARGS (e.g. `wsalloc-server --variant malloc --io uring`) is started with
`--host 127.0.0.1 --port 0`. If it prints `listening on`, io_uring works here: the probe is stopped
and TEST_COMMAND runs; its exit status is ours. If the probe exits 2 (the binaries' answer where
io_uring_setup fails or is disabled), its message is printed and we exit 77, which the tests
registered through tests/uring_gate.cmake report as "Skipped" (SKIP_RETURN_CODE), never as
passed; unless this machine must run the io_uring tests (the rule of tests/net/uring_required.hpp:
WSALLOC_REQUIRE_URING=1, or CI set and WSALLOC_REQUIRE_URING not 0), then we exit 1.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # tests/: the package pylib
from pylib.server_process import ServerDidNotStart, ServerProcess  # noqa: E402

SKIP = 77
PROBE_TIMEOUT_S = 10.0


def uring_required() -> bool:
    r = os.environ.get("WSALLOC_REQUIRE_URING")
    if r is not None:
        return r == "1"
    ci = os.environ.get("CI")
    return ci is not None and ci not in ("", "0", "false")


def probe(argv: list[str]) -> str | None:
    """None when io_uring works; otherwise why not (the probe's own message)."""
    with tempfile.TemporaryFile() as err_file:
        server = ServerProcess(argv, stderr=err_file, start_timeout=PROBE_TIMEOUT_S)
        try:
            server.start()
        except ServerDidNotStart as failed:
            err_file.seek(0)
            err = err_file.read().decode(errors="replace").strip()
            if failed.exit_code == 2 and "io_uring" in err:
                return err
            # Anything else is a broken binary, not a missing kernel feature: never a skip.
            print(f"uring_gate: probe {argv} failed (exit {failed.exit_code}): {err or failed}", file=sys.stderr)
            sys.exit(1)
        try:
            server.stop()  # SIGTERM by PID, SIGKILL after the grace
        except AssertionError as e:
            # It came up, which is all the probe asks; how it stops is the suites' business.
            print(f"uring_gate: note: probe {argv}: {e}", file=sys.stderr)
        return None


def main() -> int:
    args = sys.argv[1:]
    if "--" not in args or args.index("--") == 0 or args.index("--") == len(args) - 1:
        print(__doc__, file=sys.stderr)
        return 2
    cut = args.index("--")
    why = probe(args[:cut])
    if why is not None:
        if uring_required():
            print(f"FAIL: io_uring is unavailable ({why}) but this machine must run the io_uring tests "
                  f"(WSALLOC_REQUIRE_URING=1, or CI set)", file=sys.stderr)
            return 1
        print(f"SKIP: io_uring unavailable: {why}")
        return SKIP
    sys.stdout.flush()
    os.execv(args[cut + 1], args[cut + 1:])


if __name__ == "__main__":
    sys.exit(main())
