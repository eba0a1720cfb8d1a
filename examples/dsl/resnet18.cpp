// ResNet-18 written in the C++ DSL as torchvision writes it, loading
// torchvision's state dict (saved as safetensors by export_torchvision.py)
// and compiled ahead of time:
//
//   python3 examples/dsl/export_torchvision.py resnet18.safetensors
//   build/examples/dsl/lathe-dsl-resnet18 resnet18.safetensors r18 [N]
//   lathe run r18.so --input x=images.npy        # N x 3 x 224 x 224 -> N x
//   1000
#include "basic_block.h"

#include <lathe/nn.h>

#include <cstdio>
#include <string>

namespace nn = lathe::nn;
namespace F = lathe::nn::functional;

/// torchvision.models.resnet18: four stages of two basic blocks.
struct ResNet18 : nn::Module {
  nn::Conv2d conv1{
      nn::Conv2dOptions(3, 64, 7).stride(2).padding(3).bias(false)};
  nn::BatchNorm2d bn1{64};
  nn::MaxPool2d maxpool{nn::MaxPool2dOptions(3).stride(2).padding(1)};
  nn::Sequential layer1 = stage(64, 64, 1), layer2 = stage(64, 128, 2),
                 layer3 = stage(128, 256, 2), layer4 = stage(256, 512, 2);
  nn::AdaptiveAvgPool2d avgpool{1};
  nn::Linear fc{512, 1000};

  ResNet18() {
    register_modules(conv1, bn1, maxpool, layer1, layer2, layer3, layer4,
                     avgpool, fc);
  }

  static nn::Sequential stage(int64_t in, int64_t out, int64_t stride) {
    return nn::Sequential(std::make_shared<BasicBlock>(in, out, stride),
                          std::make_shared<BasicBlock>(out, out, 1));
  }

  nn::Tensor forward(nn::Tensor x) {
    x = maxpool(F::relu(bn1(conv1(x))));
    x = layer4(layer3(layer2(layer1(x))));
    return fc(avgpool(x).flatten(1));
  }
};

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: %s STATE.safetensors OUTPUT [BATCH]\n"
                 "  compiles torchvision's ResNet-18 with the weights of "
                 "STATE into OUTPUT.so and OUTPUT.h\n",
                 argv[0]);
    return 1;
  }
  int64_t batch = argc > 3 ? std::stoll(argv[3]) : 1;
  try {
    ResNet18 net;
    net.load_state_dict(argv[1]);
    lathe::compile(net, {{"x", {batch, 3, 224, 224}}},
                   {.output = argv[2], .emit = {"so", "header"}});
  } catch (const lathe::Error &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  std::printf("wrote %s.so and %s.h\n", argv[2], argv[2]);
  return 0;
}
