"""permessage-deflate (RFC 7692), in the manner of Autobahn sections 12 and 13 where they apply to
an echo server, plus the failures RFC 7692 names.

  12.x  compressed echoes of text and binary payloads (repetitive, JSON-like, random) of 16 B to
        128 KiB, many messages on one connection (context takeover carries across them)
  13.x  the same under different offers: client/server_no_context_takeover, server_max_window_bits
        and client_max_window_bits from 8 to 15, several offers in one request (first acceptable
        wins), offers the server must decline (handshake completes without the extension)
  own   fragmented and byte-split compressed messages, RSV1 misuse (1002), decompression bombs
        (1009 while inflating), invalid compressed data and invalid UTF-8 inside it (1007), a
        server without --deflate, and a server with limits of its own.
The client's compressor and decompressor are Python's zlib (wsproto.Deflate), not the server's.
"""
import os
import random
import unittest

import wsproto
from conformance_case import ServerCase
from wsproto import OP_BINARY, OP_CONT, OP_PING, OP_TEXT, RSV1, RSV2, Deflate

MAX_MESSAGE = 1 << 20
SIZES = (16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072)


def payload_of(kind: str, size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    if kind == "random":
        return rng.randbytes(size)
    if kind == "repetitive":
        return (b"Hello, world! " * (size // 14 + 1))[:size]
    # JSON-like text: repeated keys, varying values, multi-byte characters
    out = []
    n = 0
    while n < size:
        item = f'{{"id":{rng.randrange(10**6)},"user":"κόσμε-{rng.randrange(1000)}","ok":{str(rng.random() < .5).lower()}}},'
        out.append(item)
        n += len(item.encode())
    data = "".join(out).encode()[:size]
    return data.decode("utf-8", "ignore").encode()   # cut on a character boundary


def deflate_for(response_value: str, offer_client_bits: int | None = None) -> Deflate:
    """The client's side of what the response agreed (RFC 7692 7.1)."""
    name, params = wsproto.parse_extension_params(response_value)
    assert name == "permessage-deflate", response_value
    client_bits = int(params["client_max_window_bits"]) if params.get("client_max_window_bits") else (offer_client_bits or 15)
    return Deflate(client_bits=client_bits,
                   client_takeover="client_no_context_takeover" not in params,
                   server_bits=int(params.get("server_max_window_bits") or 15),
                   server_takeover="server_no_context_takeover" not in params)


class DeflateCase(ServerCase):
    def open_deflate(self, offers=("permessage-deflate",), expect: str | None = "permessage-deflate",
                     offer_client_bits: int | None = None):
        conn = self.connect()
        response = conn.handshake(extensions=list(offers))
        got = response.header_all("Sec-WebSocket-Extensions")
        if expect is None:
            self.assertEqual(got, [], f"offers {offers}: the server must decline, but answered {got}")
            return conn
        self.assertEqual(got, [expect], f"offers {offers}")
        conn.enable_deflate(deflate_for(expect, offer_client_bits))
        return conn

    def echo_compressed(self, conn, opcode: int, payload: bytes, what: str, fragments: int = 1, split=None):
        conn.send_compressed(opcode, payload, fragments=fragments, split=split)
        self.assert_echo(conn, opcode, payload, what)
        self.assertTrue(conn.last_compressed, f"{what}: the echo should come back compressed (RSV1)")


class DeflateEcho(DeflateCase):
    SERVER_EXTRA_ARGS = ("--deflate", "--max-message", str(MAX_MESSAGE))

    # ---- 12.x: payloads

    def test_compressed_echo_of_every_payload_kind_and_size(self):
        for kind, opcode in (("repetitive", OP_TEXT), ("json", OP_TEXT), ("random", OP_BINARY), ("repetitive", OP_BINARY)):
            with self.subTest(kind=kind, opcode=wsproto.OPCODE_NAMES[opcode]):
                conn = self.open_deflate()
                for size in SIZES:
                    for i in range(5):
                        self.echo_compressed(conn, opcode, payload_of(kind, size, size + i), f"{kind} {size} B #{i}")
                    if kind != "random":
                        self.assertLess(conn.last_wire_bytes, size // 2 + 16,
                                        f"{kind} {size} B: the server's reply is hardly compressed")
                conn.close_cleanly()

    def test_many_small_messages_in_one_write_keep_their_order(self):
        conn = self.open_deflate()
        messages = [payload_of("json", 50 + i, i) for i in range(300)]
        conn.send_raw(b"".join(wsproto.encode_frame(OP_TEXT, conn.deflate.compress(m), rsv=RSV1) for m in messages))
        for i, m in enumerate(messages):
            self.assert_echo(conn, OP_TEXT, m, f"message {i}")
        conn.close_cleanly()

    # ---- 13.x: parameters

    def test_offers_and_the_response_the_server_gives(self):
        cases = [
            (["permessage-deflate"], "permessage-deflate", None),
            (["permessage-deflate; client_max_window_bits"], "permessage-deflate", 15),
            (["permessage-deflate; client_no_context_takeover"], "permessage-deflate; client_no_context_takeover", None),
            (["permessage-deflate; server_no_context_takeover"], "permessage-deflate; server_no_context_takeover", None),
            (["permessage-deflate; server_no_context_takeover; client_no_context_takeover"],
             "permessage-deflate; server_no_context_takeover; client_no_context_takeover", None),
            *[([f"permessage-deflate; server_max_window_bits={b}"], f"permessage-deflate; server_max_window_bits={b}", None)
              for b in range(8, 16)],
            # an offered client window is only a hint (7.1.2.2): the server names what it inflates with
            *[([f"permessage-deflate; client_max_window_bits={b}"],
               f"permessage-deflate; client_max_window_bits={b}" if b < 15 else "permessage-deflate", b)
              for b in range(8, 16)],
            (["permessage-deflate; server_max_window_bits=9; client_max_window_bits=8; server_no_context_takeover"],
             "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits=8", 8),
            (['permessage-deflate; server_max_window_bits="10"'], "permessage-deflate; server_max_window_bits=10", None),
            # several offers, one header or several: the first acceptable one wins
            (["permessage-deflate; server_max_window_bits=10, permessage-deflate"],
             "permessage-deflate; server_max_window_bits=10", None),
            (["x-webkit-deflate-frame", "permessage-deflate; unknown=1, permessage-deflate; server_max_window_bits=12"],
             "permessage-deflate; server_max_window_bits=12", None),
        ]
        for offers, expect, client_bits in cases:
            with self.subTest(offers=offers):
                conn = self.open_deflate(offers, expect, client_bits)
                for size in (10, 300, 5000, 70000):
                    for i in range(3):
                        self.echo_compressed(conn, OP_TEXT, payload_of("json", size, i), f"{offers}: {size} B #{i}")
                        self.echo_compressed(conn, OP_BINARY, payload_of("random", size, i), f"{offers}: {size} B #{i}")
                conn.close_cleanly()

    def test_repeats_at_300_bytes_under_8_bit_windows_both_ways(self):
        # Beyond a 256-byte window: the client inflates strictly with 8 bits, the server is held to
        # the 8 bits the client promised.
        conn = self.open_deflate(["permessage-deflate; server_max_window_bits=8; client_max_window_bits=8"],
                                 "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8", 8)
        block = os.urandom(300)
        self.echo_compressed(conn, OP_BINARY, block * 40, "300-byte repeats")
        conn.close_cleanly()

    def test_invalid_offers_are_declined_and_the_handshake_completes(self):
        for offer in ("permessage-deflate; unknown_param", "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                      "permessage-deflate; server_max_window_bits", "permessage-deflate; server_max_window_bits=7",
                      "permessage-deflate; server_max_window_bits=16", "permessage-deflate; server_max_window_bits=08",
                      "permessage-deflate; client_max_window_bits=16", "permessage-deflate; client_no_context_takeover=1",
                      "permessage-deflate;", 'permessage-deflate; server_max_window_bits="1 0"', "deflate-frame"):
            with self.subTest(offer=offer):
                conn = self.open_deflate([offer], None)
                conn.send_frame(OP_TEXT, b"plain after a declined offer")
                self.assert_echo(conn, OP_TEXT, b"plain after a declined offer")
                conn.close_cleanly()

    # ---- fragmentation and splitting

    def test_fragmented_compressed_messages_split_in_any_way(self):
        conn = self.open_deflate()
        for fragments, split in ((2, None), (5, "random"), (3, 1)):
            payload = payload_of("json", 3000, fragments)
            self.echo_compressed(conn, OP_TEXT, payload, f"{fragments} fragments, split {split}", fragments=fragments, split=split)
        conn.close_cleanly()

    def test_ping_between_compressed_fragments_is_answered_uncompressed(self):
        conn = self.open_deflate()
        z = conn.deflate.compress(payload_of("json", 2000, 1))
        half = len(z) // 2
        conn.send_raw(wsproto.encode_frame(OP_TEXT, z[:half], fin=False, rsv=RSV1)
                      + wsproto.encode_frame(OP_PING, b"in between")
                      + wsproto.encode_frame(OP_CONT, z[half:]))
        conn.expect_pong(b"in between")
        self.assert_echo(conn, OP_TEXT, payload_of("json", 2000, 1))
        conn.close_cleanly()

    def test_uncompressed_and_empty_messages_on_a_compressed_connection(self):
        conn = self.open_deflate()
        conn.send_frame(OP_BINARY, b"not compressed")
        self.assert_echo(conn, OP_BINARY, b"not compressed")
        self.echo_compressed(conn, OP_TEXT, b"", "an empty compressed text message")
        self.echo_compressed(conn, OP_BINARY, b"", "an empty compressed binary message")
        conn.close_cleanly()

    def test_final_block_message_is_accepted(self):
        # RFC 7692 7.2.3.4: a sender may end with a BFINAL block instead of a sync flush.
        conn = self.open_deflate(["permessage-deflate; client_no_context_takeover"],
                                 "permessage-deflate; client_no_context_takeover")
        conn.send_frame(OP_TEXT, bytes([0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]), rsv=RSV1)
        self.assert_echo(conn, OP_TEXT, b"Hello")
        conn.close_cleanly()

    # ---- failures

    def test_rsv1_on_a_continuation_frame_fails_with_1002(self):
        conn = self.open_deflate()
        z = conn.deflate.compress(b"abcdef" * 100)
        conn.send_raw(wsproto.encode_frame(OP_TEXT, z[:5], fin=False, rsv=RSV1)
                      + wsproto.encode_frame(OP_CONT, z[5:], rsv=RSV1))
        conn.expect_close(1002)

    def test_rsv1_on_control_frames_fails_with_1002(self):
        for opcode, payload in ((OP_PING, b"x"), (wsproto.OP_PONG, b""), (wsproto.OP_CLOSE, b"\x03\xe8")):
            with self.subTest(opcode=wsproto.OPCODE_NAMES[opcode]):
                conn = self.open_deflate()
                conn.send_frame(opcode, payload, rsv=RSV1)
                conn.expect_close(1002)

    def test_rsv2_and_rsv3_still_fail_with_1002(self):
        for rsv in (RSV2, wsproto.RSV3, RSV1 | RSV2):
            with self.subTest(rsv=hex(rsv)):
                conn = self.open_deflate()
                conn.send_frame(OP_TEXT, conn.deflate.compress(b"hello"), rsv=rsv)
                conn.expect_close(1002)

    def test_decompression_bomb_is_refused_with_1009(self):
        # 64 MiB of zeros compress to about 64 KiB: far under the wire limit, so only a check of
        # the inflated size while inflating can refuse it; a server that inflated it all first
        # would take a long time and much memory before answering.
        conn = self.open_deflate()
        z = conn.deflate.compress(bytes(64 << 20))
        self.assertLess(len(z), MAX_MESSAGE)
        conn.send_frame(OP_BINARY, z, rsv=RSV1)
        conn.expect_close(1009)

    def test_bomb_in_fragments_is_refused_with_1009(self):
        conn = self.open_deflate()
        z = conn.deflate.compress(bytes(8 << 20))
        conn.send_raw(b"".join(wsproto.encode_frame(OP_TEXT if i == 0 else OP_CONT, z[i:i + 1000],
                                                    fin=i + 1000 >= len(z), rsv=RSV1 if i == 0 else 0)
                               for i in range(0, len(z), 1000)))
        conn.expect_close(1009)

    def test_message_of_exactly_the_maximum_inflated_size_is_echoed(self):
        conn = self.open_deflate()
        self.echo_compressed(conn, OP_BINARY, bytes(MAX_MESSAGE), "a compressed message of exactly --max-message")
        conn.close_cleanly()

    def test_invalid_compressed_data_fails_with_1007(self):
        conn = self.open_deflate()
        conn.send_frame(OP_BINARY, b"\xff\xfe\xfd\xfc not deflate", rsv=RSV1)
        conn.expect_close(1007)

    def test_invalid_utf8_inside_compressed_text_fails_with_1007(self):
        conn = self.open_deflate()
        conn.send_compressed(OP_TEXT, b"valid start \xc0\xaf invalid" + b"x" * 5000)
        conn.expect_close(1007)

    def test_bytes_after_a_final_block_fail_with_1007(self):
        conn = self.open_deflate(["permessage-deflate; client_no_context_takeover"],
                                 "permessage-deflate; client_no_context_takeover")
        conn.send_frame(OP_TEXT, bytes([0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00]), rsv=RSV1)
        conn.expect_close(1007)


class DeflateOff(DeflateCase):
    """A server started without --deflate: every offer is declined, RSV1 is a protocol error."""

    def test_offers_are_declined_and_plain_echo_works(self):
        conn = self.open_deflate(["permessage-deflate; client_max_window_bits"], None)
        conn.send_frame(OP_TEXT, b"plain")
        self.assert_echo(conn, OP_TEXT, b"plain")
        self.assertFalse(conn.last_compressed)
        conn.close_cleanly()

    def test_compressed_frame_without_agreement_fails_with_1002(self):
        conn = self.open_deflate(["permessage-deflate"], None)
        conn.send_frame(OP_TEXT, Deflate().compress(b"hello"), rsv=RSV1)
        conn.expect_close(1002)


class DeflateServerLimits(DeflateCase):
    """A server with limits of its own: small windows, no context takeover either way."""
    SERVER_EXTRA_ARGS = ("--deflate", "--deflate-server-max-window-bits", "10", "--deflate-client-max-window-bits", "9",
                         "--deflate-server-no-context-takeover", "--deflate-client-no-context-takeover")
    AGREED = ("permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
              "server_max_window_bits=10; client_max_window_bits=9")

    def test_offer_without_client_max_window_bits_is_declined(self):
        # RFC 7692 7.1.2.2: the server may not name a client window the offer did not mention.
        self.open_deflate(["permessage-deflate"], None).close_cleanly()

    def test_next_offer_naming_the_parameter_is_taken(self):
        conn = self.open_deflate(["permessage-deflate, permessage-deflate; client_max_window_bits"], self.AGREED)
        for i in range(20):
            self.echo_compressed(conn, OP_TEXT, payload_of("json", 1000 + 500 * i, i), f"message {i}")
        conn.close_cleanly()

    def test_client_keeps_its_own_smaller_window(self):
        conn = self.open_deflate(["permessage-deflate; client_max_window_bits=8; server_max_window_bits=12"],
                                 "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                                 "server_max_window_bits=10; client_max_window_bits=8", 8)
        self.echo_compressed(conn, OP_BINARY, os.urandom(200) * 50, "200-byte repeats")
        conn.close_cleanly()


if __name__ == "__main__":
    unittest.main()
