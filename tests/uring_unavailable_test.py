#!/usr/bin/python3
"""Where io_uring is refused, --io uring says so and names --io epoll, and the uring tests skip.

The refusal is the real one: a seccomp filter (as container runtimes install) makes
io_uring_setup fail with EPERM for the processes started here, whatever this kernel allows.

  uring_unavailable_test.py --server BIN --rawecho BIN --gate tests/uring_gate.py
"""
import argparse
import ctypes
import os
import platform
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # tests/: the package pylib
from pylib.server_process import ServerProcess  # noqa: E402

ARGS = None
SYS_IO_URING_SETUP = 425  # the same number on every architecture since 5.1


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]


def refuse_io_uring():
    """preexec_fn: from here on (and in every child) io_uring_setup fails with EPERM."""
    prog = (SockFilter * 4)(
        SockFilter(0x20, 0, 0, 0),                    # ld  [nr]
        SockFilter(0x15, 0, 1, SYS_IO_URING_SETUP),   # jeq #io_uring_setup, 0, 1
        SockFilter(0x06, 0, 0, 0x00050000 | 1),       # ret ERRNO(EPERM)
        SockFilter(0x06, 0, 0, 0x7fff0000))           # ret ALLOW
    fprog = SockFprog(4, prog)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        os._exit(97)
    if libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        os._exit(98)


def run_refused(argv, env=None):
    return subprocess.run(argv, preexec_fn=refuse_io_uring, capture_output=True, text=True, timeout=30,
                          env=env)


class UringUnavailable(unittest.TestCase):
    def check_exit_2_naming_epoll(self, argv):
        r = run_refused(argv + ["--host", "127.0.0.1", "--port", "0"])
        self.assertNotIn(r.returncode, (97, 98), "could not install the seccomp filter")
        self.assertEqual(r.returncode, 2, f"{argv}: exit {r.returncode}, stderr {r.stderr!r}")
        self.assertIn("io_uring", r.stderr)
        self.assertIn("Operation not permitted", r.stderr, "the reason (the failing call's errno) is missing")
        self.assertIn("--io epoll", r.stderr)
        self.assertNotIn("listening on", r.stdout)

    def test_the_server_exits_2_and_names_io_epoll(self):
        for variant in ("malloc", "zerocopy"):
            with self.subTest(variant=variant):
                self.check_exit_2_naming_epoll([ARGS.server, "--variant", variant, "--io", "uring"])

    def test_the_raw_echo_exits_2_and_names_io_epoll(self):
        self.check_exit_2_naming_epoll([ARGS.rawecho, "--io", "uring"])

    def test_the_epoll_backend_still_serves(self):
        # start() fails unless `listening on H:P` comes; stop() unless SIGTERM ends it with 0.
        server = ServerProcess([ARGS.server, "--variant", "zerocopy"], preexec_fn=refuse_io_uring,
                               stderr=subprocess.DEVNULL, stop_timeout=10.0).start()
        self.assertEqual(server.stop(), 0)

    def gate(self, require):
        env = dict(os.environ, WSALLOC_REQUIRE_URING=require)
        return run_refused([sys.executable, ARGS.gate, ARGS.server, "--variant", "malloc", "--io", "uring", "--",
                            "/bin/sh", "-c", "echo the test ran; exit 0"], env=env)

    def test_uring_tests_are_skipped_with_the_reason(self):
        r = self.gate("0")
        self.assertEqual(r.returncode, 77, r.stdout + r.stderr)
        self.assertIn("SKIP: io_uring unavailable", r.stdout)
        self.assertIn("Operation not permitted", r.stdout)
        self.assertNotIn("the test ran", r.stdout)

    def test_a_machine_that_must_run_them_fails_instead_of_skipping(self):
        r = self.gate("1")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("must run the io_uring tests", r.stderr)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    for a in ("server", "rawecho", "gate"):
        ap.add_argument("--" + a, required=True)
    ARGS, rest = ap.parse_known_args()
    if platform.system() != "Linux":
        print("SKIP: seccomp filters are Linux-only")
        return 77
    prog = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
