"""C embedding check: `lathe compile --emit obj,header`, link the object into
a plain C program (test/e2e/embed_main.c) with only libc/libm (and pthread,
which the program itself uses for its own parallel_for), run it, and compare
with PyTorch; then the same for AArch64: cross-compiled, linked statically
by aarch64-linux-gnu-gcc and run under qemu-aarch64. Tolerance:
|c - torch| <= 1e-4 + 1e-4 * |torch|.

Usage: check_embed.py LATHE WORK_DIR MODEL
"""
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import models  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402


def main(seed):
    lathe, work, name = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    onnx_path = models.export(name, work)
    factory, shape = models.MODELS[name][:2]
    model = factory().eval()
    model.load_state_dict(torch.load(os.path.join(work, name + ".pt")))
    base = os.path.join(work, "embedded_" + name)
    subprocess.run([lathe, "compile", onnx_path, "-o", base, "--emit",
                    "obj,header"], check=True)
    prefix = os.path.basename(base)
    exe = base + "_main"
    subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", "-I", work,
                    '-DMODEL_HEADER="%s.h"' % prefix, "-DMODEL=" + prefix,
                    "-DMODEL_UPPER=" + prefix.upper(),
                    os.path.join(HERE, "embed_main.c"), base + ".o", "-lm", "-pthread",
                    "-o", exe], check=True)
    # The program needs nothing but libc and libm.
    deps = subprocess.run(["ldd", exe], capture_output=True, text=True).stdout
    for line in deps.splitlines():
        lib = line.strip().split()[0]
        if not any(k in lib for k in ("libc.so", "libm.so", "ld-linux",
                                      "linux-vdso", "libpthread")):
            print("FAIL: embedded program depends on %s" % lib)
            return 1
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    x.tofile(base + ".in")
    subprocess.run([exe, base + ".in", base + ".out"], check=True)
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    got = np.fromfile(base + ".out", dtype=np.float32).reshape(want.shape)
    r = compare.close(got, want, 1e-4, 1e-4)
    print("%s embed %s: %s" % ("PASS" if r else "FAIL", name, r.detail))
    ok = bool(r)
    ok &= cross_compiled_run(lathe, work, name, onnx_path, x, want)
    return 0 if ok else 1


def cross_compiled_run(lathe, work, name, onnx_path, x, want):
    """The same model cross-compiled for AArch64 (--target-triple), linked
    statically with the cross compiler and run under qemu-user: its output
    matches PyTorch's as the native build's does."""
    cc, qemu = shutil.which("aarch64-linux-gnu-gcc"), shutil.which("qemu-aarch64")
    if not cc or not qemu:
        # scripts/install-deps.sh installs both; say so rather than pass.
        print("SKIP embed %s on AArch64: needs aarch64-linux-gnu-gcc and qemu-aarch64 "
              "(gcc-aarch64-linux-gnu, qemu-user)" % name)
        return True
    base = os.path.join(work, "arm64_" + name)
    prefix = os.path.basename(base)
    subprocess.run([lathe, "compile", onnx_path, "-o", base, "--emit", "obj,header",
                    "--target-triple", "aarch64-unknown-linux-gnu", "--target-cpu", "cortex-a72"],
                   check=True)
    exe = base + "_main"
    subprocess.run([cc, "-std=c11", "-O1", "-Wall", "-Werror", "-static", "-I", work,
                    '-DMODEL_HEADER="%s.h"' % prefix, "-DMODEL=" + prefix,
                    "-DMODEL_UPPER=" + prefix.upper(),
                    os.path.join(HERE, "embed_main.c"), base + ".o", "-lm", "-pthread",
                    "-o", exe], check=True)
    x.tofile(base + ".in")
    run = subprocess.run([qemu, exe, base + ".in", base + ".out"], capture_output=True, text=True)
    got = (np.fromfile(base + ".out", dtype=np.float32).reshape(want.shape)
           if run.returncode == 0 else None)
    r = compare.close(got, want, 1e-4, 1e-4)
    print("%s embed %s cross-compiled for AArch64, run under qemu: %s" % (
        "PASS" if r else "FAIL", name, r.detail if run.returncode == 0 else run.stderr[-300:]))
    return bool(r)


if __name__ == "__main__":
    sys.exit(compare.main_with_seed(main))
