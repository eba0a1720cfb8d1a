"""The training library's C API end to end: `lathe compile --train` builds
the digits LeNet's training step (Adam, batches of 32), and a C program
(test/e2e/fit_main.c, linked against liblathe_training) trains it on the
shipped digits through lathe/training.h alone: option table and refusals,
every step and epoch reported, validation accuracy at least 97%, and a run
stopped by a callback and resumed ending with the same parameters bit for
bit as the run never stopped; and data-parallel training through the C API
with the program's own all-reduce (two replicas on two threads).

Usage: check_fit_c.py LATHE FIT_MAIN EXAMPLES_DIR WORK_DIR
"""
import os
import shutil
import subprocess
import sys

# The accuracy the run must reach on the 300 validation digits (seed 1:
# 98.3%; seeds 1-4 reach 98.0-98.7%).
MIN_VAL_ACCURACY = 97.0


def main():
    lathe, fit_main, examples, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    digits = os.path.join(examples, "digits")
    so = os.path.join(work, "digits.so")
    subprocess.run([lathe, "compile", os.path.join(digits, "lenet-digits.onnx"),
                    "--train", "--optimizer", "adam", "--input-shape", "x=32x1x8x8",
                    "--seed", "1", "-o", so], check=True)
    # The same step compiled for data-parallel training (two replicas on
    # two threads, with the C program's own all-reduce).
    dp = os.path.join(work, "digits-dp.so")
    subprocess.run([lathe, "compile", os.path.join(digits, "lenet-digits.onnx"),
                    "--train", "--optimizer", "adam", "--input-shape", "x=32x1x8x8",
                    "--seed", "1", "--data-parallel", "-o", dp], check=True)
    r = subprocess.run([fit_main, so, os.path.join(digits, "digits-train.npz"),
                        os.path.join(digits, "digits-val.npz"), work,
                        str(MIN_VAL_ACCURACY), dp], capture_output=True, text=True)
    print(r.stdout, end="")
    print(r.stderr, end="", file=sys.stderr)
    checks = [l for l in r.stdout.splitlines() if l.startswith(("ok:", "FAIL:"))]
    failed = sum(l.startswith("FAIL:") for l in checks)
    print("%d passed, %d failed" % (len(checks) - failed, failed))
    shutil.rmtree(work, ignore_errors=True)
    return 0 if r.returncode == 0 and failed == 0 and len(checks) >= 13 else 1


if __name__ == "__main__":
    sys.exit(main())
