// A small arithmetic expression of one variable, `epoch`: the factor of the
// lambda and multiplicative learning-rate schedules (torch's lr_lambda),
// given as text on the command line or through the training library.
//
// Grammar (Python's meaning where the two differ from C's: `/` divides
// exactly, `//` and `%` floor, `-2^2` is -4):
//
//   expr    := or ('?' expr ':' expr)?
//   or      := and ('||' and)*            (also `or`)
//   and     := compare ('&&' compare)*    (also `and`)
//   compare := sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum)*
//   sum     := product (('+' | '-') product)*
//   product := unary (('*' | '/' | '//' | '%') unary)*
//   unary   := ('-' | '+' | '!' | 'not') unary | power
//   power   := atom (('^' | '**') unary)?
//   atom    := number | 'epoch' | 'pi' | 'e' | NAME '(' expr (',' expr)* ')'
//            | '(' expr ')'
//
// Functions: exp, log, sqrt, abs, floor, ceil, sin, cos, tanh (one
// argument), pow (two), min and max (one or more; as Python's, the first
// of equal values wins, +0 and -0 alike). Truth is nonzero;
// comparisons give 1 or 0.
#ifndef LATHE_TRAINING_EXPRESSION_H
#define LATHE_TRAINING_EXPRESSION_H

#include "lathe/runtime.h" // LATHE_API

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lathe::training {

class LATHE_API Expression {
public:
  /// Parses |text| into |out|: "" on success, else "column N: why" (N from
  /// 1, the first character the parser could not take).
  static std::string parse(const std::string &text, Expression &out);

  /// The value at |epoch|. An empty expression is 1.
  double operator()(double epoch) const;

  bool empty() const { return nodes.empty(); }

  /// Deepest nesting of parentheses, operators and calls accepted.
  static constexpr int kMaxDepth = 64;
  /// Longest text accepted.
  static constexpr size_t kMaxLength = 4096;

private:
  friend class ExpressionParser;
  enum class Kind : uint8_t {
    Number,
    Epoch,
    Negate,
    Not,
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    Equal,
    NotEqual,
    And,
    Or,
    Select,
    Exp,
    Log,
    Sqrt,
    Abs,
    Floor,
    Ceil,
    Sin,
    Cos,
    Tanh,
    Min,
    Max,
  };
  struct Node {
    Kind kind;
    double value = 0;          ///< Number.
    std::vector<int> operands; ///< Indices into nodes.
  };
  std::vector<Node> nodes; ///< The root last.

  double eval(int node, double epoch) const;
};

} // namespace lathe::training

#endif // LATHE_TRAINING_EXPRESSION_H
