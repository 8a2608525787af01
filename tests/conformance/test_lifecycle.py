"""Server lifecycle: SIGTERM with connections open. The wsalloc contract: the server closes its
connections and exits 0. RFC 6455 7.4.1 names 1001 ("going away", e.g. a server going down) as
the code for this; 1000 is accepted too. Each case starts its own server."""
import unittest

from pylib.server_process import ServerProcess
from wsconn import Connection
from wsproto import OP_CLOSE, OP_TEXT


class Lifecycle(unittest.TestCase):
    def setUp(self):
        self.server = ServerProcess.from_env().start()
        self.addCleanup(self._stop_quietly)

    def _stop_quietly(self):
        if not self.server.stopped:
            try:
                self.server.stop()
            except AssertionError:
                pass

    def _connect(self) -> Connection:
        conn = Connection(self.server.host, self.server.port)
        self.addCleanup(conn.close_socket)
        return conn

    def test_sigterm_with_open_connections_sends_going_away_and_exits_0(self):
        idle = self._connect()
        idle.handshake()
        busy = self._connect()
        busy.handshake()
        busy.send_frame(OP_TEXT, b"echo me first")
        busy_echo = busy.recv_message()
        self.assertEqual(busy_echo, (OP_TEXT, b"echo me first"))
        mid_message = self._connect()
        mid_message.handshake()
        mid_message.send_frame(OP_TEXT, b"never finished", fin=False)

        self.server.terminate()
        for name, conn in (("idle", idle), ("after an echo", busy), ("mid-message", mid_message)):
            with self.subTest(connection=name):
                frame = conn.recv_frame(f"a close frame on SIGTERM ({name} connection)")
                self.assertEqual(frame.opcode, OP_CLOSE, f"expected a close frame, got {frame.describe()}")
                self.assertIn(frame.close_code, (1001, 1000), f"close on shutdown: {frame.describe()}")
                try:
                    conn.send_close(frame.close_code)   # the client's half of the closing handshake
                except OSError:
                    pass
                conn.expect_tcp_closed(allow_reset=True)
        self.server.wait_exit()   # exit code 0 within 5 s of SIGTERM

    def test_sigterm_with_a_connection_still_in_handshake_exits_0(self):
        conn = self._connect()
        conn.send_raw(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")   # headers never finished
        self.server.stop()
        try:
            data = conn.sock.recv(4096)
        except ConnectionError:
            data = b""
        # An HTTP error status or a plain close are both fine; a 101 is not.
        self.assertFalse(data.startswith(b"HTTP/1.1 101"), f"server upgraded a half-sent request: {data!r}")


if __name__ == "__main__":
    unittest.main()
