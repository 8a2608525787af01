#include "replay_corpus.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "core/frame.hpp"

namespace wsalloc::testing {
namespace {

[[noreturn]] void bad(const std::filesystem::path& file, size_t line, const std::string& what) {
  throw std::runtime_error(file.string() + ":" + std::to_string(line) + ": " + what);
}

uint32_t parse_key(const std::filesystem::path& file, size_t line, const std::string& hex) {
  if (hex.size() != 8 || hex.find_first_not_of("0123456789abcdef") != std::string::npos)
    bad(file, line, "mask key '" + hex + "' is not 8 lowercase hex digits");
  uint8_t wire[4];
  for (int i = 0; i < 4; ++i) wire[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  uint32_t key;
  std::memcpy(&key, wire, 4);  // key_wire convention (core/frame.hpp)
  return key;
}

void append_generated(std::string& out, bool text, size_t n, uint32_t key) {
  const size_t at = out.size();
  out += generated_payload(n, text);
  core::apply_mask(reinterpret_cast<uint8_t*>(out.data() + at), n, key);
}

}  // namespace

std::string generated_payload(size_t n, bool text) {
  std::string s;
  s.reserve(n);
  if (!text) {
    for (size_t i = 0; i < n; ++i) s += static_cast<char>(i * 131 + 7);
    return s;
  }
  static const std::string_view kChars[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9d\x84\x9e"};  // a é € 𝄞
  for (size_t i = 0; s.size() + kChars[i % 4].size() <= n; ++i) s += kChars[i % 4];
  s.resize(n, 'z');  // whole characters only; ASCII to the exact size
  return s;
}

ReplayStream load_recipe(const std::filesystem::path& file, const std::string& name) {
  std::ifstream in(file, std::ios::binary);
  if (!in) bad(file, 0, "cannot open");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ReplayStream s{name, {}, {}, {}};
  size_t pos = 0, line = 0;
  while (pos < text.size()) {
    ++line;
    const size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) bad(file, line, "directive without a newline");
    const std::string directive = text.substr(pos, eol - pos);
    pos = eol + 1;
    const size_t sp = directive.find(' ');
    const std::string word = directive.substr(0, sp);
    const std::string args = sp == std::string::npos ? "" : directive.substr(sp + 1);
    size_t used = 0;
    const size_t n = args.empty() || word == "server_args" ? 0 : std::stoull(args, &used);
    if (word == "server_args") {
      std::vector<std::string> words;
      for (size_t at = 0; at < args.size();) {
        const size_t next = std::min(args.find(' ', at), args.size());
        if (next > at) words.push_back(args.substr(at, next - at));
        at = next + 1;
      }
      try {
        s.limits = limits_from_args(words);
      } catch (const std::exception& e) {
        bad(file, line, e.what());
      }
    } else if (word == "raw") {
      if (text.size() - pos < n + 1 || text[pos + n] != '\n')
        bad(file, line, "raw block of " + std::to_string(n) + " B runs past the end or lacks its newline");
      s.bytes.append(text, pos, n);
      line += static_cast<size_t>(std::count(text.begin() + static_cast<ptrdiff_t>(pos),
                                             text.begin() + static_cast<ptrdiff_t>(pos + n), '\n')) + 1;
      pos += n + 1;
    } else if (word == "binary" || word == "text") {
      append_generated(s.bytes, word == "text", n, parse_key(file, line, args.substr(std::min(used + 1, args.size()))));
    } else if (word == "repeat") {
      const size_t length = std::stoull(args.substr(std::min(used + 1, args.size())));
      if (length == 0 || length > s.bytes.size())
        bad(file, line, "repeat of the last " + std::to_string(length) + " B, but the stream has " +
                            std::to_string(s.bytes.size()));
      const std::string unit = s.bytes.substr(s.bytes.size() - length);
      for (size_t i = 0; i < n; ++i) s.bytes += unit;
    } else {
      bad(file, line, "unknown directive '" + word + "' (expected server_args, raw, binary, text or repeat)");
    }
  }
  s.landmarks = structure_offsets(s.bytes);
  return s;
}

variants::SessionLimits limits_from_args(const std::vector<std::string>& args) {
  variants::SessionLimits limits;
  auto value = [&](size_t& i) {
    if (i + 1 >= args.size()) throw std::invalid_argument("server option " + args[i] + " without its value");
    return std::stoull(args[++i]);
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    core::DeflateConfig& d = limits.deflate;
    if (a == "--max-message") {
      limits.protocol.max_message = value(i);
    } else if (a == "--deflate") {
      d.enabled = true;
    } else if (a == "--deflate-server-max-window-bits") {
      d.server_max_window_bits = static_cast<uint8_t>(value(i));
    } else if (a == "--deflate-client-max-window-bits") {
      d.client_max_window_bits = static_cast<uint8_t>(value(i));
    } else if (a == "--deflate-server-no-context-takeover") {
      d.server_no_context_takeover = true;
    } else if (a == "--deflate-client-no-context-takeover") {
      d.client_no_context_takeover = true;
    } else {
      throw std::invalid_argument("server option '" + a + "' unknown to the replay (limits_from_args)");
    }
  }
  return limits;
}

std::vector<ReplayStream> load_suite(const std::filesystem::path& dir, const std::string& suite) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(dir / suite))
    for (const auto& e : std::filesystem::directory_iterator(dir / suite))
      if (e.path().extension() == ".stream") files.push_back(e.path());
  if (files.empty())
    throw std::runtime_error("no .stream recipes in " + (dir / suite).string() +
                             " (tests/replay/capture_streams.py writes them)");
  std::sort(files.begin(), files.end());
  std::vector<ReplayStream> out;
  for (const auto& f : files) out.push_back(load_recipe(f, suite + "/" + f.stem().string()));
  return out;
}

std::vector<size_t> structure_offsets(const std::string& stream) {
  std::vector<size_t> at;
  const size_t head = stream.find("\r\n\r\n");
  if (head == std::string::npos) return at;
  size_t pos = head + 4;
  at.push_back(pos);
  const auto* p = reinterpret_cast<const uint8_t*>(stream.data());
  while (pos < stream.size()) {
    core::FrameHeader h;
    if (core::parse_frame_header({p + pos, stream.size() - pos}, h) == core::HeaderParse::NeedMore) break;
    if (h.payload_len > stream.size() - pos - h.header_len) {
      at.push_back(pos + h.header_len);
      break;
    }
    pos += h.header_len;
    at.push_back(pos);
    pos += static_cast<size_t>(h.payload_len);
    at.push_back(pos);
  }
  return at;
}

}  // namespace wsalloc::testing
