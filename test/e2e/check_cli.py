"""The lathe command line as a user meets it: outputs, exit codes, and one
clear error line for every kind of bad input. Nothing a user had is
overwritten by a failed command.

Usage: check_cli.py LATHE WORK_DIR
Prints one line per check and a closing "N passed, N failed".
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import models  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402

LATHE = None
WORK = None
results = []


def lathe(*args):
    return subprocess.run([LATHE] + list(args), capture_output=True, text=True,
                          cwd=WORK)


def check(name, condition, detail=""):
    results.append(bool(condition))
    print("%s %s%s" % ("PASS" if condition else "FAIL", name,
                       "" if condition else ": " + detail))


def one_error_line(r, *needles):
    """Non-zero exit, and stderr holds 'lathe: error:' lines with |needles|."""
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    ok = (r.returncode != 0 and lines and
          all(l.startswith("lathe: error:") for l in lines) and
          all(n in r.stderr for n in needles))
    return ok, "rc=%d stderr=%r" % (r.returncode, r.stderr)


def write_model(nodes, inputs, outputs, inits, path, opset=13):
    graph = helper.make_graph(nodes, "g", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(model, path)
    return path


def main(seed):
    global LATHE, WORK
    LATHE, WORK = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(WORK, exist_ok=True)
    lenet = models.export("lenet", WORK)
    mlp = models.export("mlp", WORK)
    x = np.random.default_rng(seed).standard_normal((2, 1, 28, 28)).astype(np.float32)
    np.save(os.path.join(WORK, "x.npy"), x)

    r = lathe("--help")
    check("--help lists the subcommands", r.returncode == 0 and all(
        c in r.stdout for c in ("compile", "run", "inspect")), r.stdout)

    r = lathe("compile", lenet, "-o", "lenet.so")
    check("compile writes a shared object",
          r.returncode == 0 and os.path.exists(os.path.join(WORK, "lenet.so")),
          r.stderr)
    r = lathe("run", "lenet.so", "--input", "x=x.npy", "--output", "y=y.npy")
    check("run writes the output", r.returncode == 0 and
          np.load(os.path.join(WORK, "y.npy")).shape == (2, 10), r.stderr)
    r = lathe("run", "lenet.so", "--input", "x=x.npy", "--threads", "1",
              "--output", "y=y1.npy")
    check("run --threads 1 gives the same output as the default pool",
          r.returncode == 0 and np.array_equal(
              np.load(os.path.join(WORK, "y1.npy")),
              np.load(os.path.join(WORK, "y.npy"))), r.stderr)
    r = lathe("run", "lenet.so", "--input", "x.npy")
    check("run summarizes outputs without --output",
          r.returncode == 0 and "y: f32 2x10" in r.stdout, r.stdout + r.stderr)

    r = lathe("inspect", lenet)
    check("inspect lists inputs, ops, parameters and FLOPs of a model",
          r.returncode == 0 and all(s in r.stdout for s in (
              "input      x: f32 2x1x28x28", "Conv", "lathe.conv2d", "FLOPs",
              "parameters 10 tensors")), r.stdout)
    r = lathe("inspect", "lenet.so")
    check("inspect describes a compiled artifact", r.returncode == 0 and all(
        s in r.stdout for s in ("name       lenet", "entry      forward (infer)",
                                "  output   y: f32 2x10", "weights    embedded")), r.stdout)
    r = lathe("compile", lenet, "--train", "--optimizer", "adam", "-o", "lenet-train.so")
    r = r if r.returncode else lathe("inspect", "lenet-train.so")
    check("inspect lists a training build's entry points and optimizer state",
          r.returncode == 0 and all(s in r.stdout for s in (
              "entry      eval_step (evaluate)",
              "entry      train_step (update; hyperparameters lr, step)",
              "  input    target: i64 2", "state      20 optimizer tensors")),
          r.stdout + r.stderr)

    r = lathe("compile", lenet, "--emit", "mlir")
    check("--emit mlir prints the lathe module",
          r.returncode == 0 and "lathe.conv2d" in r.stdout and
          'lathe.param = "features.0.weight"' in r.stdout, r.stderr)

    os.makedirs(os.path.join(WORK, "ext"), exist_ok=True)
    r = lathe("compile", lenet, "-o", "ext/lenet_ext.so", "--weights", "external")
    r2 = lathe("run", "ext/lenet_ext.so", "--input", "x=x.npy", "-o", "y2.npy")
    check("--weights external writes a side file the runtime loads (outputs bit for bit "
          "the embedded build's)",
          r.returncode == 0 and r2.returncode == 0 and
          os.path.exists(os.path.join(WORK, "ext/lenet_ext.weights")) and
          compare.bits_equal(np.load(os.path.join(WORK, "y2.npy")),
                             np.load(os.path.join(WORK, "y.npy"))), r.stderr + r2.stderr)
    os.remove(os.path.join(WORK, "ext/lenet_ext.weights"))
    check("a missing weights file is one clear error", *one_error_line(
        lathe("run", "ext/lenet_ext.so", "--input", "x.npy"),
        "cannot open the weights file"))

    # Two models in one program: the per-model prefixes keep symbols apart.
    ra = lathe("compile", lenet, "-o", "two_a", "--emit", "obj", "--name", "net_a")
    rb = lathe("compile", mlp, "-o", "two_b", "--emit", "obj", "--name", "net_b")
    link = subprocess.run(["cc", "-shared", "-o", os.path.join(WORK, "both.so"),
                           os.path.join(WORK, "two_a.o"),
                           os.path.join(WORK, "two_b.o"), "-lm"],
                          capture_output=True, text=True)
    check("two models link into one program", ra.returncode == 0 and
          rb.returncode == 0 and link.returncode == 0, link.stderr)
    r = lathe("compile", lenet, "-o", "cross", "--emit", "obj,header",
              "--target-triple", "aarch64-unknown-linux-gnu")
    obj = os.path.join(WORK, "cross.o")
    # ELF e_machine (bytes 18-19, little-endian): 183 is AArch64.
    machine = (int.from_bytes(open(obj, "rb").read(20)[18:20], "little")
               if os.path.exists(obj) else None)
    check("--target-triple cross-compiles (AArch64 object)",
          r.returncode == 0 and machine == 183, "%s machine=%s" % (r.stderr, machine))
    # The CPU target's vector width and registers come from the target
    # CPU's features; the header (and the descriptor) state what was chosen.
    for triple, cpu, want in [
            ("x86_64-unknown-linux-gnu", "haswell", "avx2 vector-bits=256 vector-registers=16"),
            # LLVM's tuning for Skylake-X prefers 256-bit vectors; AVX-512
            # still gives it 32 registers.
            ("x86_64-unknown-linux-gnu", "skylake-avx512",
             "avx512 vector-bits=256 vector-registers=32"),
            ("x86_64-unknown-linux-gnu", "x86-64", "sse2 vector-bits=128 vector-registers=16"),
            ("aarch64-unknown-linux-gnu", "cortex-a72", "neon vector-bits=128 vector-registers=32")]:
        r = lathe("compile", mlp, "-o", "tuned-" + cpu, "--emit", "obj,header",
                  "--target-triple", triple, "--target-cpu", cpu)
        header = os.path.join(WORK, "tuned-%s.h" % cpu)
        text = open(header).read() if os.path.exists(header) else ""
        check("--target-cpu %s (%s) chooses %s" % (cpu, triple.split("-")[0], want),
              r.returncode == 0 and ("Target: %s %s %s" % (triple, cpu, want)) in text,
              r.stderr + text[:300])
    check("an unknown --target is one clear error", *one_error_line(
        lathe("compile", lenet, "--emit", "obj", "--target", "tpu"),
        "unknown target 'tpu' (known: cpu)"))
    check("an unknown --target-cpu is one clear error", *one_error_line(
        lathe("compile", lenet, "--emit", "obj", "--target-cpu", "nonsense"),
        "unknown CPU 'nonsense'"))
    check("an unknown target triple is one clear error", *one_error_line(
        lathe("compile", lenet, "--emit", "obj", "--target-triple", "nonsense-cpu-os"),
        "unknown target triple 'nonsense-cpu-os'"))
    check("--name must be a C identifier", *one_error_line(
        lathe("compile", lenet, "--name", "9lives", "--emit", "obj"),
        "not a C identifier"))

    # Bad inputs: one clear line, exit 1, nothing overwritten.
    r = lathe("compile", "nope.onnx")
    check("a missing model file is one clear error, naming it once", *one_error_line(
        r, "lathe: error: nope.onnx: cannot read"))
    check("a missing model file's error names it once", r.stderr.count("nope.onnx") == 1,
          r.stderr)
    check("an output folder that does not exist is one clear error, before compiling",
          *one_error_line(lathe("compile", lenet, "-o", "no-such-folder/lenet.so"),
                          "the output folder no-such-folder does not exist"))
    data = open(lenet, "rb").read()
    with open(os.path.join(WORK, "cut.onnx"), "wb") as f:
        f.write(data[:len(data) // 3])
    precious = os.path.join(WORK, "cut.so")
    with open(precious, "w") as f:
        f.write("user's file")
    check("a truncated model is one clear error", *one_error_line(
        lathe("compile", "cut.onnx", "-o", "cut.so"), "not a valid ONNX model"))
    check("a failed compile leaves the existing output alone",
          open(precious).read() == "user's file")

    X = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    Y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    write_model([helper.make_node("Relu", ["x"], ["a"], name="r1"),
                 helper.make_node("StringNormalizer", ["a"], ["b"],
                                  name="odd1"),
                 helper.make_node("Unique", ["b"], ["y"], name="odd2")],
                [X], [Y], [], os.path.join(WORK, "unsupported.onnx"))
    r = lathe("compile", "unsupported.onnx")
    check("compile names every unsupported node at once", *one_error_line(
        r, "node 'odd1': operator StringNormalizer is not supported (opset "
        "13)",
        "node 'odd2': operator Unique is not supported"))
    r = lathe("inspect", "unsupported.onnx")
    check("inspect lists every unsupported node", r.returncode != 0 and
          "odd1 (StringNormalizer)" in r.stdout and "odd2 (Unique)" in
          r.stdout, r.stdout)

    XS = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    YS = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    write_model([helper.make_node("Relu", ["x"], ["y"], name="r")], [XS], [YS],
                [], os.path.join(WORK, "symbolic.onnx"))
    check("a symbolic dimension asks for --input-shape", *one_error_line(
        lathe("compile", "symbolic.onnx"),
        "input 'x' has symbolic dimension 'batch'; pass --input-shape x="))
    r = lathe("compile", "symbolic.onnx", "--input-shape", "x=3x4")
    r2 = lathe("inspect", "symbolic.so")
    check("--input-shape fixes a symbolic dimension",
          r.returncode == 0 and "  input    x: f32 3x4" in r2.stdout,
          r.stderr + r2.stdout)

    # A shape given as an input: frozen at compile time.
    XR = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 6])
    SR = helper.make_tensor_value_info("shape", TensorProto.INT64, [2])
    YR = helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4])
    write_model([helper.make_node("Reshape", ["x", "shape"], ["y"], name="rs")],
                [XR, SR], [YR], [], os.path.join(WORK, "reshape_input.onnx"))
    check("a shape input that is not frozen is one clear error", *one_error_line(
        lathe("compile", "reshape_input.onnx"),
        "input 'shape' (shape) must be known at compile time"))
    np.save(os.path.join(WORK, "shape.npy"), np.array([3, 4], np.int64))
    xr = np.arange(12, dtype=np.float32).reshape(2, 6)
    np.save(os.path.join(WORK, "xr.npy"), xr)
    r = lathe("compile", "reshape_input.onnx", "--freeze-input", "shape=shape.npy")
    r2 = lathe("run", "reshape_input.so", "--input", "x=xr.npy", "-o", "yr.npy")
    check("--freeze-input fixes a shape input at compile time",
          r.returncode == 0 and r2.returncode == 0 and np.array_equal(
              np.load(os.path.join(WORK, "yr.npy")), xr.reshape(3, 4)),
          r.stderr + r2.stderr)
    check("--freeze-input names must be inputs", *one_error_line(
        lathe("compile", "reshape_input.onnx", "--freeze-input", "nope=shape.npy"),
        "--freeze-input names 'nope'"))

    W = helper.make_tensor("w", TensorProto.FLOAT, [4, 2, 3, 3],
                           np.zeros(72, np.float32))
    XI = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    write_model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv_bad")],
                [XI], [Y], [W], os.path.join(WORK, "badconv.onnx"))
    check("a shape error names the node", *one_error_line(
        lathe("compile", "badconv.onnx"), "node 'conv_bad'",
        "expected weight dimension 1 to be 3"))

    np.save(os.path.join(WORK, "wrong.npy"), np.zeros((1, 1, 28, 28), np.float32))
    check("run rejects a wrong input shape", *one_error_line(
        lathe("run", "lenet.so", "--input", "x=wrong.npy"),
        "input 'x' expects f32 2x1x28x28, got f32 1x1x28x28"))
    np.save(os.path.join(WORK, "wrongtype.npy"), np.zeros((2, 1, 28, 28), np.float64))
    check("run rejects a wrong input dtype", *one_error_line(
        lathe("run", "lenet.so", "--input", "x=wrongtype.npy"),
        "expects f32 2x1x28x28, got f64"))
    check("run names a missing input", *one_error_line(
        lathe("run", "lenet.so"), "missing input 'x'"))
    check("run rejects an unknown input name", *one_error_line(
        lathe("run", "lenet.so", "--input", "z=x.npy"),
        "no input named 'z' (it has: x)"))
    check("run reports a missing artifact", *one_error_line(
        lathe("run", "absent.so", "--input", "x.npy"), "absent.so: cannot open"))
    check("run rejects a file that is not an artifact", *one_error_line(
        lathe("run", "cut.so", "--input", "x.npy"), "not a loadable shared object"))

    # Names are data from the model file: a newline, "%", spaces or a
    # comment terminator in a name add nothing to the descriptor or the
    # header, and come back intact through the runtime.
    evil_w = "B2\nscratch 64"
    evil_out = "y */ int injected; /* %41 \t end"
    evil_in = " x in"
    b2 = np.arange(6, dtype=np.float32).reshape(2, 3)
    write_model([helper.make_node("Add", [evil_in, evil_w], [evil_out])],
                [helper.make_tensor_value_info(evil_in, TensorProto.FLOAT, [2, 3])],
                [helper.make_tensor_value_info(evil_out, TensorProto.FLOAT, [2, 3])],
                [helper.make_tensor(evil_w, TensorProto.FLOAT, [2, 3], b2.flatten())],
                os.path.join(WORK, "names.onnx"))
    r = lathe("compile", "names.onnx", "-o", "names", "--emit", "so,obj,header")
    xin = np.random.default_rng(seed).standard_normal((2, 3)).astype(np.float32)
    np.save(os.path.join(WORK, "names-x.npy"), xin)
    rr = lathe("run", "names.so", "--input", "names-x.npy", "--output", "names-y.npy")
    ok = r.returncode == 0 and rr.returncode == 0 and compare.bits_equal(
        np.load(os.path.join(WORK, "names-y.npy")), xin + b2)
    check("names with a newline, spaces, '%' and '*/' compile and run right", ok,
          r.stderr + rr.stderr)
    ri = lathe("inspect", "names.so")
    check("inspect shows such names as the model has them",
          ri.returncode == 0 and evil_out in ri.stdout, ri.stdout)
    main_c = os.path.join(WORK, "names_main.c")
    with open(main_c, "w") as f:
        f.write('#include "names.h"\nint main(void) { return NAMES_NUM_INPUTS == 1 ? 0 : 1; }\n')
    cc = subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", "-I", WORK, "-c", main_c,
                         "-o", os.path.join(WORK, "names_main.o")],
                        capture_output=True, text=True)
    # Preprocessed (comments gone), the header declares nothing a name wrote.
    pre = subprocess.run(["cc", "-E", "-P", "-I", WORK, main_c], capture_output=True,
                         text=True)
    check("the header of such names compiles and holds no injected code",
          cc.returncode == 0 and pre.returncode == 0 and "injected" not in pre.stdout,
          cc.stderr[-300:])

    r = lathe("run", "lenet.so", "--input", "x.npy", "-t", "100000")
    check("run refuses more threads than a pool can have",
          r.returncode != 0 and "--threads: Value 100000 not in range 0 to 4096" in r.stderr,
          "rc=%d stderr=%r" % (r.returncode, r.stderr))

    # The ONNX checker's structural rules, the operator schemas' attribute
    # types, and values an op cannot take: one error line at the node,
    # never an abort or a silently different model.
    X = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    Y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)

    def node(op, inputs, outputs, **attrs):
        n = helper.make_node(op, inputs, outputs)
        for k, v in attrs.items():
            n.attribute.append(helper.make_attribute(k, v))
        return n

    k_of = lambda k: helper.make_tensor("k", TensorProto.INT64, [1], [k])  # noqa: E731
    crafted = [
        ("a node without its output",
         [node("Relu", ["x"], []), node("Relu", ["x"], ["y"])], [], "has 0 outputs"),
        ("two nodes producing one tensor",
         [node("Relu", ["x"], ["y"]), node("Sigmoid", ["x"], ["y"])], [],
         "output 'y' is already produced by node 'Relu_0'"),
        ("a node redefining a graph input",
         [node("Relu", ["x"], ["x"]), node("Relu", ["x"], ["y"])], [],
         "output 'x' is already produced by graph input 'x'"),
        ("LeakyRelu's alpha as an INT", [node("LeakyRelu", ["x"], ["y"], alpha=2)], [],
         "attribute 'alpha' must be FLOAT, not INT"),
        ("Concat's axis as a FLOAT", [node("Concat", ["x", "x"], ["y"], axis=1.0)], [],
         "attribute 'axis' must be INT, not FLOAT"),
        ("Concat without its required axis", [node("Concat", ["x", "x"], ["y"])], [],
         "required attribute 'axis' is missing"),
        ("TopK with K above the axis size", [node("TopK", ["x", "k"], ["y", "i"], axis=1)],
         [k_of(5)], "K = 5 is outside [0, 3], the size of axis 1"),
        ("TopK with a negative K", [node("TopK", ["x", "k"], ["y", "i"], axis=1)],
         [k_of(-1)], "K = -1 is outside [0, 3]"),
        ("Unsqueeze with an axis given twice", [node("Unsqueeze", ["x", "a"], ["y"])],
         [helper.make_tensor("a", TensorProto.INT64, [2], [0, 0])], "axis 0 is given twice"),
        # Input types against the schemas' type constraints.
        ("Reshape's shape as floats", [node("Reshape", ["x", "s"], ["y"])],
         [helper.make_tensor("s", TensorProto.FLOAT, [2], [3, 2])],
         "input 1 ('s', shape) is tensor(float); opset 13 takes tensor(int64)"),
        ("Add of a float and a double", [node("Add", ["x", "d"], ["y"])],
         [helper.make_tensor("d", TensorProto.DOUBLE, [3], [1, 2, 3])],
         "input 1 ('d') is tensor(double) but input 0 is tensor(float); both are T"),
        ("Sigmoid of int64", [node("Cast", ["x"], ["c"], to=TensorProto.INT64),
                              node("Sigmoid", ["c"], ["y"])], [],
         "input 0 ('c', X) is tensor(int64); opset 13 takes tensor(bfloat16), "
         "tensor(double), tensor(float), tensor(float16)"),
    ]
    for i, (what, nodes, inits, said) in enumerate(crafted):
        path = write_model(nodes, [X], [Y], inits, os.path.join(WORK, "crafted%d.onnx" % i))
        check("compile refuses %s" % what, *one_error_line(
            lathe("compile", path, "-o", "crafted%d.so" % i), said))

    # Found by fuzzing: window attributes near 2^63 overflowed the output
    # size arithmetic (undefined behaviour); they are bounded, named.
    X4 = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])
    for i, (what, attrs, said) in enumerate([
            ("a MaxPool pad of 2^62", dict(kernel_shape=[2, 2], pads=[0, 0, 2 ** 62, 0]),
             "pads in [0, 2147483648], got 4611686018427387904"),
            ("an AveragePool stride of 2^62", dict(kernel_shape=[2, 2], strides=[2 ** 62, 1]),
             "strides in [1, 2147483648], got 4611686018427387904")]):
        op = "MaxPool" if "MaxPool" in what else "AveragePool"
        path = write_model([node(op, ["x"], ["y"], **attrs)], [X4], [Y], [],
                           os.path.join(WORK, "window%d.onnx" % i))
        check("compile refuses %s, naming the bound" % what, *one_error_line(
            lathe("compile", path, "-o", "window%d.so" % i), said))

    # Found by fuzzing: an input dimension near 2^63 overflowed the
    # importer's shape arithmetic (Split); every input's size must fit.
    huge_in = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2 ** 63 - 1, 4])
    path = write_model([node("Split", ["x"], ["y", "z"], axis=0)], [huge_in],
                       [Y, helper.make_tensor_value_info("z", TensorProto.FLOAT, None)], [],
                       os.path.join(WORK, "huge-input.onnx"))
    check("an input whose size overflows is refused, naming it", *one_error_line(
        lathe("compile", path, "-o", "huge-input.so"), "input 'x'",
        "does not fit in 2^62 bytes"))

    # Found by fuzzing: an operator the model's opset does not have (Where
    # in opset 3) reached its handler, which read inputs that were not
    # there; and in an opset newer than the schemas, least counts hold.
    for opset, inputs, said in [(3, [], "does not exist in opset 3 (it first appears in opset 9)"),
                                (19, ["x"], "it takes at least 3")]:
        path = write_model([node("Where", inputs, ["y"])], [X], [Y], [],
                           os.path.join(WORK, "where%d.onnx" % opset), opset=opset)
        check("Where in opset %d with %d inputs is one clear error" % (opset, len(inputs)),
              *one_error_line(lathe("compile", path, "-o", "where.so"), said))

    # Found by fuzzing: a float read as an integer (a shape given as
    # floats) out of int64's range was undefined behaviour. The schema's
    # type constraint refuses a float shape; in an opset newer than the
    # schemas the ONNX library knows, it saturates and the node's own
    # checks refuse it.
    for opset, said in [(13, "input 1 ('s', shape) is tensor(float); opset 13 takes tensor(int64)"),
                        (19, "cannot broadcast")]:
        path = write_model([node("Expand", ["x", "s"], ["y"])], [X], [Y],
                           [helper.make_tensor("s", TensorProto.FLOAT, [2], [6.5e20, 3.0])],
                           os.path.join(WORK, "expand-float%d.onnx" % opset), opset=opset)
        check("a float shape of 6.5e20 in opset %d is one clear error" % opset, *one_error_line(
            lathe("compile", path, "-o", "expand-float.so"), said))

    # Nested loops each under the per-loop limit multiply: one budget of
    # loop-body copies for the whole model (--max-unroll), named.
    def counting_loop(trips, name, inner=None):
        """A Loop adding 1 to a float carried value |trips| times; its body
        runs |inner| (another such loop) on the value first."""
        body_nodes, value = [], "v_in_" + name
        if inner is not None:
            body_nodes.append(inner(value, "v_mid_" + name))
            value = "v_mid_" + name
        body_nodes += [
            helper.make_node("Identity", ["cond_in_" + name], ["cond_out_" + name]),
            helper.make_node("Add", [value, "one_" + name], ["v_out_" + name])]
        body = helper.make_graph(
            body_nodes, "body_" + name,
            [helper.make_tensor_value_info("i_" + name, TensorProto.INT64, []),
             helper.make_tensor_value_info("cond_in_" + name, TensorProto.BOOL, []),
             helper.make_tensor_value_info("v_in_" + name, TensorProto.FLOAT, [1])],
            [helper.make_tensor_value_info("cond_out_" + name, TensorProto.BOOL, []),
             helper.make_tensor_value_info("v_out_" + name, TensorProto.FLOAT, [1])],
            [helper.make_tensor("one_" + name, TensorProto.FLOAT, [1], [1.0])])

        def make(src, dst):
            n = helper.make_node("Loop", ["M_" + name, "", src], [dst])
            n.attribute.append(helper.make_attribute("body", body))
            return n
        inits = [helper.make_tensor("M_" + name, TensorProto.INT64, [], [trips])]
        return make, inits

    def nested_model(outer, inner, path):
        make_inner, inner_inits = counting_loop(inner, "in")
        make_outer, outer_inits = counting_loop(outer, "out", make_inner)
        graph = helper.make_graph(
            [make_outer("v", "w")], "nested",
            [helper.make_tensor_value_info("v", TensorProto.FLOAT, [1])],
            [helper.make_tensor_value_info("w", TensorProto.FLOAT, [1])],
            outer_inits + inner_inits)
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
        return path

    small = nested_model(20, 30, os.path.join(WORK, "nested-small.onnx"))
    big = nested_model(200, 100, os.path.join(WORK, "nested-big.onnx"))
    np.save(os.path.join(WORK, "v.npy"), np.zeros(1, np.float32))
    rc = lathe("compile", small, "-o", "nested-small.so")
    rr = lathe("run", "nested-small.so", "--input", "v.npy", "--output", "w.npy")
    check("nested loops within the budget unroll and count right (20 x (30 + 1))",
          rc.returncode == 0 and rr.returncode == 0 and
          np.load(os.path.join(WORK, "w.npy")).tolist() == [620.0], rc.stderr + rr.stderr)
    check("nested loops over the budget are refused at the loop, naming --max-unroll",
          *one_error_line(lathe("compile", big, "-o", "nested-big.so"),
                          "budget of 16384 loop-body copies", "--max-unroll"))
    check("--max-unroll lowers the budget", *one_error_line(
        lathe("compile", small, "-o", "nested-small2.so", "--max-unroll", "100"),
        "budget of 100 loop-body copies"))

    # Artifacts are checked before they are mapped: a half-truncated one
    # (its segments past the end: SIGBUS once touched) and a side file that
    # is a FIFO (a read that never ends) are one error each.
    with open(os.path.join(WORK, "lenet.so"), "rb") as f:
        whole = f.read()
    with open(os.path.join(WORK, "half.so"), "wb") as f:
        f.write(whole[:len(whole) // 2])
    for command in ("run", "inspect"):
        args = [command, "half.so"] + (["--input", "x.npy"] if command == "run" else [])
        check("%s refuses a half-truncated artifact" % command, *one_error_line(
            lathe(*args), "half.so: not a loadable shared object: truncated"))
    # No code of a file runs before it is known to be an artifact for this
    # CPU: a foreign library whose constructor leaves a mark, and one that
    # exports a lathe_descriptor of nonsense, are refused by inspect and
    # run without the mark.
    foreign = {
        "foreign.so": "",
        "fake-descriptor.so": 'const char *lathe_descriptor = "lathe-artifact 3\\nname x\\n";\n',
    }
    for name, extra in foreign.items():
        mark = os.path.join(WORK, name + ".ran")
        if os.path.exists(mark):
            os.remove(mark)
        src = os.path.join(WORK, name + ".c")
        with open(src, "w") as f:
            f.write('#include <stdio.h>\n%s__attribute__((constructor)) static void mark(void) '
                    '{ FILE *f = fopen("%s", "w"); if (f) fclose(f); }\n' % (extra, mark))
        built = subprocess.run(["cc", "-shared", "-fPIC", "-o", os.path.join(WORK, name), src],
                               capture_output=True, text=True)
        for args in (["inspect", name], ["run", name, "--input", "x.npy"]):
            r = lathe(*args)
            ok, detail = one_error_line(r, name)
            check("%s of %s is refused without running its code" % (args[0], name),
                  built.returncode == 0 and ok and not os.path.exists(mark),
                  built.stderr + detail)

    # An artifact for CPU features this CPU lacks is refused, naming them
    # (it would die of an illegal instruction); whether this CPU has them
    # is read independently, from /proc/cpuinfo.
    r = lathe("compile", lenet, "-o", "spr.so", "--target-cpu", "sapphirerapids")
    needs = [l.split()[1:] for l in lathe("inspect", "spr.so").stdout.splitlines()
             if l.startswith("needs ")]
    flags = set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    cpuinfo_name = {"sse3": "pni", "sse4.1": "sse4_1", "sse4.2": "sse4_2", "pclmul": "pclmulqdq",
                    "bmi": "bmi1", "lzcnt": "abm", "avxvnni": "avx_vnni",
                    "avx512vbmi2": "avx512_vbmi2", "avx512vnni": "avx512_vnni",
                    "avx512bitalg": "avx512_bitalg", "avx512vpopcntdq": "avx512_vpopcntdq",
                    "avx512bf16": "avx512_bf16", "avx512fp16": "avx512_fp16",
                    "amx-tile": "amx_tile", "amx-int8": "amx_int8", "amx-bf16": "amx_bf16"}
    missing = [n for n in (needs[0] if needs else []) if cpuinfo_name.get(n, n) not in flags]
    rr = lathe("run", "spr.so", "--input", "x.npy")
    if missing:
        ok, detail = one_error_line(rr, "compiled for a CPU with " + ", ".join(missing),
                                    "which this CPU lacks", "--target-cpu")
    else:
        ok, detail = rr.returncode == 0, rr.stderr
    check("an artifact for sapphirerapids %s here (this CPU lacks: %s)" %
          ("is refused" if missing else "runs", ", ".join(missing) or "nothing"),
          r.returncode == 0 and len(needs) == 1 and "avx512f" in needs[0] and ok,
          r.stderr + detail)

    os.makedirs(os.path.join(WORK, "fifo"), exist_ok=True)
    r = lathe("compile", lenet, "-o", "fifo/lenet.so", "--weights", "external")
    side = [n for n in os.listdir(os.path.join(WORK, "fifo")) if n != "lenet.so"]
    if r.returncode == 0 and len(side) == 1:
        os.remove(os.path.join(WORK, "fifo", side[0]))
        os.mkfifo(os.path.join(WORK, "fifo", side[0]))
    check("run refuses a weights side file that is a FIFO", *one_error_line(
        lathe("run", "fifo/lenet.so", "--input", "x.npy"), "not a regular file"))

    # A Concat of 300 inputs (one tensor.concat, not a chain of slices whose
    # bufferization took minutes) keeps each input in its place.
    nodes = [helper.make_node("Relu" if i % 2 else "Neg", ["x"], ["c%d" % i])
             for i in range(300)]
    nodes.append(helper.make_node("Concat", ["c%d" % i for i in range(300)], ["y"], axis=1))
    path = write_model(nodes, [X], [Y], [], os.path.join(WORK, "concat300.onnx"))
    cx = np.random.default_rng(seed).standard_normal((2, 3)).astype(np.float32)
    np.save(os.path.join(WORK, "concat-x.npy"), cx)
    rc = lathe("compile", path, "-o", "concat300.so")
    rr = lathe("run", "concat300.so", "--input", "concat-x.npy", "--output", "concat-y.npy")
    want = np.concatenate([np.maximum(cx, 0) if i % 2 else -cx for i in range(300)], axis=1)
    ok = rc.returncode == 0 and rr.returncode == 0 and compare.bits_equal(
        np.load(os.path.join(WORK, "concat-y.npy")), want)
    check("a Concat of 300 inputs compiles and places each input", ok, rc.stderr + rr.stderr)

    # Values computed at compile time have a budget (--max-constant-bytes,
    # 1 GiB by default) named in the error, instead of exhausting memory.
    i64 = lambda name, v: helper.make_tensor(name, TensorProto.INT64, [], [v])  # noqa: E731
    YI = helper.make_tensor_value_info("y", TensorProto.INT64, None)
    path = write_model([helper.make_node("Range", ["s", "l", "d"], ["y"])], [], [YI],
                       [i64("s", 0), i64("l", 10 ** 18), i64("d", 1)],
                       os.path.join(WORK, "range.onnx"))
    check("a Range of 10^18 values is refused naming the budget", *one_error_line(
        lathe("compile", path, "-o", "range.so"),
        "Range: its compile-time value would hold 1000000000000000000 elements "
        "(8000000000000000000 bytes), over --max-constant-bytes 1073741824"))
    shape = helper.make_tensor("shape", TensorProto.INT64, [1], [100])
    path = write_model([helper.make_node("ConstantOfShape", ["shape"], ["y"])], [], [Y],
                       [shape], os.path.join(WORK, "fill.onnx"))
    check("ConstantOfShape over a lowered --max-constant-bytes is refused", *one_error_line(
        lathe("compile", path, "-o", "fill.so", "--max-constant-bytes", "64"),
        "would hold 100 elements (400 bytes), over "
        "--max-constant-bytes 64"))
    r = lathe("compile", path, "-o", "fill.so")
    check("the same ConstantOfShape compiles within the default budget", r.returncode == 0,
          r.stderr)

    # Subgraphs nested 40 deep are read (protobuf's default depth stops at
    # about 32); 400 deep is refused, saying so.
    def nested(depth):
        out = helper.make_tensor_value_info("o%d" % depth, TensorProto.FLOAT, [1])
        if depth == 0:
            one = helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])
            return helper.make_graph([helper.make_node("Constant", [], ["o0"], value=one)],
                                     "g0", [], [out])
        n = helper.make_node("If", ["c"], ["o%d" % depth], then_branch=nested(depth - 1),
                             else_branch=nested(0))
        return helper.make_graph([n], "g%d" % depth, [], [out])

    for depth, said in ((40, "If: input 'c' (cond) must be known at compile time"),
                        (400, "its subgraphs nest deeper than the 1000 protobuf messages")):
        g = nested(depth)
        c = helper.make_tensor_value_info("c", TensorProto.BOOL, [])
        path = write_model(list(g.node), [c], list(g.output), [],
                           os.path.join(WORK, "nested%d.onnx" % depth))
        check("subgraphs nested %d deep: %s" % (depth, said), *one_error_line(
            lathe("compile", path, "-o", "nested.so"), said))

    passed = sum(results)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(compare.main_with_seed(main))
