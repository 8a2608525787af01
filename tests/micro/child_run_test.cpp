#include "micro/child_run.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace wsalloc::micro {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    std::string p = (fs::temp_directory_path() / "micro-child-run.XXXXXX").string();
    path = mkdtemp(p.data());
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const char* name) const { return (path / name).string(); }
  fs::path path;
};

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ChildRun, reports_the_exit_code_and_keeps_stdout_and_stderr_apart) {
  TempDir dir;
  ChildStatus s = run_child({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, dir.file("o"), dir.file("e"));
  EXPECT_EQ(s.end, ChildEnd::Exited);
  EXPECT_EQ(s.code, 3);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(slurp(dir.file("o")), "out\n");
  EXPECT_EQ(slurp(dir.file("e")), "err\n");
  EXPECT_EQ(describe(s), "exited with 3");
}

TEST(ChildRun, success_is_exit_zero) {
  TempDir dir;
  EXPECT_TRUE(run_child({"true"}, dir.file("o"), dir.file("e")).ok());  // found on PATH
}

TEST(ChildRun, reports_a_program_that_does_not_exist) {
  TempDir dir;
  ChildStatus s = run_child({"/nonexistent/wsalloc-no-such-program"}, dir.file("o"), dir.file("e"));
  EXPECT_EQ(s.end, ChildEnd::SpawnFailed);
  EXPECT_EQ(s.code, ENOENT);
  EXPECT_NE(describe(s).find("could not start"), std::string::npos);
}

TEST(ChildRun, reports_the_signal_that_killed_the_child) {
  TempDir dir;
  ChildStatus s = run_child({"/bin/sh", "-c", "kill -SEGV $$"}, dir.file("o"), dir.file("e"));
  EXPECT_EQ(s.end, ChildEnd::Signalled);
  EXPECT_EQ(s.code, SIGSEGV);
  EXPECT_NE(describe(s).find("signal 11"), std::string::npos);
}

}  // namespace
}  // namespace wsalloc::micro
