// The lr_lambda expression: a recursive-descent parser into a node list and
// its evaluation (training/Expression.h has the grammar).
#include "training/Expression.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace lathe::training {

/// Parses one expression; the first error wins and stops the parse.
class ExpressionParser {
public:
  ExpressionParser(const std::string &text, Expression &out)
      : text(text), out(out) {}

  /// Every node is added after its operands, so the root comes last,
  /// where evaluation starts.
  std::string run() {
    expr(0);
    skipSpace();
    if (error.empty() && at < text.size())
      fail("unexpected '" + std::string(1, text[at]) + "'");
    return error;
  }

private:
  using Kind = Expression::Kind;
  const std::string &text;
  Expression &out;
  size_t at = 0;
  std::string error;

  int fail(const std::string &why) {
    if (error.empty())
      error = "column " + std::to_string(at + 1) + ": " + why;
    return -1;
  }
  int add(Kind kind, std::vector<int> operands, double value = 0) {
    if (!error.empty())
      return -1;
    out.nodes.push_back({kind, value, std::move(operands)});
    return int(out.nodes.size()) - 1;
  }
  void skipSpace() {
    while (at < text.size() && std::isspace((unsigned char)text[at]))
      ++at;
  }
  /// Takes |token| if it comes next; a word only when whole.
  bool take(const char *token) {
    skipSpace();
    size_t n = std::char_traits<char>::length(token);
    if (text.compare(at, n, token) != 0)
      return false;
    if (std::isalpha((unsigned char)token[0]) && at + n < text.size() &&
        (std::isalnum((unsigned char)text[at + n]) || text[at + n] == '_'))
      return false;
    at += n;
    return true;
  }
  bool tooDeep(int depth) {
    if (depth <= Expression::kMaxDepth)
      return false;
    fail("nested deeper than " + std::to_string(Expression::kMaxDepth));
    return true;
  }

  int expr(int depth) {
    if (tooDeep(depth))
      return -1;
    int cond = logicalOr(depth + 1);
    if (!take("?"))
      return cond;
    int yes = expr(depth + 1);
    if (error.empty() && !take(":"))
      return fail("expected ':' of the '?'");
    int no = expr(depth + 1);
    return add(Kind::Select, {cond, yes, no});
  }
  int logicalOr(int depth) {
    int lhs = logicalAnd(depth);
    while (error.empty() && (take("||") || take("or")))
      lhs = add(Kind::Or, {lhs, logicalAnd(depth)});
    return lhs;
  }
  int logicalAnd(int depth) {
    int lhs = compare(depth);
    while (error.empty() && (take("&&") || take("and")))
      lhs = add(Kind::And, {lhs, compare(depth)});
    return lhs;
  }
  int compare(int depth) {
    int lhs = sum(depth);
    while (error.empty()) {
      Kind kind;
      if (take("<="))
        kind = Kind::LessEqual;
      else if (take(">="))
        kind = Kind::GreaterEqual;
      else if (take("=="))
        kind = Kind::Equal;
      else if (take("!="))
        kind = Kind::NotEqual;
      else if (take("<"))
        kind = Kind::Less;
      else if (take(">"))
        kind = Kind::Greater;
      else
        break;
      lhs = add(kind, {lhs, sum(depth)});
    }
    return lhs;
  }
  int sum(int depth) {
    int lhs = product(depth);
    while (error.empty()) {
      if (take("+"))
        lhs = add(Kind::Add, {lhs, product(depth)});
      else if (take("-"))
        lhs = add(Kind::Sub, {lhs, product(depth)});
      else
        break;
    }
    return lhs;
  }
  int product(int depth) {
    int lhs = unary(depth);
    while (error.empty()) {
      Kind kind;
      if (take("**")) { // A power, not a product: put it back.
        at -= 2;
        break;
      }
      if (take("//"))
        kind = Kind::FloorDiv;
      else if (take("*"))
        kind = Kind::Mul;
      else if (take("/"))
        kind = Kind::Div;
      else if (take("%"))
        kind = Kind::Mod;
      else
        break;
      lhs = add(kind, {lhs, unary(depth)});
    }
    return lhs;
  }
  int unary(int depth) {
    if (tooDeep(depth))
      return -1;
    if (take("-"))
      return add(Kind::Negate, {unary(depth + 1)});
    if (take("+"))
      return unary(depth + 1);
    if (take("!=")) { // Not a negation: a comparison with nothing before.
      at -= 2;
      return fail("expected a number, 'epoch', a function or '('");
    }
    if (take("!") || take("not"))
      return add(Kind::Not, {unary(depth + 1)});
    int base = atom(depth);
    if (error.empty() && (take("**") || take("^")))
      return add(Kind::Pow, {base, unary(depth + 1)});
    return base;
  }
  int atom(int depth) {
    skipSpace();
    if (at >= text.size())
      return fail("expected a number, 'epoch', a function or '(' at the end");
    char c = text[at];
    if (std::isdigit((unsigned char)c) || c == '.') {
      const char *begin = text.c_str() + at;
      char *end = nullptr;
      double v = std::strtod(begin, &end);
      if (end == begin)
        return fail("expected a number");
      // strtod also reads "0x1p3", "inf" and "nan"; numbers here are
      // decimal only.
      for (const char *p = begin; p < end; ++p)
        if (!std::isdigit((unsigned char)*p) && *p != '.' && *p != 'e' &&
            *p != 'E' && *p != '+' && *p != '-')
          return fail("expected a decimal number");
      at += size_t(end - begin);
      return add(Kind::Number, {}, v);
    }
    if (take("(")) {
      int inner = expr(depth + 1);
      if (error.empty() && !take(")"))
        return fail("expected ')'");
      return inner;
    }
    if (!std::isalpha((unsigned char)c) && c != '_')
      return fail("expected a number, 'epoch', a function or '('");
    size_t start = at;
    while (at < text.size() &&
           (std::isalnum((unsigned char)text[at]) || text[at] == '_'))
      ++at;
    std::string name = text.substr(start, at - start);
    if (name == "epoch")
      return add(Kind::Epoch, {});
    if (name == "pi")
      return add(Kind::Number, {}, M_PI);
    if (name == "e")
      return add(Kind::Number, {}, M_E);
    static const struct {
      const char *name;
      Kind kind;
      int arity; // 0: one or more.
    } functions[] = {
        {"exp", Kind::Exp, 1},     {"log", Kind::Log, 1},
        {"sqrt", Kind::Sqrt, 1},   {"abs", Kind::Abs, 1},
        {"floor", Kind::Floor, 1}, {"ceil", Kind::Ceil, 1},
        {"sin", Kind::Sin, 1},     {"cos", Kind::Cos, 1},
        {"tanh", Kind::Tanh, 1},   {"pow", Kind::Pow, 2},
        {"min", Kind::Min, 0},     {"max", Kind::Max, 0},
    };
    for (const auto &f : functions) {
      if (name != f.name)
        continue;
      if (!take("("))
        return fail("expected '(' after " + name);
      std::vector<int> args{expr(depth + 1)};
      while (error.empty() && take(","))
        args.push_back(expr(depth + 1));
      if (error.empty() && !take(")"))
        return fail("expected ',' or ')' in " + name + "(...)");
      if (error.empty() && f.arity && int(args.size()) != f.arity)
        return fail(name + " takes " + std::to_string(f.arity) +
                    (f.arity == 1 ? " argument" : " arguments") + ", not " +
                    std::to_string(args.size()));
      return add(f.kind, std::move(args));
    }
    at = start;
    return fail("unknown name '" + name +
                "' (the variable is 'epoch'; functions: exp, log, sqrt, abs, "
                "floor, ceil, sin, cos, tanh, pow, min, max)");
  }
};

std::string Expression::parse(const std::string &text, Expression &out) {
  // A bound on the nodes, and so on the evaluation's recursion through a
  // long chain of operators.
  if (text.size() > kMaxLength)
    return "column " + std::to_string(kMaxLength + 1) + ": longer than " +
           std::to_string(kMaxLength) + " characters";
  Expression parsed;
  ExpressionParser parser(text, parsed);
  if (std::string why = parser.run(); !why.empty())
    return why;
  out = std::move(parsed);
  return "";
}

double Expression::operator()(double epoch) const {
  return nodes.empty() ? 1.0 : eval(int(nodes.size()) - 1, epoch);
}

double Expression::eval(int node, double epoch) const {
  const Node &n = nodes[node];
  auto arg = [&](int i) { return eval(n.operands[i], epoch); };
  switch (n.kind) {
  case Kind::Number:
    return n.value;
  case Kind::Epoch:
    return epoch;
  case Kind::Negate:
    return -arg(0);
  case Kind::Not:
    return arg(0) == 0 ? 1 : 0;
  case Kind::Add:
    return arg(0) + arg(1);
  case Kind::Sub:
    return arg(0) - arg(1);
  case Kind::Mul:
    return arg(0) * arg(1);
  case Kind::Div:
    return arg(0) / arg(1);
  case Kind::FloorDiv:
    return std::floor(arg(0) / arg(1));
  case Kind::Mod: { // Python's: the sign of the divisor.
    double a = arg(0), b = arg(1), r = std::fmod(a, b);
    return r != 0 && (r < 0) != (b < 0) ? r + b : r;
  }
  case Kind::Pow:
    return std::pow(arg(0), arg(1));
  case Kind::Less:
    return arg(0) < arg(1);
  case Kind::LessEqual:
    return arg(0) <= arg(1);
  case Kind::Greater:
    return arg(0) > arg(1);
  case Kind::GreaterEqual:
    return arg(0) >= arg(1);
  case Kind::Equal:
    return arg(0) == arg(1);
  case Kind::NotEqual:
    return arg(0) != arg(1);
  case Kind::And:
    return arg(0) != 0 && arg(1) != 0;
  case Kind::Or:
    return arg(0) != 0 || arg(1) != 0;
  case Kind::Select:
    return arg(0) != 0 ? arg(1) : arg(2);
  case Kind::Exp:
    return std::exp(arg(0));
  case Kind::Log:
    return std::log(arg(0));
  case Kind::Sqrt:
    return std::sqrt(arg(0));
  case Kind::Abs:
    return std::fabs(arg(0));
  case Kind::Floor:
    return std::floor(arg(0));
  case Kind::Ceil:
    return std::ceil(arg(0));
  case Kind::Sin:
    return std::sin(arg(0));
  case Kind::Cos:
    return std::cos(arg(0));
  case Kind::Tanh:
    return std::tanh(arg(0));
  case Kind::Min:
  case Kind::Max: {
    double v = arg(0);
    for (size_t i = 1; i < n.operands.size(); ++i) {
      double w = arg(int(i));
      // Python's: the first of equals (+0 and -0 alike) is kept.
      if (n.kind == Kind::Min ? w < v : w > v)
        v = w;
    }
    return v;
  }
  }
  return NAN;
}

} // namespace lathe::training
