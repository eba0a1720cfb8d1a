// The C++ DSL's modules (lathe/nn.h): nn::Module, layer handles, module
// scopes, register_modules.
#ifndef LATHE_NN_MODULE_H
#define LATHE_NN_MODULE_H

#include "lathe/nn/tensor.h"

namespace lathe::nn {

class Module;

namespace detail {
/// Names the module whose forward runs, for the ops it adds and the
/// errors it raises (pushed by a layer handle's call).
class ModuleScope {
public:
  explicit ModuleScope(const Module &module);
  ~ModuleScope();
  ModuleScope(const ModuleScope &) = delete;
  ModuleScope &operator=(const ModuleScope &) = delete;

private:
  bool pushed_ = false;
};

/// Splits "a, b, c" (register_modules' stringized arguments).
std::vector<std::string> split_names(const char *names);

/// A module reached through a container: `->` reaches its members, a call
/// runs its forward under its module path, as a layer handle's.
template <typename T> class Scoped {
public:
  explicit Scoped(std::shared_ptr<T> impl) : impl_(std::move(impl)) {}
  T *operator->() const { return impl_.get(); }
  T &operator*() const { return *impl_; }
  template <typename... Args> decltype(auto) operator()(Args &&...args) {
    ModuleScope scope(*impl_);
    return impl_->forward(std::forward<Args>(args)...);
  }

private:
  std::shared_ptr<T> impl_;
};
} // namespace detail

/// The base of every module: named parameters, buffers and children, the
/// training flag, state dicts. Modules stay where they are built (no copy,
/// no move): children are registered by reference or shared through
/// their handles.
class Module {
public:
  explicit Module(std::string type_name = "Module");
  virtual ~Module();
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;

  /// The class name errors show ("Conv2d"; "Module" for a user's module
  /// unless it passes its own).
  const std::string &type_name() const { return type_name_; }
  /// The module's path from the root last compiled or loaded
  /// ("layer2.0.conv1"; "" for the root).
  const std::string &path() const { return path_; }

  /// Training or evaluation mode, for this module and every child.
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  /// Parameters, buffers and children, each with its state_dict name
  /// ("features.0.weight"), in registration order, children after their
  /// parent's own.
  std::vector<std::pair<std::string, Tensor>>
  named_parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>>
  named_buffers(bool recurse = true) const;
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Module *>> named_children() const;
  /// This module ("") and every descendant, depth first.
  std::vector<std::pair<std::string, Module *>> named_modules();
  /// Parameters and buffers (what torch's state_dict holds).
  std::vector<std::pair<std::string, Tensor>> state_dict() const;

  /// Reads a safetensors file (torch's state_dict saved with
  /// safetensors.torch.save_file, or save_state_dict's) into the
  /// parameters and buffers. Every key must exist and fit its shape and
  /// dtype; with |strict|, the file may hold no other key. Nothing changes
  /// unless everything fits; errors name the key.
  void load_state_dict(const std::string &path, bool strict = true);
  /// Writes the state dict as safetensors, atomically.
  void save_state_dict(const std::string &path) const;

  /// Sets every module's path() from this root.
  void assign_paths();

protected:
  Tensor &register_parameter(std::string name, Tensor tensor,
                             bool requires_grad = true);
  Tensor &register_buffer(std::string name, Tensor tensor);
  /// A member module (it must stay where it is while this one lives).
  template <typename M> M &register_module(std::string name, M &module) {
    add_child(std::move(name), module_pointer(module));
    return module;
  }
  /// Registers each argument under its own name (the macro
  /// register_modules(a, b, c) below passes the names).
  template <typename... Ms>
  void register_modules_named(const char *names, Ms &...modules) {
    std::vector<std::string> split = detail::split_names(names);
    size_t i = 0;
    (register_module(split.at(i++), modules), ...);
  }

private:
  template <typename M> static std::shared_ptr<Module> module_pointer(M &m) {
    if constexpr (std::is_base_of_v<Module, M>)
      return std::shared_ptr<Module>(std::shared_ptr<Module>(), &m);
    else
      return m.ptr(); // A layer handle: shares its implementation.
  }
  void add_child(std::string name, std::shared_ptr<Module> child);
  void set_paths(const std::string &prefix);

  struct Entry {
    std::string name;
    Tensor tensor;
    bool requires_grad = true;
  };
  std::string type_name_;
  std::string path_;
  bool training_ = true;
  std::vector<Entry> parameters_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

/// register_modules(conv1, conv2, fc1): each member registered under its
/// own name, as the state dict names it.
#define register_modules(...) register_modules_named(#__VA_ARGS__, __VA_ARGS__)

/// A shared handle over a module implementation (libtorch's
/// ModuleHolder): copies share it, `->` reaches its members, a call runs
/// its forward under its module path.
template <typename Impl> class ModuleHolder {
public:
  template <typename... Args,
            typename = std::enable_if_t<
                !(sizeof...(Args) == 1 &&
                  (std::is_same_v<std::decay_t<Args>, ModuleHolder> && ...))>>
  ModuleHolder(Args &&...args)
      : impl_(std::make_shared<Impl>(std::forward<Args>(args)...)) {}
  explicit ModuleHolder(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  /// An empty handle (libtorch's `nullptr` construction), to be assigned.
  ModuleHolder(std::nullptr_t) {}
  bool is_empty() const { return impl_ == nullptr; }

  Impl *operator->() const { return impl_.get(); }
  Impl &operator*() const { return *impl_; }
  const std::shared_ptr<Impl> &ptr() const { return impl_; }

  template <typename... Args> decltype(auto) operator()(Args &&...args) {
    detail::ModuleScope scope(*impl_);
    return impl_->forward(std::forward<Args>(args)...);
  }

private:
  std::shared_ptr<Impl> impl_;
};

/// Declares the handle Name for NameImpl (libtorch's TORCH_MODULE).
#define LATHE_MODULE(Name)                                                     \
  class Name : public ::lathe::nn::ModuleHolder<Name##Impl> {                  \
  public:                                                                      \
    using ::lathe::nn::ModuleHolder<Name##Impl>::ModuleHolder;                 \
  }

} // namespace lathe::nn

#endif // LATHE_NN_MODULE_H
