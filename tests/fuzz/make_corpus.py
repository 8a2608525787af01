#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/<target>/ (run from anywhere; overwrites seeds
of the same name, leaves other files, e.g. crash regressions and merged inputs, alone).

Every file is a fuzz_plan.hpp input: 1 flags byte, three little-endian uint16 cut points, then the
body. Seeds are small and named after what they exercise.
"""
import os
import struct
import sys
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
KEY = b"\x5a\x17\xc0\xde"


def plan(body, flags=0, cuts=(0, 0, 0)):
    return bytes([flags]) + struct.pack("<HHH", *cuts) + body


def frame(op, payload=b"", fin=True, masked=True, key=KEY, rsv=0, length=None, ext=None):
    """A frame; `length` overrides the declared length, `ext` forces 16 or 64-bit encoding."""
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | rsv | op
    m = 0x80 if masked else 0
    if ext is None:
        ext = 0 if n < 126 else 16 if n <= 0xFFFF else 64
    if ext == 0:
        head = bytes([b0, m | n])
    elif ext == 16:
        head = bytes([b0, m | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, m | 127]) + struct.pack(">Q", n)
    if masked:
        head += key
        payload = bytes(c ^ key[i % 4] for i, c in enumerate(payload))
    return head + payload


TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
UPGRADE = (b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def req(*lines, request_line=b"GET /chat HTTP/1.1"):
    return request_line + b"\r\n" + b"".join(l + b"\r\n" for l in lines) + b"\r\n"


GOOD = [b"Host: server.example.com", b"Upgrade: websocket", b"Connection: Upgrade",
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", b"Sec-WebSocket-Version: 13"]


def without(prefix):
    return [l for l in GOOD if not l.startswith(prefix)]


def close_payload(code, reason=b""):
    return struct.pack(">H", code) + reason


def handshake_seeds():
    s = {}
    s["rfc_sample"] = plan(UPGRADE)
    s["rfc_sample_split_in_terminator"] = plan(UPGRADE, 0, (len(UPGRADE) - 3, len(UPGRADE) - 2, len(UPGRADE) - 1))
    s["rfc_sample_split_in_lines"] = plan(UPGRADE, 0, (5, 40, 100))
    s["lowercase_names_and_tokens"] = plan(req(*[l.lower().replace(b"dghlihnhbxbszsbub25jzq==", b"dGhlIHNhbXBsZSBub25jZQ==") for l in GOOD]))
    s["connection_token_list"] = plan(req(*without(b"Connection"), b"Connection: keep-alive, Upgrade"))
    s["extra_headers"] = plan(req(*GOOD, b"Origin: http://example.com", b"Sec-WebSocket-Protocol: chat, superchat",
                                  b"Sec-WebSocket-Extensions: permessage-deflate", b"User-Agent: fuzz/1.0"))
    s["frames_behind_request"] = plan(UPGRADE + frame(TEXT, b"early"))
    s["missing_host"] = plan(req(*without(b"Host")))
    s["missing_key"] = plan(req(*without(b"Sec-WebSocket-Key")))
    s["key_too_short"] = plan(req(*without(b"Sec-WebSocket-Key"), b"Sec-WebSocket-Key: dGhlIHNhbXBsZQ=="))
    s["key_bad_chars"] = plan(req(*without(b"Sec-WebSocket-Key"), b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j*Q=="))
    s["duplicate_key"] = plan(req(*GOOD, b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="))
    s["duplicate_host"] = plan(req(*GOOD, b"Host: other.example.com"))
    s["version_8"] = plan(req(*without(b"Sec-WebSocket-Version"), b"Sec-WebSocket-Version: 8"))
    s["version_missing"] = plan(req(*without(b"Sec-WebSocket-Version")))
    s["connection_without_upgrade"] = plan(req(*without(b"Connection"), b"Connection: keep-alive"))
    s["not_websocket"] = plan(req(b"Host: x"))
    s["stats"] = plan(req(b"Host: x", request_line=b"GET /stats HTTP/1.1"))
    s["post"] = plan(req(*GOOD, request_line=b"POST /chat HTTP/1.1"))
    s["http_1_0"] = plan(req(*GOOD, request_line=b"GET /chat HTTP/1.0"))
    s["body_content_length"] = plan(req(*GOOD, b"Content-Length: 5") + b"hello")
    s["body_chunked"] = plan(req(*GOOD, b"Transfer-Encoding: chunked"))
    s["bad_content_length"] = plan(req(*GOOD, b"Content-Length: 5x"))
    s["obs_fold"] = plan(req(*GOOD[:2], b" folded", *GOOD[2:]))
    s["line_without_colon"] = plan(req(*GOOD, b"NoColonHere"))
    s["space_before_colon"] = plan(req(*GOOD, b"Origin : x"))
    s["control_byte_in_value"] = plan(req(*GOOD, b"Origin: a\x01b"))
    s["bare_lf_lines"] = plan(UPGRADE.replace(b"\r\n", b"\n"))
    s["incomplete"] = plan(UPGRADE[:-2])
    s["too_large_for_small_limit"] = plan(UPGRADE, 0x80 | 20)  # limit 96 bytes
    s["fits_exact_small_limit"] = plan(req(b"Host: x", request_line=b"GET / HTTP/1.1"), 0x80 | 2)  # 24 bytes
    s["garbage"] = plan(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")
    s["empty"] = plan(b"")
    return s


def frame_seeds():
    s = {}
    s["text_hello"] = plan(frame(TEXT, b"hello"))
    s["binary"] = plan(frame(BINARY, bytes(range(40))))
    s["empty_text"] = plan(frame(TEXT))
    s["empty_binary_then_text"] = plan(frame(BINARY) + frame(TEXT, b"x"))
    s["len16_300"] = plan(frame(BINARY, bytes(i % 251 for i in range(300))), 0, (3, 5, 150))
    s["len64_nonminimal"] = plan(frame(TEXT, b"abc", ext=64))
    s["len16_declared_truncated"] = plan(frame(BINARY, b"x" * 20, length=70000))
    s["fragmented_text"] = plan(frame(TEXT, b"fr", fin=False) + frame(CONT, b"ag", fin=False) + frame(CONT, b"ment"))
    s["fragmented_with_ping"] = plan(frame(TEXT, b"hel", fin=False) + frame(PING, b"?") + frame(CONT, b"lo"), 0, (7, 9, 20))
    s["fragment_empty_final"] = plan(frame(BINARY, b"ab", fin=False) + frame(CONT, b""))
    s["fragment_empty_first"] = plan(frame(TEXT, b"", fin=False) + frame(CONT, b"ok"))
    s["utf8_split_across_fragments"] = plan(frame(TEXT, "h€".encode()[:2], fin=False) + frame(CONT, "h€".encode()[2:]))
    s["ping_pong"] = plan(frame(PING, b"ping") + frame(PONG, b"pong"))
    s["ping_125"] = plan(frame(PING, b"p" * 125), 0, (2, 6, 100))
    s["close_1000"] = plan(frame(CLOSE, close_payload(1000)))
    s["close_reason"] = plan(frame(CLOSE, close_payload(4000, "bye ✓".encode())))
    s["close_empty_then_data"] = plan(frame(CLOSE) + frame(TEXT, b"late"))
    s["close_one_byte"] = plan(frame(CLOSE, b"\x03"))
    s["close_1005"] = plan(frame(CLOSE, close_payload(1005)))
    s["close_999"] = plan(frame(CLOSE, close_payload(999)))
    s["close_1016"] = plan(frame(CLOSE, close_payload(1016)))
    s["close_5000"] = plan(frame(CLOSE, close_payload(5000)))
    s["close_1014"] = plan(frame(CLOSE, close_payload(1014)))
    s["close_reason_bad_utf8"] = plan(frame(CLOSE, close_payload(1000, b"\xc0\xaf")))
    s["unmasked"] = plan(frame(TEXT, b"hi", masked=False))
    s["client_role_unmasked"] = plan(frame(TEXT, b"hi", masked=False) + frame(CLOSE, close_payload(1000), masked=False), 1)
    s["client_role_masked"] = plan(frame(TEXT, b"hi"), 1)
    s["rsv1"] = plan(frame(TEXT, b"x", rsv=0x40))
    s["opcode_3"] = plan(frame(0x3, b"x"))
    s["opcode_b"] = plan(frame(0xB, b"x"))
    s["control_not_fin"] = plan(frame(PING, b"x", fin=False))
    s["control_126"] = plan(frame(PING, b"x" * 126))
    s["continuation_without_start"] = plan(frame(CONT, b"x"))
    s["text_while_open"] = plan(frame(TEXT, b"a", fin=False) + frame(TEXT, b"b"))
    s["len64_top_bit"] = plan(frame(BINARY, b"", length=1 << 63))
    s["utf8_overlong"] = plan(frame(TEXT, b"a\xc0\xafb"))
    s["utf8_surrogate"] = plan(frame(TEXT, b"\xed\xa0\x80"))
    s["utf8_above_max"] = plan(frame(TEXT, b"\xf4\x90\x80\x80"))
    s["utf8_truncated_at_end"] = plan(frame(TEXT, b"ok\xe2\x82"))
    s["utf8_invalid_in_truncated_frame"] = plan(frame(TEXT, b"ab\xff", length=50))
    s["max8_exceeded"] = plan(frame(BINARY, b"123456789"), 0b100)
    s["max300_fragments_exceeded"] = plan(frame(BINARY, b"a" * 200, fin=False) + frame(CONT, b"b" * 101), 0b110)
    s["max_unlimited_huge_declared"] = plan(frame(BINARY, b"x", length=1 << 40), 0b010)
    s["many_small_split"] = plan(b"".join(frame(TEXT if i % 2 else BINARY, bytes([65 + i]) * i) for i in range(12)), 0, (1, 33, 70))
    return s


class Compressor:
    """A permessage-deflate sender on Python's zlib: Z_SYNC_FLUSH, tail removed (RFC 7692 7.2.1)."""

    def __init__(self, bits=15, takeover=True):
        self.bits, self.takeover, self.c = max(9, bits), takeover, None

    def __call__(self, data):
        if not data:
            return b"\x00"
        if self.c is None or not self.takeover:
            self.c = zlib.compressobj(6, zlib.DEFLATED, -self.bits)
        return (self.c.compress(data) + self.c.flush(zlib.Z_SYNC_FLUSH))[:-4]


RSV1 = 0x40


def inflate_seeds():
    # flags: bit 0 client role, bits 1-2 max (0 16 MiB, 1 unlimited, 2 8, 3 300), bits 3-4 window
    # (0 15, 1 8, 2 9, 3 12), bit 5 no takeover, bits 6-7 inflate window (0 1, 1 7, 2 64, 3 64 KiB)
    s = {}
    CLIENT, MAX8, MAX300, W8, W9, W12, NOCTX = 1, 0b100, 0b110, 0b01000, 0b10000, 0b11000, 0x20
    WIN1, WIN7, WIN64, WIN64K = 0x00, 0x40, 0x80, 0xC0
    json = b'{"id":12345,"name":"user","tags":["a","b"],"ok":true},' * 8
    c = Compressor()
    s["text_json"] = plan(frame(TEXT, c(json), rsv=RSV1), WIN64K)
    c = Compressor()
    s["takeover_three_messages"] = plan(b"".join(frame(TEXT, c(json[:n]), rsv=RSV1) for n in (100, 200, 300)), WIN64, (5, 60, 90))
    c = Compressor(takeover=False)
    s["no_takeover_two"] = plan(frame(BINARY, c(json), rsv=RSV1) + frame(BINARY, c(json), rsv=RSV1), NOCTX | WIN7)
    c = Compressor()
    z = c(json)
    s["fragmented_with_ping"] = plan(frame(TEXT, z[:10], fin=False, rsv=RSV1) + frame(PING, b"p") +
                                     frame(CONT, z[10:20], fin=False) + frame(CONT, b"", fin=False) + frame(CONT, z[20:]), WIN7, (3, 17, 30))
    s["empty_message"] = plan(frame(TEXT, b"\x00", rsv=RSV1) + frame(BINARY, b"", rsv=RSV1), WIN1)
    s["plain_between"] = plan(frame(TEXT, b"plain") + frame(TEXT, Compressor()(b"packed"), rsv=RSV1), WIN64)
    s["bomb_max8"] = plan(frame(BINARY, Compressor()(bytes(4000)), rsv=RSV1), MAX8 | WIN7)
    s["bomb_max300"] = plan(frame(BINARY, Compressor()(bytes(4000)), rsv=RSV1), MAX300 | WIN64)
    s["utf8_bad_inside"] = plan(frame(TEXT, Compressor()(b"ok \xc0\xaf " + json), rsv=RSV1), WIN7)
    s["utf8_bad_and_bomb"] = plan(frame(TEXT, Compressor()(b"a" * 100 + b"\xff" + b"b" * 500), rsv=RSV1), MAX300 | WIN64)
    # The invalid byte (index 100) and the byte past 300 come out of one inflate step when the window
    # is large: 1007 must still win, as it does when the bytes trickle in one by one.
    s["regress_utf8_before_limit_in_one_step"] = plan(frame(TEXT, Compressor()(b"a" * 100 + b"\xff" + b"b" * 500), rsv=RSV1),
                                                      MAX300 | WIN64K)
    s["utf8_cut_at_end"] = plan(frame(TEXT, Compressor()("abc€".encode()[:-1]), rsv=RSV1), WIN64K)
    s["garbage"] = plan(frame(BINARY, b"\xff\xfe\xfd\xfc garbage", rsv=RSV1), WIN64)
    s["bfinal_hello"] = plan(frame(TEXT, bytes([0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]), rsv=RSV1), WIN7)
    s["bfinal_then_data"] = plan(frame(TEXT, bytes([0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00]), rsv=RSV1), WIN7)
    s["rsv1_continuation"] = plan(frame(TEXT, Compressor()(json)[:5], fin=False, rsv=RSV1) + frame(CONT, b"x", rsv=RSV1))
    s["rsv1_ping"] = plan(frame(PING, b"x", rsv=RSV1))
    s["rsv2"] = plan(frame(TEXT, b"x", rsv=0x20))
    block = bytes((i * 37) % 251 for i in range(300))
    s["window8_repeats"] = plan(frame(BINARY, Compressor(8)(block * 4), rsv=RSV1), W8 | WIN64)
    s["window9_too_far"] = plan(frame(BINARY, Compressor(15)(block * 4), rsv=RSV1), W9 | WIN64)
    s["window12"] = plan(frame(BINARY, Compressor(12)(block * 20), rsv=RSV1), W12 | WIN64K)
    s["client_role_unmasked"] = plan(frame(TEXT, Compressor()(json), masked=False, rsv=RSV1), CLIENT | WIN64)
    s["wire_limit_max8"] = plan(frame(BINARY, b"", length=1100, rsv=RSV1), MAX8)
    return s


def utf8_seeds():
    s = {}
    s["ascii"] = plan(b"Hello, world! plain ASCII across a few words")
    s["two_byte"] = plan("ü é ß".encode())
    s["three_byte"] = plan("€ 日本語".encode())
    s["four_byte"] = plan("𝄞 😀".encode())
    s["boundaries"] = plan("\u007f\u0080\u07ff\u0800\uffff\U00010000\U0010ffff".encode())
    s["below_surrogates_ed9f"] = plan(b"\xed\x9f\xbf")
    s["overlong_c0"] = plan(b"\xc0\x80")
    s["overlong_c1"] = plan(b"\xc1\xbf")
    s["overlong_e0"] = plan(b"\xe0\x80\x80")
    s["overlong_f0"] = plan(b"\xf0\x80\x80\x80")
    s["surrogate_ed_a0"] = plan(b"\xed\xa0\x80")
    s["above_max_f4_90"] = plan(b"\xf4\x90\x80\x80")
    s["f5"] = plan(b"\xf5\x80\x80\x80")
    s["ff"] = plan(b"a\xff")
    s["stray_continuation"] = plan(b"\x80abc")
    s["truncated_3byte"] = plan(b"abc\xe2\x82")
    s["truncated_4byte"] = plan(b"\xf0\x9f\x98")
    s["lead_then_ascii"] = plan(b"\xe2a")
    s["ascii_runs_then_bad"] = plan(b"A" * 37 + b"\xe2\x82\xac" + b"B" * 17 + b"\xed\xbf\xbf", 3)
    s["ascii_runs_skewed"] = plan(b"x" * 40 + "é".encode() + b"y" * 9, 5, (8, 16, 41))
    s["split_mid_char"] = plan("a€b😀c".encode(), 0, (2, 3, 6))
    s["empty"] = plan(b"")
    return s


def session_seeds():
    s = {}
    STD, SLOW, RAW, SPLIT = 1, 2, 4, 8
    R = len(UPGRADE)
    MAX8, MAX300 = 0x20, 0x30
    B1, B7, B64 = 0x00, 0x40, 0x80
    s["echo_text"] = plan(frame(TEXT, b"hello"))
    s["echo_binary_std"] = plan(frame(BINARY, bytes(range(64))), STD)
    s["echo_empty"] = plan(frame(TEXT) + frame(BINARY))
    s["ping_then_text"] = plan(frame(PING, b"are you there") + frame(TEXT, b"yes"))
    s["pong_ignored"] = plan(frame(PONG, b"x") + frame(TEXT, b"still here"))
    s["fragmented_with_ping_split"] = plan(frame(TEXT, b"hel", fin=False) + frame(PING, b"p") + frame(CONT, b"lo"), 0, (4, 12, 20))
    s["fragmented_binary_merged_read"] = plan(frame(BINARY, b"a" * 30, fin=False) + frame(CONT, b"b" * 30), SPLIT,
                                              (R + 10, R + 40, R + 50))
    s["large_2500_zerocopy_reference"] = plan(frame(BINARY, bytes(i % 256 for i in range(2500))))
    s["large_2500_split"] = plan(frame(TEXT, b"z" * 2500), 0, (1000, 1001, 2000))
    s["large_fragmented"] = plan(frame(BINARY, b"q" * 1500, fin=False) + frame(CONT, b"r" * 1500), STD, (700, 1600, 2900))
    s["many_frames_one_read"] = plan(b"".join(frame(BINARY, b"msg%d" % i) for i in range(40)))
    s["close_4000_then_data"] = plan(frame(CLOSE, close_payload(4000)) + frame(TEXT, b"late"))
    s["close_1012"] = plan(frame(CLOSE, close_payload(1012, b"restart")))
    s["close_empty"] = plan(frame(CLOSE))
    s["close_1005_invalid"] = plan(frame(CLOSE, close_payload(1005)))
    s["unmasked_1002"] = plan(frame(TEXT, b"hi", masked=False))
    s["bad_utf8_1007"] = plan(frame(TEXT, b"ok") + frame(TEXT, b"\xce\xba\xe1\xbd"), 0, (3, 9, 10))
    s["max8_1009"] = plan(frame(BINARY, b"1234567") + frame(BINARY, b"123456789"), MAX8)
    s["max300_fragments_1009"] = plan(frame(TEXT, b"a" * 200, fin=False) + frame(CONT, b"b" * 200), MAX300)
    s["slow_peer_budget_1"] = plan(frame(TEXT, b"one") + frame(PING, b"two") + frame(BINARY, b"three"), SLOW | B1, (3, 9, 20))
    s["slow_peer_budget_7_close"] = plan(frame(BINARY, b"x" * 100) + frame(CLOSE, close_payload(1000)), SLOW | B7)
    s["slow_peer_large"] = plan(frame(BINARY, b"L" * 2600) + frame(TEXT, b"after"), SLOW | B64 | STD, (50, 2000, 2620))
    # Issue 13: a request split across reads, then a frame the zerocopy pipeline references in place
    # (>= 2048 B) in the read that completes the request.
    big = bytes(i * 7 % 256 for i in range(2500))
    s["split_request_then_reference"] = plan(frame(BINARY, big), SPLIT, (40, 0, 0))
    s["split_request_in_terminator_then_reference"] = plan(frame(BINARY, big), SPLIT, (R - 2, 0, 0))
    s["split_request_then_text_2048"] = plan(frame(TEXT, b"t" * 2048) + frame(CLOSE, close_payload(1000)), SPLIT, (1, R, 0))
    s["split_request_and_frame_65536"] = plan(frame(BINARY, bytes(65536)), SPLIT, (30, R + 10, R + 3000))
    s["split_request_slow_peer_reference"] = plan(frame(BINARY, big) + frame(TEXT, b"after"), SPLIT | SLOW | B64,
                                                  (100, R + 1, 0))
    s["split_request_std_reference"] = plan(frame(BINARY, big), SPLIT | STD, (R - 20, 0, 0))
    s["raw_split_request_then_reference"] = plan(UPGRADE + frame(BINARY, big), RAW, (50, 0, 0))
    s["raw_handshake_and_frames"] = plan(UPGRADE + frame(TEXT, b"early"), RAW)
    s["raw_handshake_split"] = plan(UPGRADE + frame(TEXT, b"early"), RAW, (10, 100, len(UPGRADE) + 3))
    s["raw_bad_request"] = plan(req(*without(b"Sec-WebSocket-Key")), RAW)
    s["raw_stats"] = plan(req(b"Host: x", request_line=b"GET /stats HTTP/1.1"), RAW, (5, 0, 0))
    s["raw_not_websocket"] = plan(req(b"Host: x", request_line=b"GET / HTTP/1.1"), RAW)
    s["raw_post"] = plan(req(*GOOD, request_line=b"POST /chat HTTP/1.1"), RAW | SLOW | B7)
    s["raw_incomplete"] = plan(UPGRADE[:60], RAW, (20, 40, 50))
    s["raw_garbage"] = plan(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\nGET", RAW)
    # permessage-deflate: the session fuzzer runs with --deflate on, so a raw request with an offer
    # agrees to it and the replies must come back compressed.
    offer = lambda o: UPGRADE[:-2] + b"Sec-WebSocket-Extensions: " + o + b"\r\n\r\n"
    json = b'{"id":1,"user":"x","ok":true},' * 10
    c = Compressor()
    s["raw_deflate_takeover"] = plan(offer(b"permessage-deflate") + b"".join(
        frame(TEXT, c(json[:n]), rsv=RSV1) for n in (50, 150, 300)) + frame(PING, b"p"), RAW, (len(UPGRADE) + 40, 0, 0))
    c = Compressor(takeover=False)
    s["raw_deflate_no_takeover"] = plan(offer(b"permessage-deflate; client_no_context_takeover; server_no_context_takeover") +
                                        frame(BINARY, c(json), rsv=RSV1) + frame(BINARY, c(json), rsv=RSV1), RAW)
    c = Compressor(8)
    s["raw_deflate_windows_8"] = plan(offer(b"permessage-deflate; server_max_window_bits=8; client_max_window_bits=8") +
                                      frame(TEXT, c(json * 3), rsv=RSV1), RAW | SLOW | B64)
    z = Compressor()(json)
    s["raw_deflate_fragmented"] = plan(offer(b"permessage-deflate") + frame(TEXT, z[:7], fin=False, rsv=RSV1) +
                                       frame(PING, b"q") + frame(CONT, z[7:]), RAW, (len(UPGRADE) + 30, len(UPGRADE) + 45, 0))
    s["raw_deflate_bomb"] = plan(offer(b"permessage-deflate") + frame(BINARY, Compressor()(bytes(3000)), rsv=RSV1), RAW | MAX300)
    s["raw_deflate_bad_offer_then_rsv1"] = plan(offer(b"permessage-deflate; bogus") + frame(TEXT, Compressor()(b"x"), rsv=RSV1), RAW)
    s["raw_deflate_garbage"] = plan(offer(b"permessage-deflate") + frame(TEXT, b"\xff\xff\xff", rsv=RSV1), RAW)
    return s


def main():
    total = 0
    for target, seeds in (("handshake", handshake_seeds()), ("frame_parser", frame_seeds()),
                          ("inflate", inflate_seeds()), ("utf8", utf8_seeds()), ("session", session_seeds())):
        d = os.path.join(ROOT, target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        total += len(seeds)
    print(f"wrote {total} seed files under {ROOT}", file=sys.stderr)


if __name__ == "__main__":
    main()
