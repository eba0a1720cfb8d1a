// Reading an artifact's ELF file without loading it: the descriptor text,
// found through the dynamic symbol table, after checking that the file is
// whole; so that describing an artifact, or refusing one, runs none of its
// code.
#ifndef LATHE_RUNTIME_ELF_H
#define LATHE_RUNTIME_ELF_H

#include <string>

namespace lathe::runtime {

/// Reads the text the `lathe_descriptor` symbol of the ELF file at |path|
/// points to, following its dynamic relocation, into |out|; "" on success,
/// else why not. The file must be a 64-bit little-endian ELF file whose
/// headers and loaded segments lie within it (dlopen maps a truncated
/// file's segments past its end, and touching them faults). Nothing of the
/// file is mapped or executed.
std::string readElfDescriptor(const std::string &path, std::string &out);

} // namespace lathe::runtime

#endif // LATHE_RUNTIME_ELF_H
