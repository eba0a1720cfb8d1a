// Reading an artifact's ELF file without loading it (Elf.h).
#include "runtime/Elf.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <elf.h>
#include <fstream>
#include <vector>

namespace lathe::runtime {
namespace {

/// The longest descriptor read: far more than any model's (one line per
/// tensor), little enough to allocate.
constexpr uint64_t kMaxDescriptorBytes = uint64_t(256) << 20;

/// An ELF file's bytes on demand, every read bounds-checked.
class ElfFile {
public:
  explicit ElfFile(const std::string &path)
      : in(path, std::ios::binary | std::ios::ate) {
    if (in)
      size = uint64_t(in.tellg());
  }
  bool isOpen() const { return bool(in); }
  bool within(uint64_t offset, uint64_t bytes) const {
    return offset <= size && bytes <= size - offset;
  }
  /// Reads |bytes| at |offset| into |out|; false when out of the file.
  bool read(uint64_t offset, void *out, uint64_t bytes) {
    if (!within(offset, bytes))
      return false;
    in.clear();
    in.seekg(std::streamoff(offset));
    return bool(in.read(static_cast<char *>(out), std::streamsize(bytes)));
  }
  /// Reads |count| records of type T at |offset| into |out|.
  template <typename T>
  bool readArray(uint64_t offset, uint64_t count, std::vector<T> &out) {
    if (count > size / sizeof(T))
      return false;
    out.resize(count);
    return read(offset, out.data(), count * sizeof(T));
  }

private:
  std::ifstream in;
  uint64_t size = 0;
};

/// "" when |file| is a 64-bit little-endian ELF file whose headers and
/// loaded segments lie within it, else why not; fills |eh| and its program
/// headers |phs|.
std::string checkHeaders(ElfFile &file, Elf64_Ehdr &eh,
                         std::vector<Elf64_Phdr> &phs) {
  if (!file.read(0, &eh, sizeof(eh)) ||
      std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return "not a 64-bit little-endian ELF file";
  if (eh.e_phentsize != sizeof(Elf64_Phdr) ||
      !file.within(eh.e_shoff, uint64_t(eh.e_shnum) * eh.e_shentsize) ||
      !file.readArray(eh.e_phoff, eh.e_phnum, phs))
    return "truncated (its headers lie past the end of the file)";
  for (const Elf64_Phdr &ph : phs)
    if (ph.p_type == PT_LOAD && !file.within(ph.p_offset, ph.p_filesz))
      return "truncated (a loaded segment lies past the end of the file)";
  return "";
}

/// The file offset of virtual address |address| and the bytes of its
/// segment's file image from there; false when no loaded segment holds it.
bool fileOffsetOf(const std::vector<Elf64_Phdr> &phs, uint64_t address,
                  uint64_t &offset, uint64_t &available) {
  for (const Elf64_Phdr &ph : phs) {
    if (ph.p_type != PT_LOAD || address < ph.p_vaddr ||
        address - ph.p_vaddr >= ph.p_filesz)
      continue;
    offset = ph.p_offset + (address - ph.p_vaddr);
    available = ph.p_filesz - (address - ph.p_vaddr);
    return true;
  }
  return false;
}

} // namespace

std::string readElfDescriptor(const std::string &path, std::string &out) {
  ElfFile file(path);
  if (!file.isOpen())
    return std::string("cannot open: ") + std::strerror(errno);
  Elf64_Ehdr eh;
  std::vector<Elf64_Phdr> phs;
  if (std::string why = checkHeaders(file, eh, phs); !why.empty())
    return why;
  std::vector<Elf64_Shdr> sections;
  if (eh.e_shentsize != sizeof(Elf64_Shdr) ||
      !file.readArray(eh.e_shoff, eh.e_shnum, sections))
    return "malformed section headers";
  // The dynamic symbols, their names, and the dynamic relocations.
  Elf64_Shdr dynsym{}, dynstr{};
  std::vector<Elf64_Shdr> relocations;
  bool haveSymbols = false;
  for (const Elf64_Shdr &sh : sections) {
    if (sh.sh_type == SHT_DYNSYM) {
      dynsym = sh;
      haveSymbols = sh.sh_link < sections.size() &&
                    sections[sh.sh_link].sh_type == SHT_STRTAB;
      if (haveSymbols)
        dynstr = sections[sh.sh_link];
    } else if (sh.sh_type == SHT_RELA && sh.sh_entsize == sizeof(Elf64_Rela)) {
      relocations.push_back(sh);
    }
  }
  if (!haveSymbols || dynsym.sh_entsize != sizeof(Elf64_Sym) ||
      !file.within(dynsym.sh_offset, dynsym.sh_size) ||
      !file.within(dynstr.sh_offset, dynstr.sh_size))
    return "no dynamic symbol table";
  std::vector<char> names(dynstr.sh_size + 1, '\0');
  if (!file.read(dynstr.sh_offset, names.data(), dynstr.sh_size))
    return "unreadable dynamic symbol names";
  std::vector<Elf64_Sym> symbols;
  if (!file.readArray(dynsym.sh_offset, dynsym.sh_size / sizeof(Elf64_Sym),
                      symbols))
    return "unreadable dynamic symbols";
  const Elf64_Sym *pointer = nullptr;
  for (const Elf64_Sym &s : symbols)
    if (s.st_name < dynstr.sh_size && s.st_shndx != SHN_UNDEF &&
        std::strcmp(&names[s.st_name], "lathe_descriptor") == 0)
      pointer = &s;
  if (!pointer || pointer->st_size != 8)
    return "not a Lathe artifact (no lathe_descriptor symbol)";
  // The pointer's value is set by a dynamic relocation: a symbol's address
  // plus an addend, or (resolved at link time) the load base plus one.
  uint64_t target = 0;
  bool found = false;
  for (const Elf64_Shdr &sh : relocations) {
    std::vector<Elf64_Rela> entries;
    if (!file.readArray(sh.sh_offset, sh.sh_size / sizeof(Elf64_Rela), entries))
      return "truncated relocations";
    for (const Elf64_Rela &r : entries) {
      if (r.r_offset != pointer->st_value)
        continue;
      uint64_t symbol = ELF64_R_SYM(r.r_info);
      if (symbol >= symbols.size())
        return "malformed relocation of lathe_descriptor";
      target = (symbol ? symbols[symbol].st_value : 0) + uint64_t(r.r_addend);
      found = true;
    }
  }
  uint64_t offset = 0, available = 0;
  if (!found) {
    // No relocation (a position-dependent link): the value is in place.
    if (!fileOffsetOf(phs, pointer->st_value, offset, available) ||
        available < 8 || !file.read(offset, &target, 8))
      return "lathe_descriptor lies outside the file";
  }
  if (!fileOffsetOf(phs, target, offset, available))
    return "lathe_descriptor points outside the file";
  // The text ends at its NUL, within its segment.
  out.clear();
  char buffer[4096];
  while (available > 0 && out.size() < kMaxDescriptorBytes) {
    uint64_t chunk = std::min<uint64_t>(sizeof(buffer), available);
    if (!file.read(offset, buffer, chunk))
      return "unreadable descriptor";
    const char *end =
        static_cast<const char *>(std::memchr(buffer, '\0', chunk));
    out.append(buffer, end ? size_t(end - buffer) : size_t(chunk));
    if (end)
      return "";
    offset += chunk;
    available -= chunk;
  }
  return "the descriptor text is not terminated";
}

} // namespace lathe::runtime
