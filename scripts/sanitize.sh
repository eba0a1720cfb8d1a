#!/usr/bin/env bash
# The reliability job: fuzzing and sanitizers, in build trees of their own
# (clang-22; scripts/install-deps.sh --tests installs it and libFuzzer).
#
#   build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer (leaks
#                included) + libFuzzer coverage: the whole compiler (lathe,
#                lathe-opt), the runtime, the training library, lathe-run,
#                the unit tests, the conformance runner and the fuzz targets.
#   build-tsan/  ThreadSanitizer: the runtime and lathe-concurrent-runs.
#
# Each fuzz target runs from the seed corpus in fuzz/corpus plus seeds this
# build makes (artifacts, a checkpoint, ONNX models); then, all built with
# ASan/UBSan: the unit tests, the lit tests, the CLI tests (test/e2e/
# check_cli.py: bad models, files and options) and the ONNX backend
# conformance cases through the whole compiler; lathe-run runs artifacts;
# and the TSan build runs one module from 8 threads at once. Needs the main
# build (scripts/build.sh) for the seeds' lathe, and the test packages
# (scripts/install-deps.sh --tests).
#
# Usage: scripts/sanitize.sh [SCALE]
#   Each fuzz target runs a fixed number of executions with a fixed seed,
#   so that a run is repeatable: 20000 for the file readers, 600 for the
#   ONNX importer (which imports a whole model each time), times SCALE
#   (default 1, CI's). LATHE_FUZZ_SECONDS=N fuzzes each target for N
#   seconds with a random seed instead (long runs: docs/reliability.md).
# Prints one line per check, each fuzz target's executions and coverage,
# and "N passed, N failed". A crash leaves its input in
# build-asan/sanitize/crashes/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
main=${LATHE_BUILD_DIR:-$root/build}
asan=$root/build-asan
tsan=$root/build-tsan
scale=${1:-1}
lathe=$main/tools/lathe
[[ -x $lathe ]] || { echo "sanitize: build Lathe first (scripts/build.sh)" >&2; exit 2; }

configure() {
  local dir=$1
  shift
  cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    "$@" > /dev/null
}
fuzzers=(npy npz idx artifact checkpoint safetensors expression onnx)
configure "$asan" -DLATHE_SANITIZE=address,undefined -DLATHE_FUZZ=ON -DLATHE_TESTS=ON
cmake --build "$asan" --target lathe lathe-opt lathe-run lathe-unit-tests \
  lathe-conformance "${fuzzers[@]/#/lathe-fuzz-}"
configure "$tsan" -DLATHE_SANITIZE=thread -DLATHE_TESTS=OFF
cmake --build "$tsan" --target lathe-concurrent-runs

work=$asan/sanitize
rm -rf "$work"
mkdir -p "$work/crashes"
passed=0 failed=0
result() { # NAME OK DETAIL
  if [[ $2 == 0 ]]; then
    echo "PASS $1"
    passed=$((passed + 1))
  else
    echo "FAIL $1: $3"
    failed=$((failed + 1))
  fi
}

# Seeds this build makes: artifacts (inference, training, external
# weights), a checkpoint, ONNX models.
digits=$root/examples/digits
"$lathe" compile "$digits/lenet-digits-trained.onnx" --input-shape x=12x1x8x8 \
  -o "$work/digits.so" > /dev/null
mkdir -p "$work/external"
"$lathe" compile "$digits/lenet-digits-trained.onnx" --input-shape x=12x1x8x8 \
  --weights external -o "$work/external/digits.so" > /dev/null
"$lathe" compile "$digits/lenet-digits.onnx" --train --optimizer adam \
  --input-shape x=32x1x8x8 -o "$work/train.so" > /dev/null
"$lathe" train "$digits/lenet-digits.onnx" --data "$digits/digits-train.npz" \
  --batch-size 32 --epochs 1 --max-steps 2 --optimizer adam \
  --checkpoint "$work/run" > /dev/null 2>&1
for f in "${fuzzers[@]}"; do
  mkdir -p "$work/corpus/$f"
  [[ -d $root/fuzz/corpus/$f ]] && cp "$root/fuzz/corpus/$f"/* "$work/corpus/$f/"
done
cp "$work/digits.so" "$work/external/digits.so" "$work/train.so" "$work/corpus/artifact/" 2>/dev/null || true
cp "$work/run/checkpoint.safetensors" "$work/corpus/checkpoint/"
cp "$work/run/checkpoint.safetensors" "$work/corpus/safetensors/"
cp "$digits"/*.onnx "$work/corpus/onnx/"
testdata=/usr/share/libonnx-testdata/data/node
for t in conv_with_strides_padding lstm_defaults gru_defaults rnn_seq_length \
  gemm_default_scalar_bias maxpool_2d_pads averagepool_2d_ceil loop11 if \
  concat_2d_axis_0 resize_upsample_scales_linear top_k split_variable_parts_1d_opset18 \
  slice batchnorm_epsilon reshape_negative_dim transpose_default einsum_batch_matmul \
  convtranspose_pads range_float_type_positive_delta_expanded constantofshape_int_zeros \
  gather_1 scatter_elements_with_axis pad expand_dim_changed; do
  [[ -f $testdata/test_$t/model.onnx ]] && cp "$testdata/test_$t/model.onnx" "$work/corpus/onnx/$t.onnx"
done

# Fuzzing: the fixed seed and run count make a run repeatable.
for f in "${fuzzers[@]}"; do
  if [[ -n ${LATHE_FUZZ_SECONDS:-} ]]; then
    budget=(-max_total_time="$LATHE_FUZZ_SECONDS")
  else
    runs=20000
    [[ $f == onnx ]] && runs=600
    budget=(-runs=$((runs * scale)) -seed=1)
  fi
  log=$work/fuzz-$f.log
  rc=0
  (cd "$work" && LATHE_FUZZ_ARTIFACT=$work/train.so \
    "$asan/fuzz/lathe-fuzz-$f" "$work/corpus/$f" "${budget[@]}" \
    -max_len=262144 -rss_limit_mb=4096 -timeout=30 -print_final_stats=1 \
    -artifact_prefix="$work/crashes/$f-" > "$log" 2>&1) || rc=$?
  executed=$(grep -o "number_of_executed_units: [0-9]*" "$log" | grep -o "[0-9]*$" || echo 0)
  coverage=$(grep -o "cov: [0-9]*" "$log" | tail -1 | grep -o "[0-9]*$" || echo 0)
  echo "fuzz $f: $executed executions, coverage $coverage edges"
  result "fuzz target $f finds no crash" "$rc" "$(grep -m3 -E "ERROR|runtime error|SUMMARY" "$log" | tr '\n' ' ')"
done

# The ASan/UBSan runtime running artifacts: threads, timing, external
# weights, inspection.
samples=$digits/samples.npy
for args in "digits.so -i $samples -t 3 --repeat 5 --classes" \
  "external/digits.so -i $samples -t 2" "--inspect train.so"; do
  rc=0
  # shellcheck disable=SC2086
  out=$(cd "$work" && "$asan/tools/lathe-run" $args 2>&1) || rc=$?
  result "ASan/UBSan lathe-run ${args/$samples/samples.npy}" "$rc" "$out"
done

# The compiler built with ASan/UBSan: its unit tests, the lit tests of the
# dialect and passes, the CLI tests and every ONNX backend conformance case
# (the passes' floor, as the main build's CTest entry holds it).
cached() { grep -m1 "^$1:" "$asan/CMakeCache.txt" | cut -d= -f2-; }
rc=0
out=$("$asan/test/unit/lathe-unit-tests" 2>&1) || rc=$?
result "ASan/UBSan unit tests" "$rc" "$(echo "$out" | tail -20)"
rc=0
out=$("$(cached LIT_EXECUTABLE)" "$asan/test/lit" 2>&1) || rc=$?
result "ASan/UBSan lit tests ($(echo "$out" | grep -o 'Passed: *[0-9]*' || true))" "$rc" \
  "$(echo "$out" | grep -E "FAIL|Failed" | head -10)"
rc=0
out=$("$(cached LATHE_PYTHON)" "$root/test/e2e/check_cli.py" "$asan/tools/lathe" \
  "$work/cli" 2>&1) || rc=$?
result "ASan/UBSan CLI tests ($(echo "$out" | tail -1))" "$rc" \
  "$(echo "$out" | grep -E "^FAIL|Sanitizer|runtime error" | head -10)"
rc=0
out=$("$asan/test/conformance/lathe-conformance" --min-passed \
  "$(head -1 "$root/test/conformance/minimum-passed.txt")" /usr/share/libonnx-testdata/data 2>&1) || rc=$?
result "ASan/UBSan ONNX conformance ($(echo "$out" | tail -1))" "$rc" \
  "$(echo "$out" | grep -E "FAIL|Sanitizer|runtime error" | head -10)"

# ThreadSanitizer: one module, 8 threads with contexts of their own.
rc=0
out=$("$tsan/fuzz/lathe-concurrent-runs" "$work/digits.so" "$samples" 8 25 2>&1) || rc=$?
result "TSan: 8 threads x 25 runs of one module, no race, same outputs" "$rc" "$(echo "$out" | tail -5)"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
