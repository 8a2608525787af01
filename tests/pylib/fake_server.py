#!/usr/bin/python3
"""A stand-in child for test_server_process.py: behaves as told, well or badly.

  fake_server.py MODE [--host H --port P]   (the flags ServerProcess appends; checked, not used)

MODE: ready             prints `listening on 127.0.0.1:4242`, exits 0 on SIGTERM
      ready-from-env    the same, with the port taken from WSALLOC_FAKE_PORT
      silent            never prints the ready line, sleeps
      exit-3            exits 3 before the ready line
      ignores-term      ready, then ignores SIGTERM (only SIGKILL ends it)
      exit-5-on-term    ready, exits 5 on SIGTERM
"""
import os
import signal
import sys
import time

mode = sys.argv[1]
if sys.argv[2:] not in ([], ["--host", "127.0.0.1", "--port", "0"]):
    sys.stderr.write(f"fake_server.py: unexpected arguments {sys.argv[2:]}\n")
    sys.exit(9)
if mode == "exit-3":
    sys.exit(3)
if mode == "silent":
    time.sleep(120)
    sys.exit(0)
on_term = {"ignores-term": signal.SIG_IGN, "exit-5-on-term": lambda *_: os._exit(5)}.get(mode, lambda *_: os._exit(0))
signal.signal(signal.SIGTERM, on_term)
port = os.environ["WSALLOC_FAKE_PORT"] if mode == "ready-from-env" else "4242"
print(f"listening on 127.0.0.1:{port}", flush=True)
time.sleep(120)
