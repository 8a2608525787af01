#include "bench/program_linkage.hpp"

#include <elf.h>

#include <gtest/gtest.h>

#include <cstring>

#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

// A minimal 64-bit ELF: two program headers (PT_LOAD, then PT_INTERP or PT_NOTE) and three
// sections (null, .shstrtab, and `section`). Enough for inspect_program, nothing runnable.
std::string fake_elf(bool with_interp, const std::string& section) {
  const std::string names = std::string("\0.shstrtab\0", 11) + section + std::string(1, '\0');
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 2;
  const uint64_t names_at = eh.e_phoff + 2 * sizeof(Elf64_Phdr);
  eh.e_shoff = names_at + names.size();
  eh.e_shentsize = sizeof(Elf64_Shdr);
  eh.e_shnum = 3;
  eh.e_shstrndx = 1;
  Elf64_Phdr ph[2]{};
  ph[0].p_type = PT_LOAD;
  ph[1].p_type = with_interp ? PT_INTERP : PT_NOTE;
  Elf64_Shdr sh[3]{};
  sh[1].sh_name = 1;
  sh[1].sh_type = SHT_STRTAB;
  sh[1].sh_offset = names_at;
  sh[1].sh_size = names.size();
  sh[2].sh_name = 11;
  sh[2].sh_type = SHT_PROGBITS;
  std::string out(reinterpret_cast<const char*>(&eh), sizeof eh);
  out.append(reinterpret_cast<const char*>(ph), sizeof ph);
  out += names;
  out.append(reinterpret_cast<const char*>(sh), sizeof sh);
  return out;
}

ProgramLinkage linkage_of(const testing::TempDir& dir, const std::string& name, const std::string& bytes) {
  testing::write_file(dir.path() / name, bytes);
  return inspect_program(dir.path() / name).linkage;
}

TEST(ProgramLinkage, an_interpreter_means_dynamic_none_means_static) {
  testing::TempDir dir;
  EXPECT_EQ(linkage_of(dir, "dyn", fake_elf(true, ".text")), ProgramLinkage::DynamicElf);
  EXPECT_EQ(linkage_of(dir, "static", fake_elf(false, ".text")), ProgramLinkage::StaticElf);
}

TEST(ProgramLinkage, a_go_buildinfo_section_means_go_even_when_dynamic) {
  testing::TempDir dir;
  EXPECT_EQ(linkage_of(dir, "go", fake_elf(true, ".go.buildinfo")), ProgramLinkage::GoElf);
  EXPECT_EQ(linkage_of(dir, "go-static", fake_elf(false, ".go.buildinfo")), ProgramLinkage::GoElf);
}

TEST(ProgramLinkage, a_script_names_its_interpreter_through_env) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "a.py", "#!/usr/bin/env python3\nprint(1)\n");
  testing::write_file(dir.path() / "b.sh", "#!/bin/sh -e\necho\n");
  ProgramInfo a = inspect_program(dir.path() / "a.py");
  EXPECT_EQ(a.linkage, ProgramLinkage::Script);
  EXPECT_EQ(a.interpreter, "python3");
  EXPECT_EQ(inspect_program(dir.path() / "b.sh").interpreter, "/bin/sh");
}

TEST(ProgramLinkage, unreadable_or_foreign_files_are_unknown) {
  testing::TempDir dir;
  EXPECT_EQ(inspect_program(dir.path() / "missing").linkage, ProgramLinkage::Unknown);
  EXPECT_EQ(linkage_of(dir, "text", "just text\n"), ProgramLinkage::Unknown);
  EXPECT_EQ(linkage_of(dir, "short", "\x7f" "EL"), ProgramLinkage::Unknown);
}

TEST(ProgramLinkage, real_programs_on_this_machine) {
  // The Debian python3 is dynamically linked; ldconfig (libc-bin, essential) is static-pie.
  EXPECT_EQ(inspect_program("/usr/bin/python3").linkage, ProgramLinkage::DynamicElf);
  EXPECT_EQ(inspect_program("/sbin/ldconfig").linkage, ProgramLinkage::StaticElf);
}

}  // namespace
}  // namespace wsalloc::bench
