#include "bench/program_linkage.hpp"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace wsalloc::bench {

const char* to_string(ProgramLinkage l) noexcept {
  switch (l) {
    case ProgramLinkage::DynamicElf: return "dynamic ELF";
    case ProgramLinkage::StaticElf: return "static ELF";
    case ProgramLinkage::GoElf: return "Go ELF";
    case ProgramLinkage::Script: return "script";
    case ProgramLinkage::Unknown: return "unknown";
  }
  return "?";
}

namespace {

template <class T>
bool read_at(std::ifstream& in, uint64_t offset, T& out) {
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(&out), sizeof out);
  return static_cast<bool>(in);
}

// The Go toolchain writes its build information into a section of this name in every binary.
bool has_go_buildinfo(std::ifstream& in, const Elf64_Ehdr& eh) {
  if (eh.e_shoff == 0 || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shstrndx >= eh.e_shnum) return false;
  Elf64_Shdr names{};
  if (!read_at(in, eh.e_shoff + uint64_t{eh.e_shstrndx} * sizeof(Elf64_Shdr), names)) return false;
  constexpr uint64_t kMaxNames = 1 << 20;  // a section-name table is a few hundred bytes
  if (names.sh_size == 0 || names.sh_size > kMaxNames) return false;
  std::vector<char> table(names.sh_size);
  in.seekg(static_cast<std::streamoff>(names.sh_offset));
  if (!in.read(table.data(), static_cast<std::streamsize>(table.size()))) return false;
  table.back() = '\0';
  for (uint16_t i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh{};
    if (!read_at(in, eh.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr), sh)) return false;
    if (sh.sh_name < table.size() && std::strcmp(table.data() + sh.sh_name, ".go.buildinfo") == 0) return true;
  }
  return false;
}

}  // namespace

ProgramInfo inspect_program(const std::filesystem::path& program) {
  ProgramInfo info;
  std::ifstream in(program, std::ios::binary);
  if (!in) return info;
  char head[2] = {};
  in.read(head, 2);
  if (in && head[0] == '#' && head[1] == '!') {
    std::string line;
    std::getline(in, line);
    std::istringstream words(line);
    std::string prog, arg;
    words >> prog >> arg;
    info.linkage = ProgramLinkage::Script;
    info.interpreter = std::filesystem::path(prog).filename() == "env" && !arg.empty() ? arg : prog;
    return info;
  }
  Elf64_Ehdr eh{};
  if (!read_at(in, 0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_phentsize != sizeof(Elf64_Phdr)) {
    return info;
  }
  bool interp = false;
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    if (!read_at(in, eh.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr), ph)) return info;
    if (ph.p_type == PT_INTERP) interp = true;
  }
  if (has_go_buildinfo(in, eh)) info.linkage = ProgramLinkage::GoElf;
  else info.linkage = interp ? ProgramLinkage::DynamicElf : ProgramLinkage::StaticElf;
  return info;
}

}  // namespace wsalloc::bench
