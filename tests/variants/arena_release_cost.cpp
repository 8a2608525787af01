// arena_release_cost N: acquires N connection areas from one ArenaPlan, then releases them in the
// order they were acquired (the order closes mostly come in). Run under callgrind by
// arena_release_cost_test.py, which counts the instructions spent in release_connection only.
#include <cstdio>
#include <cstdlib>
#include <memory_resource>
#include <vector>

#include "variants/arena/arena_plan.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CONNECTIONS\n", argv[0]);
    return 2;
  }
  const size_t n = std::strtoull(argv[1], nullptr, 10);
  wsalloc::variants::ArenaPlan plan;
  std::vector<std::pmr::memory_resource*> areas;
  for (size_t i = 0; i < n; ++i) areas.push_back(plan.acquire_connection());
  for (std::pmr::memory_resource* r : areas) plan.release_connection(r);
  return 0;
}
