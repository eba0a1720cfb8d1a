// The C++ DSL's containers (lathe/nn.h): Sequential, ModuleList,
// ModuleDict, ParameterList.
#ifndef LATHE_NN_CONTAINERS_H
#define LATHE_NN_CONTAINERS_H

#include "lathe/nn/module.h"

namespace lathe::nn {

/// torch.nn.Sequential: children "0", "1", ... each called on the previous
/// one's output.
class SequentialImpl : public Module {
public:
  SequentialImpl() : Module("Sequential") {}
  template <typename... Ms>
  explicit SequentialImpl(Ms &&...modules) : Module("Sequential") {
    (push_back(std::forward<Ms>(modules)), ...);
  }
  /// Appends a layer handle (shared) or a module built in place.
  template <typename M> void push_back(M &&module) {
    using D = std::decay_t<M>;
    if constexpr (std::is_base_of_v<Module, D>) {
      static_assert(!std::is_base_of_v<Module, D>,
                    "pass a layer handle (nn::Linear), or a shared_ptr to "
                    "your module");
    } else if constexpr (is_shared_ptr<D>::value) {
      append(module, [m = module](const Tensor &x) {
        detail::ModuleScope scope(*m);
        return m->forward(x);
      });
    } else {
      auto impl = module.ptr();
      append(impl, [impl](const Tensor &x) {
        detail::ModuleScope scope(*impl);
        return impl->forward(x);
      });
    }
  }
  Tensor forward(const Tensor &x);
  size_t size() const { return calls_.size(); }

private:
  template <typename T> struct is_shared_ptr : std::false_type {};
  template <typename T>
  struct is_shared_ptr<std::shared_ptr<T>> : std::true_type {};
  void append(std::shared_ptr<Module> module,
              std::function<Tensor(const Tensor &)> call);
  std::vector<std::function<Tensor(const Tensor &)>> calls_;
};
class Sequential : public ModuleHolder<SequentialImpl> {
public:
  Sequential() : ModuleHolder<SequentialImpl>() {}
  template <
      typename M, typename... Ms,
      typename = std::enable_if_t<!std::is_same_v<std::decay_t<M>, Sequential>>>
  Sequential(M &&first, Ms &&...rest)
      : ModuleHolder<SequentialImpl>(std::make_shared<SequentialImpl>(
            std::forward<M>(first), std::forward<Ms>(rest)...)) {}
};

/// torch.nn.ModuleList: modules "0", "1", ... called by the user's forward
/// (`list->at<nn::LinearImpl>(i)(x)` runs it under its path).
class ModuleListImpl : public Module {
public:
  ModuleListImpl() : Module("ModuleList") {}
  template <typename... Ms>
  explicit ModuleListImpl(Ms &&...modules) : Module("ModuleList") {
    (push_back(std::forward<Ms>(modules)), ...);
  }
  /// A layer handle or a shared_ptr to a module.
  template <typename M> void push_back(M &&module) {
    add(detail_pointer(std::forward<M>(module)));
  }
  size_t size() const { return items_.size(); }
  std::shared_ptr<Module> ptr(size_t i) const { return items_.at(i); }
  /// Item |i| as |T| (its implementation class); throws for another.
  template <typename T> detail::Scoped<T> at(size_t i) const {
    auto typed = std::dynamic_pointer_cast<T>(items_.at(i));
    if (!typed)
      throw Error("ModuleList: item " + std::to_string(i) + " (" +
                  items_[i]->type_name() + ") is not of the type asked for");
    return detail::Scoped<T>(typed);
  }

private:
  template <typename M>
  static std::shared_ptr<Module> detail_pointer(M &&module) {
    using D = std::decay_t<M>;
    if constexpr (std::is_convertible_v<D, std::shared_ptr<Module>>)
      return module;
    else
      return module.ptr();
  }
  void add(std::shared_ptr<Module> module);
  std::vector<std::shared_ptr<Module>> items_;
};
LATHE_MODULE(ModuleList);

/// torch.nn.ModuleDict: modules by name, in insertion order.
class ModuleDictImpl : public Module {
public:
  ModuleDictImpl() : Module("ModuleDict") {}
  template <typename M> void insert(const std::string &key, M &&module) {
    using D = std::decay_t<M>;
    std::shared_ptr<Module> p;
    if constexpr (std::is_convertible_v<D, std::shared_ptr<Module>>)
      p = module;
    else
      p = module.ptr();
    add(key, std::move(p));
  }
  size_t size() const { return items_.size(); }
  bool contains(const std::string &key) const;
  std::vector<std::string> keys() const;
  template <typename T> detail::Scoped<T> at(const std::string &key) const {
    auto typed = std::dynamic_pointer_cast<T>(find(key));
    if (!typed)
      throw Error("ModuleDict: '" + key + "' is not of the type asked for");
    return detail::Scoped<T>(typed);
  }

private:
  std::shared_ptr<Module> find(const std::string &key) const;
  void add(const std::string &key, std::shared_ptr<Module> module);
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> items_;
};
LATHE_MODULE(ModuleDict);

/// torch.nn.ParameterList: parameters "0", "1", ...
class ParameterListImpl : public Module {
public:
  ParameterListImpl() : Module("ParameterList") {}
  explicit ParameterListImpl(std::vector<Tensor> parameters);
  void append(Tensor parameter);
  size_t size() const { return items_.size(); }
  Tensor &operator[](size_t i) { return items_.at(i); }

private:
  std::vector<Tensor> items_;
};
LATHE_MODULE(ParameterList);

} // namespace lathe::nn

#endif // LATHE_NN_CONTAINERS_H
