"""One server per unittest class: the lifecycle the conformance groups and the interop tests share.

Mix it in before the TestCase class (`class T(OneServerPerClass, unittest.TestCase)`; an
IsolatedAsyncioTestCase works the same way, its setUp/tearDown are plain methods too).
setUpClass starts the server from WSALLOC_SERVER_CMD plus SERVER_EXTRA_ARGS; each case checks
that the server is alive before and after it runs, so a case that crashes the server fails,
named, rather than the next one; tearDownClass stops it with SIGTERM and fails unless it exits 0.
"""
from pylib.server_process import ServerProcess


class OneServerPerClass:
    SERVER_EXTRA_ARGS: tuple[str, ...] = ()
    server: ServerProcess = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = ServerProcess.from_env(cls.SERVER_EXTRA_ARGS).start()

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            cls.server.stop()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.server.assert_running()

    def tearDown(self):
        self.server.assert_running()
        super().tearDown()
