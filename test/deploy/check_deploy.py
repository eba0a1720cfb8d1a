"""Deployment without the compiler: lathe-run on the runtime library alone,
the install components and their Debian packages, and a program built
against an unpacked install.

- lathe-run links no LLVM, MLIR, protobuf or ONNX library (ldd), gives the
  outputs of `lathe run` bit for bit, times calls (--repeat) and describes
  an artifact (--inspect) as `lathe inspect` does.
- `cpack -G DEB` builds liblathe-runtime, lathe and liblathe-dev with the
  right dependencies; the runtime package alone, unpacked into a scratch
  root (dpkg -x), runs an artifact with nothing from the build tree; with
  liblathe-dev beside it, a C program builds through pkg-config and through
  find_package(Lathe) and runs the artifact; with lathe too, a C++ program
  using the DSL builds through find_package(Lathe COMPONENTS nn), compiles a
  network and runs it.

Usage: check_deploy.py LATHE LATHE_RUN BUILD_DIR SOURCE_DIR WORK_DIR
Prints one line per check and a closing "N passed, N failed".
"""
import os
import re
import shutil
import subprocess
import sys

import numpy as np

results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print("%s %s%s" % ("PASS" if condition else "FAIL", name,
                       "" if condition else ": " + str(detail)))


def run(args, env=None, cwd=None):
    return subprocess.run(args, capture_output=True, text=True, env=env,
                          cwd=cwd)


COMPILER_LIBS = ("libLLVM", "libMLIR", "libprotobuf", "libonnx")


def linked_libraries(binary, env=None):
    """(name, resolved path) of every library ldd lists for |binary|."""
    r = run(["ldd", binary], env=env)
    libs = []
    for line in r.stdout.splitlines():
        m = re.match(r"\s*(\S+)\s+=>\s+(\S+)", line)
        if m:
            libs.append((m.group(1), m.group(2)))
    return r.returncode, libs


def deb_field(deb, field):
    return run(["dpkg-deb", "-f", deb, field]).stdout.strip()


def main():
    lathe, lathe_run, build, source, work = [os.path.abspath(a) for a in sys.argv[1:6]]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    digits = os.path.join(source, "examples", "digits")
    samples = os.path.join(digits, "samples.npy")
    so = os.path.join(work, "digits.so")
    r = run([lathe, "compile", os.path.join(digits, "lenet-digits-trained.onnx"),
             "--input-shape", "x=12x1x8x8", "-o", so])
    if r.returncode != 0:
        print("FAIL compile the digits model: " + r.stderr)
        print("0 passed, 1 failed")
        return 1
    reference = os.path.join(work, "reference.npy")
    r = run([lathe, "run", so, "--input", "x=" + samples, "--output", reference])
    check("lathe run writes the reference output", r.returncode == 0, r.stderr)

    # lathe-run from the build tree.
    rc, libs = linked_libraries(lathe_run)
    compiler_libs = [n for n, _ in libs if n.startswith(COMPILER_LIBS)]
    check("lathe-run links no LLVM, MLIR, protobuf or ONNX library",
          rc == 0 and libs and not compiler_libs, compiler_libs or libs)
    out = os.path.join(work, "lathe-run.npy")
    r = run([lathe_run, so, "--input", "x=" + samples, "--output", out])
    check("lathe-run gives lathe run's output bit for bit",
          r.returncode == 0 and np.array_equal(np.load(out), np.load(reference)),
          r.stderr)
    r = run([lathe_run, so, "-i", samples, "--repeat", "25", "--warmup", "2",
             "-t", "1", "-o", out])
    m = re.search(r"latency: median ([0-9.]+) ms, min ([0-9.]+) ms over 25 calls "
                  r"\(2 warm-up, 1 thread\)", r.stdout)
    check("--repeat prints the median and minimum latency of the timed calls",
          r.returncode == 0 and m and 0 < float(m.group(2)) <= float(m.group(1)),
          r.stdout + r.stderr)
    check("--repeat still writes the outputs",
          r.returncode == 0 and np.array_equal(np.load(out), np.load(reference)),
          r.stderr)
    r = run([lathe_run, "--inspect", so])
    ri = run([lathe, "inspect", so])
    check("lathe-run --inspect describes the artifact as lathe inspect does",
          r.returncode == 0 and "entry      forward" in r.stdout and
          "input    x: f32 12x1x8x8" in r.stdout and r.stdout == ri.stdout,
          r.stdout + r.stderr + ri.stdout)
    r = run([lathe_run, os.path.join(work, "missing.so")])
    check("lathe-run names a missing artifact in one error line",
          r.returncode != 0 and r.stderr.startswith("lathe-run: error: ") and
          "missing.so" in r.stderr and len(r.stderr.strip().splitlines()) == 1,
          r.stderr)
    r = run([lathe_run, "--inspect", so, "--input", samples])
    check("lathe-run refuses --inspect with run options", r.returncode != 0,
          r.stdout + r.stderr)

    # The Debian packages.
    pkg = os.path.join(work, "pkg")
    r = run(["cpack", "-G", "DEB", "-B", pkg], cwd=build)
    debs = {}
    for f in os.listdir(pkg) if os.path.isdir(pkg) else []:
        if f.endswith(".deb"):
            debs[f.split("_")[0]] = os.path.join(pkg, f)
    check("cpack builds liblathe-runtime, lathe and liblathe-dev",
          r.returncode == 0 and set(debs) == {"liblathe-runtime", "lathe", "liblathe-dev"},
          r.stdout[-2000:] + r.stderr[-2000:])
    if set(debs) != {"liblathe-runtime", "lathe", "liblathe-dev"}:
        return finish(work)
    version = deb_field(debs["lathe"], "Version")
    runtime_depends = deb_field(debs["liblathe-runtime"], "Depends")
    check("liblathe-runtime depends on the C and C++ libraries and zlib only",
          "libc6" in runtime_depends and "libstdc++6" in runtime_depends and
          not re.search(r"llvm|mlir|protobuf|onnx|lathe", runtime_depends),
          runtime_depends)
    compiler_depends = deb_field(debs["lathe"], "Depends")
    check("lathe depends on its runtime package, LLVM, MLIR, protobuf, ONNX and a C driver",
          all(d in compiler_depends for d in (
              "liblathe-runtime (= %s)" % version, "libllvm22", "libmlir-22",
              "libprotobuf", "libonnx", "gcc | clang")), compiler_depends)
    check("liblathe-dev depends on its runtime package",
          "liblathe-runtime (= %s)" % version in deb_field(debs["liblathe-dev"], "Depends"))
    contents = run(["dpkg-deb", "-c", debs["liblathe-runtime"]]).stdout
    check("liblathe-runtime holds the libraries, headers and lathe-run, no compiler",
          all(f in contents for f in ("usr/bin/lathe-run", "usr/include/lathe/runtime.h",
                                      "liblathe_runtime.so.0", "liblathe_training.so.0")) and
          "usr/bin/lathe\n" not in contents + "\n", contents)

    # The runtime package alone in a scratch root, nothing from the build
    # tree on any search path.
    root = os.path.join(work, "root")
    r = run(["dpkg", "-x", debs["liblathe-runtime"], root])
    installed_run = os.path.join(root, "usr", "bin", "lathe-run")
    clean_env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    rc, libs = linked_libraries(installed_run, clean_env)
    lathe_libs = [p for n, p in libs if n.startswith("liblathe")]
    check("the unpacked lathe-run finds its runtime inside the scratch root",
          r.returncode == 0 and lathe_libs and
          all(os.path.realpath(p).startswith(os.path.realpath(root)) for p in lathe_libs),
          libs)
    out = os.path.join(work, "installed.npy")
    r = run([installed_run, so, "--input", "x=" + samples, "--output", out],
            env=clean_env)
    check("the runtime package alone runs an artifact (same output bit for bit)",
          r.returncode == 0 and np.array_equal(np.load(out), np.load(reference)),
          r.stderr)

    # liblathe-dev beside it: build a program against the unpacked install.
    run(["dpkg", "-x", debs["liblathe-dev"], root])
    usr = os.path.join(root, "usr")
    pc_dirs = [d for d, _, files in os.walk(usr) if "lathe-runtime.pc" in files]
    env = dict(clean_env, PKG_CONFIG_PATH=":".join(pc_dirs))
    r = run(["pkg-config", "--cflags", "--libs", "lathe-runtime"], env=env)
    flags = r.stdout.split()
    program = os.path.join(work, "run_main_pc")
    rb = run(["cc", os.path.join(source, "test", "deploy", "run_main.c"), "-o",
              program] + flags, env=env)
    libdir = [f[2:] for f in flags if f.startswith("-L")]
    out = os.path.join(work, "pc.npy")
    rr = run([program, so, samples, out],
             env=dict(clean_env, LD_LIBRARY_PATH=":".join(libdir)))
    check("a C program builds through pkg-config lathe-runtime and runs the artifact",
          r.returncode == 0 and rb.returncode == 0 and rr.returncode == 0 and
          np.array_equal(np.load(out), np.load(reference)),
          r.stderr + rb.stderr + rr.stderr)
    consumer = os.path.join(work, "consumer")
    rc = run(["cmake", "-S", os.path.join(source, "test", "deploy"), "-B", consumer,
              "-DCMAKE_PREFIX_PATH=" + usr, "-DCMAKE_BUILD_TYPE=Release"], env=clean_env)
    rb = run(["cmake", "--build", consumer], env=clean_env)
    out = os.path.join(work, "cmake.npy")
    rr = run([os.path.join(consumer, "run_main"), so, samples, out], env=clean_env)
    check("a C program builds through find_package(Lathe) and runs the artifact",
          rc.returncode == 0 and rb.returncode == 0 and rr.returncode == 0 and
          np.array_equal(np.load(out), np.load(reference)),
          rc.stdout[-1500:] + rc.stderr + rb.stdout[-1500:] + rb.stderr + rr.stderr)

    # The compiler package beside them: a C++ program using the DSL builds
    # through find_package(Lathe COMPONENTS nn), compiles a network and runs
    # it.
    contents = run(["dpkg-deb", "-c", debs["lathe"]]).stdout
    check("lathe holds the C++ DSL (liblathe_nn, lathe/nn.h, its CMake targets)",
          all(f in contents for f in ("liblathe_nn.so.0", "usr/include/lathe/nn.h",
                                      "LatheNNTargets.cmake")), contents)
    run(["dpkg", "-x", debs["lathe"], root])
    dsl = os.path.join(work, "dsl-consumer")
    rc = run(["cmake", "-S", os.path.join(source, "test", "deploy", "dsl"), "-B", dsl,
              "-DCMAKE_PREFIX_PATH=" + usr, "-DCMAKE_BUILD_TYPE=Release"], env=clean_env)
    rb = run(["cmake", "--build", dsl], env=clean_env)
    rr = run([os.path.join(dsl, "dsl_main"), os.path.join(work, "dsl_net")],
             env=clean_env)
    check("a C++ program builds through find_package(Lathe COMPONENTS nn), "
          "compiles a DSL network and runs it",
          rc.returncode == 0 and rb.returncode == 0 and rr.returncode == 0 and
          rr.stdout.strip() == "ok",
          rc.stdout[-1500:] + rc.stderr + rb.stdout[-1500:] + rb.stderr +
          rr.stdout + rr.stderr)
    r = run(["pkg-config", "--cflags", "--libs", "lathe-nn"], env=env)
    flags = r.stdout.split()
    program = os.path.join(work, "dsl_main_pc")
    rb = run(["c++", os.path.join(source, "test", "deploy", "dsl", "dsl_main.cpp"),
              "-o", program] + flags, env=env)
    libdir = [f[2:] for f in flags if f.startswith("-L")]
    rr = run([program, os.path.join(work, "dsl_net_pc")],
             env=dict(clean_env, LD_LIBRARY_PATH=":".join(libdir)))
    check("a C++ program builds through pkg-config lathe-nn and runs",
          r.returncode == 0 and rb.returncode == 0 and rr.returncode == 0 and
          rr.stdout.strip() == "ok", r.stderr + rb.stderr + rr.stdout + rr.stderr)
    return finish(work)


def finish(work):
    failed = results.count(False)
    print("%d passed, %d failed" % (len(results) - failed, failed))
    if failed == 0:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if failed == 0 and results else 1


if __name__ == "__main__":
    sys.exit(main())
