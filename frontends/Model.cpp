// The element types of the artifact boundary: names, sizes and their MLIR
// element types, shared by the frontends and the compiler.
#include "frontends/Model.h"
#include "runtime/Descriptor.h"

#include "mlir/IR/BuiltinTypes.h"

namespace lathe {

// DType is lathe_dtype_t's numbering: the names are the descriptor's.
static_assert(
    int(DType::F32) == LATHE_F32 && int(DType::F64) == LATHE_F64 &&
        int(DType::I32) == LATHE_I32 && int(DType::I64) == LATHE_I64 &&
        int(DType::I8) == LATHE_I8 && int(DType::U8) == LATHE_U8 &&
        int(DType::Bool) == LATHE_BOOL && int(DType::I16) == LATHE_I16 &&
        int(DType::U16) == LATHE_U16 && int(DType::U32) == LATHE_U32 &&
        int(DType::U64) == LATHE_U64 && int(DType::F16) == LATHE_F16 &&
        int(DType::BF16) == LATHE_BF16,
    "DType must follow lathe_dtype_t");

const char *dtypeName(DType type) {
  return descriptor::dtypeName(lathe_dtype_t(type));
}

size_t dtypeSize(DType type) {
  switch (type) {
  case DType::F64:
  case DType::I64:
  case DType::U64:
    return 8;
  case DType::F32:
  case DType::I32:
  case DType::U32:
    return 4;
  case DType::I16:
  case DType::U16:
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::I8:
  case DType::U8:
  case DType::Bool:
    return 1;
  }
  return 0;
}

bool isFloatDType(DType type) {
  return type == DType::F32 || type == DType::F64 || type == DType::F16 ||
         type == DType::BF16;
}

mlir::Type elementType(mlir::MLIRContext *ctx, DType type) {
  auto integer = [&](unsigned width, bool isUnsigned) -> mlir::Type {
    return mlir::IntegerType::get(ctx, width,
                                  isUnsigned ? mlir::IntegerType::Unsigned
                                             : mlir::IntegerType::Signless);
  };
  switch (type) {
  case DType::F32:
    return mlir::Float32Type::get(ctx);
  case DType::F64:
    return mlir::Float64Type::get(ctx);
  case DType::F16:
    return mlir::Float16Type::get(ctx);
  case DType::BF16:
    return mlir::BFloat16Type::get(ctx);
  case DType::I8:
    return integer(8, false);
  case DType::I16:
    return integer(16, false);
  case DType::I32:
    return integer(32, false);
  case DType::I64:
    return integer(64, false);
  case DType::U8:
    return integer(8, true);
  case DType::U16:
    return integer(16, true);
  case DType::U32:
    return integer(32, true);
  case DType::U64:
    return integer(64, true);
  case DType::Bool:
    return integer(1, false);
  }
  return {};
}

std::optional<std::pair<uint64_t, uint64_t>>
checkedSize(llvm::ArrayRef<int64_t> dims, uint64_t elementBytes) {
  constexpr uint64_t kLimit = uint64_t(1) << 62;
  uint64_t n = 1;
  for (int64_t d : dims) {
    // Each dimension bounded too: an empty tensor's other dimensions still
    // take part in shape arithmetic.
    if (d < 0 || uint64_t(d) > kLimit || (d != 0 && n > kLimit / uint64_t(d)))
      return std::nullopt;
    n *= uint64_t(d);
  }
  if (elementBytes && n > kLimit / elementBytes)
    return std::nullopt;
  return std::make_pair(n, n * elementBytes);
}

std::optional<DType> dtypeOf(mlir::Type type) {
  for (int d = 0; d <= int(DType::BF16); ++d)
    if (elementType(type.getContext(), DType(d)) == type)
      return DType(d);
  return std::nullopt;
}

} // namespace lathe
