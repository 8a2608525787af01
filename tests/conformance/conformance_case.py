"""Base class of every conformance group: one server process per test class (pylib's
OneServerPerClass: started from WSALLOC_SERVER_CMD plus SERVER_EXTRA_ARGS, alive around each case,
stopped with SIGTERM and exit 0 checked); each case opens its own raw connections.
"""
import unittest

from pylib.server_case import OneServerPerClass
from wsconn import Connection


class ServerCase(OneServerPerClass, unittest.TestCase):
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
