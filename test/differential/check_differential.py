"""Differential testing against ONNX Runtime: random small ONNX graphs
(random_graphs.py) compiled by Lathe and run by Lathe and by ONNX Runtime
on the same fresh random inputs, every output compared at
    |lathe - ort| <= 1e-5 + 1e-3 |ort|   (float32 both, summed in different
                                          orders through several ops),
shapes equal, a NaN or infinity only where ONNX Runtime has the same.

The graphs come from --graph-seed (fixed by default, so every CI run tests
the same graphs and a failure is repeatable); the inputs from the run's
random seed (LATHE_TEST_SEED). A failed case keeps its model and inputs in
WORK/failed/ (case-N.onnx, case-N.npz); `--replay WORK/failed/case-N.onnx`
compares that case again. `--graph-seed random` and `--cases 5000` make a
long run (docs/reliability.md records those made).

Usage: check_differential.py LATHE RUNTIME_LIBRARY WORK [--cases N]
           [--graph-seed S|random] [--max-nodes N] [--jobs N] [--replay F]
"""
import argparse
import collections
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import compare  # noqa: E402
import lathe_rt  # noqa: E402
from random_graphs import random_graph  # noqa: E402

RTOL, ATOL = 1e-3, 1e-5

try:
    import onnxruntime as ort
except ImportError:
    sys.exit("check_differential.py needs onnxruntime: run it with the test environment's "
             "Python (scripts/python-env.sh makes it; scripts/test.sh does that)")


def compile_case(lathe, path):
    so = path[:-len(".onnx")] + ".so"
    r = subprocess.run([lathe, "compile", path, "-o", so], capture_output=True, text=True)
    return so, (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1] \
        if r.returncode else ""


def reference(path, feeds):
    """ONNX Runtime's outputs, or the reason it refuses the model."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 4  # Its refusal is reported here, once.
    try:
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        return session.run(None, feeds), ""
    except Exception as e:  # noqa: BLE001 - ORT raises its own kinds.
        return None, str(e).splitlines()[0][:200]


def compare_case(rt, names, so, feeds, want):
    """Lathe's outputs (|names|) of |so| on |feeds| against |want|: '' when
    they agree, else why not."""
    try:
        got = rt.run(rt.load(so), "forward", list(feeds.values()))
    except RuntimeError as e:
        return "does not run: %s" % e
    r = compare.all_close(got, want, RTOL, ATOL, names=names, equal_nan=True)
    return "" if r else r.detail


def first_difference(rt, lathe, path, feeds):
    """The first node (in graph order) whose float output Lathe and ONNX
    Runtime disagree on: every intermediate tensor made an output."""
    model = onnx.shape_inference.infer_shapes(onnx.load(path))
    known = {v.name: v for v in list(model.graph.value_info) + list(model.graph.output)}
    del model.graph.output[:]
    for node in model.graph.node:
        for out in node.output:
            if out in known and known[out].type.tensor_type.elem_type == onnx.TensorProto.FLOAT:
                model.graph.output.append(known[out])
    every = path[:-len(".onnx")] + "-every.onnx"
    onnx.save(model, every)
    so, error = compile_case(lathe, every)
    if error:
        return "with every intermediate an output, it does not compile: " + error
    want, _ = reference(every, feeds)
    got = rt.run(rt.load(so), "forward", list(feeds.values()))
    producer = {o: n for n in model.graph.node for o in n.output}
    for out, g, w in zip(model.graph.output, got, want):
        r = compare.close(g, w, RTOL, ATOL, what=out.name, equal_nan=True)
        if not r:
            n = producer[out.name]
            return "first at %s (%s of %s): %s" % (n.op_type, out.name, ", ".join(n.input),
                                                   r.detail)
    return "no intermediate output differs"


def replay(args):
    """One kept case again: its model and inputs (case-N.npz beside it);
    a failure names the first node that differs."""
    path = os.path.abspath(args.replay)
    so, error = compile_case(args.lathe, path)
    if error:
        print("FAIL %s does not compile: %s" % (path, error))
        return 1
    feeds = dict(np.load(path[:-len(".onnx")] + ".npz"))
    want, why = reference(path, feeds)
    if want is None:
        print("ONNX Runtime refuses %s: %s" % (path, why))
        return 1
    rt = lathe_rt.Runtime(args.runtime, threads=1)
    names = [o.name for o in onnx.load(path).graph.output]
    detail = compare_case(rt, names, so, feeds, want)
    print("%s %s%s" % ("FAIL" if detail else "PASS", path, ": " + detail if detail else ""))
    if detail:
        print(first_difference(rt, args.lathe, path, feeds))
    return 1 if detail else 0


def main(seed):
    ap = argparse.ArgumentParser()
    ap.add_argument("lathe")
    ap.add_argument("runtime")
    ap.add_argument("work")
    ap.add_argument("--cases", type=int, default=150)
    ap.add_argument("--graph-seed", default="20261207")
    ap.add_argument("--max-nodes", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--replay", help="compare one kept case (failed/case-N.onnx) again")
    args = ap.parse_args()
    if args.replay:
        return replay(args)
    graph_seed = (int.from_bytes(os.urandom(4), "little") if args.graph_seed == "random"
                  else int(args.graph_seed))
    print("graph seed %d (--graph-seed %d repeats these graphs); ONNX Runtime %s"
          % (graph_seed, graph_seed, ort.__version__))
    work = args.work
    failed_dir = os.path.join(work, "failed")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rt = lathe_rt.Runtime(args.runtime, threads=1)
    inputs_rng = np.random.default_rng(seed)

    passed = failed = refused = 0
    ops = collections.Counter()
    batch = 50
    for start in range(0, args.cases, batch):
        cases = []
        for i in range(start, min(start + batch, args.cases)):
            made = random_graph(np.random.default_rng([graph_seed, i]), args.max_nodes)
            if made is None:
                continue
            model, shapes, used = made
            path = os.path.join(work, "case-%d.onnx" % i)
            onnx.save(model, path)
            cases.append((i, path, shapes, used, [o.name for o in model.graph.output]))
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            compiled = list(pool.map(lambda c: compile_case(args.lathe, c[1]), cases))
        for (i, path, shapes, used, names), (so, error) in zip(cases, compiled):
            feeds = {n: inputs_rng.standard_normal(s).astype(np.float32)
                     for n, s in shapes.items()}
            want, why = reference(path, feeds)
            if want is None:
                refused += 1
                print("skip case %d (%s): ONNX Runtime refuses it: %s"
                      % (i, " ".join(used), why))
                continue
            detail = ("does not compile: " + error if error else
                      compare_case(rt, names, so, feeds, want))
            if detail:
                failed += 1
                os.makedirs(failed_dir, exist_ok=True)
                kept = os.path.join(failed_dir, "case-%d" % i)
                shutil.copy(path, kept + ".onnx")
                np.savez(kept + ".npz", **feeds)
                print("FAIL case %d (%s): %s [%s.onnx]" % (i, " ".join(used), detail, kept))
            else:
                passed += 1
                ops.update(used)
            for f in (path, so):
                if os.path.exists(f):
                    os.remove(f)
    print("operators in passing cases: " +
          ", ".join("%s %d" % kv for kv in sorted(ops.items())))
    print("%d passed, %d failed (%d cases ONNX Runtime refuses, not counted)"
          % (passed, failed, refused))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(compare.main_with_seed(main))
