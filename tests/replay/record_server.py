#!/usr/bin/python3
"""A recording proxy that stands in for wsalloc-server, so the suites' byte streams can be kept.

  record_server.py --out DIR [--tag TAG] -- SERVER_ARGV... [--host H --port 0 ...]

Follows the wsalloc-server contract the suites rely on: the argv after `--` (including what the
suite appends: --host, --port, --max-message, ...) starts the real server on a free port; this
process listens on the host and port the suite asked for, prints `listening on H:P`, and forwards
every connection to the real server byte for byte, both ways, with half-closes and resets passed
on. It does not buffer beyond the socket buffers (one blocking thread per direction), so a client
that stops reading still stalls the server. SIGTERM is passed to the server; the proxy exits
with the server's exit code.

Every client-to-server byte stream is written to DIR/TAG-<pid>-<n>.bin as it arrives, and the
server options that shape a session's answers (--max-message, --deflate...) to
DIR/TAG-<pid>-<n>.args, one per line. Segment boundaries are not kept: the replay test
(boundary_replay_test.cpp) tries them. Used only by capture_streams.py, never by the suites in ctest.
"""
import os
import signal
import socket
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: the package pylib
from pylib.server_process import ServerDidNotStart, ServerProcess  # noqa: E402


def option(argv, name, default):
    return argv[argv.index(name) + 1] if name in argv[:-1] else default


def session_options(argv):
    """The server options that change what a session answers: --max-message and --deflate*."""
    out, i = [], 0
    while i < len(argv):
        a = argv[i]
        if a == "--max-message" or a.startswith("--deflate-") and a.endswith("-bits"):
            out += [a, argv[i + 1]]
            i += 2
            continue
        if a.startswith("--deflate"):
            out.append(a)
        i += 1
    return out


def pump(src, dst, record):
    """src -> dst until EOF or error; passes a FIN on as a half-close, an error as a reset."""
    try:
        while True:
            chunk = src.recv(65536)
            if not chunk:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            if record is not None:
                record.write(chunk)
                record.flush()
            dst.sendall(chunk)
    except OSError:
        for s in (src, dst):
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve_one(client, backend_addr, path):
    try:
        server = socket.create_connection(backend_addr, timeout=10)
    except OSError:
        client.close()
        return
    server.settimeout(None)
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    record = open(path, "wb")  # written as bytes arrive: a connection open at SIGTERM is kept too
    up = threading.Thread(target=pump, args=(client, server, record), daemon=True)
    down = threading.Thread(target=pump, args=(server, client, None), daemon=True)
    up.start()
    down.start()
    up.join()
    down.join()
    client.close()
    server.close()
    record.close()


def main(argv):
    if "--" not in argv:
        print("usage: record_server.py --out DIR [--tag TAG] -- SERVER_ARGV...", file=sys.stderr)
        return 2
    cut = argv.index("--")
    own, server_argv = argv[:cut], argv[cut + 1:]
    out = option(own, "--out", None)
    tag = option(own, "--tag", "stream")
    if not out:
        print("record_server.py: --out DIR is required", file=sys.stderr)
        return 2
    os.makedirs(out, exist_ok=True)
    host = option(server_argv, "--host", "127.0.0.1")
    port = int(option(server_argv, "--port", "0"))
    session_args = session_options(server_argv)
    real_argv = list(server_argv)
    if "--port" in real_argv[:-1]:
        real_argv[real_argv.index("--port") + 1] = "0"
    else:
        real_argv += ["--port", "0"]

    try:
        real = ServerProcess(real_argv, listen_args=False).start()  # real_argv names --host and --port 0
    except ServerDidNotStart as e:
        print(f"record_server.py: {e}", file=sys.stderr)
        return 1
    backend = (real.host, real.port)

    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(256)
    print(f"listening on {host}:{listener.getsockname()[1]}", flush=True)

    stopping = threading.Event()

    def on_term(signum, frame):
        stopping.set()
        if real.proc.poll() is None:
            os.kill(real.pid, signal.SIGTERM)  # by PID; its exit code becomes ours below
        listener.close()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    n = 0
    while not stopping.is_set():
        try:
            client, _ = listener.accept()
        except OSError:
            break
        n += 1
        path = os.path.join(out, f"{tag}-{os.getpid()}-{n:04d}.bin")
        with open(path[:-len(".bin")] + ".args", "w") as f:
            f.write("".join(a + "\n" for a in session_args))
        threading.Thread(target=serve_one, args=(client, backend, path), daemon=True).start()
    return real.proc.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
