"""Starts and stops the server under test.

The server command comes from the environment variable WSALLOC_SERVER_CMD (a shell-quoted
argv, e.g. "build/bin/wsalloc-server --variant malloc"). This module appends
`--host 127.0.0.1 --port 0` plus any per-group arguments, waits for the one line
`listening on HOST:PORT`, and stops the server with SIGTERM by PID, asserting that it exits
with code 0 within STOP_TIMEOUT seconds.
"""
import os
import re
import select
import shlex
import signal
import subprocess
import sys
import threading
import time

SERVER_CMD_ENV = "WSALLOC_SERVER_CMD"
# WSALLOC_SLOW_SERVER_FACTOR: how many times slower than native the server runs (e.g. under
# valgrind memcheck, tests/memcheck); every wait of the suites that use this module is that much
# longer. Default 1.
SLOW = float(os.environ.get("WSALLOC_SLOW_SERVER_FACTOR", "1"))
START_TIMEOUT = 10.0 * SLOW
STOP_TIMEOUT = 5.0 * SLOW
_LISTENING = re.compile(rb"^listening on (\S+):(\d+)\s*$")

# Every server this process started and has not reaped; the watchdog kills them by PID.
_live: dict[int, subprocess.Popen] = {}


def server_argv_from_env() -> list[str]:
    cmd = os.environ.get(SERVER_CMD_ENV, "").strip()
    if not cmd:
        raise RuntimeError(f"{SERVER_CMD_ENV} is not set: give the server command line, "
                           f"e.g. {SERVER_CMD_ENV}='build/bin/wsalloc-server --variant malloc'")
    return shlex.split(cmd)


def take_server_argv(argv: list[str]) -> tuple[list[str], list[str]]:
    """Splits `script.py [own args] -- SERVER_ARGV...` into (server argv, own argv); without `--`,
    the server argv comes from WSALLOC_SERVER_CMD."""
    if "--" in argv:
        i = argv.index("--")
        return argv[i + 1:], argv[:i]
    return server_argv_from_env(), argv


def start_watchdog(seconds: int, who: str, exit_code: int = 124) -> None:
    """Bounds the whole run: after `seconds`, SIGKILL the servers this process started (by PID)
    and exit `exit_code`, so a hung case cannot outlive its ctest timeout with servers behind."""
    def expire(signum, frame):
        sys.stderr.write(f"\n{who}: watchdog: still running after {seconds} s; killing the servers "
                         f"it started and exiting {exit_code}\n")
        sys.stderr.flush()
        kill_all_started()
        os._exit(exit_code)
    signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)


def kill_all_started() -> None:
    """Last resort (watchdog, interpreter exit): SIGKILL the servers this process started."""
    for pid, proc in list(_live.items()):
        if proc.poll() is None:
            try:
                os.kill(pid, signal.SIGKILL)
                proc.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        _live.pop(pid, None)


class ServerProcess:
    def __init__(self, argv: list[str], host: str = "127.0.0.1", env: dict | None = None, stderr=None):
        self.argv = list(argv) + ["--host", host, "--port", "0"]
        self.env = env        # None: this process's environment
        self.stderr = stderr  # a file for the server's stderr; None: this process's
        self.host = host
        self.port = None
        self.proc = None
        self.stopped = False

    @classmethod
    def from_env(cls, extra_args=()) -> "ServerProcess":
        return cls(server_argv_from_env() + list(extra_args))

    def start(self) -> "ServerProcess":
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=self.env,
                                     stderr=self.stderr)
        _live[self.proc.pid] = self.proc
        deadline = time.monotonic() + START_TIMEOUT
        buf = b""
        fd = self.proc.stdout.fileno()
        while True:
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                match = _LISTENING.match(line)
                if match:
                    self.host, self.port = match.group(1).decode(), int(match.group(2))
                    self._drain_stdout(buf)
                    return self
                sys.stderr.write(f"[server stdout before 'listening on'] {line.decode(errors='replace')}\n")
            left = deadline - time.monotonic()
            if left <= 0:
                self._kill()
                raise AssertionError(f"server did not print 'listening on HOST:PORT' within {START_TIMEOUT} s: "
                                     f"{shlex.join(self.argv)}")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    code = self.proc.wait(STOP_TIMEOUT)
                    _live.pop(self.proc.pid, None)
                    raise AssertionError(f"server exited with code {code} before listening: {shlex.join(self.argv)}")
                buf += chunk

    def _drain_stdout(self, already: bytes) -> None:
        # A server that logs to stdout must never block on a full pipe; forward its output.
        def run(stream, first):
            if first:
                sys.stderr.write(first.decode(errors="replace"))
            for line in iter(stream.readline, b""):
                sys.stderr.write(f"[server stdout] {line.decode(errors='replace')}")
        threading.Thread(target=run, args=(self.proc.stdout, already), daemon=True).start()

    def assert_running(self) -> None:
        code = self.proc.poll()
        if code is not None:
            _live.pop(self.proc.pid, None)
            raise AssertionError(f"server is no longer running (exit code {code}; negative = killed by signal)")

    def stop(self) -> int:
        """SIGTERM by PID; the server must exit 0 within STOP_TIMEOUT seconds."""
        if self.proc is None or self.stopped:
            return 0
        self.terminate()
        return self.wait_exit()

    def terminate(self) -> None:
        """Sends SIGTERM (once). Pair with wait_exit(); the split lets a case talk to the server
        while it shuts down (e.g. answer its close frames)."""
        if self.stopped:
            return
        self.stopped = True
        code = self.proc.poll()
        if code is not None:
            _live.pop(self.proc.pid, None)
            raise AssertionError(f"server had already exited with code {code} before SIGTERM")
        self._sigterm_at = time.monotonic()
        os.kill(self.proc.pid, signal.SIGTERM)

    def wait_exit(self) -> int:
        """The server must exit with code 0 within STOP_TIMEOUT seconds of terminate()."""
        pid = self.proc.pid
        left = max(0.0, self._sigterm_at + STOP_TIMEOUT - time.monotonic())
        try:
            code = self.proc.wait(left)
        except subprocess.TimeoutExpired:
            self._kill()
            raise AssertionError(f"server did not exit within {STOP_TIMEOUT} s of SIGTERM (killed it)") from None
        _live.pop(pid, None)
        if code != 0:
            raise AssertionError(f"server exited with code {code} on SIGTERM, expected 0 "
                                 f"(after {time.monotonic() - self._sigterm_at:.2f} s)")
        return code

    def _kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(STOP_TIMEOUT)
        if self.proc:
            _live.pop(self.proc.pid, None)
