#!/usr/bin/python3
"""The shared launcher itself (pylib/server_process.py), against fake_server.py children that
behave well or badly: the ready line is read (with the environment passed through), a silent
child is killed at the deadline with a clear error, stop by PID really ends the child (SIGKILL
when SIGTERM is ignored), a non-zero exit is reported, and neither the watchdog nor the
interpreter's exit leaves a child behind.

  test_server_process.py
"""
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))  # tests/: the package pylib
from pylib import server_process  # noqa: E402
from pylib.server_process import ServerDidNotStart, ServerProcess  # noqa: E402

FAKE = [sys.executable, os.path.join(HERE, "fake_server.py")]


def gone(pid: int) -> bool:
    """True once no process has this PID (it was killed and reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


class StartAndStop(unittest.TestCase):
    def test_ready_line_gives_host_and_port_and_sigterm_ends_it_with_0(self):
        server = ServerProcess(FAKE + ["ready"]).start()  # --host/--port appended: fake checks them
        self.assertEqual((server.host, server.port), ("127.0.0.1", 4242))
        server.assert_running()
        self.assertEqual(server.stop(), 0)
        self.assertTrue(gone(server.pid), "the child still exists after stop()")

    def test_environment_reaches_the_child(self):
        env = server_process.environment_with(WSALLOC_FAKE_PORT="31337")
        server = ServerProcess(FAKE + ["ready-from-env"], env=env, listen_args=False).start()
        self.assertEqual(server.port, 31337)
        server.stop()

    def test_silent_child_is_killed_at_the_deadline_with_a_clear_error(self):
        server = ServerProcess(FAKE + ["silent"], start_timeout=1.0)
        began = time.monotonic()
        with self.assertRaises(ServerDidNotStart) as caught:
            server.start()
        self.assertLess(time.monotonic() - began, 5.0, "start() waited far past its 1 s deadline")
        self.assertIn("did not print 'listening on HOST:PORT' within 1.0 s", str(caught.exception))
        self.assertIn("fake_server.py silent", str(caught.exception), "the error does not name the command")
        self.assertIsNone(caught.exception.exit_code)
        self.assertTrue(gone(server.pid), "the silent child was left running")

    def test_exit_before_the_ready_line_reports_the_exit_code(self):
        with self.assertRaises(ServerDidNotStart) as caught:
            ServerProcess(FAKE + ["exit-3"]).start()
        self.assertEqual(caught.exception.exit_code, 3)
        self.assertIn("exited with code 3 before listening", str(caught.exception))

    def test_child_ignoring_sigterm_is_killed_after_the_grace_and_the_stop_fails(self):
        server = ServerProcess(FAKE + ["ignores-term"], stop_timeout=0.5).start()
        with self.assertRaises(AssertionError) as caught:
            server.stop()
        self.assertIn("did not exit within 0.5 s of SIGTERM (killed it)", str(caught.exception))
        self.assertTrue(gone(server.pid), "SIGKILL after the grace did not end the child")

    def test_nonzero_exit_on_sigterm_fails_the_stop(self):
        server = ServerProcess(FAKE + ["exit-5-on-term"]).start()
        with self.assertRaises(AssertionError) as caught:
            server.stop()
        self.assertIn("exited with code 5 on SIGTERM, expected 0", str(caught.exception))


class NoChildOutlivesItsTest(unittest.TestCase):
    def run_script(self, body: str) -> tuple[subprocess.CompletedProcess, int]:
        """Runs `body` in a fresh interpreter with pylib importable; it must print the PID of the
        child it started on its first line. Returns (the run, that PID)."""
        script = textwrap.dedent(f"""\
            import sys, time
            sys.path.insert(0, {os.path.join(HERE, "..")!r})
            from pylib import server_process
            child = server_process.ServerProcess({FAKE + ["ignores-term"]!r}).start()
            print(child.pid, flush=True)
            """) + textwrap.dedent(body)
        # stderr through a file: a child left running holds what it inherited, and a pipe held
        # open would make this wait for the child instead of checking on it.
        with tempfile.TemporaryFile("w+") as err:
            run = subprocess.run([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=err, text=True,
                                 timeout=30)
            err.seek(0)
            run.stderr = err.read()
        self.assertTrue(run.stdout.strip(), f"the script printed no PID: {run.stderr}")
        return run, int(run.stdout.split()[0])

    def test_the_watchdog_kills_the_children_by_pid_and_exits_with_its_code(self):
        run, pid = self.run_script("""\
            server_process.start_watchdog(1, "probe script", exit_code=124)
            time.sleep(20)
            """)
        self.assertEqual(run.returncode, 124, run.stderr)
        self.assertIn("probe script: watchdog: still running after 1 s", run.stderr)
        self.assertTrue(gone(pid), "the watchdog left the child running")

    def test_a_child_left_running_is_killed_when_the_interpreter_exits(self):
        run, pid = self.run_script("sys.exit(0)\n")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertTrue(gone(pid), "the child outlived the interpreter that started it")


if __name__ == "__main__":
    unittest.main(verbosity=2)
