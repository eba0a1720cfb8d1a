// TensorBoard event files: scalars that `tensorboard --logdir` plots.
#ifndef LATHE_TOOLS_LATHE_EVENTFILE_H
#define LATHE_TOOLS_LATHE_EVENTFILE_H

#include <cstdint>
#include <fstream>
#include <string>

namespace lathe::cli {

/// Writes `events.out.tfevents.<seconds>.<host>.lathe` in a folder: TFRecord
/// framing (length, masked CRC-32C of the length, data, masked CRC-32C of the
/// data) around Event protocol buffers, the first one naming the format
/// version, then one Summary per scalar.
class EventFile {
public:
  /// Opens a new file in |dir| (which must exist); "" on success, else why.
  std::string open(const std::string &dir);
  bool isOpen() const { return out.is_open(); }
  /// Appends scalar |tag| = |value| at |step|.
  void scalar(const std::string &tag, int64_t step, double value);
  /// Pushes what was written to the file (TensorBoard reads it live).
  void flush() { out.flush(); }

private:
  void record(const std::string &event);
  std::ofstream out;
};

} // namespace lathe::cli

#endif // LATHE_TOOLS_LATHE_EVENTFILE_H
