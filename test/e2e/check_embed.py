"""C embedding check: `lathe compile --emit obj,header`, link the object into
a plain C program (test/e2e/embed_main.c) with only libc/libm (and pthread,
which the program itself uses for its own parallel_for), run it, and compare
with PyTorch. Tolerance: |c - torch| <= 1e-4 + 1e-4 * |torch|.

Usage: check_embed.py LATHE WORK_DIR MODEL
"""
import os
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
    return 0 if r else 1


if __name__ == "__main__":
    sys.exit(compare.main_with_seed(main))
