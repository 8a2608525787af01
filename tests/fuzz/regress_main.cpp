// The regression runner: a main() for the fuzz targets in builds without libFuzzer (g++, the
// sanitizer build), so the seed corpora and every saved crash run in `make test`.
//
//   fuzz_<target> [--mutants N] PATH...
// Runs LLVMFuzzerTestOneInput on every file under each PATH (directories recursively, in name
// order), then on N deterministic mutants of each file (byte flips, inserts, deletions,
// duplications, truncations, splices with the next file; seeded by the file's contents, so a run is
// reproducible and a failing mutant is saved by fuzz_check.cpp as ./fuzz-failure.bin). A
// libFuzzer build explores far more; this is the bounded, repeatable part CI can afford.
// Exit: 0 when every input passed; a failed check aborts; 2 when no input was found (a missing
// corpus must not pass silently).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

Bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

uint64_t fnv1a(const Bytes& b) {
  uint64_t h = 1469598103934665603ull;
  for (uint8_t c : b) h = (h ^ c) * 1099511628211ull;
  return h;
}

// One mutation step of a small, fixed repertoire; `other` is another corpus file for splicing.
void mutate(Bytes& b, const Bytes& other, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  switch (rng() % 6) {
    case 0:  // flip bits of one byte
      if (!b.empty()) b[pick(b.size())] ^= static_cast<uint8_t>(1u << pick(8));
      break;
    case 1:  // insert an interesting byte
      b.insert(b.begin() + static_cast<ptrdiff_t>(pick(b.size() + 1)),
               std::vector<uint8_t>{0x00, 0x7E, 0x7F, 0x80, 0xFF, 0x0D, 0x0A, 0xC3}[pick(8)]);
      break;
    case 2:  // delete a range
      if (!b.empty()) {
        size_t at = pick(b.size()), n = 1 + pick(std::min<size_t>(16, b.size() - at));
        b.erase(b.begin() + static_cast<ptrdiff_t>(at), b.begin() + static_cast<ptrdiff_t>(at + n));
      }
      break;
    case 3:  // duplicate a range (repeats a frame or a header line)
      if (!b.empty()) {
        size_t at = pick(b.size()), n = 1 + pick(std::min<size_t>(64, b.size() - at));
        Bytes piece(b.begin() + static_cast<ptrdiff_t>(at), b.begin() + static_cast<ptrdiff_t>(at + n));
        b.insert(b.begin() + static_cast<ptrdiff_t>(at), piece.begin(), piece.end());
      }
      break;
    case 4:  // truncate
      b.resize(pick(b.size() + 1));
      break;
    default:  // splice: our head, the other file's tail
      if (!other.empty()) {
        b.resize(pick(b.size() + 1));
        size_t from = pick(other.size());
        b.insert(b.end(), other.begin() + static_cast<ptrdiff_t>(from), other.end());
      }
      break;
  }
}

void run_one(const std::string& name, const Bytes& b) {
  wsalloc::fuzz::set_current_input(name, b);
  LLVMFuzzerTestOneInput(b.data(), b.size());
}

}  // namespace

int main(int argc, char** argv) {
  size_t mutants = 0;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--mutants" && i + 1 < argc) {
      mutants = std::strtoull(argv[++i], nullptr, 10);
      continue;
    }
    const fs::path p(arg);
    if (fs::is_directory(p)) {
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
    } else if (fs::is_regular_file(p)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "%s: no such file or directory: %s\n", argv[0], arg.c_str());
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s [--mutants N] PATH...  (found no input files)\n", argv[0]);
    return 2;
  }

  std::vector<Bytes> corpus;
  for (const fs::path& f : files) {
    corpus.push_back(read_file(f));
    run_one(f.string(), corpus.back());
  }
  for (size_t i = 0; i < corpus.size(); ++i) {
    std::mt19937_64 rng(fnv1a(corpus[i]));
    const Bytes& other = corpus[(i + 1) % corpus.size()];
    for (size_t m = 0; m < mutants; ++m) {
      Bytes b = corpus[i];
      const size_t steps = 1 + rng() % 4;
      for (size_t s = 0; s < steps; ++s) mutate(b, other, rng);
      run_one(files[i].string() + " mutant " + std::to_string(m), b);
    }
  }
  std::printf("%s: %zu files + %zu mutants passed\n", argv[0], corpus.size(), corpus.size() * mutants);
  return 0;
}
