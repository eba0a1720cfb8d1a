"""Proves that every comparison the suite relies on can fail.

1. Every helper of compare.py (its HELPERS list, which must name every
   public function and class there) passes a correct result and fails a
   NaN, an infinity, a 10% error in one element, a wrong shape and a
   missing output.
2. The conformance runner (lathe-conformance, C++) does the same on
   crafted ONNX test cases, also when the bad data set follows a good one,
   when the reference is stored in typed fields rather than raw bytes, and
   when an input's data contradicts the compiled model's shape.
3. No test script outside compare.py uses the NaN-blind idioms this suite
   once had: a running `max(worst, d)`, `np.allclose`/`isclose` (which
   broadcast a wrong shape), `np.any(x > bound)`, or `max(float(...))`.

Usage: check_comparators.py LATHE_CONFORMANCE WORK_DIR
"""
import inspect
import math
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402

RESULTS = []


def check(name, ok, detail=""):
    RESULTS.append(bool(ok))
    print("%s %s%s" % ("ok  " if ok else "FAIL", name, ": " + detail if detail and not ok else ""))


def corruptions(want):
    """(label, bad result) pairs for an array reference |want|."""
    nan = want.copy()
    nan.reshape(-1)[-1] = np.nan
    inf = want.copy()
    inf.reshape(-1)[0] = np.inf
    off = want.copy()
    off.reshape(-1)[want.size // 2] *= 1.1
    return [("a NaN", nan), ("an infinity", inf), ("a 10% error in one element", off),
            ("a wrong shape", want.reshape(-1)[:-1]), ("a missing output", None)]


def helper_cases():
    rng = np.random.default_rng(0)
    want = rng.uniform(1.0, 2.0, (3, 4))
    others = [rng.uniform(1.0, 2.0, (2,)), rng.uniform(1.0, 2.0, (5,))]

    def verdict(result):
        return bool(result)

    # Each entry: helper name, how it judges (got, want) -> bool.
    judges = {
        "close": lambda g, w: verdict(compare.close(g, w, 1e-5, 1e-6)),
        "equal": lambda g, w: verdict(compare.equal(g, w)),
        "bits_equal": lambda g, w: verdict(compare.bits_equal(g, w)),
        "all_close": lambda g, w: verdict(compare.all_close(
            others + ([] if g is None else [g]), others + [w], 1e-5, 1e-6)),
        "all_equal": lambda g, w: verdict(compare.all_equal(
            others + ([] if g is None else [g]), others + [w])),
        "relative_difference": lambda g, w: compare.relative_difference(g, w) <= 1e-6,
        # A running maximum fed a clean value, then this one, then another
        # clean one: a NaN added in the middle must not be forgotten.
        "Worst": lambda g, w: compare.Worst().add(0.0).add(
            compare.relative_difference(g, w)).add(0.0).within(1e-6),
        "within": lambda g, w: compare.within(compare.relative_difference(g, w), 1e-6),
        # Element by element, as numbers.
        "scalar_close": lambda g, w: (
            verdict(compare.scalar_close(None, w.reshape(-1)[0], 1e-5)) if g is None
            else all(verdict(compare.scalar_close(a, b, 1e-5))
                     for a, b in zip(g.reshape(-1), w.reshape(-1)))),
    }
    public = sorted(n for n, v in vars(compare).items()
                    if not n.startswith("_") and (inspect.isfunction(v) or inspect.isclass(v))
                    and v.__module__ == compare.__name__
                    and n not in ("Result", "seed", "main_with_seed", "print_failed_seed"))
    check("compare.HELPERS lists every comparison helper of compare.py",
          sorted(compare.HELPERS) == public, "HELPERS %s, defined %s" % (
              sorted(compare.HELPERS), public))
    check("every helper of compare.HELPERS is proved here",
          sorted(judges) == sorted(compare.HELPERS), str(sorted(judges)))
    for name in compare.HELPERS:
        judge = judges.get(name)
        if judge is None:
            continue
        check("%s passes a correct result" % name, judge(want.copy(), want))
        for label, bad in corruptions(want):
            if name == "scalar_close" and label == "a wrong shape":
                continue  # A scalar has no shape to get wrong.
            check("%s fails %s" % (name, label), not judge(bad, want))
    # Integers and the NaN policy of equal(): a NaN the reference has too.
    check("equal accepts a NaN the reference has at the same place",
          compare.equal(np.array([1.0, np.nan]), np.array([1.0, np.nan])))
    check("close fails a NaN the reference has, unless equal_nan",
          not compare.close(np.array([np.nan]), np.array([np.nan]), 1e-5, 0)
          and compare.close(np.array([np.nan]), np.array([np.nan]), 1e-5, 0, equal_nan=True))
    check("close fails an infinity of the wrong sign",
          not compare.close(np.array([-np.inf]), np.array([np.inf]), 1e-5, 0))
    check("equal fails another dtype", not compare.equal(np.array([1], np.int32),
                                                        np.array([1], np.int64)))
    check("all_close fails an extra output",
          not compare.all_close(others + [want, want], others + [want], 1e-5, 1e-6))
    check("Worst forgets nothing: a NaN first, then numbers",
          not compare.Worst().add(math.nan).add(0.5).within(1.0))
    check("within refuses None and NaN", not compare.within(None, 1) and
          not compare.within(math.nan, 1) and compare.within(1.0, 1.0))


def write_case(root, name, sets, model_shape=(2, 3), typed=False, outputs=1):
    """A conformance case: y = x + 1 (and y2 = x * 2 with |outputs| 2) with
    data sets [(x, [y, ...])]; |typed| stores references in float_data."""
    d = os.path.join(root, "node", name)
    os.makedirs(d)
    nodes = [helper.make_node("Add", ["x", "one"], ["y"])]
    outs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(model_shape))]
    inits = [numpy_helper.from_array(np.array(1.0, np.float32), "one")]
    if outputs == 2:
        nodes.append(helper.make_node("Mul", ["x", "two"], ["y2"]))
        outs.append(helper.make_tensor_value_info("y2", TensorProto.FLOAT, list(model_shape)))
        inits.append(numpy_helper.from_array(np.array(2.0, np.float32), "two"))
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(model_shape))],
        outs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, os.path.join(d, "model.onnx"))
    for k, (x, ys) in enumerate(sets):
        s = os.path.join(d, "test_data_set_%d" % k)
        os.makedirs(s)
        with open(os.path.join(s, "input_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(x).SerializeToString())
        for i, y in enumerate(ys):
            if typed:
                t = helper.make_tensor("y", TensorProto.FLOAT, y.shape, y.reshape(-1).tolist())
            else:
                t = numpy_helper.from_array(y)
            with open(os.path.join(s, "output_%d.pb" % i), "wb") as f:
                f.write(t.SerializeToString())


def conformance_cases(runner, work):
    root = os.path.join(work, "data")
    shutil.rmtree(root, ignore_errors=True)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3)).astype(np.float32)
    y = x + 1
    good = (x, [y])
    cases = {"test_correct": ("pass", [good], {}),
             "test_correct_typed_fields": ("pass", [good], {"typed": True})}
    for label, bad in corruptions(y):
        key = "test_reference_with_" + re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
        cases[key] = ("fail", [(x, [] if bad is None else [bad.astype(np.float32)])], {})
        # The same defect in the second data set, after a good one.
        cases[key + "_second_set"] = ("fail", [good, (x, [] if bad is None
                                                       else [bad.astype(np.float32)])], {})
    # Lathe's own output not finite where the reference is: x holds a NaN
    # (an infinity) that x + 1 carries through.
    for what, value in (("nan", np.nan), ("infinity", np.inf)):
        xs = x.copy()
        xs[0, 1] = value
        cases["test_output_with_" + what] = ("fail", [(xs, [y])], {})
    y2 = x * 2
    bad2 = y2.copy()
    bad2[1, 2] = np.nan
    cases["test_nan_in_second_output"] = ("fail", [(x, [y, bad2])], {"outputs": 2})
    cases["test_two_outputs"] = ("pass", [(x, [y, y2])], {"outputs": 2})
    # Input data of another shape than the model file declares: the test's
    # defect, reported unsupported with the reason; a later failure is not
    # hidden by it.
    cases["test_input_contradicts_model"] = ("unsupported", [(x.reshape(3, 2), [y])], {})
    cases["test_failure_then_bad_data"] = ("fail", [(x, [y * 1.1]), (x.reshape(3, 2), [y])], {})
    for name, (_, sets, opts) in cases.items():
        write_case(root, name, sets, **opts)
    table = os.path.join(work, "conformance.md")
    r = subprocess.run([runner, "--jobs", "2", "--table", table, root, "node"],
                       capture_output=True, text=True)
    status = {}
    if os.path.exists(table):
        for line in open(table):
            cells = [c.strip() for c in line.split("|")]
            if len(cells) > 4 and cells[2].startswith("test_"):
                status[cells[2]] = (cells[3], cells[6])
    for name, (want, _, _) in sorted(cases.items()):
        got, detail = status.get(name, ("missing", r.stdout[-300:] + r.stderr[-300:]))
        check("lathe-conformance reports %s as %s" % (name, want), got == want,
              "%s: %s" % (got, detail))
    check("lathe-conformance exits non-zero when a case fails", r.returncode != 0)
    check("lathe-conformance prints its totals",
          re.search(r"\d+ passed, \d+ passed folded at compile time, \d+ failed, "
                    r"\d+ unsupported", r.stdout) is not None, r.stdout[-300:])


IDIOMS = [
    (re.compile(r"\bmax\(\s*worst\b"), "a running max(worst, d) forgets NaN: use compare.Worst"),
    (re.compile(r"\b(np|numpy|torch)\.(allclose|isclose)\("),
     "allclose/isclose broadcast a wrong shape: use compare.close"),
    (re.compile(r"np\.any\([^()]*>[^()]*\)"), "np.any(err > bound) is False on NaN"),
    (re.compile(r"\bmax\(\s*float\("), "max() over floats forgets a NaN after the first"),
]


def idiom_cases():
    test_root = os.path.dirname(HERE)
    offenders = []
    for folder, _, files in os.walk(test_root):
        for f in files:
            if not f.endswith(".py") or f in ("compare.py", "check_comparators.py"):
                continue
            path = os.path.join(folder, f)
            for n, line in enumerate(open(path, encoding="utf-8"), 1):
                for pattern, why in IDIOMS:
                    if pattern.search(line):
                        offenders.append("%s:%d: %s" % (os.path.relpath(path, test_root), n, why))
    check("no test script uses a NaN-blind comparison idiom", not offenders,
          "\n  " + "\n  ".join(offenders))


def main():
    runner, work = sys.argv[1:3]
    os.makedirs(work, exist_ok=True)
    helper_cases()
    conformance_cases(runner, work)
    idiom_cases()
    passed = sum(RESULTS)
    print("%d passed, %d failed" % (passed, len(RESULTS) - passed))
    return 0 if passed == len(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
