// libwsalloc-malloccount.so under LD_PRELOAD, observed from outside exactly as the harness does:
// spawn a program with WSALLOC_MALLOCCOUNT_FILE set, read the file at markers, compare deltas.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "malloccount/counters.hpp"
#include "malloccount/snapshot_json.hpp"
#include "probe_process.hpp"

namespace wsalloc::malloccount {
namespace {

using testing::fresh_counter_path;
using testing::ProbeProcess;
using namespace std::chrono_literals;

const std::string kPreloadLib = WSALLOC_MC_PRELOAD_LIB;
const std::string kProbe = WSALLOC_MC_PROBE;
const std::string kReadCli = WSALLOC_MC_READ_CLI;

struct Mark {
  std::string name;
  CounterSnapshot snapshot;
};

struct ProbeRun {
  std::vector<Mark> marks;
  std::optional<int> exit_code;
  std::string output;  // lines that were not markers
};

class PreloadTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const auto& p : paths_) ::unlink(p.c_str());
  }

  std::string counter_path() {
    paths_.push_back(fresh_counter_path(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    return paths_.back();
  }

  std::vector<std::string> preload_env(const std::string& path) {
    return {"LD_PRELOAD=" + kPreloadLib, std::string(kFileEnvVar) + "=" + path};
  }

  // Runs the probe; at each "mark NAME" reads the counter file, then lets the probe go on.
  ProbeRun run_probe(const std::vector<std::string>& args, const std::string& path) {
    std::vector<std::string> argv{kProbe};
    argv.insert(argv.end(), args.begin(), args.end());
    ProbeProcess probe(argv, preload_env(path));
    ProbeRun run;
    while (auto line = probe.next_line(60s)) {
      if (line->rfind("mark ", 0) != 0) {
        run.output += *line + "\n";
        continue;
      }
      ReadError why = ReadError::None;
      auto snap = read_counters(path, why);
      if (!snap) {
        ADD_FAILURE() << "read_counters(" << path << ") at " << *line << ": " << read_error_name(why);
        break;
      }
      run.marks.push_back({line->substr(5), *snap});
      probe.resume();
    }
    run.exit_code = probe.wait_exit(60s);
    return run;
  }

  std::vector<std::string> paths_;
};

using Expected = std::map<Family, FamilySnapshot>;

// Every family not listed must not have moved.
void expect_families(const CounterSnapshot& d, const Expected& want, const std::string& window) {
  for (uint32_t f = 0; f < kFamilyCount; ++f) {
    auto fam = static_cast<Family>(f);
    FamilySnapshot expected = want.count(fam) ? want.at(fam) : FamilySnapshot{};
    EXPECT_EQ(d[fam].calls, expected.calls) << window << ": " << family_name(fam) << " calls";
    EXPECT_EQ(d[fam].bytes, expected.bytes) << window << ": " << family_name(fam) << " bytes";
  }
}

uint64_t malloc_free_bytes(uint64_t k) {  // the probe's malloc_free(k) asks for 8 + i % 64 bytes
  uint64_t sum = 0;
  for (uint64_t i = 0; i < k; ++i) sum += 8 + i % 64;
  return sum;
}

TEST_F(PreloadTest, preload_counts_exactly_k_mallocs_and_frees_between_markers) {
  const uint64_t k = 1000;
  ProbeRun run = run_probe({"malloc", std::to_string(k)}, counter_path());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_EQ(run.marks.size(), 2u);
  CounterSnapshot d = run.marks[1].snapshot - run.marks[0].snapshot;
  expect_families(d, {{Family::Malloc, {k, malloc_free_bytes(k)}}, {Family::Free, {k, 0}}}, "malloc");
  EXPECT_EQ(d.allocations, k);
  EXPECT_EQ(d.frees, k);
  EXPECT_EQ(d.bytes_allocated, malloc_free_bytes(k));
  EXPECT_EQ(d.failed, 0u);
}

TEST_F(PreloadTest, preload_window_without_work_reads_zero) {
  ProbeRun run = run_probe({"empty"}, counter_path());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_EQ(run.marks.size(), 2u);
  CounterSnapshot d = run.marks[1].snapshot - run.marks[0].snapshot;
  expect_families(d, {}, "empty");
  EXPECT_EQ(d.allocations, 0u);
  EXPECT_EQ(d.frees, 0u);
}

TEST_F(PreloadTest, preload_sums_four_threads_exactly) {
  const uint64_t threads = 4, k = 20000;
  ProbeRun run = run_probe({"threads", std::to_string(threads), std::to_string(k)}, counter_path());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_EQ(run.marks.size(), 2u);
  CounterSnapshot d = run.marks[1].snapshot - run.marks[0].snapshot;
  expect_families(d, {{Family::Malloc, {threads * k, threads * malloc_free_bytes(k)}}, {Family::Free, {threads * k, 0}}},
                  "threads");
  EXPECT_EQ(d.allocations, threads * k);
  EXPECT_EQ(d.frees, threads * k);
}

TEST_F(PreloadTest, preload_stays_exact_when_threads_outnumber_exclusive_shards) {
  const uint64_t threads = kExclusiveShards + 6, k = 500;
  ProbeRun run = run_probe({"threads", std::to_string(threads), std::to_string(k)}, counter_path());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_EQ(run.marks.size(), 2u);
  CounterSnapshot d = run.marks[1].snapshot - run.marks[0].snapshot;
  expect_families(d, {{Family::Malloc, {threads * k, threads * malloc_free_bytes(k)}}, {Family::Free, {threads * k, 0}}},
                  "threads");
  EXPECT_EQ(d.allocations, threads * k);
  EXPECT_EQ(d.frees, threads * k);
  EXPECT_GT(run.marks[1].snapshot.shard_claims, uint64_t{kExclusiveShards});
}

TEST_F(PreloadTest, preload_fork_child_adds_to_the_shared_file_without_corrupting_parent_counts) {
  const uint64_t before_k = 300, both_k = 200000;
  ProbeRun run = run_probe({"fork", std::to_string(before_k), std::to_string(both_k)}, counter_path());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_EQ(run.marks.size(), 2u);
  CounterSnapshot d = run.marks[1].snapshot - run.marks[0].snapshot;
  // The child inherits the MAP_SHARED mapping: the file counts parent and child, exactly, though
  // both allocated at the same time (the child's thread claimed a shard of its own).
  const uint64_t calls = before_k + 2 * both_k;
  const uint64_t bytes = malloc_free_bytes(before_k) + 2 * malloc_free_bytes(both_k);
  expect_families(d, {{Family::Malloc, {calls, bytes}}, {Family::Free, {calls, 0}}}, "fork");
  EXPECT_EQ(d.allocations, calls);
  EXPECT_EQ(d.frees, calls);
  EXPECT_EQ(d.bytes_allocated, bytes);
  EXPECT_EQ(d.forks, 1u);
  EXPECT_EQ(d.shard_claims, 1u);
  EXPECT_EQ(d.attaches, 0u);
}

TEST_F(PreloadTest, preload_fork_while_threads_allocate_neither_deadlocks_nor_loses_counts) {
  const uint64_t forks = 20;
  ProbeRun run = run_probe({"fork_stress", std::to_string(forks)}, counter_path());
  ASSERT_EQ(run.exit_code, 0) << "exit 3 means a parent or child hung\n" << run.output;
  ASSERT_EQ(run.marks.size(), 2u);
  CounterSnapshot d = run.marks[1].snapshot - run.marks[0].snapshot;
  EXPECT_EQ(d.forks, forks);
  // Everything allocated in the window (hammer threads and children) was freed in it: a lost or
  // torn update would break the balance.
  EXPECT_EQ(d.allocations, d.frees);
  EXPECT_EQ(d[Family::Malloc].calls, d.allocations);
  EXPECT_EQ(d[Family::Free].calls, d.frees);
  // Each child made exactly 100 (fork itself allocates nothing); the hammers work in rounds of 16.
  const uint64_t child_allocations = forks * 100;
  ASSERT_GE(d.allocations, child_allocations);
  const uint64_t hammer_allocations = d.allocations - child_allocations;
  EXPECT_EQ(hammer_allocations % 16, 0u);
  EXPECT_EQ(d.bytes_allocated, hammer_allocations / 16 * malloc_free_bytes(16) + forks * malloc_free_bytes(100));
}

TEST_F(PreloadTest, preload_counts_each_function_in_its_own_family) {
  ProbeRun run = run_probe({"families"}, counter_path());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  struct Want {
    const char* mark;
    Expected families;
    uint64_t allocations, frees, bytes_allocated, failed;
  };
  const std::vector<Want> wants = {
      {"realloc_null", {{Family::Realloc, {1, 100}}}, 1, 0, 100, 0},
      {"realloc_grow", {{Family::Realloc, {1, 5000}}}, 1, 1, 5000, 0},
      {"realloc_zero", {{Family::Realloc, {1, 0}}}, 0, 1, 0, 0},
      {"calloc", {{Family::Calloc, {1, 120}}, {Family::Free, {1, 0}}}, 1, 1, 120, 0},
      {"posix_memalign", {{Family::PosixMemalign, {1, 100}}, {Family::Free, {1, 0}}}, 1, 1, 100, 0},
      {"posix_memalign_einval", {{Family::PosixMemalign, {1, 100}}}, 0, 0, 0, 1},
      {"aligned_alloc", {{Family::AlignedAlloc, {1, 128}}, {Family::Free, {1, 0}}}, 1, 1, 128, 0},
      {"memalign", {{Family::Memalign, {1, 50}}, {Family::Free, {1, 0}}}, 1, 1, 50, 0},
      {"valloc", {{Family::Valloc, {1, 10}}, {Family::Free, {1, 0}}}, 1, 1, 10, 0},
      {"pvalloc", {{Family::Pvalloc, {1, 10}}, {Family::Free, {1, 0}}}, 1, 1, 10, 0},
      {"reallocarray", {{Family::Realloc, {1, 80}}, {Family::Free, {1, 0}}}, 1, 1, 80, 0},
      // glibc's own internal malloc calls reach the interposer.
      {"strdup", {{Family::Malloc, {1, 6}}, {Family::Free, {1, 0}}}, 1, 1, 6, 0},
      // libstdc++'s operator new/delete are malloc/free...
      {"new", {{Family::Malloc, {1, sizeof(int)}}, {Family::Free, {1, 0}}}, 1, 1, sizeof(int), 0},
      // ...and its aligned new is aligned_alloc (size rounded up to the alignment).
      {"new_aligned", {{Family::AlignedAlloc, {1, 64}}, {Family::Free, {1, 0}}}, 1, 1, 64, 0},
      {"malloc_fail", {{Family::Malloc, {1, SIZE_MAX / 2}}}, 0, 0, 0, 1},
  };
  ASSERT_EQ(run.marks.size(), wants.size() + 1) << run.output;
  EXPECT_EQ(run.marks[0].name, "start");
  for (size_t i = 0; i < wants.size(); ++i) {
    const Want& w = wants[i];
    ASSERT_EQ(run.marks[i + 1].name, w.mark);
    CounterSnapshot d = run.marks[i + 1].snapshot - run.marks[i].snapshot;
    expect_families(d, w.families, w.mark);
    EXPECT_EQ(d.allocations, w.allocations) << w.mark;
    EXPECT_EQ(d.frees, w.frees) << w.mark;
    EXPECT_EQ(d.bytes_allocated, w.bytes_allocated) << w.mark;
    EXPECT_EQ(d.failed, w.failed) << w.mark;
  }
}

TEST_F(PreloadTest, preload_without_file_variable_counts_in_process_memory_and_fork_child_separately) {
  ProbeProcess probe({kProbe, "static", "500", "300"}, {"LD_PRELOAD=" + kPreloadLib, std::string(kFileEnvVar) + "="});
  auto line = probe.next_line(60s);
  EXPECT_EQ(line.value_or("<nothing>"), "ok");
  EXPECT_EQ(probe.wait_exit(60s), 0);
}

TEST_F(PreloadTest, preload_runs_bin_true_and_python_and_counts_python) {
  const std::string true_path = counter_path();
  ProbeProcess t({"/bin/true"}, preload_env(true_path));
  ASSERT_EQ(t.wait_exit(60s), 0);
  auto after_true = read_counters(true_path);
  ASSERT_TRUE(after_true.has_value());
  EXPECT_EQ(after_true->attaches, 1u);

  const std::string py_path = counter_path();
  ProbeProcess py({"/usr/bin/python3", "-c", "import json; json.dumps(list(range(1000)))"}, preload_env(py_path));
  ASSERT_EQ(py.wait_exit(60s), 0);
  auto after_py = read_counters(py_path);
  ASSERT_TRUE(after_py.has_value());
  EXPECT_GT(after_py->allocations, 100u);
  EXPECT_GT(after_py->frees, 100u);
  EXPECT_EQ(after_py->failed, 0u);
}

TEST_F(PreloadTest, preload_exec_descendant_joins_the_live_file_instead_of_resetting_it) {
  const std::string path = counter_path();
  // sh stays alive while python runs (the command is not its last), so python finds the file in use.
  ProbeProcess sh({"/bin/sh", "-c", "/usr/bin/python3 -c pass; exit 0"}, preload_env(path));
  pid_t sh_pid = sh.pid();
  ASSERT_EQ(sh.wait_exit(60s), 0);
  auto snap = read_counters(path);
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->attaches, 2u);
  EXPECT_EQ(snap->creator_pid, sh_pid);
  EXPECT_GT(snap->allocations, 100u);  // python's allocations are in sh's file
}

TEST_F(PreloadTest, preload_resets_a_file_left_behind_by_an_exited_process) {
  const std::string path = counter_path();
  {
    std::ofstream junk(path, std::ios::binary);
    junk << std::string(100, 'x');
  }
  ProbeProcess first({"/bin/true"}, preload_env(path));
  ASSERT_EQ(first.wait_exit(60s), 0);
  auto a = read_counters(path);
  ASSERT_TRUE(a.has_value());
  ProbeProcess second({"/bin/true"}, preload_env(path));
  pid_t second_pid = second.pid();
  ASSERT_EQ(second.wait_exit(60s), 0);
  auto b = read_counters(path);
  ASSERT_TRUE(b.has_value());
  EXPECT_NE(a->generation, b->generation);
  EXPECT_EQ(b->attaches, 1u);
  EXPECT_EQ(b->creator_pid, second_pid);
  EXPECT_THROW((void)(*b - *a), std::invalid_argument);
}

TEST_F(PreloadTest, read_cli_prints_the_file_as_one_json_object) {
  const std::string path = counter_path();
  ProbeProcess py({"/usr/bin/python3", "-c", "pass"}, preload_env(path));
  ASSERT_EQ(py.wait_exit(60s), 0);
  auto snap = read_counters(path);
  ASSERT_TRUE(snap.has_value());

  ProbeProcess cli({kReadCli, path}, {});
  auto line = cli.next_line(60s);
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(cli.wait_exit(60s), 0);
  auto j = nlohmann::json::parse(*line);
  EXPECT_EQ(j.get<CounterSnapshot>(), *snap);
  EXPECT_EQ(j.at("families").size(), kFamilyCount);

  ProbeProcess missing({kReadCli, path + ".missing"}, {});
  EXPECT_EQ(missing.wait_exit(60s), 3);  // NoInput: "not there yet" (was sysexits' 66)
}

}  // namespace
}  // namespace wsalloc::malloccount
