// What kind of program a target runs, as far as the LD_PRELOAD allocation counter cares: the
// counter only sees malloc calls that go through the dynamic linker's symbol lookup.
//
//   DynamicElf  an ELF with a program interpreter (ld.so): LD_PRELOAD applies
//   StaticElf   no interpreter: LD_PRELOAD is never read, the counter sees nothing
//   GoElf       a Go program (its .go.buildinfo section): the Go runtime takes memory from mmap, not
//               malloc, so even a cgo build shows the counter almost nothing
//   Script      "#!" first line: the interpreter named there is what runs (inspected in its turn)
//   Unknown     unreadable, or not ELF / not 64-bit
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace wsalloc::bench {

enum class ProgramLinkage : uint8_t { DynamicElf, StaticElf, GoElf, Script, Unknown };
const char* to_string(ProgramLinkage l) noexcept;

struct ProgramInfo {
  ProgramLinkage linkage = ProgramLinkage::Unknown;
  std::string interpreter;  // Script: the program after "#!" (for "#!/usr/bin/env X": X)
};

// Reads the ELF header, program and section headers (or the "#!" line). Never throws.
ProgramInfo inspect_program(const std::filesystem::path& program);

}  // namespace wsalloc::bench
