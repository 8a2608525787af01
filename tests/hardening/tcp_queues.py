"""Whether the server has read what a client sent: the kernel's own queues, per connection.

/proc/net/tcp{,6} lists every TCP socket of the network namespace with its send queue (bytes not
yet acknowledged by the peer) and receive queue (bytes the application has not read yet). For a
client socket, "our send queue is empty and the server-side socket's receive queue is empty"
means the server process has read every byte we sent: a condition to poll instead of sleeping
and hoping (a sleep that is too short lets a test pass while exercising another path).
"""
import socket
import time

_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")


def _queues():
    """{(local port, remote port): (send queue, receive queue)} of every TCP socket."""
    out = {}
    for path in _TABLES:
        try:
            with open(path) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, queues = fields[1], fields[2], fields[4]
            tx, rx = (int(x, 16) for x in queues.split(":"))
            out[(int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16))] = (tx, rx)
    return out


def server_has_read_all(sock: socket.socket, server_port: int) -> bool:
    """True when nothing `sock` sent waits in a kernel queue: not in ours (unacknowledged), not in
    the server socket's (unread). A server-side socket that is gone was closed: nothing waits."""
    client_port = sock.getsockname()[1]
    q = _queues()
    ours = q.get((client_port, server_port))
    theirs = q.get((server_port, client_port))
    return (ours is None or ours[0] == 0) and (theirs is None or theirs[1] == 0)


def wait_server_read_all(sock: socket.socket, server_port: int, limit: float = 10.0) -> None:
    """Polls server_has_read_all until it holds; AssertionError after `limit` seconds."""
    deadline = time.monotonic() + limit
    while not server_has_read_all(sock, server_port):
        if time.monotonic() > deadline:
            raise AssertionError(f"the server did not read what {sock.getsockname()} sent within {limit} s")
        time.sleep(0.005)
