// Checking and expanding the arguments layers and functions take (the
// DSL's Layers.cpp, Functional.cpp).
#ifndef LATHE_FRONTENDS_CPP_ARGUMENTS_H
#define LATHE_FRONTENDS_CPP_ARGUMENTS_H

#include "frontends/cpp/TensorImpl.h"

namespace lathe::nn::detail {

/// |a| for |rank| spatial dimensions: one value for all, or one each.
std::vector<int64_t> expand(const ExpandingArray &a, int rank,
                            const char *what);

/// Symmetric padding |p| as every front, then every back.
std::vector<int64_t> twice(const std::vector<int64_t> &p);

/// Fails unless every value of |v| is positive.
void checkPositive(const std::vector<int64_t> &v, const char *what);

/// Fails, naming |m|, unless |x| is N x C x |rank| spatial dimensions.
void checkSpatialInput(const Module &m, const Tensor &x, int rank);

} // namespace lathe::nn::detail

#endif // LATHE_FRONTENDS_CPP_ARGUMENTS_H
