// Unit tests of the training option table (training/Options.def): its
// checks, its text form and the loop's set-by-name.
#include "compiler/graph/TrainingOptions.h"
#include "training/Loop.h"
#include "training/OptionCheck.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace lathe::training;

TEST_CASE("option checks accept and refuse by their kind") {
  CHECK(checkOptionText("", "anything") == "");
  CHECK(checkOptionText("positive", "3") == "");
  CHECK(checkOptionText("positive", "0") == "must be positive");
  CHECK(checkOptionText("positive", "nan") == "must be positive");
  CHECK(checkOptionText("positive", "x") == "must be positive");
  CHECK(checkOptionText("non-negative", "0") == "");
  CHECK(checkOptionText("non-negative", "-1") == "must not be negative");
  CHECK(checkOptionText("0..0.9", "0.9") == "");
  CHECK(checkOptionText("0..0.9", "0.95") == "must be in [0, 0.9]");
  CHECK(checkOptionText("0..1", "nan") == "must be in [0, 1]");
  CHECK(checkOptionText("mean|sum", "sum") == "");
  CHECK(checkOptionText("mean|sum", "avg") == "must be one of mean, sum");
}

TEST_CASE("option values parse from text by type") {
  bool b = false;
  CHECK((parseOptionText("true", b) && b));
  CHECK((parseOptionText("off", b) && !b));
  CHECK_FALSE(parseOptionText("maybe", b));
  int64_t i = 0;
  CHECK((parseOptionText("-42", i) && i == -42));
  CHECK_FALSE(parseOptionText("4.5", i));
  CHECK_FALSE(parseOptionText("", i));
  uint64_t u = 0;
  CHECK_FALSE(parseOptionText("-1", u));
  CHECK((parseOptionText("18446744073709551615", u) && u == ~uint64_t(0)));
  double d = 0;
  CHECK((parseOptionText("1e-3", d) && d == 1e-3));
  CHECK_FALSE(parseOptionText("1e-3x", d));
  std::vector<int64_t> list;
  CHECK((parseOptionText("1,3,7", list) &&
         list == std::vector<int64_t>{1, 3, 7}));
  CHECK((parseOptionText("", list) && list.empty()));
  CHECK_FALSE(parseOptionText("1,,3", list));
}

TEST_CASE("the loop's options are set by their table names") {
  LoopOptions o;
  CHECK(o.epochs == 10);
  CHECK(o.batchSize == 64);
  CHECK(o.shuffle);
  CHECK(o.schedule == "constant");
  CHECK(setLoopOption(o, "epochs", "3") == "");
  CHECK(o.epochs == 3);
  CHECK(setLoopOption(o, "lr-schedule", "onecycle") == "");
  CHECK(cyclesMomentum(o));
  CHECK(setLoopOption(o, "cycle-momentum", "false") == "");
  CHECK_FALSE(cyclesMomentum(o));
  CHECK(setLoopOption(o, "milestones", "2,5") == "");
  CHECK(o.milestones == std::vector<int64_t>{2, 5});
  CHECK(setLoopOption(o, "epoch", "3") == "no training loop option 'epoch'");
  CHECK(setLoopOption(o, "epochs", "0") ==
        "option 'epochs' must be positive (got '0')");
  CHECK(setLoopOption(o, "lr-schedule", "linea").find("must be one of") !=
        std::string::npos);
  CHECK(o.epochs == 3); // A refused value changes nothing.
  CHECK(checkLoopOptions(o) == "");
  o.t0 = 0; // cosine_restarts would never leave its first cycle.
  CHECK(checkLoopOptions(o) == "option 't0' must be positive (got '0')");
}

TEST_CASE("the compiler's training options hold the table's defaults") {
  lathe::TrainingOptions t;
  CHECK(t.loss == "cross_entropy");
  CHECK(t.ignoreIndex == -100);
  CHECK(std::isnan(t.margin));
  CHECK(t.optimizer == "sgd");
  CHECK(t.beta2 == 0.999);
  CHECK(t.clipNormType == 2.0);
  CHECK_FALSE(t.keepGradient);
  CHECK(t.seed == 0);
  CHECK(t.classWeight.empty());
}
