"""Starts and stops a server under test: the one process launcher of the Python suites.

A server follows the wsalloc-server contract: it takes `--host H --port 0` (appended here unless
listen_args=False), prints one line `listening on HOST:PORT` when ready, and exits 0 on SIGTERM.
ServerProcess starts it (argv, environment, e.g. LD_PRELOAD, stderr, preexec_fn), waits for the
ready line until START_TIMEOUT (then kills it by PID and fails, naming the command), and stops it
with SIGTERM by PID, SIGKILL after STOP_TIMEOUT, asserting exit code 0. start_watchdog() bounds a
whole run; every server still running when the watchdog fires or the interpreter exits is killed
by PID, so no child outlives its test.

The server command of the conformance-style suites comes from the environment variable
WSALLOC_SERVER_CMD (a shell-quoted argv, e.g. "build/bin/wsalloc-server --variant malloc") or from
the suite's argv after `--` (take_server_argv).
"""
import atexit
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


class ServerDidNotStart(AssertionError):
    """The server exited, or stayed silent past START_TIMEOUT, before `listening on H:P`.
    exit_code: its exit status (None: it was killed at the deadline)."""
    def __init__(self, message: str, exit_code: int | None):
        super().__init__(message)
        self.exit_code = exit_code


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
    # Called from the SIGALRM handler too: iterate over a copy, the main thread may be mid-update.
    for pid, proc in list(_live.items()):
        if proc.poll() is None:
            try:
                os.kill(pid, signal.SIGKILL)
                proc.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        _live.pop(pid, None)


# A server a case forgot to stop (or an exception skipped) is killed when the interpreter exits.
atexit.register(kill_all_started)


def environment_with(**variables: str) -> dict:
    """This process's environment plus `variables` (e.g. LD_PRELOAD=lib, WSALLOC_MALLOCCOUNT_FILE=f)."""
    return dict(os.environ, **variables)


class ServerProcess:
    def __init__(self, argv: list[str], host: str = "127.0.0.1", env: dict | None = None, stderr=None,
                 listen_args: bool = True, preexec_fn=None, start_timeout: float | None = None,
                 stop_timeout: float | None = None):
        # listen_args=False: argv already names where to listen (a proxy that forwards its own).
        self.argv = list(argv) + (["--host", host, "--port", "0"] if listen_args else [])
        self.env = env        # None: this process's environment
        self.stderr = stderr  # a file for the server's stderr; None: this process's
        self.preexec_fn = preexec_fn  # run in the child before exec (e.g. a seccomp filter)
        self.start_timeout = START_TIMEOUT if start_timeout is None else start_timeout
        self.stop_timeout = STOP_TIMEOUT if stop_timeout is None else stop_timeout  # SIGTERM to SIGKILL
        self.host = host
        self.port = None
        self.proc = None
        self.stopped = False

    @classmethod
    def from_env(cls, extra_args=()) -> "ServerProcess":
        return cls(server_argv_from_env() + list(extra_args))

    def start(self) -> "ServerProcess":
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=self.env,
                                     stderr=self.stderr, preexec_fn=self.preexec_fn)
        _live[self.proc.pid] = self.proc
        deadline = time.monotonic() + self.start_timeout
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
                raise ServerDidNotStart(f"server did not print 'listening on HOST:PORT' within {self.start_timeout} s "
                                        f"(killed it): {shlex.join(self.argv)}", None)
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    code = self.proc.wait(STOP_TIMEOUT)
                    _live.pop(self.proc.pid, None)
                    raise ServerDidNotStart(f"server exited with code {code} before listening: {shlex.join(self.argv)}",
                                            code)
                buf += chunk

    def _drain_stdout(self, already: bytes) -> None:
        # A server that logs to stdout must never block on a full pipe; forward its output.
        def run(stream, first):
            if first:
                sys.stderr.write(first.decode(errors="replace"))
            for line in iter(stream.readline, b""):
                sys.stderr.write(f"[server stdout] {line.decode(errors='replace')}")
        threading.Thread(target=run, args=(self.proc.stdout, already), daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def assert_running(self) -> None:
        code = self.proc.poll()
        if code is not None:
            _live.pop(self.proc.pid, None)
            raise AssertionError(f"server is no longer running (exit code {code}; negative = killed by signal)")

    def stop(self) -> int:
        """SIGTERM by PID; the server must exit 0 within stop_timeout seconds (else SIGKILL, and fail)."""
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
        """The server must exit with code 0 within stop_timeout seconds of terminate(); past that
        it is killed (SIGKILL, by PID) and this fails."""
        pid = self.proc.pid
        left = max(0.0, self._sigterm_at + self.stop_timeout - time.monotonic())
        try:
            code = self.proc.wait(left)
        except subprocess.TimeoutExpired:
            self._kill()
            raise AssertionError(f"server did not exit within {self.stop_timeout} s of SIGTERM (killed it)") from None
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
