// Unit tests of the C runtime: tensors, .npy files, loading and running
// compiled artifacts, and the errors each call reports.
#include "OnnxBuilder.h"

#include "lathe/runtime.h"
#include "runtime/Descriptor.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/resource.h>
#include <thread>

using namespace lathe::test;
using Catch::Matchers::Contains;

namespace {

/// A context that is destroyed at the end of the scope.
struct Context {
  lathe_context_t *ctx = nullptr;
  Context() { REQUIRE(lathe_context_create(nullptr, &ctx) == LATHE_OK); }
  ~Context() { lathe_context_destroy(ctx); }
  std::string error() const { return lathe_context_last_error(ctx); }
};

/// The reference for linearReluModel: relu(x W^T + b).
std::vector<float> linearRelu(const float *x) {
  const float w[4][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, -1, 0.5f}};
  const float b[4] = {0.5f, -1, 0, 0.25f};
  std::vector<float> y(8);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j) {
      float acc = b[j];
      for (int k = 0; k < 3; ++k)
        acc += x[i * 3 + k] * w[j][k];
      y[i * 4 + j] = std::max(acc, 0.0f);
    }
  return y;
}

/// Compiles linearReluModel once per process.
const std::string &linearReluSo(bool external) {
  static std::string paths[2];
  std::string &path = paths[external];
  if (path.empty()) {
    std::string dir = makeTempDir(), error;
    std::string onnx = save(linearReluModel(), dir);
    path = compileToSharedObject(onnx, dir, external ? "lin_ext" : "lin",
                                 external, error);
    INFO(error);
    REQUIRE(!path.empty());
  }
  return path;
}

void runAndCheck(lathe_context_t *ctx, lathe_module_t *module, float offset) {
  float x[6] = {1 + offset, -2, 3, 0.5f, 0.25f - offset, -1};
  int64_t dims[2] = {2, 3};
  lathe_tensor_t *in = nullptr, *out = nullptr;
  REQUIRE(lathe_tensor_wrap(ctx, LATHE_F32, 2, dims, x, &in) == LATHE_OK);
  REQUIRE(lathe_module_run(ctx, module, "forward", &in, 1, &out, 1) ==
          LATHE_OK);
  std::vector<float> want = linearRelu(x);
  const float *got = static_cast<const float *>(lathe_tensor_data(out));
  for (int i = 0; i < 8; ++i)
    CHECK(got[i] == Approx(want[i]).margin(1e-6));
  lathe_tensor_destroy(in);
  lathe_tensor_destroy(out);
}

} // namespace

TEST_CASE("runtime loads an artifact, describes it and runs it") {
  Context c;
  lathe_module_t *module = nullptr;
  REQUIRE(lathe_module_load(c.ctx, linearReluSo(false).c_str(), &module) ==
          LATHE_OK);
  CHECK(std::string(lathe_module_name(module)) == "lin");
  REQUIRE(lathe_module_num_inputs(module) == 1);
  REQUIRE(lathe_module_num_outputs(module) == 1);
  REQUIRE(lathe_module_num_params(module) == 2);
  lathe_tensor_info_t info;
  REQUIRE(lathe_module_input_info(module, 0, &info) == LATHE_OK);
  CHECK(std::string(info.name) == "x");
  CHECK(info.rank == 2);
  CHECK(info.dims[0] == 2);
  CHECK(info.dims[1] == 3);
  REQUIRE(lathe_module_param_info(module, 1, &info) == LATHE_OK);
  CHECK(std::string(info.name) == "b");
  CHECK(lathe_module_input_info(module, 1, &info) == LATHE_INVALID_ARGUMENT);
  runAndCheck(c.ctx, module, 0.0f);
  lathe_module_destroy(module);
}

TEST_CASE("runtime runs two contexts on two threads side by side") {
  Context setup;
  lathe_module_t *module = nullptr;
  REQUIRE(lathe_module_load(setup.ctx, linearReluSo(false).c_str(), &module) ==
          LATHE_OK);
  // Catch2's assertions are not thread-safe: each thread records a result.
  auto worker = [module](float offset, bool *ok) {
    lathe_context_t *ctx = nullptr;
    *ok = lathe_context_create(nullptr, &ctx) == LATHE_OK;
    for (int iter = 0; iter < 200 && *ok; ++iter) {
      float x[6] = {offset, 1, -1, 2, offset * 2, 0.5f};
      int64_t dims[2] = {2, 3};
      lathe_tensor_t *in = nullptr, *out = nullptr;
      *ok =
          lathe_tensor_wrap(ctx, LATHE_F32, 2, dims, x, &in) == LATHE_OK &&
          lathe_module_run(ctx, module, "forward", &in, 1, &out, 1) == LATHE_OK;
      if (*ok) {
        std::vector<float> want = linearRelu(x);
        const float *got = static_cast<const float *>(lathe_tensor_data(out));
        for (int i = 0; i < 8; ++i)
          *ok = *ok && std::fabs(got[i] - want[i]) < 1e-5f;
      }
      lathe_tensor_destroy(in);
      lathe_tensor_destroy(out);
    }
    lathe_context_destroy(ctx);
  };
  bool ok1 = false, ok2 = false;
  std::thread t1(worker, 1.5f, &ok1), t2(worker, -0.75f, &ok2);
  t1.join();
  t2.join();
  CHECK(ok1);
  CHECK(ok2);
  lathe_module_destroy(module);
}

TEST_CASE("lathe_tensor_wrap takes no data only for an empty tensor") {
  Context c;
  int64_t empty[2] = {4, 0}, full[2] = {4, 1};
  lathe_tensor_t *t = nullptr;
  REQUIRE(lathe_tensor_wrap(c.ctx, LATHE_F32, 2, empty, nullptr, &t) ==
          LATHE_OK);
  CHECK(lathe_tensor_num_bytes(t) == 0);
  lathe_tensor_destroy(t);
  t = nullptr;
  CHECK(lathe_tensor_wrap(c.ctx, LATHE_F32, 2, full, nullptr, &t) ==
        LATHE_INVALID_ARGUMENT);
  CHECK(t == nullptr);
}

TEST_CASE("runtime rejects inputs of the wrong shape, dtype or count") {
  Context c;
  lathe_module_t *module = nullptr;
  REQUIRE(lathe_module_load(c.ctx, linearReluSo(false).c_str(), &module) ==
          LATHE_OK);
  float data[8] = {};
  lathe_tensor_t *out = nullptr;

  int64_t wrongDims[2] = {3, 2};
  lathe_tensor_t *wrongShape = nullptr;
  REQUIRE(lathe_tensor_wrap(c.ctx, LATHE_F32, 2, wrongDims, data,
                            &wrongShape) == LATHE_OK);
  CHECK(lathe_module_run(c.ctx, module, "forward", &wrongShape, 1, &out, 1) ==
        LATHE_INVALID_ARGUMENT);
  CHECK(c.error() == "input 'x' expects f32 2x3, got f32 3x2");

  int64_t dims[2] = {2, 3};
  lathe_tensor_t *wrongType = nullptr;
  REQUIRE(lathe_tensor_wrap(c.ctx, LATHE_I32, 2, dims, data, &wrongType) ==
          LATHE_OK);
  CHECK(lathe_module_run(c.ctx, module, "forward", &wrongType, 1, &out, 1) ==
        LATHE_INVALID_ARGUMENT);
  CHECK(c.error() == "input 'x' expects f32 2x3, got i32 2x3");

  CHECK(lathe_module_run(c.ctx, module, "forward", &wrongType, 0, &out, 1) ==
        LATHE_INVALID_ARGUMENT);
  CHECK_THAT(c.error(), Contains("takes 1 inputs, got 0"));
  CHECK(lathe_module_run(c.ctx, module, "train_step", &wrongType, 1, &out, 1) ==
        LATHE_NOT_FOUND);
  CHECK_THAT(c.error(), Contains("entry point 'train_step' does not exist"));
  CHECK(out == nullptr);
  lathe_tensor_destroy(wrongShape);
  lathe_tensor_destroy(wrongType);
  lathe_module_destroy(module);
}

TEST_CASE("runtime reports a missing or foreign artifact") {
  Context c;
  lathe_module_t *module = nullptr;
  CHECK(lathe_module_load(c.ctx, "/nonexistent/model.so", &module) ==
        LATHE_NOT_FOUND);
  CHECK_THAT(c.error(), Contains("/nonexistent/model.so: cannot open"));
  std::string dir = makeTempDir();
  std::ofstream(dir + "/fake.so") << "not an ELF file";
  CHECK(lathe_module_load(c.ctx, (dir + "/fake.so").c_str(), &module) ==
        LATHE_INCOMPATIBLE);
  CHECK_THAT(c.error(), Contains("not a loadable shared object"));
  CHECK(module == nullptr);
}

/// A copy of |so| at |path| whose descriptor says |from| where it said |to|
/// (same length, so the file stays a valid shared object).
void patchDescriptor(const std::string &so, const std::string &path,
                     const std::string &from, const std::string &to) {
  std::ifstream in(so, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  size_t at = bytes.find(from);
  REQUIRE(at != std::string::npos);
  REQUIRE(from.size() == to.size());
  bytes.replace(at, from.size(), to);
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST_CASE("runtime refuses an artifact of another ABI version, naming both") {
  Context c;
  std::string dir = makeTempDir();
  patchDescriptor(linearReluSo(false), dir + "/v2.so", "lathe-artifact 3\n",
                  "lathe-artifact 2\n");
  lathe_module_t *module = nullptr;
  CHECK(lathe_module_load(c.ctx, (dir + "/v2.so").c_str(), &module) ==
        LATHE_INCOMPATIBLE);
  CHECK(module == nullptr);
  CHECK_THAT(c.error(), Contains("artifact format version 2 is not supported "
                                 "by this runtime (it reads version 3)"));
}

TEST_CASE("runtime calls an entry by the kind its descriptor states") {
  // The kind, not the name, decides how an entry is called: a descriptor
  // whose forward claims another kind is refused when it names none.
  Context c;
  std::string dir = makeTempDir();
  patchDescriptor(linearReluSo(false), dir + "/kind.so",
                  "entry forward infer\n", "entry forward inf3r\n");
  lathe_module_t *module = nullptr;
  CHECK(lathe_module_load(c.ctx, (dir + "/kind.so").c_str(), &module) ==
        LATHE_INCOMPATIBLE);
  CHECK_THAT(c.error(), Contains("entry 'forward' has no known kind "
                                 "('inf3r')"));
}

TEST_CASE("lathe_module_inspect describes an artifact that it cannot run") {
  Context c;
  lathe_module_t *module = nullptr;
  REQUIRE(lathe_module_inspect(c.ctx, linearReluSo(false).c_str(), &module) ==
          LATHE_OK);
  CHECK(std::string(lathe_module_name(module)) == "lin");
  lathe_tensor_info_t info;
  REQUIRE(lathe_module_input_info(module, 0, &info) == LATHE_OK);
  CHECK(std::string(info.name) == "x");
  CHECK(lathe_module_num_params(module) == 2);
  float x[6] = {};
  int64_t dims[2] = {2, 3};
  lathe_tensor_t *in = nullptr, *out = nullptr;
  REQUIRE(lathe_tensor_wrap(c.ctx, LATHE_F32, 2, dims, x, &in) == LATHE_OK);
  CHECK(lathe_module_run(c.ctx, module, "forward", &in, 1, &out, 1) ==
        LATHE_INVALID_ARGUMENT);
  CHECK_THAT(c.error(), Contains("opened by lathe_module_inspect"));
  CHECK(out == nullptr);
  lathe_trainer_t *trainer = nullptr;
  CHECK(lathe_trainer_create(c.ctx, module, &trainer) ==
        LATHE_INVALID_ARGUMENT);
  CHECK(trainer == nullptr);
  lathe_tensor_destroy(in);
  lathe_module_destroy(module);
}

TEST_CASE("runtime refuses an artifact that needs CPU features this CPU "
          "lacks, naming them") {
  Context c;
  std::string dir = makeTempDir();
  // The descriptor records what the target machine enabled; an extension
  // no CPU has (and no runtime can check) stands for one this CPU lacks.
  std::ifstream in(linearReluSo(false), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  size_t at = bytes.find("\ncpu-features ");
  REQUIRE(at != std::string::npos);
  size_t first = at + std::strlen("\ncpu-features ");
  size_t length = bytes.find_first_of(" \n", first) - first;
  patchDescriptor(linearReluSo(false), dir + "/future.so",
                  "cpu-features " + bytes.substr(first, length),
                  "cpu-features " + std::string(length, 'q'));
  lathe_module_t *module = nullptr;
  CHECK(lathe_module_load(c.ctx, (dir + "/future.so").c_str(), &module) ==
        LATHE_INCOMPATIBLE);
  CHECK(module == nullptr);
  CHECK_THAT(c.error(),
             Contains("compiled for a CPU with " + std::string(length, 'q') +
                      ", which this CPU lacks"));
  // Describing it does not need the CPU.
  CHECK(lathe_module_inspect(c.ctx, (dir + "/future.so").c_str(), &module) ==
        LATHE_OK);
  lathe_module_destroy(module);
}

TEST_CASE("runtime loads external weights and verifies them") {
  Context c;
  const std::string &so = linearReluSo(true);
  lathe_module_t *module = nullptr;
  REQUIRE(lathe_module_load(c.ctx, so.c_str(), &module) == LATHE_OK);
  runAndCheck(c.ctx, module, 0.5f);
  lathe_module_destroy(module);

  std::string weights = so.substr(0, so.size() - 3) + ".weights";
  std::string saved;
  {
    std::ifstream in(weights, std::ios::binary);
    saved.assign(std::istreambuf_iterator<char>(in), {});
  }
  SECTION("a corrupted weights file is refused") {
    std::string bad = saved;
    bad[0] ^= 0x40;
    std::ofstream(weights, std::ios::binary) << bad;
    CHECK(lathe_module_load(c.ctx, so.c_str(), &module) ==
          LATHE_INVALID_ARGUMENT);
    CHECK_THAT(c.error(), Contains("checksum mismatch"));
  }
  SECTION("a truncated weights file is refused") {
    std::ofstream(weights, std::ios::binary) << saved.substr(0, 10);
    CHECK(lathe_module_load(c.ctx, so.c_str(), &module) ==
          LATHE_INVALID_ARGUMENT);
    CHECK_THAT(c.error(), Contains("holds 10 bytes, the artifact expects"));
  }
  SECTION("a missing weights file is reported") {
    std::remove(weights.c_str());
    CHECK(lathe_module_load(c.ctx, so.c_str(), &module) == LATHE_NOT_FOUND);
    CHECK_THAT(c.error(), Contains("cannot open the weights file"));
  }
  std::ofstream(weights, std::ios::binary) << saved;
}

TEST_CASE("dtype names and sizes cover every dtype") {
  const std::pair<lathe_dtype_t, std::pair<const char *, size_t>> want[] = {
      {LATHE_F32, {"f32", 4}},   {LATHE_F64, {"f64", 8}},
      {LATHE_I32, {"i32", 4}},   {LATHE_I64, {"i64", 8}},
      {LATHE_I8, {"i8", 1}},     {LATHE_U8, {"u8", 1}},
      {LATHE_BOOL, {"bool", 1}}, {LATHE_I16, {"i16", 2}},
      {LATHE_U16, {"u16", 2}},   {LATHE_U32, {"u32", 4}},
      {LATHE_U64, {"u64", 8}},   {LATHE_F16, {"f16", 2}},
      {LATHE_BF16, {"bf16", 2}}};
  for (const auto &[dtype, nameSize] : want) {
    CHECK(std::string(lathe_dtype_name(dtype)) == nameSize.first);
    CHECK(lathe_dtype_size(dtype) == nameSize.second);
  }
  CHECK(lathe_dtype_size(lathe_dtype_t(13)) == 0);
}

TEST_CASE("bf16 tensors are refused by .npy, which has no such type") {
  Context c;
  std::string dir = makeTempDir();
  int64_t dims[] = {3};
  lathe_tensor_t *t = nullptr;
  REQUIRE(lathe_tensor_create(c.ctx, LATHE_BF16, 1, dims, &t) == LATHE_OK);
  std::string path = dir + "/t.npy";
  CHECK(lathe_tensor_save_npy(c.ctx, t, path.c_str()) ==
        LATHE_INVALID_ARGUMENT);
  CHECK(std::string(lathe_context_last_error(c.ctx)).find("bf16") !=
        std::string::npos);
  CHECK(!std::ifstream(path).good());
  lathe_tensor_destroy(t);
}

TEST_CASE("npy files round-trip every dtype and shape") {
  Context c;
  std::string dir = makeTempDir();
  for (lathe_dtype_t dtype :
       {LATHE_F32, LATHE_F64, LATHE_I32, LATHE_I64, LATHE_I8, LATHE_U8,
        LATHE_BOOL, LATHE_I16, LATHE_U16, LATHE_U32, LATHE_U64, LATHE_F16}) {
    for (std::vector<int64_t> dims :
         {std::vector<int64_t>{}, std::vector<int64_t>{5},
          std::vector<int64_t>{2, 3, 4}}) {
      lathe_tensor_t *t = nullptr, *back = nullptr;
      REQUIRE(lathe_tensor_create(c.ctx, dtype, dims.size(), dims.data(), &t) ==
              LATHE_OK);
      auto *bytes = static_cast<unsigned char *>(lathe_tensor_data(t));
      for (size_t i = 0; i < lathe_tensor_num_bytes(t); ++i)
        bytes[i] = dtype == LATHE_BOOL ? (i % 2) : (unsigned char)(i * 7 + 1);
      std::string path = dir + "/t.npy";
      REQUIRE(lathe_tensor_save_npy(c.ctx, t, path.c_str()) == LATHE_OK);
      REQUIRE(lathe_tensor_load_npy(c.ctx, path.c_str(), &back) == LATHE_OK);
      lathe_tensor_info_t a, b;
      lathe_tensor_info(t, &a);
      lathe_tensor_info(back, &b);
      CHECK(a.dtype == b.dtype);
      REQUIRE(a.rank == b.rank);
      for (size_t i = 0; i < a.rank; ++i)
        CHECK(a.dims[i] == b.dims[i]);
      REQUIRE(lathe_tensor_num_bytes(t) == lathe_tensor_num_bytes(back));
      CHECK(std::memcmp(lathe_tensor_data(t), lathe_tensor_data(back),
                        lathe_tensor_num_bytes(t)) == 0);
      lathe_tensor_destroy(t);
      lathe_tensor_destroy(back);
    }
  }
}

TEST_CASE("npy reader rejects malformed files with the reason") {
  Context c;
  std::string dir = makeTempDir();
  lathe_tensor_t *t = nullptr;
  std::ofstream(dir + "/bad.npy") << "hello";
  CHECK(lathe_tensor_load_npy(c.ctx, (dir + "/bad.npy").c_str(), &t) ==
        LATHE_INVALID_ARGUMENT);
  CHECK_THAT(c.error(), Contains("missing the \\x93NUMPY magic"));

  int64_t dims[1] = {100};
  REQUIRE(lathe_tensor_create(c.ctx, LATHE_F32, 1, dims, &t) == LATHE_OK);
  REQUIRE(lathe_tensor_save_npy(c.ctx, t, (dir + "/ok.npy").c_str()) ==
          LATHE_OK);
  lathe_tensor_destroy(t);
  t = nullptr;
  std::string full;
  {
    std::ifstream in(dir + "/ok.npy", std::ios::binary);
    full.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::ofstream(dir + "/short.npy", std::ios::binary)
      << full.substr(0, full.size() - 8);
  CHECK(lathe_tensor_load_npy(c.ctx, (dir + "/short.npy").c_str(), &t) ==
        LATHE_INVALID_ARGUMENT);
  CHECK_THAT(c.error(), Contains("the data is shorter than shape (100,)"));

  std::string fortran = full;
  fortran.replace(fortran.find("False"), 5, "True ");
  std::ofstream(dir + "/f.npy", std::ios::binary) << fortran;
  CHECK(lathe_tensor_load_npy(c.ctx, (dir + "/f.npy").c_str(), &t) ==
        LATHE_INVALID_ARGUMENT);
  CHECK_THAT(c.error(), Contains("Fortran-ordered"));

  std::string complex = full;
  complex.replace(complex.find("<f4"), 3, "<c8");
  std::ofstream(dir + "/c.npy", std::ios::binary) << complex;
  CHECK(lathe_tensor_load_npy(c.ctx, (dir + "/c.npy").c_str(), &t) ==
        LATHE_INVALID_ARGUMENT);
  CHECK_THAT(c.error(), Contains("element type '<c8'"));
  CHECK(t == nullptr);

  // Found by fuzzing: a shape that is not a tuple (it threw out_of_range),
  // and one of ~600 TB in a file of a few hundred bytes (refused before
  // anything is allocated).
  std::string scalarShape = full;
  scalarShape.replace(scalarShape.find("(100,)"), 6, "5     ");
  std::ofstream(dir + "/s.npy", std::ios::binary) << scalarShape;
  CHECK(lathe_tensor_load_npy(c.ctx, (dir + "/s.npy").c_str(), &t) ==
        LATHE_INVALID_ARGUMENT);
  CHECK_THAT(c.error(), Contains("is not a tuple"));
  std::string huge = full;
  size_t at = huge.find("(100,)");
  huge.replace(at, 6, "(99999999999999,)");
  huge.erase(huge.find('}', at) + 1, 11); // Padding: the same header length.
  std::ofstream(dir + "/h.npy", std::ios::binary) << huge;
  CHECK(lathe_tensor_load_npy(c.ctx, (dir + "/h.npy").c_str(), &t) ==
        LATHE_INVALID_ARGUMENT);
  CHECK_THAT(c.error(), Contains("the data is shorter than shape"));
  CHECK(t == nullptr);
}

TEST_CASE("npy writer reports a folder that does not exist") {
  Context c;
  std::string dir = makeTempDir();
  int64_t dims[1] = {4};
  lathe_tensor_t *t = nullptr;
  REQUIRE(lathe_tensor_create(c.ctx, LATHE_F32, 1, dims, &t) == LATHE_OK);
  std::string path = dir + "/missing-dir/out.npy";
  CHECK(lathe_tensor_save_npy(c.ctx, t, path.c_str()) == LATHE_IO_ERROR);
  CHECK_THAT(c.error(), Contains("cannot write"));
  lathe_tensor_destroy(t);
}

TEST_CASE("npy writer never leaves a partial file in place of an old one") {
  // The write fails half way: the file size limit (RLIMIT_FSIZE) stops it
  // after 4 KiB of a 64 KiB tensor, as a full disk would.
  Context c;
  std::string dir = makeTempDir();
  std::string path = dir + "/out.npy";
  std::ofstream(path, std::ios::binary) << "the old contents";
  int64_t dims[1] = {16384};
  lathe_tensor_t *t = nullptr;
  REQUIRE(lathe_tensor_create(c.ctx, LATHE_F32, 1, dims, &t) == LATHE_OK);
  struct rlimit before;
  REQUIRE(getrlimit(RLIMIT_FSIZE, &before) == 0);
  struct rlimit small = before;
  small.rlim_cur = 4096;
  auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
  REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
  lathe_status_t status = lathe_tensor_save_npy(c.ctx, t, path.c_str());
  setrlimit(RLIMIT_FSIZE, &before);
  std::signal(SIGXFSZ, oldHandler);
  lathe_tensor_destroy(t);
  CHECK(status == LATHE_IO_ERROR);
  std::ifstream in(path, std::ios::binary);
  std::string contents((std::istreambuf_iterator<char>(in)),
                       std::istreambuf_iterator<char>());
  CHECK(contents == "the old contents");
  // Nor a temporary file beside it.
  size_t files = 0;
  for (const auto &entry : std::filesystem::directory_iterator(dir)) {
    INFO(entry.path());
    ++files;
  }
  CHECK(files == 1);
}

TEST_CASE("tensor creation rejects negative dimensions") {
  Context c;
  int64_t dims[2] = {2, -1};
  lathe_tensor_t *t = nullptr;
  CHECK(lathe_tensor_create(c.ctx, LATHE_F32, 2, dims, &t) ==
        LATHE_INVALID_ARGUMENT);
  CHECK(t == nullptr);
  CHECK_THAT(c.error(), Contains("negative or overflowing"));
}

TEST_CASE("runtime gives identical results on one thread and on three") {
  // A convolution large enough that its tiles run as parallel tasks.
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {1, 8, 32, 32});
  std::vector<float> w(16 * 8 * 3 * 3);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = float((i * 37) % 11) / 11.0f - 0.5f;
  addInitializer(model, "w", {16, 8, 3, 3}, w);
  setInts(addNode(model, "Conv", "conv", {"x", "w"}, {"h"}), "pads",
          {1, 1, 1, 1});
  addNode(model, "Relu", "act", {"h"}, {"y"});
  addOutput(model, "y");
  std::string dir = makeTempDir(), error;
  std::string so =
      compileToSharedObject(save(model, dir), dir, "conv", false, error);
  INFO(error);
  REQUIRE(!so.empty());

  std::vector<float> x(8 * 32 * 32);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = float((i * 13) % 17) / 17.0f - 0.25f;
  int64_t dims[4] = {1, 8, 32, 32};
  std::vector<std::vector<float>> results;
  for (int threads : {1, 3}) {
    lathe_context_options_t options;
    lathe_context_options_init(&options);
    options.num_threads = threads;
    lathe_context_t *ctx = nullptr;
    REQUIRE(lathe_context_create(&options, &ctx) == LATHE_OK);
    CHECK(lathe_context_num_threads(ctx) == threads);
    const lathe_env_t *env = lathe_context_env(ctx);
    REQUIRE(env != nullptr);
    CHECK(env->struct_size == sizeof(lathe_env_t));
    CHECK((env->parallel_for != nullptr) == (threads > 1));
    lathe_module_t *module = nullptr;
    REQUIRE(lathe_module_load(ctx, so.c_str(), &module) == LATHE_OK);
    lathe_tensor_t *in = nullptr, *out = nullptr;
    REQUIRE(lathe_tensor_wrap(ctx, LATHE_F32, 4, dims, x.data(), &in) ==
            LATHE_OK);
    for (int repeat = 0; repeat < 3; ++repeat) {
      REQUIRE(lathe_module_run(ctx, module, "forward", &in, 1, &out, 1) ==
              LATHE_OK);
      const float *y = static_cast<const float *>(lathe_tensor_data(out));
      results.emplace_back(y, y + 16 * 32 * 32);
      lathe_tensor_destroy(out);
    }
    lathe_tensor_destroy(in);
    lathe_module_destroy(module);
    lathe_context_destroy(ctx);
  }
  // Each element is computed the same way whichever thread computes it.
  for (const auto &r : results)
    CHECK(r == results.front());
  // And it is the convolution: spot-check one interior output.
  float want = 0;
  for (int c = 0; c < 8; ++c)
    for (int kh = 0; kh < 3; ++kh)
      for (int kw = 0; kw < 3; ++kw)
        want += x[c * 1024 + (10 + kh - 1) * 32 + (20 + kw - 1)] *
                w[((3 * 8 + c) * 3 + kh) * 3 + kw];
  CHECK(results.front()[3 * 1024 + 10 * 32 + 20] ==
        Approx(std::max(want, 0.0f)).margin(1e-5));
}

TEST_CASE("runtime rejects a negative thread count") {
  lathe_context_options_t options;
  lathe_context_options_init(&options);
  options.num_threads = -2;
  lathe_context_t *ctx = nullptr;
  CHECK(lathe_context_create(&options, &ctx) == LATHE_INVALID_ARGUMENT);
  CHECK(ctx == nullptr);
}

TEST_CASE("descriptor fields escape what could add a record or a field") {
  std::string name = std::string("a b\nscratch 64\t%41\x7f") + '\0' + "end";
  std::string field = lathe::descriptor::escapeField(name);
  CHECK(field == "a%20b%0Ascratch%2064%09%2541%7F%00end");
  std::string back;
  REQUIRE(lathe::descriptor::unescapeField(field, back));
  CHECK(back == name);
  CHECK(lathe::descriptor::unescapeField("plain.name", back));
  CHECK(back == "plain.name");
  // A malformed escape or a raw space is refused.
  CHECK_FALSE(lathe::descriptor::unescapeField("a%4", back));
  CHECK_FALSE(lathe::descriptor::unescapeField("a%G1", back));
  CHECK_FALSE(lathe::descriptor::unescapeField("a b", back));
}
