"""Shared helpers of the Python suites (tests/**/*.py): one home for what every suite needs.

  server_process  start a server (argv, environment such as LD_PRELOAD), read `listening on H:P`
                  with a deadline, watchdog, stop by PID (SIGTERM, SIGKILL after a grace), exit code
  server_case     a unittest mixin: one server per test class, checked alive around each case
  suite_runner    unittest modules against the server in WSALLOC_SERVER_CMD, under the watchdog
  echo_serve      the `listening on H:P` / exit-0-on-SIGTERM contract for Python echo servers

How a suite finds it: each entry script puts tests/ on sys.path with a line marked
"tests/: the package pylib"; run from elsewhere, set PYTHONPATH=<repo>/tests.
"""
