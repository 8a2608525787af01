// The pipelines' workloads: one echo round trip per iteration, for each variant and message shape.
#include <string>

#include "micro/callgrind_bracket.hpp"
#include "micro/client_frames.hpp"
#include "micro/echo_rig.hpp"
#include "micro/workloads.hpp"

namespace wsalloc::micro {
namespace {

template <class Variant>
class Echo final : public Workload {
 public:
  explicit Echo(EchoShape shape) : msg_(build_echo_message(shape)), rig_(msg_.wire.size()) {}
  void run(uint64_t n) override {
    for (uint64_t i = 0; i < n; ++i) {
      {
        UncountedSection harness_only;  // the copy stands in for recv(): the kernel's work, not ours
        rig_.load(msg_.wire);
      }
      rig_.process();
    }
  }
  uint64_t work_done() const noexcept override { return rig_.bytes_written(); }

 private:
  EchoMessage msg_;
  EchoRig<Variant> rig_;
};

// Sized for roughly equal callgrind time per workload (see WorkloadSpec::default_iterations).
uint64_t default_iterations(EchoShape shape) {
  switch (shape) {
    case EchoShape::Binary32: return 10'000;
    case EchoShape::Text512: return 5'000;
    case EchoShape::Binary64K: return 100;
    case EchoShape::Fragmented4x1K: return 2'000;
  }
  return 0;
}

}  // namespace

void add_pipeline_workloads(std::vector<WorkloadSpec>& out) {
  for (EchoShape shape : kEchoShapes) {
    for_each_variant([&]<class Variant>() {
      out.push_back({std::string(shape_name(shape)) + "_" + std::string(Variant::kName), default_iterations(shape),
                     16, [shape] { return std::make_unique<Echo<Variant>>(shape); }});
    });
  }
}

}  // namespace wsalloc::micro
