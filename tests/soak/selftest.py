#!/usr/bin/python3
"""Proof that the soak fails when it should: soak.py against servers that are wrong on purpose.

  selftest.py -- /path/to/wsalloc-server

faulty_echo.py corrupts, drops or reorders an echo, leaks memory or crashes; each run must exit 1
and name that failure, while the same driver against its honest mode passes. A wsalloc-server
that never closes a slow consumer (--max-backlog 4 GiB: it only stops reading) must be reported
too. The RSS criterion itself is also checked on fixed numbers.
"""
import os
import shlex
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path[:0] = [os.path.join(HERE, ".."), os.path.join(HERE, "..", "conformance")]  # tests/: the package pylib
import rss  # noqa: E402
from pylib.server_process import take_server_argv  # noqa: E402

SOAK = [sys.executable, os.path.join(HERE, "soak.py")]
FAULTY = f"{sys.executable} {os.path.join(HERE, 'faulty_echo.py')}"
RUN_TIMEOUT = 150       # one soak run here: a few seconds of traffic plus its bounded drain
SERVER = []             # the wsalloc-server command line (shell-quoted), from argv


def soak(*args) -> tuple[int, str]:
    proc = subprocess.run(SOAK + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=RUN_TIMEOUT, text=True)
    return proc.returncode, proc.stdout


def soak_faulty(fault: str, *extra) -> tuple[int, str]:
    return soak("--seconds", "6", "--warmup", "2", "--variants", fault, "--kinds", "echo,churn", "--no-stats",
                "--echo-clients", "3", "--server", f"{FAULTY} --fault {fault} " + " ".join(extra))


class SoakCatchesFaults(unittest.TestCase):
    def assert_fails_with(self, result, pattern):
        code, out = result
        self.assertEqual(code, 1, f"soak should have failed (exit 1), got {code}:\n{out}")
        self.assertRegex(out, pattern, f"soak failed, but not for the expected reason:\n{out}")

    def test_honest_echo_passes(self):
        code, out = soak_faulty("none")
        self.assertEqual(code, 0, f"the honest server should pass:\n{out}")
        self.assertRegex(out, r"none\s+pass\s+[1-9]")

    def test_corrupted_echo_is_caught(self):
        self.assert_fails_with(soak_faulty("corrupt", "--every", "50"), r"FAIL corrupt: .*corrupted at byte \d+")

    def test_dropped_echo_is_caught(self):
        self.assert_fails_with(soak_faulty("drop", "--every", "50"), r"FAIL drop: .*(lost or reordered|timed out)")

    def test_reordered_echo_is_caught(self):
        self.assert_fails_with(soak_faulty("reorder", "--every", "50"), r"FAIL reorder: .*lost or reordered")

    def test_leak_fails_the_rss_criterion(self):
        self.assert_fails_with(soak_faulty("leak"), r"FAIL leak: RSS grew: \d+ KiB at the end > limit")

    def test_crash_is_caught(self):
        self.assert_fails_with(soak_faulty("crash", "--every", "3000"), r"FAIL crash: .*the server exited \(code 3")

    def test_slow_consumer_left_open_is_caught(self):
        # 4 GiB backlog: the server never calls it a slow consumer; it only stops reading at its
        # 2 MiB high-water mark. The soak must notice the connection was never closed.
        result = soak("--seconds", "3", "--warmup", "2", "--variants", "zerocopy", "--kinds", "echo,slow",
                      "--echo-clients", "1", "--max-backlog", str(4 << 30),
                      "--server", SERVER[0])
        self.assert_fails_with(result, r"slow consumer \(echo\) was not closed by the server: still open")


class RssCriterion(unittest.TestCase):
    def test_within_margin_and_slack_passes(self):
        self.assertIsNone(rss.rss_verdict(10_000, 10_000, 0.10, 0))
        self.assertIsNone(rss.rss_verdict(10_000, 11_000, 0.10, 0))
        self.assertIsNone(rss.rss_verdict(10_000, 11_500, 0.10, 500))

    def test_growth_beyond_the_limit_fails_and_says_by_how_much(self):
        why = rss.rss_verdict(10_000, 11_501, 0.10, 500)
        self.assertIsNotNone(why)
        self.assertIn("11501 KiB at the end > limit 11500 KiB", why)

    def test_missing_samples_fail(self):
        self.assertIsNotNone(rss.rss_verdict(None, 10_000, 0.1, 0))

    def test_plateau_is_the_largest_sample_in_the_window(self):
        trace = rss.RssTrace()
        for t, kib in [(0, 5), (1, 9), (2, 7), (3, 20), (4, 6)]:
            trace.add(t, kib)
        self.assertEqual(trace.plateau(0, 2), 9)
        self.assertEqual(trace.plateau(2, 4), 20)
        self.assertEqual(trace.peak(), 20)

    def test_windows_of_a_short_soak_do_not_overlap(self):
        for seconds in (6, 45, 120):
            self.assertLessEqual(2 * rss.window_for(seconds), seconds)
        self.assertGreaterEqual(rss.window_for(45), 10, "long enough to meet the working set's peak")


if __name__ == "__main__":
    if "--" not in sys.argv:
        sys.exit("usage: selftest.py [unittest options] -- /path/to/wsalloc-server [args]")
    server_argv, own = take_server_argv(sys.argv[1:])
    SERVER.append(shlex.join(server_argv))
    sys.argv = sys.argv[:1] + own
    unittest.main(verbosity=2)
