// Helpers that build small ONNX models in memory and compile them, for tests.
#include "OnnxBuilder.h"

#include "compiler/Artifact.h"
#include "compiler/Pipeline.h"
#include "frontends/onnx/OnnxImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace lathe::test {

std::string makeTempDir() {
  const char *base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base ? base : "/tmp") + "/lathe-test-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data()))
    throw std::runtime_error("mkdtemp failed");
  // Every folder made here goes when the test program ends.
  static std::vector<std::string> made;
  if (made.empty())
    std::atexit([] {
      for (const std::string &dir : made) {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      }
    });
  made.push_back(buf.data());
  return buf.data();
}

onnx::ModelProto makeModel(int opset) {
  onnx::ModelProto model;
  model.set_ir_version(7);
  model.set_producer_name("lathe-tests");
  auto *op = model.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  model.mutable_graph()->set_name("test");
  return model;
}

void addInput(onnx::ModelProto &model, const std::string &name,
              std::vector<int64_t> dims, int elemType) {
  auto *in = model.mutable_graph()->add_input();
  in->set_name(name);
  auto *tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elemType);
  auto *shape = tt->mutable_shape();
  for (int64_t d : dims) {
    auto *dim = shape->add_dim();
    if (d < 0)
      dim->set_dim_param("batch");
    else
      dim->set_dim_value(d);
  }
}

void addOutput(onnx::ModelProto &model, const std::string &name) {
  auto *out = model.mutable_graph()->add_output();
  out->set_name(name);
  out->mutable_type()->mutable_tensor_type()->set_elem_type(
      onnx::TensorProto::FLOAT);
}

onnx::TensorProto &addInitializer(onnx::ModelProto &model,
                                  const std::string &name,
                                  std::vector<int64_t> dims,
                                  std::vector<float> values) {
  auto *t = model.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims)
    t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char *>(values.data()),
                              values.size() * sizeof(float)));
  return *t;
}

void addInt64Initializer(onnx::ModelProto &model, const std::string &name,
                         std::vector<int64_t> values) {
  auto *t = model.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(int64_t(values.size()));
  for (int64_t v : values)
    t->add_int64_data(v);
}

onnx::NodeProto &addNode(onnx::ModelProto &model, const std::string &opType,
                         const std::string &name,
                         std::initializer_list<std::string> inputs,
                         std::initializer_list<std::string> outputs) {
  auto *node = model.mutable_graph()->add_node();
  node->set_op_type(opType);
  node->set_name(name);
  for (const auto &i : inputs)
    node->add_input(i);
  for (const auto &o : outputs)
    node->add_output(o);
  return *node;
}

void setInts(onnx::NodeProto &node, const std::string &name,
             std::vector<int64_t> values) {
  auto *a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values)
    a->add_ints(v);
}

void setInt(onnx::NodeProto &node, const std::string &name, int64_t value) {
  auto *a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void setString(onnx::NodeProto &node, const std::string &name,
               const std::string &value) {
  auto *a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(value);
}

void setStrings(onnx::NodeProto &node, const std::string &name,
                std::vector<std::string> values) {
  auto *a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRINGS);
  for (const std::string &v : values)
    a->add_strings(v);
}

void addOpsetImport(onnx::ModelProto &model, const std::string &domain,
                    int64_t version) {
  auto *opset = model.add_opset_import();
  opset->set_domain(domain);
  opset->set_version(version);
}

std::string save(const onnx::ModelProto &model, const std::string &dir,
                 const std::string &file) {
  std::string path = dir + "/" + file;
  std::ofstream out(path, std::ios::binary);
  model.SerializeToOstream(&out);
  return path;
}

onnx::ModelProto linearReluModel() {
  onnx::ModelProto model = makeModel();
  addInput(model, "x", {2, 3});
  addInitializer(model, "W", {4, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, -1, 0.5f});
  addInitializer(model, "b", {4}, {0.5f, -1, 0, 0.25f});
  setInt(addNode(model, "Gemm", "fc", {"x", "W", "b"}, {"h"}), "transB", 1);
  addNode(model, "Relu", "act", {"h"}, {"y"});
  addOutput(model, "y");
  return model;
}

ImportOutcome importFile(
    const std::string &path,
    std::vector<std::pair<std::string, std::vector<int64_t>>> inputShapes,
    std::map<std::string, std::vector<std::vector<int64_t>>> sequenceInputs) {
  ImportOptions options;
  for (auto &[name, dims] : inputShapes)
    options.inputShapes[name] = dims;
  options.sequenceInputs = std::move(sequenceInputs);
  return importWith(path, options);
}

ImportOutcome importWith(const std::string &path,
                         const ImportOptions &options) {
  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  ImportOutcome outcome;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    std::string where;
    if (auto name = mlir::dyn_cast<mlir::NameLoc>(d.getLocation()))
      where = "[" + name.getName().str() + "] ";
    outcome.diagnostics += where + d.str() + "\n";
    return mlir::success();
  });
  auto model = importOnnx(context, path, options);
  outcome.ok = mlir::succeeded(model);
  if (outcome.ok) {
    for (const Parameter &p : model->params) {
      outcome.paramNames.push_back(p.name);
      outcome.paramBytes.push_back(p.bytes);
    }
    llvm::raw_string_ostream os(outcome.ir);
    model->module->print(os);
  }
  return outcome;
}

std::string compileToSharedObject(const std::string &onnxPath,
                                  const std::string &dir,
                                  const std::string &name, bool externalWeights,
                                  std::string &error) {
  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    error += d.str() + "\n";
    return mlir::success();
  });
  auto model = importOnnx(context, onnxPath, {});
  if (mlir::failed(model))
    return "";
  ArtifactOptions options;
  options.name = name;
  options.externalWeights = externalWeights;
  options.weightsFileName = name + ".weights";
  auto artifact = compileModel(*model, options);
  if (!artifact) {
    error += llvm::toString(artifact.takeError());
    return "";
  }
  std::string so = dir + "/" + name + ".so";
  if (externalWeights)
    if (auto err = writeFileAtomically(dir + "/" + name + ".weights",
                                       artifact->weights)) {
      error += llvm::toString(std::move(err));
      return "";
    }
  if (auto err = writeSharedObject(*artifact, so)) {
    error += llvm::toString(std::move(err));
    return "";
  }
  return so;
}

} // namespace lathe::test
