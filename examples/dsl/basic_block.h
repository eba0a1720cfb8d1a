// torchvision's BasicBlock in the C++ DSL: what examples/dsl/resnet18.cpp
// and the DSL's tests build ResNets from.
#ifndef LATHE_EXAMPLES_DSL_BASIC_BLOCK_H
#define LATHE_EXAMPLES_DSL_BASIC_BLOCK_H

#include <lathe/nn.h>

/// torchvision.models.resnet.BasicBlock: two 3 x 3 convolutions with
/// batch norm, and a 1 x 1 downsampling branch when the shape changes.
struct BasicBlock : lathe::nn::Module {
  lathe::nn::Conv2d conv1, conv2;
  lathe::nn::BatchNorm2d bn1, bn2;
  lathe::nn::Sequential downsample;
  bool hasDownsample;

  BasicBlock(int64_t in, int64_t out, int64_t stride)
      : lathe::nn::Module("BasicBlock"),
        conv1(lathe::nn::Conv2dOptions(in, out, 3)
                  .stride(stride)
                  .padding(1)
                  .bias(false)),
        conv2(lathe::nn::Conv2dOptions(out, out, 3).padding(1).bias(false)),
        bn1(out), bn2(out), hasDownsample(stride != 1 || in != out) {
    register_modules(conv1, bn1, conv2, bn2);
    if (hasDownsample) {
      downsample = lathe::nn::Sequential(
          lathe::nn::Conv2d(
              lathe::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)),
          lathe::nn::BatchNorm2d(out));
      register_module("downsample", downsample);
    }
  }

  lathe::nn::Tensor forward(lathe::nn::Tensor x) {
    lathe::nn::Tensor identity = hasDownsample ? downsample(x) : x;
    lathe::nn::Tensor y = lathe::nn::functional::relu(bn1(conv1(x)));
    y = bn2(conv2(y));
    return lathe::nn::functional::relu(y + identity);
  }
};

#endif // LATHE_EXAMPLES_DSL_BASIC_BLOCK_H
