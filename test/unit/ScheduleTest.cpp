// Unit tests of the learning-rate schedules' text: the lr-lambda
// expression (training/Expression: values, errors that point at the
// column, a differential fuzz against an evaluation built beside the text,
// and mutated texts that must never crash) and the checks of sequential
// and chained schedules (training/Schedule).
#include "training/Schedule.h"
#include "training/Expression.h"
#include "training/Loop.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>

using namespace lathe::training;

namespace {

double eval(const std::string &text, double epoch) {
  Expression e;
  std::string why = Expression::parse(text, e);
  INFO(text << ": " << why);
  REQUIRE(why.empty());
  return e(epoch);
}

std::string parseError(const std::string &text) {
  Expression e;
  return Expression::parse(text, e);
}

/// The same bits, or both NaN.
bool same(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

/// Python's min and max: the first of equals is kept.
double pyMin(double a, double b) { return b < a ? b : a; }
double pyMax(double a, double b) { return b > a ? b : a; }

} // namespace

TEST_CASE("lr-lambda expressions evaluate with Python's meaning") {
  CHECK(eval("0.95^epoch", 3) == std::pow(0.95, 3.0));
  CHECK(eval("0.95 ** epoch", 3) == std::pow(0.95, 3.0));
  CHECK(eval("epoch < 5 ? (epoch+1)/5 : 1", 2) == 3.0 / 5);
  CHECK(eval("epoch < 5 ? (epoch+1)/5 : 1", 7) == 1.0);
  CHECK(eval("-2^2", 0) == -4.0);   // Python: -(2**2).
  CHECK(eval("2^3^2", 0) == 512.0); // Right-associative.
  CHECK(eval("2^-1", 0) == 0.5);
  CHECK(eval("7 // 2", 0) == 3.0);
  CHECK(eval("-7 // 2", 0) == -4.0); // Floor, not truncation.
  CHECK(eval("-7 % 3", 0) == 2.0);   // The divisor's sign.
  CHECK(eval("7 % -3", 0) == -2.0);
  CHECK(eval("epoch / 2", 3) == 1.5); // Exact division.
  CHECK(eval("1 + 2 * 3 - 4 / 2", 0) == 5.0);
  CHECK(eval("min(1, epoch, 0.5) + max(epoch, 2)", 4) == 4.5);
  CHECK(eval("pow(2, epoch)", 10) == 1024.0);
  CHECK(eval("exp(log(3))", 0) == std::exp(std::log(3.0)));
  CHECK(eval("cos(pi * epoch / 10)", 10) == std::cos(M_PI * 10 / 10));
  CHECK(eval("floor(2.5) + ceil(2.5) + abs(-1) + sqrt(4)", 0) == 8.0);
  CHECK(eval("epoch >= 3 && epoch != 4 || epoch == 0", 4) == 0.0);
  CHECK(eval("epoch >= 3 and not (epoch == 4) or epoch == 0", 5) == 1.0);
  CHECK(eval("!0 + !2", 0) == 1.0);
  CHECK(eval("1e-3 * 2.5E2 + .5", 0) == 1e-3 * 2.5e2 + .5);
  CHECK(eval("e", 0) == M_E);
  CHECK(std::isinf(eval("1 / (epoch - 2)", 2)));
  Expression none;
  CHECK(none(7) == 1.0); // An empty expression is 1.
}

TEST_CASE("lr-lambda errors point at the column") {
  CHECK(parseError("0.95^") ==
        "column 6: expected a number, 'epoch', a function or '(' at the end");
  CHECK(parseError("epoch +* 2") ==
        "column 8: expected a number, 'epoch', a function or '('");
  CHECK(parseError("(epoch + 1") == "column 11: expected ')'");
  CHECK(parseError("epoch < 5 ? 1") == "column 14: expected ':' of the '?'");
  CHECK(parseError("epoch 2") == "column 7: unexpected '2'");
  CHECK(parseError("0.9^epochs").rfind("column 5: unknown name 'epochs'", 0) ==
        0);
  CHECK(parseError("exp(1, 2)") == "column 10: exp takes 1 argument, not 2");
  CHECK(parseError("pow(2)") == "column 7: pow takes 2 arguments, not 1");
  CHECK(parseError("min 2") == "column 5: expected '(' after min");
  CHECK(parseError("0x10") == "column 1: expected a decimal number");
  CHECK(parseError("inf").rfind("column 1: unknown name 'inf'", 0) == 0);
  CHECK(parseError("") ==
        "column 1: expected a number, 'epoch', a function or '(' at the end");
  CHECK(parseError(std::string(100, '(') + "1" + std::string(100, ')'))
            .find("nested deeper than 64") != std::string::npos);
  CHECK(parseError(std::string(100, '-') + "1").find("nested deeper than 64") !=
        std::string::npos);
  std::string chain = "1";
  while (chain.size() <= Expression::kMaxLength)
    chain += "+1";
  CHECK(parseError(chain) == "column 4097: longer than 4096 characters");
  chain.resize(Expression::kMaxLength - 1); // "1+1+...+1": 2047 additions.
  CHECK(eval(chain, 0) == 2048.0);
}

namespace {

/// A random expression and its value at |epoch|, computed beside the text
/// with the grammar's meaning (every subexpression parenthesized or
/// built so that precedence does not matter).
struct Generated {
  std::string text;
  double value;
};

Generated generate(std::mt19937_64 &rng, double epoch, int depth) {
  auto pick = [&](int n) { return int(rng() % uint64_t(n)); };
  if (depth == 0 || pick(4) == 0) {
    switch (pick(3)) {
    case 0:
      return {"epoch", epoch};
    case 1: {
      int v = pick(1000);
      return {std::to_string(v), double(v)};
    }
    default: {
      double v = double(pick(100000)) / 64; // Exact in binary and decimal.
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", v);
      return {buf, v};
    }
    }
  }
  Generated a = generate(rng, epoch, depth - 1);
  Generated b = generate(rng, epoch, depth - 1);
  std::string pa = "(" + a.text + ")", pb = "(" + b.text + ")";
  switch (pick(16)) {
  case 0:
    return {pa + " + " + pb, a.value + b.value};
  case 1:
    return {pa + "-" + pb, a.value - b.value};
  case 2:
    return {pa + "*" + pb, a.value * b.value};
  case 3:
    return {pa + " / " + pb, a.value / b.value};
  case 4:
    return {pa + "//" + pb, std::floor(a.value / b.value)};
  case 5: {
    double r = std::fmod(a.value, b.value);
    if (r != 0 && (r < 0) != (b.value < 0))
      r += b.value;
    return {pa + " % " + pb, r};
  }
  case 6:
    return {pa + "^" + pb, std::pow(a.value, b.value)};
  case 7:
    return {"-" + pa, -a.value};
  case 8:
    return {pa + " < " + pb, double(a.value < b.value)};
  case 9:
    return {pa + ">=" + pb, double(a.value >= b.value)};
  case 10:
    return {pa + " == " + pb, double(a.value == b.value)};
  case 11: {
    Generated c = generate(rng, epoch, depth - 1);
    return {pa + " ? " + pb + " : (" + c.text + ")",
            a.value != 0 ? b.value : c.value};
  }
  case 12:
    return {"min(" + a.text + ", " + b.text + ")", pyMin(a.value, b.value)};
  case 13:
    return {"max(" + a.text + "," + b.text + ")", pyMax(a.value, b.value)};
  case 14:
    return {"sqrt(" + a.text + ")", std::sqrt(a.value)};
  default:
    return {pa + " && " + pb, double(a.value != 0 && b.value != 0)};
  }
}

} // namespace

TEST_CASE("lr-lambda: generated expressions parse and evaluate as built") {
  std::mt19937_64 rng(20261207);
  for (int i = 0; i < 20000; ++i) {
    double epoch = double(rng() % 50);
    Generated g = generate(rng, epoch, 1 + int(rng() % 6));
    Expression e;
    std::string why = Expression::parse(g.text, e);
    INFO(g.text << " at epoch " << epoch);
    REQUIRE(why.empty());
    REQUIRE(same(e(epoch), g.value));
  }
}

TEST_CASE("lr-lambda: mutated texts are refused with a column or accepted") {
  const char alphabet[] = "0123456789.eE+-*/%^()<>=!&|?:, epochminaxlogsqrt_\t";
  std::mt19937_64 rng(7);
  Generated seeds[] = {{"epoch < 5 ? (epoch+1)/5 : 0.95^(epoch-5)", 0},
                       {"max(0.1, 1 - epoch // 10 * 0.25)", 0},
                       {"exp(-0.1 * epoch) * cos(pi * epoch / 20)", 0}};
  for (int i = 0; i < 30000; ++i) {
    std::string text = seeds[i % 3].text;
    for (int m = 0, n = 1 + int(rng() % 6); m < n; ++m) {
      size_t at = text.empty() ? 0 : rng() % (text.size() + 1);
      char c = alphabet[rng() % (sizeof alphabet - 1)];
      switch (rng() % 3) {
      case 0:
        text.insert(at, 1, c);
        break;
      case 1:
        if (at < text.size())
          text.erase(at, 1);
        break;
      default:
        if (at < text.size())
          text[at] = c;
      }
    }
    Expression e;
    std::string why = Expression::parse(text, e);
    INFO(text << ": " << why);
    if (why.empty()) {
      (void)e(3); // Any number, NaN included: the loop's check refuses those.
      continue;
    }
    REQUIRE(why.rfind("column ", 0) == 0);
    long column = std::strtol(why.c_str() + 7, nullptr, 10);
    REQUIRE(column >= 1);
    REQUIRE(size_t(column) <= text.size() + 1);
  }
}

namespace {

std::string checkWith(
    std::initializer_list<std::pair<const char *, const char *>> settings) {
  LoopOptions o;
  for (auto [name, value] : settings) {
    std::string why = setLoopOption(o, name, value);
    INFO(name << "=" << value);
    REQUIRE(why.empty());
  }
  return checkLoopOptions(o);
}

} // namespace

TEST_CASE("schedules: the checks name the option") {
  CHECK(checkWith({{"lr-schedule", "lambda"}}) ==
        "lr-schedule lambda: needs the factor as option 'lr-lambda' (e.g. "
        "\"0.95^epoch\")");
  CHECK(checkWith({{"lr-schedule", "lambda"}, {"lr-lambda", "0.9^"}}) ==
        "option 'lr-lambda': column 5: expected a number, 'epoch', a "
        "function or '(' at the end in \"0.9^\"");
  CHECK(checkWith({{"lr-schedule", "lambda"},
                   {"lr-lambda", "1 / (3 - epoch)"},
                   {"epochs", "5"}}) ==
        "lr-schedule lambda gives the learning rate inf at epoch 3 "
        "(0-based)");
  CHECK(checkWith({{"lr-schedule", "lambda"}, {"lr-lambda", "epoch - 1"}}) ==
        "lr-schedule lambda gives the learning rate -0.001 at epoch 0 "
        "(0-based)");
  CHECK(checkWith({{"lr-schedule", "multiplicative"},
                   {"lr-lambda", "epoch == 4 ? 0/0 : 1"}}) ==
        "lr-schedule multiplicative gives the learning rate nan at epoch 4 "
        "(0-based)");
  CHECK(checkWith({{"lr-schedule", "sequential"}})
            .find("needs its schedules as option 'schedules'") !=
        std::string::npos);
  CHECK(checkWith(
            {{"lr-schedule", "sequential"}, {"schedules", "linear; cosine"}}) ==
        "lr-schedule sequential: 2 schedules need 1 milestones (option "
        "'milestones'), not 0");
  CHECK(checkWith({{"lr-schedule", "sequential"},
                   {"schedules", "linear; cosine; step"},
                   {"milestones", "5,2"}}) ==
        "lr-schedule sequential: option 'milestones' must be in increasing "
        "order");
  CHECK(checkWith({{"lr-schedule", "chained"}, {"schedules", "onecycle"}}) ==
        "option 'schedules', schedule 1 'onecycle': 'onecycle' is not a "
        "per-epoch schedule (step, multistep, exponential, cosine, linear, "
        "constant_factor, polynomial, lambda, multiplicative)");
  CHECK(checkWith({{"lr-schedule", "chained"}, {"schedules", "cosine(lr=3)"}})
            .find("'lr' is not an option of a schedule") != std::string::npos);
  CHECK(checkWith({{"lr-schedule", "chained"},
                   {"schedules", "linear(start-factor=2)"}}) ==
        "option 'schedules', schedule 1 'linear(start-factor=2)': option "
        "'start-factor' must be in [0, 1] (got '2')");
  CHECK(checkWith({{"lr-schedule", "chained"},
                   {"schedules", "linear(start-factor=0.5"}}) ==
        "option 'schedules': a '(' without its ')'");
  CHECK(checkWith({{"lr-schedule", "linear"}, {"start-factor", "0"}}) ==
        "lr-schedule linear: option 'start-factor' must be above 0 (got '0')");
  CHECK(checkWith({{"lr-schedule", "plateau"}, {"factor", "1.5"}})
            .rfind("option 'factor' must be below 1 for plateau", 0) == 0);
  CHECK(checkWith({{"lr-schedule", "chained"},
                   {"schedules", "multistep(milestones=2,4 gamma=0.5); "
                                 "lambda(lr_lambda=\"min(1, (epoch + 1) / "
                                 "3)\")"}}) == "");
}
