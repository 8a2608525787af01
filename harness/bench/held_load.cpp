#include "bench/held_load.hpp"

#include <thread>

#include <fmt/core.h>

#include "load/exit_code.hpp"

namespace wsalloc::bench {

class HeldWindow final : public LoadRun {
 public:
  HeldWindow(HeldLoad& load, double warmup_s, double duration_s) : load_(load) {
    command_ = fmt::format("{} (held; window {}: {} s + {} s)", load.command(), ++load.windows_, warmup_s, duration_s);
    // A line always fits in the pipe. A write that fails (wsload exited) leaves the window to end
    // with the process: wait() sees the exit.
    load.child_.write_stdin(fmt::format("window {} {}\n", warmup_s, duration_s));
  }

  bool wait(std::chrono::milliseconds max_wait) override {
    if (look()) return true;
    if (!markers_.empty()) return false;  // the caller samples the server at it now
    wait_for_stderr(load_.child_, load_.err_open_, max_wait);
    return look();
  }

  std::vector<WindowMarker> take_markers() override { return std::exchange(markers_, {}); }

  void abort() override { load_.child_.terminate(std::chrono::milliseconds(500)); }

  LoadResult finish() override {
    load_.drain();
    scan();
    LoadResult r;
    r.error_text = load_.err_.substr(load_.err_.size() > 2048 ? load_.err_.size() - 2048 : 0);
    const size_t nl = load_.out_.find('\n', load_.out_used_);
    if (done_ && nl != std::string::npos) {
      r.wsload = nlohmann::json::parse(load_.out_.substr(load_.out_used_, nl - load_.out_used_), nullptr, false);
      load_.out_used_ = nl + 1;
      if (r.wsload.is_discarded() || !r.wsload.is_object()) r.wsload = nullptr;
    }
    if (r.wsload.is_object()) {
      // The window's own exit code, as wsload would give a run of its own (load/exit_code.hpp).
      const bool timed_out = r.wsload.value("timed_out", false);
      const bool errors = r.wsload.contains("errors") && r.wsload["errors"].value("total", 0) > 0;
      r.status = ExitStatus{ExitStatus::How::Exited,
                            static_cast<int>(timed_out ? load::ExitCode::Timeout : errors ? load::ExitCode::Errors : load::ExitCode::Ok)};
    } else if (load_.child_.status()) {
      r.status = *load_.child_.status();
    } else {
      r.status = ExitStatus{ExitStatus::How::Exited, static_cast<int>(load::ExitCode::Internal)};
      r.error_text += "\n(the held wsload gave no result for the window)";
    }
    return r;
  }

 private:
  // Reads what wsload printed, picks out the markers; true once the window is done (or wsload exited).
  bool look() {
    load_.drain();
    scan();
    return done_ || load_.child_.poll().has_value();
  }

  // This window's markers from the lines wsload printed on stderr since the last look.
  void scan() {
    size_t nl;
    std::string& err = load_.err_;
    while ((nl = err.find('\n', load_.err_scanned_)) != std::string::npos) {
      const std::string_view line(err.data() + load_.err_scanned_, nl - load_.err_scanned_);
      load_.err_scanned_ = nl + 1;
      if (line.find("window start") != std::string_view::npos) {
        markers_.push_back(WindowMarker::Start);
      } else if (line.find("window end") != std::string_view::npos) {
        markers_.push_back(WindowMarker::End);
      } else if (line.find("window done") != std::string_view::npos) {
        done_ = true;
      }
    }
  }

  HeldLoad& load_;
  std::vector<WindowMarker> markers_;
  bool done_ = false;
};

HeldLoad::HeldLoad(std::vector<std::string> argv) {
  SpawnSpec spec;
  spec.argv = std::move(argv);
  spec.stdin_pipe = true;
  spec.stdout_pipe = true;
  spec.stderr_pipe = true;
  command_ = format_command({}, spec.argv);
  child_ = ChildProcess::spawn(spec);
}

HeldLoad::~HeldLoad() { close(); }

std::unique_ptr<LoadRun> HeldLoad::window(double warmup_s, double duration_s) {
  return std::make_unique<HeldWindow>(*this, warmup_s, duration_s);
}

void HeldLoad::drain() {
  if (out_open_) out_open_ = child_.drain_stdout(out_);
  if (err_open_) err_open_ = child_.drain_stderr(err_);
  // What earlier windows left read is dropped, so a case's hundred windows do not pile up.
  if (out_used_ > 0 && out_used_ == out_.size()) {
    out_.clear();
    out_used_ = 0;
  }
  if (err_scanned_ > 65536) {
    err_.erase(0, err_scanned_);
    err_scanned_ = 0;
  }
}

void HeldLoad::close(std::chrono::milliseconds grace) {
  if (!child_.running()) return;
  child_.close_stdin();
  // Keep reading while it closes, so it never blocks on a full pipe.
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!child_.poll() && std::chrono::steady_clock::now() < deadline) {
    drain();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!child_.status()) child_.terminate(std::chrono::milliseconds(500));
}

}  // namespace wsalloc::bench
