// Unit tests of the lathe CLI's option parsing.
#include "tools/lathe/Commands.h"

#include <catch2/catch.hpp>

using lathe::cli::parseInputShapes;

TEST_CASE("--input-shape parses name=AxBxC entries") {
  std::map<std::string, std::vector<int64_t>> shapes;
  std::string error;
  REQUIRE(parseInputShapes({"x=1x3x224x224", "mask=7"}, shapes, error));
  CHECK(shapes["x"] == std::vector<int64_t>{1, 3, 224, 224});
  CHECK(shapes["mask"] == std::vector<int64_t>{7});
  // A zero dimension is an empty tensor, not a symbolic one.
  REQUIRE(parseInputShapes({"empty=4x0"}, shapes, error));
  CHECK(shapes["empty"] == std::vector<int64_t>{4, 0});
}

TEST_CASE("--input-shape rejects malformed entries with the entry named") {
  std::map<std::string, std::vector<int64_t>> shapes;
  std::string error;
  CHECK_FALSE(parseInputShapes({"x"}, shapes, error));
  CHECK(error == "--input-shape 'x' is not name=AxBxC");
  CHECK_FALSE(parseInputShapes({"x=1x-1x3"}, shapes, error));
  CHECK(error == "--input-shape 'x=1x-1x3': dimensions must be non-negative "
                 "integers");
  CHECK_FALSE(parseInputShapes({"x=1xtwo"}, shapes, error));
  CHECK_FALSE(parseInputShapes({"=1x2"}, shapes, error));
}

TEST_CASE("--sequence-input parses one shape per tensor") {
  using lathe::cli::parseSequenceInputs;
  std::map<std::string, std::vector<std::vector<int64_t>>> seqs;
  std::string error;
  REQUIRE(
      parseSequenceInputs({"xs=2x3,4x3", "s=scalar,1", "none="}, seqs, error));
  CHECK(seqs["xs"] == std::vector<std::vector<int64_t>>{{2, 3}, {4, 3}});
  CHECK(seqs["s"] == std::vector<std::vector<int64_t>>{{}, {1}});
  CHECK(seqs["none"].empty());
  CHECK_FALSE(parseSequenceInputs({"xs"}, seqs, error));
  CHECK(error == "--sequence-input 'xs' is not name=AxB,CxD,... (one shape "
                 "per tensor)");
  CHECK_FALSE(parseSequenceInputs({"xs=2x3,,4"}, seqs, error));
  CHECK(error == "--sequence-input 'xs=2x3,,4': '' is not a shape AxBxC (or "
                 "scalar)");
}
