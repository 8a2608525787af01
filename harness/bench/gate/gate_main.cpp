// wsalloc-gate: `wsbench gate` on its own (the same code, add_gate_command), so the gate and its
// tests build without the rest of wsbench's command line.
//   wsalloc-gate gate [options]   (see gate_command.hpp)
#include <CLI/CLI.hpp>

#include "bench/gate/gate_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"wsalloc-gate: the CI regression gate (same as `wsbench gate`)", "wsalloc-gate"};
  app.require_subcommand(1);
  wsalloc::bench::gate::add_gate_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : wsalloc::bench::gate::kGateHarnessError;
  }
  return wsalloc::bench::gate::kGateHarnessError;  // the gate callback exits; reaching here is a bug
}
