// A model as every frontend hands it to the compiler: the lathe module and
// the values of its named parameters.
#ifndef LATHE_FRONTENDS_MODEL_H
#define LATHE_FRONTENDS_MODEL_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lathe {

/// Element types a tensor may have at the artifact boundary, in the order of
/// the runtime's lathe_dtype_t.
enum class DType {
  F32,
  F64,
  I32,
  I64,
  I8,
  U8,
  Bool,
  I16,
  U16,
  U32,
  U64,
  F16,
  BF16
};

/// Name used in descriptors and headers ("f32", "i64", ...).
const char *dtypeName(DType type);
/// Size in bytes of one element.
size_t dtypeSize(DType type);
/// True for the float dtypes (f16, bf16, f32, f64).
bool isFloatDType(DType type);
/// The MLIR element type of |type| (`uiN` for unsigned, `i1` for bool).
mlir::Type elementType(mlir::MLIRContext *ctx, DType type);
/// The DType whose MLIR element type is |type|, if any.
std::optional<DType> dtypeOf(mlir::Type type);

/// The element count of a tensor of shape |dims| and its size in bytes at
/// |elementBytes| each; nullopt when a dimension is negative, or it, the
/// count or the size exceeds 2^62 (no file or memory holds that much). For
/// every size a frontend computes from a model file.
std::optional<std::pair<uint64_t, uint64_t>>
checkedSize(llvm::ArrayRef<int64_t> dims, uint64_t elementBytes);

/// A named parameter (weight, bias, running statistic) with its value.
struct Parameter {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<char> bytes; ///< Row-major, little-endian.
};

/// The output of a frontend. The module holds one `func.func @forward` whose
/// arguments are the inputs (attribute `lathe.input`) followed by the
/// parameters (`lathe.param`, in the order of |params|); its results carry
/// `lathe.output`.
struct Model {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::vector<Parameter> params;
};

} // namespace lathe

#endif // LATHE_FRONTENDS_MODEL_H
