#!/usr/bin/python3
"""Captures the client byte streams the suites send, for the boundary-replay test.

  capture_streams.py --server build/bin/wsalloc-server [--beast build/bin/wsalloc_interop_beast_test]
                     [--out tests/replay/streams] [--raw DIR [--recipes-only]]

Runs the conformance groups, the hardening groups (hostile with a fixed seed, timeouts), the
route tests and the interop clients (Python websockets, Boost.Beast) against wsalloc-server
behind record_server.py, which keeps every client-to-server byte stream. Each stream is then
written as a replay recipe (format below) into --out/<suite>/, one file per distinct stream.
Re-run it when a suite learns new cases; the recipes are committed, so the replay test needs
neither Python nor a server.

Streams are kept up to the first frame boundary past 2 MiB (MAX_STREAM below).

Recipe format (`.stream`): text lines, each either a directive or a block header followed by
its bytes:
    server_args A B ...    the server options that shape a session's answers, as the suite gave
                           them (--max-message N, --deflate and its --deflate-* options)
    raw N                  N bytes copied verbatim follow, then a newline
    binary N KEY           N payload bytes of a binary frame: generated, masked with KEY (8 hex)
    text N KEY             N payload bytes of a text frame: generated UTF-8, masked with KEY
    repeat N LEN           the last LEN bytes so far, N more times (a flood of identical frames)
Only payloads are ever generated, and only where their content cannot change the server's
answer beyond the echo itself: binary data (an echo server never looks at it) and text that is
valid UTF-8 on its own, i.e. starts and ends on a character boundary (replaced by other such
text, of 1- to 4-byte characters, UTF-8 validation fails or passes at the same byte: at the
first one when the message's previous frame ended inside a character, nowhere otherwise).
Payloads of up to 64 B, other text, the HTTP request, every frame header, control frames and
anything that does not parse as a frame are kept byte for byte. The expansion is in
replay_corpus.cpp (generated_payload).
"""
import argparse
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
PY = "/usr/bin/python3"
KEEP_VERBATIM = 64  # payloads up to this size are kept byte for byte
# A stream is kept up to the first frame boundary past this: the hostile suite's good client
# echoes for a whole case class (up to 230 MiB) and its floods repeat one frame; the first 2 MiB
# hold every kind of frame they send, and replaying the rest would only repeat them.
MAX_STREAM = 2 * 1024 * 1024
NON_UPGRADE_KEEP = 16 * 1024  # twice the 8 KiB header limit: the server decides within it, reads no further
# Compressed payloads cannot be generated, so a recipe with large compressed messages is as large
# as its stream. Beyond this size only the first recipe of a suite and tag is kept: the deflate
# suites send the same large messages in many cases (differently masked), which adds replay time
# but no new boundary.
LARGE_RECIPE = 192 * 1024


def run(cmd, env=None, timeout=900):
    print("capture:", " ".join(cmd[:6]), "...", file=sys.stderr)
    r = subprocess.run(cmd, env=env, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:  # the proxy may change timing; the streams are what matters here
        print(f"capture: exit {r.returncode} (kept the streams anyway): {r.stderr.strip()[-300:]}", file=sys.stderr)


def recorder(raw, tag, server_argv):
    return [PY, os.path.join(HERE, "record_server.py"), "--out", raw, "--tag", tag, "--"] + server_argv


def capture_all(args, raw):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", WSALLOC_HOSTILE_SEED="6455")
    conformance = os.path.join(TESTS, "conformance")
    groups = sorted(f[len("test_"):-3] for f in os.listdir(conformance) if f.startswith("test_") and f.endswith(".py"))
    for g in groups:
        run([PY, os.path.join(conformance, "run_group.py"), g, "--"] +
            recorder(os.path.join(raw, "conformance"), g, [args.server, "--variant", "malloc"]), env)
    for g in ("hostile", "timeouts"):
        run([PY, os.path.join(TESTS, "hardening", f"test_{g}.py"), "--"] +
            recorder(os.path.join(raw, "hardening"), g, [args.server, "--variant", "malloc"]), env)
    run([PY, os.path.join(TESTS, "routes", "test_routes.py"), "--"] +
        recorder(os.path.join(raw, "routes"), "routes", [args.server, "--variant", "malloc"]), env)
    run([PY, os.path.join(TESTS, "interop", "run_interop.py"), "--"] +
        recorder(os.path.join(raw, "interop"), "websockets", [args.server, "--variant", "malloc"]), env)
    run([PY, os.path.join(TESTS, "interop", "run_interop.py"), "--module", "test_websockets_deflate", "--"] +
        recorder(os.path.join(raw, "interop"), "websockets_deflate", [args.server, "--variant", "malloc", "--deflate"]),
        env)
    if args.beast:
        run([args.beast, "--"] + recorder(os.path.join(raw, "interop"), "beast", [args.server, "--variant", "malloc"]),
            env)


# ---- recipes -----------------------------------------------------------------------------------

class Recipe:
    def __init__(self, server_args):
        self.parts = [("server_args " + " ".join(server_args)).rstrip().encode() + b"\n"]
        self.pending = bytearray()

    def raw(self, b):
        self.pending += b

    def generated(self, kind, n, key):
        self._flush()
        self.parts.append(f"{kind} {n} {key.hex()}\n".encode())

    def repeat(self, n, length):
        self._flush()
        self.parts.append(f"repeat {n} {length}\n".encode())

    def _flush(self):
        if self.pending:
            self.parts.append(f"raw {len(self.pending)}\n".encode() + bytes(self.pending) + b"\n")
            self.pending = bytearray()

    def bytes(self):
        self._flush()
        return b"".join(self.parts)


def unmask(payload, key):
    n = len(payload)
    if n == 0 or not key:
        return bytes(payload)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def utf8_on_its_own(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def is_upgrade(head):
    text = head.decode("latin-1").lower()
    return text.startswith("get ") and "upgrade:" in text and "websocket" in text


def recipe_for(stream, server_args):
    """The stream as a recipe: request and headers verbatim, large payloads generated."""
    r = Recipe(server_args)
    end = stream.find(b"\r\n\r\n", 0, 64 * 1024)
    if end < 0 or not is_upgrade(stream[:end]):
        r.raw(stream[:NON_UPGRADE_KEEP])
        return r.bytes()
    pos = end + 4
    r.raw(stream[:pos])
    message_op, message_compressed = 0, False
    previous, repeats = None, 0  # the last frame kept verbatim, and how often it came again since
    view = memoryview(stream)
    while pos < min(len(stream), MAX_STREAM):
        b = view[pos:]  # a view: slicing the bytes would copy the rest of the stream per frame
        if len(b) < 2:
            break
        b0, b1 = b[0], b[1]
        op, masked, len7 = b0 & 0x0F, b1 & 0x80, b1 & 0x7F
        ext = 0 if len7 < 126 else 2 if len7 == 126 else 8
        head_len = 2 + ext + (4 if masked else 0)
        if len(b) < head_len:
            break
        n = len7 if ext == 0 else struct.unpack(">H" if ext == 2 else ">Q", b[2:2 + ext])[0]
        key = bytes(b[2 + ext:head_len]) if masked else b""
        valid = masked and (b0 & 0x30) == 0 and op in (0, 1, 2, 8, 9, 10)
        if not valid:
            break  # the server fails the connection here: what follows is kept verbatim below
        if op in (1, 2):
            message_op = op
            message_compressed = (b0 & 0x40) != 0  # RSV1: permessage-deflate's compressed bit
        body = bytes(b[head_len:head_len + n])
        whole = bytes(b[:head_len]) + body
        pos += len(whole)
        if whole == previous:
            repeats += 1
            continue
        if repeats:
            r.repeat(repeats, len(previous))
            repeats = 0
        previous = None
        plain = unmask(body, key)
        data = op in (0, 1, 2) and not message_compressed  # compressed bytes are kept as they are
        text = (op == 1) or (op == 0 and message_op == 1)
        if data and len(body) > KEEP_VERBATIM and (not text or utf8_on_its_own(plain)):
            r.raw(whole[:head_len])
            r.generated("text" if text else "binary", len(body), key)
        else:
            r.raw(whole)
            previous = whole
    if repeats:
        r.repeat(repeats, len(previous))
    if pos < MAX_STREAM:  # what follows a frame the server fails at, or a partial frame
        r.raw(stream[pos:pos + NON_UPGRADE_KEEP])
    return r.bytes()


def write_recipes(raw, out):
    if os.path.isdir(out):
        shutil.rmtree(out)
    seen = set()
    large = set()  # (suite, tag) that has a recipe over LARGE_RECIPE already
    count = {}
    for suite in sorted(os.listdir(raw)):
        for name in sorted(os.listdir(os.path.join(raw, suite))):
            if not name.endswith(".bin"):
                continue
            tag = name.split("-", 1)[0]
            with open(os.path.join(raw, suite, name), "rb") as f:
                stream = f.read()
            if not stream:
                continue
            with open(os.path.join(raw, suite, name[:-len(".bin")] + ".args")) as f:
                server_args = f.read().split()
            recipe = recipe_for(stream, server_args)
            digest = hashlib.sha256(recipe).hexdigest()
            if digest in seen or (len(recipe) > LARGE_RECIPE and (suite, tag) in large):
                continue
            seen.add(digest)
            if len(recipe) > LARGE_RECIPE:
                large.add((suite, tag))
            n = count[(suite, tag)] = count.get((suite, tag), 0) + 1
            os.makedirs(os.path.join(out, suite), exist_ok=True)
            with open(os.path.join(out, suite, f"{tag}-{n:03d}.stream"), "wb") as f:
                f.write(recipe)
    for (suite, tag), n in sorted(count.items()):
        print(f"capture: {suite}/{tag}: {n} streams", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", help="wsalloc-server (Release) to capture against")
    ap.add_argument("--beast", help="wsalloc_interop_beast_test, to capture the Beast client's streams too")
    ap.add_argument("--out", default=os.path.join(HERE, "streams"))
    ap.add_argument("--raw", help="keep the raw captured streams here (default: a temporary directory)")
    ap.add_argument("--recipes-only", action="store_true", help="only rewrite the recipes from an earlier --raw")
    args = ap.parse_args()
    raw = args.raw or tempfile.mkdtemp(prefix="wsalloc-capture-")
    try:
        if not args.recipes_only:
            capture_all(args, raw)
        write_recipes(raw, args.out)
    finally:
        if not args.raw:
            shutil.rmtree(raw, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
