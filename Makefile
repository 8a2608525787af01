# Thin wrapper over CMake + Ninja. `make test` and `make bench` install what is missing first,
# so on a fresh machine they are the whole set-up.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# SANITIZE=1: ASan + UBSan (LeakSanitizer on, as ASan has it by default on Linux; any UB aborts).
# -O1 keeps stack traces and variables honest and compiles in about half the time of -O2.
ifeq ($(SANITIZE),1)
  BUILD_DIR := build-sanitize
  BUILD_TYPE := RelWithDebInfo
  CMAKE_FLAGS += -DWSALLOC_SANITIZE=ON -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g"
endif

.PHONY: all deps configure build test bench clean

all: build

deps:
	@bash scripts/install-deps.sh

# WSALLOC_REQUIRE_ALL_TESTS: deps are installed first, so a missing one is an error, not a suite
# that silently disappears.
configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DWSALLOC_REQUIRE_ALL_TESTS=ON $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Everything but the memcheck runs (make test-memcheck).
test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600 -LE '^memcheck$$'

# The conformance and hardening suites against the Release server under valgrind memcheck, per
# variant (tests/memcheck/CMakeLists.txt): any invalid read or write fails the run (exit code of
# the server). MEMCHECK_TESTS=regex picks a subset (CI: MEMCHECK_CI_TESTS, see .ci/run).
MEMCHECK_TESTS ?= .
MEMCHECK_CI_TESTS := [.](split_reads|handshake|framing)$$
.PHONY: test-memcheck test-memcheck-ci
test-memcheck: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target wsalloc-server
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900 -L '^memcheck$$' -R '$(MEMCHECK_TESTS)'
test-memcheck-ci:
	@$(MAKE) --no-print-directory test-memcheck MEMCHECK_TESTS='$(MEMCHECK_CI_TESTS)'


clean:
	rm -rf $(BUILD_DIR)

# The sanitizer job CI runs (`.ci/run`): the server and every layer under it, built with ASan +
# UBSan, under the tests that drive them hardest: unit tests of core/net/memory/variants, the
# fuzz corpora, and the conformance, hardening and route suites against the instrumented server
# (which must also exit 0 on SIGTERM: a leak fails it). The harness, peers and report are left
# out to keep CI's time; `make test SANITIZE=1` runs the whole suite. The LD_PRELOAD allocation
# counter cannot load ahead of ASan's runtime, so its end-to-end test is left to the Release build;
# so is the RSS bound after a burst of slow consumers (hardening backlog_trim): under ASan freed
# memory waits in its quarantine (256 MiB by default) and RSS measures that, not the server. The
# reference peers' /broadcast tests (routes.peer-*) check Beast and websocketpp, not wsalloc's code:
# their binaries are not built here.
SANITIZER_TARGETS = core_tests core_alloc_tests net_tests net_uring_tests memory_tests variants_tests variants_alloc_tests \
  variants_server_alloc_tests replay_tests wsalloc-server wsalloc-fault-inject $(addprefix fuzz_,$(FUZZ_TARGETS))
SANITIZER_TESTS := ^(core|net|memory|variants|replay|fuzz|conformance|hardening|routes)[.]
.PHONY: test-sanitizers
test-sanitizers: deps
	@cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWSALLOC_SANITIZE=ON \
	  -DWSALLOC_REQUIRE_ALL_TESTS=ON -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" >/dev/null
	@cmake --build build-sanitize -j $(JOBS) --target $(SANITIZER_TARGETS)
	@cd build-sanitize && ctest --output-on-failure -j $(JOBS) --timeout 600 -R '$(SANITIZER_TESTS)' -E 'e2e_allocations|backlog_trim|routes[.]peer-'

# Fuzzing (tests/fuzz/README.md): libFuzzer needs clang, so its own build dir. Runs every target for
# FUZZ_SECONDS; FUZZ_MERGE=1 adds inputs with new coverage to the seed corpora. Exit 1 on a crash.
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_MERGE ?= 0
FUZZ_TARGETS ?= handshake frame_parser inflate utf8 session_malloc session_arena session_pool session_zerocopy

.PHONY: fuzz
fuzz: deps
	@cmake -S . -B $(FUZZ_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
	  -DWSALLOC_FUZZ=ON -DWSALLOC_SANITIZE=ON -DWSALLOC_BUILD_PEERS=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	@bash tests/fuzz/run_fuzz.sh $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS) $(FUZZ_MERGE) $(FUZZ_TARGETS)

# Micro-benchmarks (Google Benchmark): time, bytes/items per second and exact allocations per
# iteration, as JSON in $(BUILD_DIR)/micro.json. One repetition, because benchmark 1.7.1 corrupts
# memory results across repetitions (harness/micro/alloc_meter.hpp). Extra flags: MICRO_ARGS=...
.PHONY: micro
micro: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target wsalloc-micro
	@$(BUILD_DIR)/bin/wsalloc-micro --benchmark_out=$(BUILD_DIR)/micro.json --benchmark_out_format=json $(MICRO_ARGS)

# Benchmarks (harness/bench/README.md): `make bench` installs what is missing (Debian packages,
# Bun into .peers/), builds Release, runs the quick set of scenarios against every variant and
# every available reference server (under 10 minutes on 2 cores), prints the summary table and
# where results.json is. BENCH_ARGS=... passes more flags to `wsbench run` (e.g. --repetitions 5).
# `make profile` runs each variant under heaptrack on PROFILE_SCENARIO and adds the summaries to
# the latest results.
BENCH_TARGETS := wsbench wsload wsalloc-server wsalloc-rawecho wsalloc-malloccount \
  wsalloc-peer-beast wsalloc-peer-websocketpp
BENCH_ARGS ?=
PROFILE_SCENARIO ?= echo-small
PROFILE_TARGETS ?= malloc arena pool zerocopy

.PHONY: bench-build bench bench-deflate profile
bench-build: configure
	@bash scripts/install-peers.sh
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target $(BENCH_TARGETS)

# The io dimension in make bench: zerocopy+uring and the io_uring raw ceiling (rawecho+uring) beside
# the epoll targets; the other three variants on io_uring cost about a minute each and are left to
# `make bench-uring`. Cost: each +uring target adds about 33 runs (8 quick cases x 3 repetitions
# + counting passes), about a minute. Here (Bun not installed) the default planned 339 runs, which
# wsbench estimated at 12 min under load average 9; the epoll-only set's sample (272 runs) took
# 7 min 25 s, so about 9-10 min on a quiet machine. All five +uring targets: 438 runs, ~15 min.
# BENCH_SELECT= (empty) runs every target.
BENCH_SELECT ?= !malloc+uring,!arena+uring,!pool+uring
bench: bench-build
	@$(BUILD_DIR)/bin/wsbench run --quick --targets '$(BENCH_SELECT)' $(BENCH_ARGS)
	@$(BUILD_DIR)/bin/wsbench report results/latest/results.json $(REPORT_FLAGS)
	@echo "results: $$(readlink -f results/latest)/results.json"

# io_uring against epoll (issue 15): the three workloads where the backend matters (32 B pipelined,
# 512 B text on 1,000 connections, 64 KiB), every variant on both backends and both raw echoes,
# interleaved, 5 repetitions; then each X+uring as a ratio to X per repetition (median, range,
# bootstrap interval). 150 runs, about 10 minutes on the shared 2-core machine. No precision rounds
# (those narrow the variants' ratios to malloc; this run's question is each X+uring against X).
URING_ARGS ?= --repetitions 5 --duration 3 --warmup 0.5 --no-count --max-blocks 0
.PHONY: bench-uring
bench-uring: bench-build
	@$(BUILD_DIR)/bin/wsbench run --quick --scenarios 'echo-pipelined,echo-text,echo-large' \
	  --targets 'malloc,arena,pool,zerocopy,*+uring,rawecho' $(URING_ARGS)
	@/usr/bin/python3 scripts/io_ratios.py results/latest/results.json --pairs
	@/usr/bin/python3 scripts/io_ratios.py results/latest/results.json --reference rawecho
	@echo "results: $$(readlink -f results/latest)/results.json"

# permessage-deflate (scenarios/deflate-*.toml): a named set outside --quick, because its 11 cases
# on 7 targets (variants and peers) do not fit make bench's 10 minutes: one repetition took 10 min
# 40 s here (144 runs, time and counting passes), three take about 20 minutes.
# DEFLATE_ARGS=... passes more flags to `wsbench run` (e.g. --repetitions 1); --max-blocks 0 leaves
# out the precision rounds, which would add up to five minutes.
DEFLATE_ARGS ?= --repetitions 3 --max-blocks 0
bench-deflate: bench-build
	@$(BUILD_DIR)/bin/wsbench run --scenarios 'deflate-*' $(DEFLATE_ARGS)
	@$(BUILD_DIR)/bin/wsbench report results/latest/results.json $(REPORT_FLAGS)
	@echo "results: $$(readlink -f results/latest)/results.json"

profile: bench-build
	@for t in $(PROFILE_TARGETS); do \
	  $(BUILD_DIR)/bin/wsbench profile --target $$t --scenario $(PROFILE_SCENARIO) || echo "profile: $$t: see above"; \
	done

# Load from several hosts (README "Load from several machines"): scripts/bench-distributed.sh makes
# a server namespace and DIST_HOSTS load namespaces on a private bridge, runs `wsbench run
# --load-hosts` through Locust in them (echo-small and broadcast by default, bounded by
# DIST_TIMEOUT), removes them again (also when interrupted), and renders the report.
# DIST_RUN_ARGS=... replaces the default wsbench run arguments.
DIST_HOSTS ?= 3
DIST_TIMEOUT ?= 900
DIST_RUN_ARGS ?=
.PHONY: bench-distributed
bench-distributed: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target wsbench wsload wsalloc-server wsalloc-malloccount
	@bash scripts/bench-distributed.sh $(BUILD_DIR) --hosts $(DIST_HOSTS) --timeout $(DIST_TIMEOUT) $(if $(DIST_RUN_ARGS),-- $(DIST_RUN_ARGS))
	@$(BUILD_DIR)/bin/wsbench report results/latest/results.json $(REPORT_FLAGS)
	@echo "results: $$(readlink -f results/latest)/results.json"

# The HTML report (harness/bench/report/README.md): one self-contained page + report.md.
# REPORT_BASELINE=path/to/results.json adds a comparison with an earlier run.
REPORT_BASELINE ?=
REPORT_FLAGS = -o results/latest/report.html --markdown results/latest/report.md $(if $(REPORT_BASELINE),--baseline $(REPORT_BASELINE))
.PHONY: report
report: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target wsbench
	@test -e results/latest/results.json || { echo "make report: no results/latest/results.json (run make bench)"; exit 2; }
	@$(BUILD_DIR)/bin/wsbench report results/latest/results.json $(REPORT_FLAGS)

# The performance-regression gate (harness/bench/README.md, "The gate"): exact allocation and
# instruction counts against results/baseline.json, and server CPU per message as an A/B against the
# baseline's commit, built into $(BUILD_DIR)/gate-base. Exit 0 pass, 3 regression, 2 error.
GATE_TARGETS := wsbench wsalloc-instr wsalloc-instr-allocs wsalloc-server wsload wsalloc-malloccount
GATE_ARGS ?=
.PHONY: gate
gate: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target $(GATE_TARGETS)
	@$(BUILD_DIR)/bin/wsbench gate --markdown $(BUILD_DIR)/gate.md $(GATE_ARGS)

# The soak (tests/soak/README.md): every variant under good, churning, slow and hostile clients,
# 15 s warm-up + 45 s each (about 5 minutes); exit 1 when a good client lost or saw a corrupted
# message, the server crashed or kept a connection, or RSS crept past its warm-up level.
# SOAK_ARGS=... passes more flags (e.g. --variants arena --seconds 120 --seed 42).
SOAK_ARGS ?=
.PHONY: soak
soak: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target wsalloc-server
	@mkdir -p $(BUILD_DIR)/soak
	@/usr/bin/python3 tests/soak/soak.py --server $(BUILD_DIR)/bin/wsalloc-server --json $(BUILD_DIR)/soak/soak.json \
	  --log-dir $(BUILD_DIR)/soak/logs $(SOAK_ARGS)
