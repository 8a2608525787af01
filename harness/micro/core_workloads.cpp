// The protocol core's workloads: header parsing, unmasking, the handshake, UTF-8 validation.
// Inputs are built in the constructors; run() touches only them.
#include <array>
#include <string>

#include "core/frame.hpp"
#include "core/handshake.hpp"
#include "core/utf8.hpp"
#include "micro/client_frames.hpp"
#include "micro/opaque.hpp"
#include "micro/workloads.hpp"

namespace wsalloc::micro {
namespace {

using core::Opcode;

// One iteration = three masked client headers, one per length encoding (7-, 16- and 64-bit).
class FrameParse final : public Workload {
 public:
  FrameParse() {
    const uint64_t lengths[3] = {32, 4096, 1 << 20};
    for (int k = 0; k < 3; ++k) core::write_frame_header(headers_[k].data(), Opcode::Binary, true, lengths[k], kClientMaskKey);
  }
  void run(uint64_t n) override {
    for (uint64_t i = 0; i < n; ++i) {
      const uint8_t* base = headers_[0].data();
      launder_pointer(base);
      for (size_t k = 0; k < 3; ++k) {
        core::FrameHeader h;
        core::parse_frame_header({base + k * core::kMaxFrameHeader, core::kMaxFrameHeader}, h);
        tally_ += h.payload_len + h.header_len;
      }
    }
  }
  uint64_t work_done() const noexcept override { return tally_; }

 private:
  std::array<std::array<uint8_t, core::kMaxFrameHeader>, 3> headers_{};  // contiguous: k * 14 apart
  uint64_t tally_ = 0;
};

// One iteration = apply_mask over 4 KiB (what a server does to a 4 KiB payload).
class Unmask4K final : public Workload {
 public:
  Unmask4K() : data_(binary_payload(4096)) {}
  void run(uint64_t n) override {
    for (uint64_t i = 0; i < n; ++i) {
      auto* p = reinterpret_cast<uint8_t*>(data_.data());
      core::apply_mask(p, data_.size(), kClientMaskKey);
      tally_ += p[i & 4095];
    }
  }
  uint64_t work_done() const noexcept override { return tally_; }

 private:
  std::string data_;
  uint64_t tally_ = 0;
};

// One iteration = parse the browser's upgrade request with a fresh parser (as a session does)
// and compute its Sec-WebSocket-Accept.
class Handshake final : public Workload {
 public:
  Handshake() : request_(kUpgradeRequest) {}
  void run(uint64_t n) override {
    for (uint64_t i = 0; i < n; ++i) {
      const char* p = request_.data();
      launder_pointer(p);
      core::HandshakeParser parser;
      if (parser.feed({p, request_.size()}) != core::HandshakeStatus::Accepted) continue;
      char accept[28];
      core::compute_accept_key(parser.request().key, accept);
      tally_ += static_cast<uint8_t>(accept[0]) + parser.request().header_bytes;
    }
  }
  uint64_t work_done() const noexcept override { return tally_; }

 private:
  std::string request_;
  uint64_t tally_ = 0;
};

// One iteration = utf8_valid over 4 KiB of the given text.
class Utf8Valid final : public Workload {
 public:
  explicit Utf8Valid(std::string text) : text_(std::move(text)) {}
  void run(uint64_t n) override {
    for (uint64_t i = 0; i < n; ++i) {
      const auto* p = reinterpret_cast<const uint8_t*>(text_.data());
      launder_pointer(p);
      tally_ += core::utf8_valid({p, text_.size()}) ? text_.size() : 0;
    }
  }
  uint64_t work_done() const noexcept override { return tally_; }

 private:
  std::string text_;
  uint64_t tally_ = 0;
};

}  // namespace

void add_core_workloads(std::vector<WorkloadSpec>& out) {
  out.push_back({"frame_parse", 200'000, 64, [] { return std::make_unique<FrameParse>(); }});
  out.push_back({"unmask_4k", 10'000, 16, [] { return std::make_unique<Unmask4K>(); }});
  out.push_back({"handshake", 5'000, 16, [] { return std::make_unique<Handshake>(); }});
  out.push_back({"utf8_ascii_4k", 10'000, 16, [] { return std::make_unique<Utf8Valid>(ascii_text(4096)); }});
  out.push_back({"utf8_multibyte_4k", 500, 16,
                 [] { return std::make_unique<Utf8Valid>(multibyte_text(4096)); }});
}

}  // namespace wsalloc::micro
