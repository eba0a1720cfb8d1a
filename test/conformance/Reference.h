// Reference outputs of the ONNX backend test data, decoded and compared by
// code that shares nothing with the importer under test.
#ifndef LATHE_TEST_CONFORMANCE_REFERENCE_H
#define LATHE_TEST_CONFORMANCE_REFERENCE_H

#include "lathe/runtime.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace lathe::conformance {

/// A tensor as the harness reads it: its ONNX element type (the numbers of
/// onnx.proto's TensorProto.DataType), its shape, and its elements as
/// doubles (float types) or as 64-bit integers (integers and booleans; a
/// uint64 as its bit pattern). 16-bit floats also keep their bit patterns.
struct Reference {
  int type = 0;
  std::vector<int64_t> shape;
  std::vector<double> floats;
  std::vector<int64_t> ints;
  std::vector<uint16_t> bits;

  bool isFloat() const;
  size_t size() const { return isFloat() ? floats.size() : ints.size(); }
};

/// Decodes a TensorProto from its raw_data or its typed fields
/// (float_data, double_data, int32_data, int64_data, uint64_data) as
/// onnx.proto defines them. Fails on external data, strings, complex
/// numbers, or a field whose element count contradicts the shape.
llvm::Expected<Reference> decodeReference(const onnx::TensorProto &proto);

/// The elements of a runtime tensor, read by the same rules.
llvm::Expected<Reference> readRuntimeTensor(const lathe_tensor_t *tensor);

/// "[2x3]" for |shape|, in the harness's messages.
std::string shapeText(const std::vector<int64_t> &shape);

/// Reads a reference stored as uint16 bit patterns (NumPy has no bfloat16)
/// as the bfloat16 values they hold.
void reinterpretAsBfloat16(Reference &reference);

/// Largest errors seen by a comparison, for the table.
struct Errors {
  double maxAbs = 0, maxRel = 0;
};

/// Compares |got| with |want| as ONNX's backend runner does: the same type
/// and shape; integers exactly; floats within atol + rtol * |want|, a NaN
/// only against a NaN, an infinity only against the same infinity. On a
/// mismatch returns the first offending element as a sentence; "" when
/// they agree.
std::string compareReference(const Reference &got, const Reference &want,
                             double rtol, double atol, Errors &errors);

/// Compares bfloat16 |got| with a reference that truncated to bfloat16
/// (ONNX 1.12's generator): each element's bits equal the reference's or
/// the next value away from zero (rounding to nearest went up).
std::string compareTruncatedBfloat16(const Reference &got,
                                     const Reference &want, Errors &errors);

} // namespace lathe::conformance

#endif // LATHE_TEST_CONFORMANCE_REFERENCE_H
