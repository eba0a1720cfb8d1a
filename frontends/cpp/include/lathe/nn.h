// Lathe's C++ DSL: networks written the way torch.nn (and libtorch's C++
// frontend) writes them, compiled ahead of time by lathe::compile.
//
//   struct Net : lathe::nn::Module {
//     lathe::nn::Linear fc1{784, 128}, fc2{128, 10};
//     Net() { register_modules(fc1, fc2); }
//     lathe::nn::Tensor forward(lathe::nn::Tensor x) {
//       return fc2(lathe::nn::functional::relu(fc1(x)));
//     }
//   };
//   Net net;
//   net.load_state_dict("net.safetensors");
//   lathe::compile(net, {{"x", {64, 784}}}, {"net", {"so", "header"}});
//
// Tensors are of two kinds. Parameters, buffers and tensors made by the
// creation functions (zeros, ones, randn, ...) hold values. The tensors
// forward works on while lathe::compile traces it are symbolic: each
// operation on them adds an op to the compiled graph, shapes are known and
// checked as the trace goes. A value tensor used in forward becomes a
// parameter of the artifact (a registered parameter or buffer, under its
// state_dict name) or a constant.
//
// Layers are shared handles over their implementation, as libtorch's
// (nn::Linear holds a LinearImpl; copies share it; `fc1->weight`); a user's
// own module derives from nn::Module and registers its parts by name.
// Errors (a bad shape in forward, a state dict that does not fit) throw
// lathe::Error whose message names the module path (`layer2.0.conv1`) or
// the state_dict key.
#ifndef LATHE_NN_H
#define LATHE_NN_H

#include "lathe/nn/attention.h"
#include "lathe/nn/compile.h"
#include "lathe/nn/containers.h"
#include "lathe/nn/functional.h"
#include "lathe/nn/layers.h"
#include "lathe/nn/module.h"
#include "lathe/nn/options.h"
#include "lathe/nn/recurrent.h"
#include "lathe/nn/tensor.h"

#endif // LATHE_NN_H
