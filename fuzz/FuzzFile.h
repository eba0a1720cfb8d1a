// What the file-reading fuzz targets share: the runtime reads paths, so
// each input is written to an anonymous memory file and read through
// /proc/self/fd/N.
#ifndef LATHE_FUZZ_FUZZFILE_H
#define LATHE_FUZZ_FUZZFILE_H

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace lathe::fuzz {

/// A memory file holding one fuzz input, as long as the object lives.
class InputFile {
public:
  InputFile(const uint8_t *data, size_t size, const char *suffix = "") {
    fd = memfd_create("lathe-fuzz", 0);
    if (fd < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    for (size_t done = 0; done < size;) {
      ssize_t n = write(fd, data + done, size - done);
      if (n <= 0) {
        std::perror("write");
        std::abort();
      }
      done += size_t(n);
    }
    path = "/proc/self/fd/" + std::to_string(fd) + suffix;
  }
  ~InputFile() { close(fd); }
  InputFile(const InputFile &) = delete;
  InputFile &operator=(const InputFile &) = delete;

  const char *c_str() const { return path.c_str(); }

private:
  int fd = -1;
  std::string path;
};

} // namespace lathe::fuzz

#endif // LATHE_FUZZ_FUZZFILE_H
