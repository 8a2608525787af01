// Fuzz target: the HTTP upgrade parser and response writer (core/handshake.hpp).
//
// Input (fuzz_plan.hpp): flags bit 7 set = max_header_bytes 16 + 4 * (flags & 0x7F) (16..524 B),
// clear = the 8 KiB default; the cuts are the sizes of the partial requests fed before the whole.
// The body is what a client sent. As the caller contract says, each feed() gets all bytes received
// so far: once the whole, then the planned prefixes (each an exact-size heap copy, so reading past
// the bytes received is an ASan report) then the whole, then every prefix one byte longer than the
// last. Checked: the status and every request field do not depend on the feeds before the last;
// Incomplete / HeadersTooLarge / a verdict follow from where the first "\r\n\r\n" is and the limit;
// a verdict is sticky and reset() starts over; the request's views lie inside the head; Accepted
// implies GET, a 16-byte base64 key, version 13 and both upgrade tokens; every verdict has a
// response that fits 512 bytes, starts with its status code, and is refused (0) one byte short.
#include "core/handshake.hpp"

#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "fuzz_plan.hpp"

namespace wsalloc::fuzz {
namespace {

using core::HandshakeStatus;

constexpr std::string_view kEnd = "\r\n\r\n";

// The request with its views turned into strings: comparable across buffers.
struct Fields {
  std::vector<std::string> values;
  size_t header_bytes = 0;
  bool operator==(const Fields&) const = default;
};

Fields fields_of(const core::HandshakeRequest& r) {
  Fields f;
  for (std::string_view v : {r.method, r.target, r.host, r.key, r.version, r.upgrade, r.connection, r.protocol,
                             r.extensions, r.origin})
    f.values.emplace_back(v);
  f.header_bytes = r.header_bytes;
  return f;
}

struct Verdict {
  HandshakeStatus status;
  Fields fields;
};

Verdict verdict_of(const core::HandshakeParser& p, HandshakeStatus s) {
  return {s, s == HandshakeStatus::Incomplete ? Fields{} : fields_of(p.request())};
}

void expect_same(const Verdict& got, const Verdict& want, const char* how) {
  FUZZ_CHECK(got.status == want.status, "{}: status {}, but {} when fed whole", how, static_cast<int>(got.status),
             static_cast<int>(want.status));
  FUZZ_CHECK(got.fields == want.fields, "{}: status {} with different request fields (header_bytes {} vs {})", how,
             static_cast<int>(got.status), got.fields.header_bytes, want.fields.header_bytes);
}

class ExactCopy {
 public:
  explicit ExactCopy(std::string_view s) : mem_(std::make_unique<char[]>(s.size())), size_(s.size()) {
    if (size_ != 0) std::memcpy(mem_.get(), s.data(), size_);
  }
  std::string_view view() const { return {mem_.get(), size_}; }

 private:
  std::unique_ptr<char[]> mem_;
  size_t size_;
};

bool ihas_token(std::string_view list, std::string_view lower_token) {
  std::string l(list);
  for (char& c : l) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  size_t from = 0;
  while (from <= l.size()) {
    size_t comma = l.find(',', from);
    std::string_view item = std::string_view(l).substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == lower_token) return true;
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return false;
}

void check_verdict(const core::HandshakeParser& p, HandshakeStatus s, std::string_view received, size_t max) {
  const size_t term = received.find(kEnd);
  const bool head_in_limit = term != std::string_view::npos && term + kEnd.size() <= max;
  if (!head_in_limit) {
    const HandshakeStatus want = received.size() >= max ? HandshakeStatus::HeadersTooLarge : HandshakeStatus::Incomplete;
    FUZZ_CHECK(s == want, "status {} for {} bytes without a head end within max_header_bytes {} (want {})",
               static_cast<int>(s), received.size(), max, static_cast<int>(want));
    return;
  }
  FUZZ_CHECK(s != HandshakeStatus::Incomplete && s != HandshakeStatus::HeadersTooLarge,
             "status {} although the head ends at byte {} within max_header_bytes {}", static_cast<int>(s),
             term + kEnd.size(), max);
  const core::HandshakeRequest& r = p.request();
  FUZZ_CHECK(r.header_bytes == term + kEnd.size(), "header_bytes {} but the first head end is at {}", r.header_bytes,
             term + kEnd.size());

  if (s == HandshakeStatus::Accepted || s == HandshakeStatus::NotWebSocket) {
    const char* lo = received.data();
    const char* hi = lo + r.header_bytes;
    for (std::string_view v : {r.method, r.target, r.host, r.key, r.version, r.upgrade, r.connection, r.protocol,
                               r.extensions, r.origin}) {
      FUZZ_CHECK(v.empty() || (v.data() >= lo && v.data() + v.size() <= hi),
                 "a request field of {} bytes lies outside the {}-byte head", v.size(), r.header_bytes);
    }
    FUZZ_CHECK(r.method == "GET", "status {} for method '{}'", static_cast<int>(s), r.method);
  }
  if (s == HandshakeStatus::Accepted) {
    bool key_ok = r.key.size() == 24 && r.key[22] == '=' && r.key[23] == '=';
    for (size_t i = 0; key_ok && i < 22; ++i) {
      const char c = r.key[i];
      key_ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    }
    FUZZ_CHECK(key_ok, "accepted with Sec-WebSocket-Key '{}'", r.key);
    FUZZ_CHECK(r.version == "13", "accepted with Sec-WebSocket-Version '{}'", r.version);
    FUZZ_CHECK(ihas_token(r.upgrade, "websocket"), "accepted with Upgrade '{}'", r.upgrade);
    FUZZ_CHECK(ihas_token(r.connection, "upgrade"), "accepted with Connection '{}'", r.connection);
  }
}

void check_response(const core::HandshakeParser& p, HandshakeStatus s) {
  if (s == HandshakeStatus::Incomplete) return;
  const core::HandshakeRequest& r = p.request();
  char out[512];
  const size_t n = core::write_handshake_response(s, r, out, sizeof out);
  FUZZ_CHECK(n > 0, "no response for status {} within 512 bytes", static_cast<int>(s));
  const std::string_view resp(out, n);
  const int code = core::http_status_code(s);
  FUZZ_CHECK(resp.starts_with("HTTP/1.1 " + std::to_string(code) + " "), "status {} (HTTP {}) answered '{}'",
             static_cast<int>(s), code, resp.substr(0, 40));
  const size_t head = resp.find(kEnd);
  FUZZ_CHECK(head != std::string_view::npos, "response for status {} has no end of head", static_cast<int>(s));
  const std::string_view body = resp.substr(head + kEnd.size());
  if (s == HandshakeStatus::Accepted) {
    char accept[28];
    core::compute_accept_key(r.key, accept);
    FUZZ_CHECK(resp.find("Sec-WebSocket-Accept: " + std::string(accept, 28) + "\r\n") != std::string_view::npos,
               "101 without the accept key for '{}'", r.key);
    FUZZ_CHECK(body.empty(), "101 followed by {} body bytes", body.size());
  } else {
    FUZZ_CHECK(resp.find("Content-Length: " + std::to_string(body.size()) + "\r\n") != std::string_view::npos,
               "HTTP {} with a {}-byte body and no matching Content-Length", code, body.size());
  }
  // One byte short: must refuse, and must not write past the end (exact heap buffer for ASan).
  auto small = std::make_unique<char[]>(n - 1);
  const size_t refused = core::write_handshake_response(s, r, small.get(), n - 1);
  FUZZ_CHECK(refused == 0, "response of {} bytes reported as {} with cap {}", n, refused, n - 1);
}

}  // namespace
}  // namespace wsalloc::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wsalloc;
  using namespace wsalloc::fuzz;
  const FuzzPlan plan(data, size);
  const core::HandshakeLimits limits{
      .max_header_bytes = (plan.flags & 0x80) ? 16 + 4 * size_t{plan.flags & 0x7Fu} : core::HandshakeLimits{}.max_header_bytes};
  const ExactCopy whole({reinterpret_cast<const char*>(plan.body.data()), plan.body.size()});

  core::HandshakeParser p(limits);
  const HandshakeStatus s = p.feed(whole.view());
  check_verdict(p, s, whole.view(), limits.max_header_bytes);
  check_response(p, s);
  const Verdict want = verdict_of(p, s);
  expect_same(verdict_of(p, p.feed(whole.view())), want, "fed again (sticky)");

  p.reset();
  // Kept alive to the end: a verdict reached on a prefix keeps its views into that prefix's copy.
  std::vector<std::unique_ptr<ExactCopy>> prefixes;
  for (size_t cut : plan.cuts) {
    const ExactCopy& prefix = *prefixes.emplace_back(std::make_unique<ExactCopy>(whole.view().substr(0, cut)));
    const HandshakeStatus partial = p.feed(prefix.view());
    core::HandshakeParser fresh(limits);
    expect_same(verdict_of(p, partial), verdict_of(fresh, fresh.feed(prefix.view())), "planned prefix");
  }
  expect_same(verdict_of(p, p.feed(whole.view())), want, "planned prefixes, then whole");

  core::HandshakeParser bytewise(limits);
  HandshakeStatus b = HandshakeStatus::Incomplete;
  for (size_t i = 1; i <= whole.view().size(); ++i) b = bytewise.feed(whole.view().substr(0, i));
  expect_same(verdict_of(bytewise, b), want, "one byte more per feed");
  return 0;
}
