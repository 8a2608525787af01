"""Opening handshake (RFC 6455 section 4): the 101 answer, its Sec-WebSocket-Accept, and the
error statuses for requests that are not a valid version-13 upgrade."""
import base64
import unittest

import wsproto
from conformance_case import ServerCase
from wsconn import build_request
from wsproto import OP_BINARY, OP_PING, OP_TEXT

RFC_SAMPLE_KEY = "dGhlIHNhbXBsZSBub25jZQ=="          # RFC 6455 section 1.3
RFC_SAMPLE_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


class Handshake(ServerCase):
    def _request(self, raw: bytes, split=None, delay=0.0):
        conn = self.connect()
        conn.send_raw(raw, split=split, delay=delay)
        return conn, conn.read_http_response(read_body_to_eof=True)

    def _expect_status(self, raw: bytes, status: int | tuple, what: str):
        conn, response = self._request(raw)
        accepted = status if isinstance(status, tuple) else (status,)
        self.assertIn(response.status, accepted,
                      f"{what}: expected HTTP {status}, got {response.status} {response.reason}: {response.raw!r}")
        return response

    def _assert_live(self, conn):
        conn.send_frame(OP_TEXT, b"alive?")
        self.assert_echo(conn, OP_TEXT, b"alive?")
        conn.close_cleanly()

    def test_handshake_answers_101_with_rfc_sample_accept_key(self):
        conn = self.connect()
        conn.send_raw(build_request(RFC_SAMPLE_KEY))
        response = conn.read_http_response()
        self.assertEqual(response.status, 101, response.raw)
        self.assertEqual(response.header("Sec-WebSocket-Accept"), RFC_SAMPLE_ACCEPT)
        self.assertEqual((response.header("Upgrade") or "").lower(), "websocket")
        tokens = [t.strip().lower() for t in (response.header("Connection") or "").split(",")]
        self.assertIn("upgrade", tokens, f"Connection header {response.header('Connection')!r}")
        self.assertIsNone(response.header("Sec-WebSocket-Extensions"), "no extension was offered")
        self._assert_live(conn)

    def test_handshake_accept_key_matches_for_random_keys(self):
        for i in range(5):
            with self.subTest(i=i):
                conn = self.connect()
                conn.handshake()          # checks Sec-WebSocket-Accept against SHA-1 + base64
                conn.close_cleanly()

    def test_handshake_on_any_path(self):
        conn = self.connect()
        conn.handshake(path="/some/deep/path?query=1&x=%20")
        self._assert_live(conn)

    def test_handshake_header_names_and_tokens_are_case_insensitive(self):
        key = wsproto.new_client_key()
        raw = (f"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nUPGRADE: WebSocket\r\n"
               f"connection: keep-alive, UPGRADE\r\nsec-websocket-key: {key}\r\n"
               f"SEC-WEBSOCKET-VERSION: 13\r\n\r\n").encode()
        conn = self.connect()
        conn.send_raw(raw)
        response = conn.read_http_response()
        self.assertEqual(response.status, 101, response.raw)
        self.assertEqual(response.header("Sec-WebSocket-Accept"), wsproto.accept_key(key))
        self._assert_live(conn)

    def test_handshake_missing_key_gets_400(self):
        self._expect_status(build_request(None), 400, "no Sec-WebSocket-Key")

    def test_handshake_malformed_key_gets_400(self):
        bad_keys = {
            "not_base64": "this is not base64!!",
            "15_bytes": base64.b64encode(b"x" * 15).decode(),
            "17_bytes": base64.b64encode(b"x" * 17).decode(),
            "empty": "",
        }
        for name, key in bad_keys.items():
            with self.subTest(key=name):
                self._expect_status(build_request(key), 400, f"Sec-WebSocket-Key {key!r}")

    def test_handshake_duplicate_key_gets_400(self):
        # RFC 6455 section 11.3.1: Sec-WebSocket-Key MUST NOT appear more than once.
        raw = build_request(wsproto.new_client_key(), extra=[("Sec-WebSocket-Key", wsproto.new_client_key())])
        self._expect_status(raw, 400, "two Sec-WebSocket-Key headers")

    def test_handshake_missing_host_gets_400(self):
        self._expect_status(build_request(wsproto.new_client_key(), host=None), 400, "no Host")

    def test_handshake_http_1_0_gets_400(self):
        self._expect_status(build_request(wsproto.new_client_key(), http_version="HTTP/1.0"), 400, "HTTP/1.0")

    def test_handshake_post_gets_405(self):
        self._expect_status(build_request(wsproto.new_client_key(), method="POST"), 405, "POST")

    def test_handshake_version_8_gets_426_naming_version_13(self):
        response = self._expect_status(build_request(wsproto.new_client_key(), version="8"), 426, "version 8")
        versions = ",".join(response.header_all("Sec-WebSocket-Version"))
        self.assertIn("13", [v.strip() for v in versions.split(",")],
                      f"426 must carry Sec-WebSocket-Version: 13 (RFC 6455 4.4); got {response.raw!r}")

    def test_handshake_missing_version_is_refused(self):
        # RFC 6455 4.2.2 asks for "an appropriate error code"; the wsalloc contract says 426.
        self._expect_status(build_request(wsproto.new_client_key(), version=None), (400, 426), "no version")

    def test_handshake_connection_without_upgrade_token_is_refused(self):
        # RFC 6455 4.2.1 item 4; 4.2.2 leaves the code open (400 "such as"); wsalloc answers 426.
        raw = build_request(wsproto.new_client_key(), connection="keep-alive")
        self._expect_status(raw, (400, 426), "Connection without the upgrade token")

    def test_handshake_headers_over_8kib_without_end_get_431(self):
        raw = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nX-Padding: "
               + b"a" * 9000)     # never ends the headers: the limit, not the blank line, must trigger
        self._expect_status(raw, 431, "9 KB of unterminated headers")

    def test_handshake_complete_request_with_9kib_header_gets_431(self):
        raw = build_request(wsproto.new_client_key(), extra=[("X-Padding", "b" * 9000)])
        self._expect_status(raw, 431, "a complete request with a 9000-byte header")

    def test_handshake_request_split_into_1_byte_writes(self):
        conn = self.connect()
        conn.handshake(split=1, delay=0.001)
        self._assert_live(conn)

    def test_handshake_request_split_at_random_points(self):
        conn = self.connect()
        conn.handshake(split="random", delay=0.001)
        self._assert_live(conn)

    def test_frames_in_the_same_write_as_the_handshake_are_processed(self):
        frames = (wsproto.encode_frame(OP_TEXT, b"first")
                  + wsproto.encode_frame(OP_BINARY, bytes(range(256)))
                  + wsproto.encode_frame(OP_PING, b"p"))
        conn = self.connect()
        conn.handshake(trailing=frames)
        self.assert_echo(conn, OP_TEXT, b"first")
        self.assert_echo(conn, OP_BINARY, bytes(range(256)))
        conn.expect_pong(b"p")
        conn.close_cleanly()


if __name__ == "__main__":
    unittest.main()
