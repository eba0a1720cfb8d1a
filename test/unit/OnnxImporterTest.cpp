// Unit tests of the ONNX frontend: valid models, malformed files, clear errors.
#include "OnnxBuilder.h"
#include "frontends/onnx/OnnxModel.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <iterator>

using namespace lathe::test;
using Catch::Matchers::Contains;

TEST_CASE("importer turns float initializers into named parameters") {
  std::string dir = makeTempDir();
  ImportOutcome r = importFile(save(linearReluModel(), dir));
  INFO(r.diagnostics);
  REQUIRE(r.ok);
  CHECK(r.paramNames == std::vector<std::string>{"W", "b"});
}

TEST_CASE("importer reports a missing file by its path") {
  ImportOutcome r = importFile("/nonexistent/model.onnx");
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics, Contains("/nonexistent/model.onnx: cannot read"));
}

TEST_CASE("importer rejects a file that is not a protobuf") {
  std::string dir = makeTempDir();
  std::ofstream(dir + "/junk.onnx") << "this is not an ONNX model at all";
  ImportOutcome r = importFile(dir + "/junk.onnx");
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics, Contains("not a valid ONNX model"));
}

TEST_CASE("importer rejects a truncated model") {
  std::string dir = makeTempDir();
  std::string bytes;
  linearReluModel().SerializeToString(&bytes);
  std::ofstream(dir + "/cut.onnx", std::ios::binary)
      << bytes.substr(0, bytes.size() / 2);
  ImportOutcome r = importFile(dir + "/cut.onnx");
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics, Contains("not a valid ONNX model"));
}

TEST_CASE("importer lists every unsupported node at once") {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {1, 4});
  addNode(model, "Relu", "ok", {"x"}, {"a"});
  addNode(model, "FancyOp", "first_bad", {"a"}, {"b"});
  setInt(addNode(model, "Relu", "second_bad", {"b"}, {"y"}), "alpha", 2);
  addOutput(model, "y");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(
      r.diagnostics,
      Contains("[first_bad] operator FancyOp is not supported (opset 13)"));
  CHECK_THAT(
      r.diagnostics,
      Contains("[second_bad] attribute 'alpha' of Relu is not supported"));
}

TEST_CASE("importer needs --input-shape for a symbolic dimension") {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {-1, 4});
  addNode(model, "Relu", "act", {"x"}, {"y"});
  addOutput(model, "y");
  std::string path = save(model, makeTempDir());
  ImportOutcome missing = importFile(path);
  CHECK_FALSE(missing.ok);
  CHECK_THAT(missing.diagnostics,
             Contains("input 'x' has symbolic dimension 'batch'; pass "
                      "--input-shape x="));
  ImportOutcome fixed = importFile(path, {{"x", {8, 4}}});
  INFO(fixed.diagnostics);
  CHECK(fixed.ok);
  ImportOutcome wrongRank = importFile(path, {{"x", {8}}});
  CHECK_FALSE(wrongRank.ok);
  CHECK_THAT(wrongRank.diagnostics, Contains("gives rank 1 but the model "
                                             "declares rank 2"));
}

TEST_CASE("importer rejects --input-shape for a name that is not an input") {
  ImportOutcome r =
      importFile(save(linearReluModel(), makeTempDir()), {{"z", {1}}});
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics, Contains("--input-shape names 'z'"));
}

TEST_CASE("importer rejects a node reading a value nothing produces") {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2, 3});
  addNode(model, "Add", "sum", {"x", "missing_weight"}, {"y"});
  addOutput(model, "y");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics, Contains("[sum] Add: input 'missing_weight' is "
                                     "not produced by any earlier node"));
}

TEST_CASE("importer rejects an output nothing produces") {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2, 3});
  addNode(model, "Relu", "act", {"x"}, {"y"});
  addOutput(model, "nowhere");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics, Contains("output 'nowhere' is not produced"));
}

TEST_CASE("importer reports a Conv shape error at the node's name") {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {1, 3, 8, 8});
  addInitializer(model, "w", {4, 2, 3, 3}, std::vector<float>(72, 0.1f));
  addNode(model, "Conv", "conv1", {"x", "w"}, {"y"});
  addOutput(model, "y");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics,
             Contains("[conv1] lathe.conv2d expected weight dimension 1 to be "
                      "3 (channels / groups), got 2"));
}

TEST_CASE("importer rejects a Conv whose kernel rank exceeds 3-D") {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {1, 3, 4, 4, 4, 4});
  addInitializer(model, "w", {4, 3, 3, 3, 3, 3}, std::vector<float>(972, 0.1f));
  addNode(model, "Conv", "conv4d", {"x", "w"}, {"y"});
  addOutput(model, "y");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics,
             Contains("[conv4d] Conv: only 1-D to 3-D convolution"));
}

TEST_CASE("importer runs a Conv3d as lathe.conv3d") {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {1, 3, 8, 8, 8});
  addInitializer(model, "w", {4, 3, 3, 3, 3}, std::vector<float>(324, 0.1f));
  addNode(model, "Conv", "conv3d", {"x", "w"}, {"y"});
  addOutput(model, "y");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  INFO(r.diagnostics);
  REQUIRE(r.ok);
  CHECK_THAT(r.ir, Contains("lathe.conv3d"));
  CHECK_THAT(r.ir, Contains("tensor<1x4x6x6x6xf32>"));
}

TEST_CASE("importer runs a Conv1d as a Conv2d of unit height") {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {1, 3, 8});
  addInitializer(model, "w", {4, 3, 3}, std::vector<float>(36, 0.1f));
  setInts(addNode(model, "Conv", "conv1d", {"x", "w"}, {"y"}), "pads", {1, 0});
  addOutput(model, "y");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  INFO(r.diagnostics);
  REQUIRE(r.ok);
  // pads {1, 0}: one in front, none behind, so 8 + 1 - 3 + 1 = 7 columns.
  CHECK_THAT(r.ir, Contains("lathe.conv2d"));
  CHECK_THAT(r.ir, Contains("tensor<1x3x1x8xf32>"));
  CHECK_THAT(r.ir, Contains("tensor<1x4x1x7xf32>"));
  CHECK_THAT(r.ir, !Contains("lathe.conv1d"));
}

TEST_CASE("a pooling window larger than the padded input leaves it empty") {
  // ONNX's output size, rounded down, is 0 there (as ONNX Runtime runs it).
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {1, 1, 2, 2, 2});
  setInts(addNode(model, "MaxPool", "pool3d", {"x"}, {"y", "i"}),
          "kernel_shape", {3, 3, 3});
  addOutput(model, "y");
  addOutput(model, "i");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  INFO(r.diagnostics);
  REQUIRE(r.ok);
  CHECK_THAT(r.ir, Contains("tensor<1x1x0x0x0xf32>"));
  CHECK_THAT(r.ir, Contains("tensor<1x1x0x0x0xi64>"));
}

TEST_CASE("importer runs a 1-D MaxPool with indices as a 2-D one") {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2, 3, 9});
  onnx::NodeProto &pool =
      addNode(model, "MaxPool", "pool1d", {"x"}, {"y", "i"});
  setInts(pool, "kernel_shape", {3});
  setInt(pool, "storage_order", 1);
  addOutput(model, "y");
  addOutput(model, "i");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  INFO(r.diagnostics);
  REQUIRE(r.ok);
  CHECK_THAT(r.ir, Contains("lathe.max_pool_with_indices"));
  CHECK_THAT(r.ir, Contains("tensor<2x3x1x9xf32>"));
  CHECK_THAT(r.ir, Contains("tensor<2x3x7xi64>"));
}

TEST_CASE("importer rejects an initializer whose data does not fit its shape") {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {4});
  addInitializer(model, "b", {4}, {1, 2, 3}); // 3 values for 4 elements
  addNode(model, "Add", "sum", {"x", "b"}, {"y"});
  addOutput(model, "y");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics,
             Contains("tensor 'b' holds 12 bytes but its shape needs 16"));
}

TEST_CASE("importer resolves Reshape's 0 and -1 entries") {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2, 3, 4});
  addInt64Initializer(model, "shape", {0, -1});
  addNode(model, "Reshape", "flat", {"x", "shape"}, {"y"});
  addOutput(model, "y");
  std::string dir = makeTempDir();
  ImportOutcome good = importFile(save(model, dir));
  INFO(good.diagnostics);
  REQUIRE(good.ok);
  CHECK_THAT(good.ir, Contains("tensor<2x12xf32>"));

  onnx::ModelProto bad = makeModel();
  addInput(bad, "x", {2, 3, 4});
  addInt64Initializer(bad, "shape", {5, -1});
  addNode(bad, "Reshape", "flat", {"x", "shape"}, {"y"});
  addOutput(bad, "y");
  ImportOutcome r = importFile(save(bad, dir, "bad.onnx"));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics,
             Contains("[flat] Reshape: cannot infer -1: 24 elements do not "
                      "divide by 5"));
}

TEST_CASE("importer rejects an opset outside 1..21") {
  onnx::ModelProto model = linearReluModel();
  model.mutable_opset_import(0)->set_version(99);
  ImportOutcome r = importFile(save(model, makeTempDir()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics, Contains("opset 99 is not supported"));
}

TEST_CASE("importer names the domains of a model without a default opset") {
  onnx::ModelProto model = linearReluModel();
  model.mutable_opset_import(0)->set_domain("com.example");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics,
             Contains("imports no opset of the default ONNX domain (it "
                      "imports: com.example 13)"));
}

TEST_CASE("a model of training operators alone imports no default opset") {
  onnx::ModelProto model = linearReluModel();
  model.mutable_opset_import(0)->set_domain("ai.onnx.preview.training");
  model.mutable_opset_import(0)->set_version(1);
  ImportOutcome r = importFile(save(model, makeTempDir()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics,
             Contains("operator Gemm is in the default ONNX domain, which "
                      "the model does not import"));
}

TEST_CASE("sequences name a bad position or a sequence operand") {
  onnx::ModelProto model = makeModel(13);
  addInput(model, "x", {2, 3});
  addInput(model, "y", {2, 3});
  addNode(model, "SequenceConstruct", "make", {"x", "y"}, {"seq"});
  SECTION("a position past the end") {
    addInt64Initializer(model, "five", {5});
    model.mutable_graph()->mutable_initializer()->rbegin()->clear_dims();
    addNode(model, "SequenceAt", "at", {"seq", "five"}, {"z"});
    addOutput(model, "z");
    ImportOutcome r = importFile(save(model, makeTempDir()));
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.diagnostics, Contains("SequenceAt: position 5 is out of "
                                       "range for a sequence of 2 tensors"));
  }
  SECTION("a sequence as the model's output: one output per tensor") {
    addOutput(model, "seq");
    ImportOutcome r = importFile(save(model, makeTempDir()));
    INFO(r.diagnostics);
    CHECK(r.ok);
  }
  SECTION("a sequence where a tensor belongs") {
    addNode(model, "Relu", "relu", {"seq"}, {"z"});
    addOutput(model, "z");
    ImportOutcome r = importFile(save(model, makeTempDir()));
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.diagnostics,
               Contains("Relu: input 0 ('seq', X) is seq(tensor(float)); "
                        "opset 13 takes tensor(bfloat16), tensor(double), "
                        "tensor(float), tensor(float16)"));
  }
}

TEST_CASE("Loop refuses a condition decided at run time") {
  onnx::ModelProto model = makeModel(13);
  addInput(model, "y", {2});
  addInt64Initializer(model, "m", {3});
  model.mutable_graph()->mutable_initializer()->rbegin()->clear_dims();
  onnx::NodeProto &node = addNode(model, "Loop", "loop", {"m", "", "y"}, {"z"});
  auto *attr = node.add_attribute();
  attr->set_name("body");
  attr->set_type(onnx::AttributeProto::GRAPH);
  onnx::GraphProto *body = attr->mutable_g();
  // cond_out = reduce_sum(y_in) > 0: a run-time value.
  for (const char *name : {"i", "c", "y_in"})
    body->add_input()->set_name(name);
  auto *sum = body->add_node();
  sum->set_op_type("ReduceSum");
  sum->add_input("y_in");
  sum->add_output("total");
  auto *positive = body->add_node();
  positive->set_op_type("Greater");
  positive->add_input("total");
  positive->add_input("total");
  positive->add_output("c_out");
  auto *same = body->add_node();
  same->set_op_type("Identity");
  same->add_input("y_in");
  same->add_output("y_out");
  for (const char *name : {"c_out", "y_out"})
    body->add_output()->set_name(name);
  addOutput(model, "z");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics, Contains("Loop: the body's condition must be "
                                     "known at compile time"));
}

TEST_CASE("optimizer updates name a missing attribute or a mismatched run") {
  const char *training = "ai.onnx.preview.training";
  onnx::ModelProto model = makeModel();
  addOpsetImport(model, training, 1);
  addInput(model, "r", {});
  addInput(model, "t", {}, onnx::TensorProto::INT64);
  addInput(model, "x", {2, 3});
  addInput(model, "g", {2, 3});
  SECTION("Momentum without its required mode") {
    addInput(model, "v", {2, 3});
    onnx::NodeProto &node = addNode(model, "Momentum", "momentum",
                                    {"r", "t", "x", "g", "v"}, {"x2", "v2"});
    node.set_domain(training);
    for (const char *name : {"alpha", "beta", "norm_coefficient"}) {
      auto *attr = node.add_attribute();
      attr->set_name(name);
      attr->set_type(onnx::AttributeProto::FLOAT);
      attr->set_f(0.5f);
    }
    addOutput(model, "x2");
    ImportOutcome r = importFile(save(model, makeTempDir()));
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.diagnostics,
               Contains("Momentum: required attribute 'mode' is missing"));
  }
  SECTION("an accumulator of another shape than its tensor") {
    addInput(model, "h", {3, 2});
    addNode(model, "Adagrad", "adagrad", {"r", "t", "x", "g", "h"},
            {"x2", "h2"})
        .set_domain(training);
    addOutput(model, "x2");
    ImportOutcome r = importFile(save(model, makeTempDir()));
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.diagnostics,
               Contains("Adagrad: input 4 must have the type of X1 (input "
                        "2), 'tensor<2x3xf32>', got 'tensor<3x2xf32>'"));
  }
  SECTION("inputs that do not split into X, G and H runs") {
    addNode(model, "Adagrad", "adagrad", {"r", "t", "x", "g"}, {"x2"})
        .set_domain(training);
    addOutput(model, "x2");
    ImportOutcome r = importFile(save(model, makeTempDir()));
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.diagnostics,
               Contains("Adagrad: expected R, T and 3 runs of equally many "
                        "tensors, got 4 inputs"));
  }
}

TEST_CASE("importer names the graph input a compile-time value comes from") {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2, 3});
  addInput(model, "n", {2});
  setInt(addNode(model, "Cast", "to_int", {"n"}, {"reps"}), "to",
         onnx::TensorProto::INT64);
  addNode(model, "Add", "plus", {"reps", "reps"}, {"twice"});
  addNode(model, "Tile", "tile", {"x", "twice"}, {"y"});
  addOutput(model, "y");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics, Contains("input 'twice' (repeats) must be known "
                                     "at compile time"));
  CHECK_THAT(r.diagnostics, Contains("computed from graph input 'n': fix "
                                     "that with --freeze-input n=FILE.npy"));
}

TEST_CASE("integer-arithmetic ops name a wrong operand type or zero point") {
  const int u8 = onnx::TensorProto::UINT8, i8 = onnx::TensorProto::INT8;
  SECTION("a float operand") {
    onnx::ModelProto model = makeModel();
    addInput(model, "a", {2, 3});
    addInput(model, "b", {3, 4}, u8);
    addNode(model, "MatMulInteger", "mm", {"a", "b"}, {"y"});
    addOutput(model, "y");
    ImportOutcome r = importFile(save(model, makeTempDir()));
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.diagnostics,
               Contains("MatMulInteger: input 0 ('a', A) is tensor(float); "
                        "opset 10 takes tensor(int8), tensor(uint8)"));
  }
  SECTION("a zero point of another type than its operand") {
    onnx::ModelProto model = makeModel();
    addInput(model, "x", {1, 2, 5, 5}, u8);
    addInput(model, "w", {3, 2, 3, 3}, i8);
    addInput(model, "xz", {}, i8);
    addNode(model, "ConvInteger", "conv", {"x", "w", "xz"}, {"y"});
    addOutput(model, "y");
    ImportOutcome r = importFile(save(model, makeTempDir()));
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.diagnostics,
               Contains("ConvInteger: input 2 ('xz') is tensor(int8) but "
                        "input 0 is tensor(uint8); both are T1, one type"));
  }
  SECTION("a per-channel zero point of the wrong length") {
    onnx::ModelProto model = makeModel();
    addInput(model, "x", {1, 2, 5, 5}, u8);
    addInput(model, "w", {3, 2, 3, 3}, i8);
    addInput(model, "xz", {}, u8);
    addInput(model, "wz", {4}, i8);
    addNode(model, "ConvInteger", "conv", {"x", "w", "xz", "wz"}, {"y"});
    addOutput(model, "y");
    ImportOutcome r = importFile(save(model, makeTempDir()));
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.diagnostics,
               Contains("the zero point of input 1 must be a scalar or hold "
                        "one value per element of axis 0 (3), got shape 4"));
  }
}

TEST_CASE("RoiAlign refuses an adaptive sampling ratio by name") {
  onnx::ModelProto model = makeModel(16);
  addInput(model, "x", {1, 2, 8, 8});
  addInput(model, "rois", {3, 4});
  addInput(model, "batch", {3}, onnx::TensorProto::INT64);
  addNode(model, "RoiAlign", "roi", {"x", "rois", "batch"}, {"y"});
  addOutput(model, "y");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics,
             Contains("RoiAlign: sampling_ratio 0 (adaptive: a sample count "
                      "that depends on each roi's size) is not supported"));
}

namespace {

/// linearReluModel with W stored externally at |location|.
onnx::ModelProto externalModel(const std::string &location, int64_t length) {
  onnx::ModelProto model = linearReluModel();
  auto *w = model.mutable_graph()->mutable_initializer(0);
  w->clear_raw_data();
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto *loc = w->add_external_data();
  loc->set_key("location");
  loc->set_value(location);
  auto *len = w->add_external_data();
  len->set_key("length");
  len->set_value(std::to_string(length));
  return model;
}

void writeFloats(const std::string &path, size_t count) {
  std::vector<float> values(count);
  for (size_t i = 0; i < count; ++i)
    values[i] = 0.5f + float(i); // Distinct, so that an order shows.
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char *>(values.data()),
             std::streamsize(values.size() * sizeof(float)));
}

} // namespace

TEST_CASE("importer reads external data next to the model") {
  std::string dir = makeTempDir();
  writeFloats(dir + "/w.bin", 12);
  ImportOutcome r = importFile(save(externalModel("w.bin", 48), dir));
  INFO(r.diagnostics);
  REQUIRE(r.ok);
  // The parameter holds the file's bytes.
  std::ifstream in(dir + "/w.bin", std::ios::binary);
  std::vector<char> file((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  REQUIRE(r.paramNames.size() == 2);
  CHECK(r.paramNames[0] == "W");
  CHECK(r.paramBytes[0] == file);
}

TEST_CASE("importer refuses external data outside the model's folder") {
  std::string dir = makeTempDir();
  writeFloats(dir + "/w.bin", 12);
  std::string sub = dir + "/models";
  REQUIRE(system(("mkdir -p " + sub).c_str()) == 0);
  ImportOutcome up = importFile(save(externalModel("../w.bin", 48), sub));
  CHECK_FALSE(up.ok);
  CHECK_THAT(up.diagnostics, Contains("leaves the model's folder"));
  ImportOutcome absolute =
      importFile(save(externalModel(dir + "/w.bin", 48), sub, "abs.onnx"));
  CHECK_FALSE(absolute.ok);
  CHECK_THAT(absolute.diagnostics, Contains("must be a relative path"));
}

TEST_CASE("importer checks external data sizes against the file") {
  std::string dir = makeTempDir();
  writeFloats(dir + "/w.bin", 5); // 20 bytes, 48 needed
  ImportOutcome r = importFile(save(externalModel("w.bin", 48), dir));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics, Contains("exceeds the file's 20 bytes"));
  ImportOutcome len =
      importFile(save(externalModel("w.bin", 40), dir, "m2.onnx"));
  CHECK_FALSE(len.ok);
  CHECK_THAT(len.diagnostics, Contains("does not match its shape (48 bytes)"));
}

TEST_CASE("importer reports a missing external data file") {
  ImportOutcome r =
      importFile(save(externalModel("absent.bin", 48), makeTempDir()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics, Contains("external data file 'absent.bin' not "
                                     "found next to the model"));
}

TEST_CASE("importer folds integer shape arithmetic only for Add/Sub/Mul/Div") {
  // Pow of two int64 constants is not folded as if it were a division: it
  // becomes a run-time lathe.pow, so Reshape cannot use it as a shape.
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2});
  addInt64Initializer(model, "a", {2, 3});
  addInt64Initializer(model, "b", {3, 2});
  addNode(model, "Pow", "pow", {"a", "b"}, {"p"});
  addNode(model, "Reshape", "r", {"x", "p"}, {"y"});
  addOutput(model, "y");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics, Contains("[r] Reshape: input 'p' (shape) must be "
                                     "known at compile time"));
}

TEST_CASE("importer refuses a loss reduction other than none, mean and sum") {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {4, 3});
  addInt64Initializer(model, "t", {0, 1, 2, 1});
  onnx::NodeProto &node =
      addNode(model, "NegativeLogLikelihoodLoss", "nll", {"x", "t"}, {"y"});
  auto *attr = node.add_attribute();
  attr->set_name("reduction");
  attr->set_type(onnx::AttributeProto::STRING);
  attr->set_s("average");
  addOutput(model, "y");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics,
             Contains("[nll] NegativeLogLikelihoodLoss: reduction 'average' is "
                      "not one of none, mean and sum"));
}

TEST_CASE("importer aligns a legacy broadcast=1 operand at its axis") {
  // Opset 6: Add(x: 2x3x4, b: 3, broadcast=1, axis=1) adds b per channel;
  // at axis 2 b would meet the last dimension (4) and cannot broadcast.
  auto model = [](int64_t axis) {
    onnx::ModelProto m = makeModel(6);
    addInput(m, "x", {2, 3, 4});
    addInitializer(m, "b", {3}, {1, 2, 3});
    onnx::NodeProto &node = addNode(m, "Add", "add", {"x", "b"}, {"y"});
    setInt(node, "broadcast", 1);
    setInt(node, "axis", axis);
    addOutput(m, "y");
    return m;
  };
  ImportOutcome ok = importFile(save(model(1), makeTempDir()));
  INFO(ok.diagnostics);
  REQUIRE(ok.ok);
  // b is read as 3x1 so that it meets the channels.
  CHECK_THAT(ok.ir, Contains("tensor<3x1xf32>"));
  ImportOutcome bad = importFile(save(model(2), makeTempDir()));
  CHECK_FALSE(bad.ok);
  CHECK_THAT(bad.diagnostics, Contains("lathe.add expected broadcastable "
                                       "shapes"));
}

TEST_CASE("typed fields decode 16-bit floats and unsigned integers") {
  onnx::TensorProto half;
  half.set_name("h");
  half.set_data_type(onnx::TensorProto::FLOAT16);
  half.add_dims(3);
  for (int bits : {0x3c00, 0xc000, 0x7c00}) // 1, -2, +inf as binary16
    half.add_int32_data(bits);
  auto h = lathe::decodeTensor(half, "");
  REQUIRE(bool(h));
  CHECK(h->dtype == lathe::DType::F16);
  CHECK(h->floatAt(0) == 1.0);
  CHECK(h->floatAt(1) == -2.0);
  CHECK(std::isinf(h->floatAt(2)));

  onnx::TensorProto bf;
  bf.set_name("b");
  bf.set_data_type(onnx::TensorProto::BFLOAT16);
  bf.add_dims(1);
  bf.add_int32_data(0x3fc0); // 1.5 as bfloat16
  auto b = lathe::decodeTensor(bf, "");
  REQUIRE(bool(b));
  CHECK(b->floatAt(0) == 1.5);

  onnx::TensorProto wide;
  wide.set_name("u");
  wide.set_data_type(onnx::TensorProto::UINT64);
  wide.add_dims(2);
  wide.add_uint64_data(18446744073709551615ull);
  wide.add_uint64_data(7);
  auto u = lathe::decodeTensor(wide, "");
  REQUIRE(bool(u));
  CHECK(u->dtype == lathe::DType::U64);
  CHECK(u->floatAt(0) == 18446744073709551615.0);
  CHECK(u->intAt(1) == 7);

  // Appending rounds to the element type.
  lathe::TensorValue t;
  t.dtype = lathe::DType::F16;
  t.append(1.0 + 1.0 / 4096, 0); // below half a binary16 ulp above 1
  CHECK(t.floatAt(0) == 1.0);
}

TEST_CASE("TfIdfVectorizer names a malformed pool or string tokens") {
  onnx::ModelProto model = makeModel(9);
  addInput(model, "x", {2, 6}, onnx::TensorProto::INT64);
  onnx::NodeProto &node =
      addNode(model, "TfIdfVectorizer", "tfidf", {"x"}, {"y"});
  setString(node, "mode", "TF");
  setInt(node, "min_gram_length", 1);
  setInt(node, "max_gram_length", 2);
  setInt(node, "max_skip_count", 0);
  addOutput(model, "y");
  SECTION("a level that does not divide into n-grams") {
    setInts(node, "ngram_counts", {0, 2});
    setInts(node, "pool_int64s", {4, 5, 6, 7, 8});
    setInts(node, "ngram_indexes", {0, 1});
    ImportOutcome r = importFile(save(model, makeTempDir()));
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.diagnostics,
               Contains("TfIdfVectorizer: the 2-grams of the pool hold 3 "
                        "items, not a multiple of 2"));
  }
  SECTION("ngram_indexes of another length than the pool") {
    setInts(node, "ngram_counts", {0, 2});
    setInts(node, "pool_int64s", {4, 5, 6, 7});
    setInts(node, "ngram_indexes", {0, 1});
    ImportOutcome r = importFile(save(model, makeTempDir()));
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.diagnostics,
               Contains("TfIdfVectorizer: ngram_indexes has 2 entries for "
                        "the pool's 3 n-grams"));
  }
  SECTION("a pool of strings") {
    setStrings(node, "pool_strings", {"monday"});
    setInts(node, "ngram_counts", {0});
    setInts(node, "ngram_indexes", {0});
    ImportOutcome r = importFile(save(model, makeTempDir()));
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.diagnostics, Contains("[tfidf] attribute 'pool_strings' of "
                                       "TfIdfVectorizer is not supported"));
  }
}

TEST_CASE("Gradient refuses inputs other than the tensors it names") {
  const char *training = "ai.onnx.preview.training";
  onnx::ModelProto model = makeModel();
  addOpsetImport(model, training, 1);
  addInput(model, "a", {3});
  addInput(model, "b", {3});
  addNode(model, "Mul", "mul", {"a", "b"}, {"c"});
  onnx::NodeProto &node =
      addNode(model, "Gradient", "grad", {"b", "a"}, {"dc_da", "dc_db"});
  node.set_domain(training);
  setStrings(node, "xs", {"a", "b"});
  setString(node, "y", "c");
  addOutput(model, "dc_da");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics,
             Contains("Gradient: input 0 is 'b', not the tensor it evaluates, "
                      "xs[0] = 'a'"));
}

TEST_CASE("a sequence input needs its tensors' shapes, which must fit") {
  onnx::ModelProto model = makeModel();
  auto *in = model.mutable_graph()->add_input();
  in->set_name("xs");
  auto *tensor = in->mutable_type()
                     ->mutable_sequence_type()
                     ->mutable_elem_type()
                     ->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  tensor->mutable_shape()->add_dim()->set_dim_param("N");
  tensor->mutable_shape()->add_dim()->set_dim_value(3);
  addNode(model, "ConcatFromSequence", "cat", {"xs"}, {"y"});
  setInt(model.mutable_graph()->mutable_node(0)[0], "axis", 0);
  addOutput(model, "y");
  std::string path = save(model, makeTempDir());
  SECTION("without --sequence-input") {
    ImportOutcome r = importFile(path);
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.diagnostics,
               Contains("[xs] input 'xs' is a sequence, whose length and "
                        "shapes Lathe needs at compile time; pass "
                        "--sequence-input xs=<shape>,<shape>..."));
  }
  SECTION("a tensor of another shape than the declared one") {
    ImportOutcome r = importFile(path, {}, {{"xs", {{2, 3}, {4, 2}}}});
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.diagnostics,
               Contains("--sequence-input xs: tensor 1 has shape 4x2, which "
                        "the model's declared element shape does not allow"));
  }
  SECTION("tensors that fit") {
    ImportOutcome r = importFile(path, {}, {{"xs", {{2, 3}, {4, 3}}}});
    INFO(r.diagnostics);
    CHECK(r.ok);
  }
  SECTION("a name that is not a sequence input") {
    ImportOutcome r =
        importFile(path, {}, {{"xs", {{2, 3}}}, {"ys", {{2, 3}}}});
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.diagnostics,
               Contains("--sequence-input names 'ys', which is not a "
                        "sequence input of the model"));
  }
}

TEST_CASE("optionals: an empty one holds no value, --absent-input names one") {
  onnx::ModelProto model = makeModel(15);
  auto *in = model.mutable_graph()->add_input();
  in->set_name("maybe");
  auto *tensor = in->mutable_type()
                     ->mutable_optional_type()
                     ->mutable_elem_type()
                     ->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  tensor->mutable_shape()->add_dim()->set_dim_value(4);
  addInput(model, "x", {4});
  SECTION("an optional input holds a value by default") {
    addNode(model, "OptionalGetElement", "get", {"maybe"}, {"v"});
    addNode(model, "Add", "add", {"v", "x"}, {"y"});
    addOutput(model, "y");
    ImportOutcome r = importFile(save(model, makeTempDir()));
    INFO(r.diagnostics);
    CHECK(r.ok);
  }
  SECTION("the value of an empty optional") {
    addNode(model, "OptionalGetElement", "get", {"maybe"}, {"v"});
    addOutput(model, "v");
    lathe::ImportOptions options;
    options.absentInputs.insert("maybe");
    ImportOutcome r = importWith(save(model, makeTempDir()), options);
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.diagnostics,
               Contains("OptionalGetElement: input 'maybe' is an empty "
                        "optional, which holds no value"));
  }
  SECTION("--absent-input on an input that is not optional") {
    addNode(model, "Relu", "relu", {"x"}, {"y"});
    addOutput(model, "y");
    lathe::ImportOptions options;
    options.absentInputs.insert("x");
    ImportOutcome r = importWith(save(model, makeTempDir()), options);
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.diagnostics, Contains("--absent-input names 'x', which is "
                                       "not an optional input"));
  }
}

TEST_CASE("Compress needs its condition at compile time and says how") {
  onnx::ModelProto model = makeModel(11);
  addInput(model, "x", {4, 5});
  addInput(model, "keep", {5}, onnx::TensorProto::BOOL);
  setInt(addNode(model, "Compress", "compress", {"x", "keep"}, {"y"}), "axis",
         1);
  addOutput(model, "y");
  ImportOutcome r = importFile(save(model, makeTempDir()));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics,
             Contains("Compress: input 'keep' (condition, which decides the "
                      "output's shape) must be known at compile time"));
  CHECK_THAT(r.diagnostics, Contains("--freeze-input keep=FILE.npy"));
}

TEST_CASE("a declared size that overflows is an error, not a wrapped count") {
  // [2^62, 4] with no data: the element count wraps to 0 in 64 bits.
  for (std::vector<int64_t> dims :
       {std::vector<int64_t>{int64_t(1) << 62, 4},
        std::vector<int64_t>{int64_t(1) << 31, int64_t(1) << 31, 2},
        std::vector<int64_t>{int64_t(1) << 61}}) {
    onnx::ModelProto model = linearReluModel();
    onnx::TensorProto &big = addInitializer(model, "big", {1}, {0.0f});
    big.clear_dims();
    big.clear_raw_data();
    for (int64_t d : dims)
      big.add_dims(d);
    addNode(model, "Slice", "cut", {"big", "starts", "ends"}, {"piece"});
    addInt64Initializer(model, "starts", {0});
    addInt64Initializer(model, "ends", {1});
    addOutput(model, "piece");
    std::string dir = makeTempDir();
    ImportOutcome r = importFile(save(model, dir));
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.diagnostics, Contains("tensor 'big'"));
  }
}

TEST_CASE("typed tensor fields are counted before anything is allocated") {
  // A shape of 2^40 floats with no float_data: refused by count.
  onnx::ModelProto model = linearReluModel();
  onnx::TensorProto &big = addInitializer(model, "big", {1}, {0.0f});
  big.clear_dims();
  big.clear_raw_data();
  big.add_dims(int64_t(1) << 40);
  addNode(model, "Identity", "id", {"big"}, {"same"});
  addOutput(model, "same");
  std::string dir = makeTempDir();
  ImportOutcome r = importFile(save(model, dir));
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.diagnostics,
             Contains("tensor 'big' holds 0 values but its shape needs"));
}
