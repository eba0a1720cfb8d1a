// Fuzz target for the ONNX reader and importer (frontends/onnx): each
// input is a serialized ModelProto, imported as `lathe compile` would; a
// model the importer accepts must verify. The custom mutator is
// structure-aware: it parses the model and changes one thing a crafted
// file would (an attribute's value or type, an op type, an edge, a shape,
// an initializer's dims, a node added or removed), so that mutations
// reach the importer rather than die in protobuf parsing.
#include "fuzz/FuzzFile.h"

#include "frontends/onnx/OnnxImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

namespace {

/// Op types a mutation may put on a node: common ones and ones with
/// attributes, shapes or subgraphs that the importer must check.
const char *const kOpTypes[] = {"Add",
                                "Mul",
                                "MatMul",
                                "Gemm",
                                "Conv",
                                "ConvTranspose",
                                "MaxPool",
                                "AveragePool",
                                "Relu",
                                "LeakyRelu",
                                "Concat",
                                "Split",
                                "Slice",
                                "Reshape",
                                "Transpose",
                                "Gather",
                                "Unsqueeze",
                                "Squeeze",
                                "TopK",
                                "Softmax",
                                "BatchNormalization",
                                "LSTM",
                                "GRU",
                                "Resize",
                                "Pad",
                                "ReduceSum",
                                "Range",
                                "ConstantOfShape",
                                "Expand",
                                "Tile",
                                "Loop",
                                "If",
                                "Cast",
                                "Where",
                                "Einsum"};

void mutateModel(onnx::ModelProto &model, std::mt19937_64 &rng) {
  auto pick = [&](size_t n) {
    return size_t(std::uniform_int_distribution<size_t>(0, n - 1)(rng));
  };
  auto number = [&]() {
    const int64_t interesting[] = {
        0,  1,  -1,        2,         3,         7,
        64, -2, INT32_MAX, INT64_MAX, INT64_MIN, int64_t(1) << 40};
    return interesting[pick(std::size(interesting))];
  };
  onnx::GraphProto &g = *model.mutable_graph();
  std::vector<std::string> names;
  for (const auto &v : g.input())
    names.push_back(v.name());
  for (const auto &i : g.initializer())
    names.push_back(i.name());
  for (const auto &n : g.node())
    for (const auto &o : n.output())
      names.push_back(o);
  switch (pick(9)) {
  case 0: // An attribute's value.
  case 1: {
    if (g.node_size() == 0)
      break;
    onnx::NodeProto &n = *g.mutable_node(int(pick(size_t(g.node_size()))));
    if (n.attribute_size() == 0)
      break;
    onnx::AttributeProto &a =
        *n.mutable_attribute(int(pick(size_t(n.attribute_size()))));
    if (a.type() == onnx::AttributeProto::INT)
      a.set_i(number());
    else if (a.type() == onnx::AttributeProto::FLOAT)
      a.set_f(float(number()) / 3);
    else if (a.type() == onnx::AttributeProto::INTS && a.ints_size())
      a.set_ints(int(pick(size_t(a.ints_size()))), number());
    else if (a.type() == onnx::AttributeProto::INTS)
      a.add_ints(number());
    else if (pick(2))
      a.set_type(onnx::AttributeProto::INT); // The wrong type.
    break;
  }
  case 2: // An op type.
    if (g.node_size())
      g.mutable_node(int(pick(size_t(g.node_size()))))
          ->set_op_type(kOpTypes[pick(std::size(kOpTypes))]);
    break;
  case 3: // An edge.
    if (g.node_size() && !names.empty()) {
      onnx::NodeProto &n = *g.mutable_node(int(pick(size_t(g.node_size()))));
      if (n.input_size() && pick(3))
        n.set_input(int(pick(size_t(n.input_size()))),
                    names[pick(names.size())]);
      else
        n.add_input(pick(4) ? names[pick(names.size())] : "");
    }
    break;
  case 4: // A graph input's dimension.
    if (g.input_size()) {
      auto *shape = g.mutable_input(int(pick(size_t(g.input_size()))))
                        ->mutable_type()
                        ->mutable_tensor_type()
                        ->mutable_shape();
      if (shape->dim_size() && pick(4))
        shape->mutable_dim(int(pick(size_t(shape->dim_size()))))
            ->set_dim_value(number());
      else
        shape->add_dim()->set_dim_value(int64_t(pick(5)));
    }
    break;
  case 5: // An initializer's dims (its data unchanged).
    if (g.initializer_size()) {
      onnx::TensorProto &t =
          *g.mutable_initializer(int(pick(size_t(g.initializer_size()))));
      if (t.dims_size() && pick(3))
        t.set_dims(int(pick(size_t(t.dims_size()))), number());
      else
        t.add_dims(int64_t(pick(4)));
    }
    break;
  case 6: // A node removed.
    if (g.node_size() > 1)
      g.mutable_node()->DeleteSubrange(int(pick(size_t(g.node_size()))), 1);
    break;
  case 7: // A node copied (two producers of one tensor, or a chain).
    if (g.node_size())
      *g.add_node() = g.node(int(pick(size_t(g.node_size()))));
    break;
  default: // The opset.
    if (model.opset_import_size())
      model.mutable_opset_import(0)->set_version(int64_t(pick(25)));
    break;
  }
}

} // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                                          size_t maxSize, unsigned seed) {
  onnx::ModelProto model;
  std::mt19937_64 rng(seed);
  if (!model.ParseFromArray(data, int(size)) || rng() % 8 == 0)
    return LLVMFuzzerMutate(data, size, maxSize);
  mutateModel(model, rng);
  std::string bytes = model.SerializeAsString();
  if (bytes.size() > maxSize)
    return LLVMFuzzerMutate(data, size, maxSize);
  std::copy(bytes.begin(), bytes.end(), data);
  return bytes.size();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lathe::fuzz::InputFile file(data, size);
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  // Diagnostics are the expected outcome of a bad model: not printed.
  mlir::ScopedDiagnosticHandler quiet(
      &context, [](mlir::Diagnostic &) { return mlir::success(); });
  lathe::ImportOptions options;
  options.maxConstantBytes = int64_t(1) << 24; // Keep each run small.
  auto model = lathe::importOnnx(context, file.c_str(), options);
  if (mlir::succeeded(model) && mlir::failed(mlir::verify(*model->module)))
    __builtin_trap(); // The importer accepted a model into invalid IR.
  return 0;
}
