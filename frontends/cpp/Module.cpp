// Modules: registration, paths, state dicts, and lathe::compile's trace.
#include "frontends/cpp/TensorImpl.h"
#include "frontends/cpp/Trace.h"

#include "lathe/runtime.h"

#include <cctype>
#include <cstring>
#include <set>

namespace lathe {
namespace nn {

using detail::fail;
using detail::runtime_dtype;
using detail::shape_text;

namespace detail {

ModuleScope::ModuleScope(const Module &module) {
  if (Trace *trace = Trace::current()) {
    trace->pushScope(module.path(), module.type_name());
    pushed_ = true;
  }
}

ModuleScope::~ModuleScope() {
  if (pushed_)
    if (Trace *trace = Trace::current())
      trace->popScope();
}

std::vector<std::string> split_names(const char *names) {
  std::vector<std::string> out(1);
  for (const char *p = names; *p; ++p) {
    if (*p == ',')
      out.emplace_back();
    else if (!std::isspace(static_cast<unsigned char>(*p)))
      out.back() += *p;
  }
  return out;
}

} // namespace detail

Module::Module(std::string type_name) : type_name_(std::move(type_name)) {}
Module::~Module() = default;

void Module::train(bool on) {
  training_ = on;
  for (auto &[name, child] : children_)
    child->train(on);
}

static void checkName(const std::string &name, const std::string &owner,
                      const char *what) {
  if (name.empty() || name.find('.') != std::string::npos)
    fail("lathe::nn: " + owner + ": " + what + " name '" + name +
         "' is empty or contains '.'");
}

Tensor &Module::register_parameter(std::string name, Tensor tensor,
                                   bool requires_grad) {
  checkName(name, type_name_, "parameter");
  if (tensor.defined() && tensor.is_symbolic())
    fail("lathe::nn: " + type_name_ + ": parameter '" + name +
         "' is a symbolic tensor");
  for (const Entry &e : parameters_)
    if (e.name == name)
      fail("lathe::nn: " + type_name_ + ": parameter '" + name +
           "' is registered twice");
  parameters_.push_back({std::move(name), std::move(tensor), requires_grad});
  return parameters_.back().tensor;
}

Tensor &Module::register_buffer(std::string name, Tensor tensor) {
  checkName(name, type_name_, "buffer");
  for (const Entry &e : buffers_)
    if (e.name == name)
      fail("lathe::nn: " + type_name_ + ": buffer '" + name +
           "' is registered twice");
  buffers_.push_back({std::move(name), std::move(tensor), false});
  return buffers_.back().tensor;
}

void Module::add_child(std::string name, std::shared_ptr<Module> child) {
  checkName(name, type_name_, "module");
  for (const auto &c : children_)
    if (c.first == name)
      fail("lathe::nn: " + type_name_ + ": module '" + name +
           "' is registered twice");
  children_.push_back({std::move(name), std::move(child)});
}

std::vector<std::pair<std::string, Tensor>>
Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const Entry &e : parameters_)
    if (e.tensor.defined())
      out.push_back({e.name, e.tensor});
  if (recurse)
    for (const auto &[name, child] : children_)
      for (auto &[sub, t] : child->named_parameters(true))
        out.push_back({name + "." + sub, t});
  return out;
}

std::vector<std::pair<std::string, Tensor>>
Module::named_buffers(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const Entry &e : buffers_)
    if (e.tensor.defined())
      out.push_back({e.name, e.tensor});
  if (recurse)
    for (const auto &[name, child] : children_)
      for (auto &[sub, t] : child->named_buffers(true))
        out.push_back({name + "." + sub, t});
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto &[name, t] : named_parameters(recurse))
    out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, Module *>> Module::named_children() const {
  std::vector<std::pair<std::string, Module *>> out;
  for (const auto &[name, child] : children_)
    out.push_back({name, child.get()});
  return out;
}

std::vector<std::pair<std::string, Module *>> Module::named_modules() {
  std::vector<std::pair<std::string, Module *>> out = {{"", this}};
  for (const auto &[name, child] : children_)
    for (auto &[sub, m] : child->named_modules())
      out.push_back({sub.empty() ? name : name + "." + sub, m});
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::state_dict() const {
  // torch's order: each module's parameters, then its buffers, then its
  // children's.
  std::vector<std::pair<std::string, Tensor>> out;
  for (const Entry &e : parameters_)
    if (e.tensor.defined())
      out.push_back({e.name, e.tensor});
  for (const Entry &e : buffers_)
    if (e.tensor.defined())
      out.push_back({e.name, e.tensor});
  for (const auto &[name, child] : children_)
    for (auto &[sub, t] : child->state_dict())
      out.push_back({name + "." + sub, t});
  return out;
}

void Module::assign_paths() { set_paths(""); }

void Module::set_paths(const std::string &prefix) {
  path_ = prefix;
  for (const auto &[name, child] : children_)
    child->set_paths(prefix.empty() ? name : prefix + "." + name);
}

namespace {

/// A runtime context for one call; its last error as a message.
struct Context {
  lathe_context_t *ctx = nullptr;
  Context() {
    if (lathe_context_create(nullptr, &ctx) != LATHE_OK)
      fail("lathe::nn: cannot create a runtime context");
  }
  ~Context() { lathe_context_destroy(ctx); }
  std::string error() const { return lathe_context_last_error(ctx); }
};

} // namespace

void Module::load_state_dict(const std::string &path, bool strict) {
  Context c;
  lathe_tensor_file_t *raw = nullptr;
  if (lathe_safetensors_load(c.ctx, path.c_str(), &raw) != LATHE_OK)
    fail("load_state_dict: " + c.error());
  std::unique_ptr<lathe_tensor_file_t, void (*)(lathe_tensor_file_t *)> file(
      raw, lathe_tensor_file_destroy);
  std::map<std::string, const lathe_tensor_t *> stored;
  for (size_t i = 0; i < lathe_tensor_file_count(file.get()); ++i)
    stored[lathe_tensor_file_name(file.get(), i)] =
        lathe_tensor_file_tensor(file.get(), i);
  // Check every key before changing anything.
  std::vector<std::pair<Tensor, const lathe_tensor_t *>> copies;
  std::set<std::string> expected;
  for (auto &[name, t] : state_dict()) {
    expected.insert(name);
    auto it = stored.find(name);
    if (it == stored.end())
      fail("load_state_dict: " + path + ": missing key '" + name + "'");
    lathe_tensor_info_t info;
    lathe_tensor_info(it->second, &info);
    std::vector<int64_t> shape(info.dims, info.dims + info.rank);
    if (shape != t.sizes())
      fail("load_state_dict: " + path + ": key '" + name + "' has shape " +
           shape_text(shape) + ", the module's is " + shape_text(t.sizes()));
    if (info.dtype != runtime_dtype(t.dtype()))
      fail("load_state_dict: " + path + ": key '" + name + "' is " +
           lathe_dtype_name(info.dtype) + ", the module's is " +
           lathe_dtype_name(runtime_dtype(t.dtype())));
    copies.push_back({t, it->second});
  }
  if (strict)
    for (const auto &[name, t] : stored)
      if (!expected.count(name))
        fail("load_state_dict: " + path + ": unexpected key '" + name +
             "' (the module has no such parameter or buffer)");
  for (auto &[t, from] : copies) {
    std::vector<char> &bytes = t.impl()->bytes;
    if (!bytes.empty())
      std::memcpy(bytes.data(), lathe_tensor_data(from), bytes.size());
  }
}

void Module::save_state_dict(const std::string &path) const {
  std::vector<std::pair<std::string, Tensor>> dict = state_dict();
  std::vector<lathe_tensor_t *> tensors;
  std::vector<const char *> names;
  Context c;
  auto release = [&] {
    for (lathe_tensor_t *t : tensors)
      lathe_tensor_destroy(t);
  };
  for (auto &[name, t] : dict) {
    lathe_tensor_t *view = nullptr;
    if (lathe_tensor_wrap(c.ctx, runtime_dtype(t.dtype()), t.sizes().size(),
                          t.sizes().data(), t.impl()->bytes.data(),
                          &view) != LATHE_OK) {
      release();
      fail("save_state_dict: " + c.error());
    }
    tensors.push_back(view);
    names.push_back(name.c_str());
  }
  const char *keys[] = {"format"}, *values[] = {"pt"};
  lathe_status_t status = lathe_safetensors_save(
      c.ctx, path.c_str(), names.size(), names.data(),
      const_cast<const lathe_tensor_t *const *>(tensors.data()), 1, keys,
      values);
  release();
  if (status != LATHE_OK)
    fail("save_state_dict: " + c.error());
}

} // namespace nn

namespace nn::detail {

std::vector<std::string>
trace_forward(Trace &trace, Module &root, const std::vector<InputSpec> &inputs,
              const lathe::detail::Forward &forward,
              const std::vector<std::string> &outputNames,
              std::vector<Tensor> &outputs) {
  if (inputs.empty())
    fail("lathe: forward needs at least one input");
  root.assign_paths();
  std::map<const TensorImpl *, std::string> names;
  for (auto &[name, t] : root.state_dict())
    names[t.impl().get()] = name;
  trace.nameParameters(std::move(names));

  // Traced in evaluation mode (torch.onnx.export's default; a training
  // build gives dropout and batch norm their training forms itself), the
  // mode restored after.
  struct Mode {
    Module &m;
    bool was;
    ~Mode() { m.train(was); }
  } mode{root, root.is_training()};
  root.eval();
  struct Current {
    explicit Current(Trace *t) { Trace::setCurrent(t); }
    ~Current() { Trace::setCurrent(nullptr); }
  } current(&trace);

  std::vector<Tensor> xs;
  for (const InputSpec &in : inputs) {
    checked_numel(in.shape);
    xs.push_back(trace.input(in.name, in.dtype, in.shape));
  }
  outputs = forward(xs);
  std::vector<std::string> result = outputNames;
  if (result.empty()) {
    if (outputs.size() == 1)
      result.push_back("output");
    else
      for (size_t i = 0; i < outputs.size(); ++i)
        result.push_back("output" + std::to_string(i));
  }
  if (result.size() != outputs.size())
    fail("lathe: " + std::to_string(result.size()) +
         " output names for forward's " + std::to_string(outputs.size()) +
         " results");
  return result;
}

} // namespace nn::detail

namespace detail {

void compile_traced(nn::Module &root, const std::vector<InputSpec> &inputs,
                    const CompileOptions &options, const Forward &forward) {
  if (options.output.empty())
    nn::detail::fail("lathe::compile: no output path");
  nn::detail::Trace trace;
  trace.setTrainingBuild(!options.training.empty());
  std::vector<nn::Tensor> outputs;
  std::vector<std::string> names = nn::detail::trace_forward(
      trace, root, inputs, forward, options.output_names, outputs);
  trace.finish(outputs, names, options);
}

} // namespace detail
} // namespace lathe
