// A program using the installed C++ DSL: a network with known weights,
// compiled by lathe::compile into ARGV[1].so, loaded and run through the
// runtime; its output is checked against the same arithmetic done here.
// Prints "ok" and exits 0 when they agree.
#include <lathe/nn.h>
#include <lathe/runtime.h>

#include <cmath>
#include <cstdio>

namespace nn = lathe::nn;

struct Net : nn::Module {
  nn::Linear fc1{4, 3}, fc2{3, 2};
  Net() { register_modules(fc1, fc2); }
  nn::Tensor forward(nn::Tensor x) { return fc2(nn::functional::relu(fc1(x))); }
};

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: dsl_main OUTPUT_BASE\n");
    return 1;
  }
  Net net;
  lathe::compile(net, {{"x", {1, 4}}}, {.output = argv[1], .emit = {"so"}});

  // The same network by hand, from the initialized weights.
  const float x[4] = {0.5f, -1.0f, 2.0f, 0.25f};
  float h[3], want[2];
  const float *w1 = net.fc1->weight.data_ptr<float>();
  const float *b1 = net.fc1->bias.data_ptr<float>();
  const float *w2 = net.fc2->weight.data_ptr<float>();
  const float *b2 = net.fc2->bias.data_ptr<float>();
  for (int o = 0; o < 3; ++o) {
    double s = b1[o];
    for (int i = 0; i < 4; ++i)
      s += double(w1[o * 4 + i]) * x[i];
    h[o] = s > 0 ? float(s) : 0.0f;
  }
  for (int o = 0; o < 2; ++o) {
    double s = b2[o];
    for (int i = 0; i < 3; ++i)
      s += double(w2[o * 3 + i]) * h[i];
    want[o] = float(s);
  }

  lathe_context_t *ctx = nullptr;
  lathe_module_t *module = nullptr;
  lathe_tensor_t *in = nullptr, *out = nullptr;
  std::string so = std::string(argv[1]) + ".so";
  int64_t dims[2] = {1, 4};
  if (lathe_context_create(nullptr, &ctx) != LATHE_OK ||
      lathe_module_load(ctx, so.c_str(), &module) != LATHE_OK ||
      lathe_tensor_wrap(ctx, LATHE_F32, 2, dims, const_cast<float *>(x), &in) !=
          LATHE_OK ||
      lathe_module_run(ctx, module, "forward", &in, 1, &out, 1) != LATHE_OK) {
    std::fprintf(stderr, "dsl_main: %s\n",
                 ctx ? lathe_context_last_error(ctx) : "no context");
    return 1;
  }
  const float *got = static_cast<const float *>(lathe_tensor_data(out));
  for (int o = 0; o < 2; ++o)
    if (!(std::fabs(got[o] - want[o]) <= 1e-5f + 1e-5f * std::fabs(want[o]))) {
      std::fprintf(stderr, "dsl_main: output %d is %g, expected %g\n", o,
                   got[o], want[o]);
      return 1;
    }
  lathe_tensor_destroy(in);
  lathe_tensor_destroy(out);
  lathe_module_destroy(module);
  lathe_context_destroy(ctx);
  std::printf("ok\n");
  return 0;
}
