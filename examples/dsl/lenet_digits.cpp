// LeNet-5 written in the C++ DSL and trained from C++ on the shipped 8 x 8
// digits (examples/digits): lathe::train::fit compiles its training step
// ahead of time and runs it; the trained network is then compiled for
// inference and its state dict saved.
//
//   build/examples/dsl/lathe-dsl-lenet-digits examples/digits lenet-digits
//   lathe run lenet-digits.so --input x=examples/digits/samples.npy --classes
#include <lathe/nn.h>
#include <lathe/train.h>

#include <cmath>
#include <cstdio>
#include <string>

namespace nn = lathe::nn;
namespace F = lathe::nn::functional;

/// The layout of examples/digits/lenet-digits.onnx: two 3 x 3 convolutions
/// with pooling, three linear layers, dropout before the second.
struct LeNet : nn::Module {
  nn::Sequential features{nn::Conv2d(nn::Conv2dOptions(1, 6, 3).padding(1)),
                          nn::ReLU(),
                          nn::MaxPool2d(2),
                          nn::Conv2d(nn::Conv2dOptions(6, 16, 3).padding(1)),
                          nn::ReLU(),
                          nn::MaxPool2d(2)};
  nn::Sequential classifier{nn::Flatten(),     nn::Linear(64, 120), nn::ReLU(),
                            nn::Dropout(0.1),  nn::Linear(120, 84), nn::ReLU(),
                            nn::Linear(84, 10)};
  LeNet() { register_modules(features, classifier); }
  nn::Tensor forward(nn::Tensor x) { return classifier(features(x / 16.0)); }
};

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DIGITS_FOLDER OUTPUT\n", argv[0]);
    return 1;
  }
  std::string digits = argv[1], output = argv[2];
  try {
    lathe::manual_seed(1);
    LeNet net;
    auto train =
        lathe::train::load_npz(digits + "/digits-train.npz", {"x", "target"});
    auto val =
        lathe::train::load_npz(digits + "/digits-val.npz", {"x", "target"});
    lathe::train::FitOptions options;
    options.epochs = 30;
    options.batch_size = 32;
    options.seed = 1;
    options.options = {{"lr-schedule", "cosine"}};
    options.on_epoch = [](const lathe::train::EpochReport &r) {
      std::printf("epoch %2lld  loss %.4f  val loss %.4f  val accuracy "
                  "%.2f%%\n",
                  (long long)r.epoch, r.train_loss, r.val_loss, r.val_accuracy);
    };
    auto result = lathe::train::fit(
        net, nn::CrossEntropyLoss(), lathe::optim::Adam(3e-3),
        {{train[0]}, {train[1]}}, options, {{val[0]}, {val[1]}});
    std::printf("trained %lld steps: validation accuracy %.2f%%\n",
                (long long)result.steps, result.val_accuracy);
    net.save_state_dict(output + ".safetensors");
    lathe::compile(net, {{"x", {12, 1, 8, 8}}},
                   {.output = output, .emit = {"so", "header"}});
    std::printf("wrote %s.safetensors, %s.so and %s.h\n", output.c_str(),
                output.c_str(), output.c_str());
  } catch (const lathe::Error &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
