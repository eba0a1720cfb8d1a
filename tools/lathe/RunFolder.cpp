// The model record of a run folder (RunFolder.h).
#include "tools/lathe/RunFolder.h"
#include "tools/lathe/Commands.h"

#include "compiler/Artifact.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace lathe::cli {

std::string modelHash(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return "";
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  std::ostringstream hex;
  hex << std::hex << fnv1a64(bytes);
  return hex.str();
}

std::vector<std::pair<std::string, std::string>> ModelRecord::metadata() const {
  return {{checkpoint_key::kOnnx, absolute},
          {checkpoint_key::kOnnxRelative, relative},
          {checkpoint_key::kOnnxHash, hash}};
}

ModelRecord recordModel(const std::string &model,
                        const std::string &runFolder) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path absolute = fs::absolute(model, ec).lexically_normal();
  fs::path folder = fs::absolute(runFolder, ec).lexically_normal();
  return {absolute.string(), absolute.lexically_relative(folder).string(),
          modelHash(model)};
}

std::string findTrainedModel(const lathe_trainer_t *trainer,
                             const std::string &runFolder, std::string &error) {
  std::string absolute = lathe_trainer_metadata(trainer, checkpoint_key::kOnnx);
  std::string relative =
      lathe_trainer_metadata(trainer, checkpoint_key::kOnnxRelative);
  std::string hash = lathe_trainer_metadata(trainer, checkpoint_key::kOnnxHash);
  std::vector<std::string> places;
  if (!relative.empty())
    places.push_back(
        (std::filesystem::path(runFolder) / relative).lexically_normal());
  if (!absolute.empty() && (places.empty() || places[0] != absolute))
    places.push_back(absolute);
  if (places.empty()) {
    error = "the checkpoint does not name its ONNX model; pass --model";
    return "";
  }
  std::string tried;
  for (const std::string &place : places) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(place, ec)) {
      tried += "\n  " + place + ": does not exist";
      continue;
    }
    // Checkpoints written before the hash was recorded have none.
    if (!hash.empty() && modelHash(place) != hash) {
      tried += "\n  " + place + ": another model (its content differs)";
      continue;
    }
    return place;
  }
  error = "cannot find the ONNX model this checkpoint was trained from; "
          "pass --model with it. Tried:" +
          tried;
  return "";
}

} // namespace lathe::cli
