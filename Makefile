# Thin wrapper over CMake + Ninja. `make test` and `make bench` install what is missing first,
# so on a fresh machine they are the whole set-up.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ifeq ($(SANITIZE),1)
  BUILD_DIR := build-sanitize
  BUILD_TYPE := RelWithDebInfo
  CMAKE_FLAGS += -DWSALLOC_SANITIZE=ON
endif

.PHONY: all deps configure build test bench clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

clean:
	rm -rf $(BUILD_DIR)
