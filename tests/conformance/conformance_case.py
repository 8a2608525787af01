"""Base class of every conformance group: one server process per test class.

setUpClass starts the server from WSALLOC_SERVER_CMD (plus SERVER_EXTRA_ARGS), each case opens
its own connections, tearDownClass stops the server with SIGTERM and fails if it did not exit 0.
"""
import unittest

from server_process import ServerProcess
from wsconn import Connection


class ServerCase(unittest.TestCase):
    SERVER_EXTRA_ARGS: tuple[str, ...] = ()
    server: ServerProcess = None

    @classmethod
    def setUpClass(cls):
        cls.server = ServerProcess.from_env(cls.SERVER_EXTRA_ARGS).start()

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            cls.server.stop()

    def setUp(self):
        self.server.assert_running()

    def tearDown(self):
        # A case that crashes the server fails here, named, rather than in the next case.
        self.server.assert_running()

    def connect(self) -> Connection:
        conn = Connection(self.server.host, self.server.port)
        self.addCleanup(conn.close_socket)
        return conn

    def open(self) -> Connection:
        """A connection past a checked 101 handshake."""
        conn = self.connect()
        conn.handshake()
        return conn

    def assert_echo(self, conn: Connection, opcode: int, payload: bytes, what: str = "the echo") -> None:
        got_op, got = conn.recv_message(what)
        self.assertEqual(got_op, opcode, f"{what}: opcode")
        if got != payload:
            self.fail(f"{what}: payload differs (got {len(got)} B, expected {len(payload)} B; "
                      f"first difference at {next((i for i, (a, b) in enumerate(zip(got, payload)) if a != b), min(len(got), len(payload)))})")
