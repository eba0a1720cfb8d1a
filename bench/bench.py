"""Median latency of one forward call: Lathe vs ONNX Runtime vs PyTorch.

Each engine runs the same ONNX export (PyTorch runs the module it came from)
on the same input, after warm-up, with the stated intra-op thread count.
Lathe's artifact is called directly through its C entry point (ctypes), so
no Python-side copies are timed for any engine beyond what its API needs.
"""
import argparse
import ctypes
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "fixtures"))
import models  # noqa: E402


def median_ms(fn, repeats, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), min(times)


RUNTIME = None


def lathe_env(threads):
    """The runtime's call environment (its thread pool) as the lathe_env_t*
    entry points take (ABI v3, lathe/abi.h)."""
    ctx = ctypes.c_void_p()
    opts = (ctypes.c_size_t * 2)(16, threads)  # {struct_size, num_threads}
    if RUNTIME.lathe_context_create(opts, ctypes.byref(ctx)) != 0:
        raise RuntimeError("lathe_context_create failed")
    RUNTIME.lathe_context_env.restype = ctypes.c_void_p
    RUNTIME.lathe_context_env.argtypes = [ctypes.c_void_p]
    return ctx, RUNTIME.lathe_context_env(ctx)


def lathe_runner(lathe, onnx_path, work, name, x):
    so = os.path.join(work, name + ".so")
    t0 = time.perf_counter()
    subprocess.run([lathe, "compile", onnx_path, "-o", so, "--name", name],
                   check=True, stdout=subprocess.DEVNULL)
    compile_s = time.perf_counter() - t0
    lib = ctypes.CDLL(so)
    fn = getattr(lib, name + "_forward")
    fn.restype = ctypes.c_int32
    fn.argtypes = [ctypes.c_void_p] * 7  # lathe_entry_fn
    out = np.empty(models_out_shape(name, x), np.float32)
    inputs = (ctypes.c_void_p * 1)(x.ctypes.data)
    outputs = (ctypes.c_void_p * 1)(out.ctypes.data)
    # The scratch arena is reused across calls, as the runtime's context does.
    descriptor = ctypes.c_char_p.in_dll(lib, "lathe_descriptor").value.decode()
    scratch_bytes = next(int(l.split()[1]) for l in descriptor.splitlines()
                         if l.startswith("scratch "))
    scratch = np.zeros(scratch_bytes + 64, np.uint8)
    arena = ctypes.c_void_p(scratch.ctypes.data + (-scratch.ctypes.data) % 64)

    def make_run(env):
        def run():
            if fn(None, None, None, inputs, outputs, arena, env) != 0:
                raise RuntimeError("lathe forward failed")
        run.keep_alive = (scratch, x, out)  # buffers the pointers refer to
        return run
    return make_run, compile_s, os.path.getsize(so), out


def models_out_shape(name, x):
    factory = models.MODELS[name][0]
    with torch.no_grad():
        return tuple(_MODULES[name](torch.from_numpy(x)).shape)


_MODULES = {}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lathe", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--models", nargs="+",
                   default=["mlp", "lenet", "resnet18", "mobilenetv2", "lstm"])
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    global RUNTIME
    RUNTIME = ctypes.CDLL(os.path.join(os.path.dirname(args.lathe), "..",
                                       "runtime", "liblathe_runtime.so"))
    import onnxruntime as ort

    rows = []
    for name in args.models:
        onnx_path = models.export(name, args.work)
        factory, shape = models.MODELS[name][:2]
        module = factory().eval()
        module.load_state_dict(torch.load(os.path.join(args.work, name + ".pt")))
        _MODULES[name] = module
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        make_run, compile_s, so_bytes, out = lathe_runner(
            args.lathe, onnx_path, args.work, name, x)
        make_run(None)()
        weights = sum(p.numel() * 4 for p in module.state_dict().values()
                      if p.dtype == torch.float32)
        with torch.no_grad():
            ref = module(torch.from_numpy(x)).numpy()
        err = float(np.abs(out - ref).max())
        for threads in args.threads:
            torch.set_num_threads(threads)
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            sess = ort.InferenceSession(onnx_path, opts,
                                        providers=["CPUExecutionProvider"])
            feed = {sess.get_inputs()[0].name: x}
            xt = torch.from_numpy(x)

            def run_torch():
                with torch.inference_mode():
                    module(xt)
            _ctx, env = lathe_env(threads)
            lathe_ms = median_ms(make_run(env), args.repeats, args.warmup)
            ort_ms = median_ms(lambda: sess.run(None, feed), args.repeats,
                               args.warmup)
            torch_ms = median_ms(run_torch, args.repeats, args.warmup)
            rows.append((name, threads, lathe_ms, ort_ms, torch_ms))
        print("%s: compile %.2f s, artifact %.1f MB (weights %.1f MB), "
              "max |lathe - torch| %.2g" % (name, compile_s, so_bytes / 1e6,
                                             weights / 1e6, err))
    print()
    print("Every engine uses the thread count shown (Lathe: its runtime's pool).")
    print("Median (min) of %d runs, ms." % args.repeats)
    print("| model | threads | lathe | onnxruntime | pytorch | lathe / ort |")
    print("|---|---|---|---|---|---|")
    for name, threads, l, o, t in rows:
        print("| %s | %d | %.3f (%.3f) | %.3f (%.3f) | %.3f (%.3f) | %.2fx |"
              % (name, threads, l[0], l[1], o[0], o[1], t[0], t[1], l[0] / o[0]))


if __name__ == "__main__":
    main()
