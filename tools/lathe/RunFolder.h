// Which ONNX model a run folder (lathe train --checkpoint DIR) was trained
// from, recorded so that the folder can move: the model's path relative to
// the folder, its absolute path, and a hash of its content.
#ifndef LATHE_TOOLS_LATHE_RUNFOLDER_H
#define LATHE_TOOLS_LATHE_RUNFOLDER_H

#include "lathe/runtime.h"

#include <string>
#include <utility>
#include <vector>

namespace lathe::cli {

/// A hex hash of the file at |path| ("" if it cannot be read).
std::string modelHash(const std::string &path);

/// How a checkpoint names the model it was trained from.
struct ModelRecord {
  std::string absolute; ///< The model's absolute path.
  std::string relative; ///< Its path relative to the run folder.
  std::string hash;     ///< modelHash of its content.
  /// The checkpoint metadata (checkpoint_key) that holds the record.
  std::vector<std::pair<std::string, std::string>> metadata() const;
};

/// The record of |model|, trained into |runFolder|.
ModelRecord recordModel(const std::string &model, const std::string &runFolder);

/// The model a checkpoint in |runFolder| was trained from: the recorded
/// relative path if it resolves to a file with the recorded content, else
/// the recorded absolute path likewise. On failure returns "" and sets
/// |error| to why (naming the places tried).
std::string findTrainedModel(const lathe_trainer_t *trainer,
                             const std::string &runFolder, std::string &error);

} // namespace lathe::cli

#endif // LATHE_TOOLS_LATHE_RUNFOLDER_H
