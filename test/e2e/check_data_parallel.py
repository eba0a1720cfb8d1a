#!/usr/bin/env python3
"""Data-parallel training under mpirun: `mpirun -np K lathe train` with
--batch-size b gives, over 50 steps, the parameters of one process with
--batch-size K*b (float64 model without batch-dependent layers, shuffled
data, SGD with momentum), within 1e-6 relative, for K = 2 and 3 (an odd
world); rank 0 alone writes the checkpoint and logs; every rank resumes
from it; with --sync-batch-norm a model with batch norm trains as the
whole batch does; replicas started with different options are refused at
start-up; a killed rank stops the others, naming it, a hung one makes
them stop after --collective-timeout, and the last checkpoint still
resumes. Skips, with a visible count, without mpirun.

Usage: check_data_parallel.py LATHE WORK"""
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
from check_train import export_batched, read_safetensors  # noqa: E402

PASSED, FAILED, SKIPPED = [], [], []
# Rounding only: the mean of K batch means against one mean over K*b
# samples, carried through 50 SGD steps with momentum.
RTOL = 1e-6


def check(name, ok, detail=""):
    (PASSED if ok else FAILED).append(name)
    print(("ok   " if ok else "FAIL ") + name + (": " + detail if detail else ""), flush=True)


def mpirun(k, args, **kw):
    return ["mpirun", "--oversubscribe", "--allow-run-as-root", "-np", str(k)] + args


def parameters(run):
    got, meta = read_safetensors(os.path.join(run, "checkpoint.safetensors"))
    return {k: np.frombuffer(v, dtype=np.float64) for k, v in got.items()
            if not k.endswith("num_batches_tracked")}, meta


def difference(a, b):
    """The largest relative difference between two runs' parameters and
    state (inf when one lacks a tensor the other has)."""
    worst = compare.Worst()
    for key in set(a) | set(b):
        worst.add(compare.relative_difference(a.get(key), b.get(key), floor=1e-6))
    return worst.value


def rank_process(lathe, rank):
    """The pid of the `lathe` process of MPI rank |rank| (None if none)."""
    for pid in os.listdir("/proc"):
        try:
            env = open("/proc/%s/environ" % pid, "rb").read().split(b"\0")
            cmd = open("/proc/%s/cmdline" % pid, "rb").read()
        except OSError:
            continue
        if ("OMPI_COMM_WORLD_RANK=%d" % rank).encode() in env and lathe.encode() in cmd:
            return int(pid)
    return None


def signal_rank(lathe, common, b, run, sig, flags):
    """Trains 2 ranks into |run| until the first checkpoint, sends |sig| to
    rank 1, and waits (60 s at most) for mpirun. Returns rank 1's pid (None
    if not found), mpirun's exit code and stderr, the seconds from the
    signal to the end, and a 1-step resume of the checkpoint by one
    process."""
    p = subprocess.Popen(mpirun(2, [lathe] + common + [
        "--batch-size", str(b), "--epochs", "100000", "--checkpoint", run] + flags),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ckpt = os.path.join(run, "checkpoint.safetensors")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not os.path.exists(ckpt):
        time.sleep(0.05)
    time.sleep(0.5)
    victim = rank_process(lathe, 1)
    started = time.monotonic()
    if victim:
        os.kill(victim, sig)
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        err += "\n(still running 60 s after the signal)"
    took = time.monotonic() - started
    resumed = subprocess.run([lathe] + common + ["--batch-size", str(2 * b), "--epochs",
                                                 "100000", "--max-steps", "1", "--resume", run],
                             capture_output=True, text=True)
    return victim, p.returncode, err, took, resumed


def main(seed):
    lathe, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    if shutil.which("mpirun") is None:
        SKIPPED.append("data-parallel (no mpirun: install openmpi-bin)")
        print("skipped 1: no mpirun (openmpi-bin)")
        print("0 passed, 0 failed, 1 skipped")
        return 0
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3)).double()
    onnx = os.path.join(work, "mlp.onnx")
    export_batched(model, torch.zeros(2, 6, dtype=torch.float64), onnx)
    n, b = 300, 5
    data = os.path.join(work, "data.npz")
    np.savez(data, x=torch.randn(n, 6, generator=gen, dtype=torch.float64).numpy(),
             target=torch.randint(0, 3, (n,), generator=gen).numpy())
    common = ["train", onnx, "--data", data, "--optimizer", "sgd", "--momentum", "0.9",
              "--lr", "0.05", "--seed", str(seed % 1000 + 1)]

    for k in (2, 3):
        # 50 steps: n / (k * b) steps per epoch.
        epochs = -(-50 * k * b // n)
        one = os.path.join(work, "one-%d" % k)
        many = os.path.join(work, "many-%d" % k)
        r1 = subprocess.run([lathe] + common + ["--batch-size", str(k * b), "--epochs",
                                                str(epochs), "--checkpoint", one],
                            capture_output=True, text=True)
        rk = subprocess.run(mpirun(k, [lathe] + common + [
            "--batch-size", str(b), "--epochs", str(epochs), "--checkpoint", many,
            "--logdir", many]), capture_output=True, text=True, timeout=300)
        if r1.returncode or rk.returncode:
            check("%d ranks x batch %d train as 1 x batch %d" % (k, b, k * b), False,
                  (r1.stderr + rk.stderr)[-600:])
            continue
        want, _ = parameters(one)
        got, meta = parameters(many)
        worst = difference(got, want)
        steps = int(meta.get("lathe.step", -1))
        check("%d ranks x batch %d train as 1 x batch %d over %d steps" % (k, b, k * b, steps),
              worst <= RTOL and len(got) == len(want) > 0 and steps >= 50,
              "max relative difference %.1e (bound %.0e), %d tensors"
              % (worst, RTOL, len(got)))
        lines = open(os.path.join(many, "steps.csv")).read().splitlines()
        check("%d ranks: rank 0 alone logs (one line per step) and reports the replicas" % k,
              len(lines) == steps + 1 and rk.stderr.count("compiled ") == 1
              and ("per replica (%d replicas)" % k) in rk.stderr, rk.stderr[-300:])

    # Batch norm: --sync-batch-norm normalizes with the statistics of every
    # replica's batch together, so 2 x b trains as 1 x 2b (running
    # statistics included); without it each replica's own batch
    # statistics make a different run.
    bn = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.Tanh(),
                       nn.Linear(16, 3)).double().train()
    bn_onnx = os.path.join(work, "bn.onnx")
    torch.onnx.export(bn, torch.zeros(4, 6, dtype=torch.float64), bn_onnx,
                      input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, opset_version=13,
                      training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)
    bn_common = [lathe, "train", bn_onnx] + common[2:] + ["--epochs", "2"]
    runs = {}
    for what, cmd in [("one", bn_common + ["--batch-size", str(2 * b)]),
                      ("sync", mpirun(2, bn_common + ["--batch-size", str(b),
                                                      "--sync-batch-norm"])),
                      ("local", mpirun(2, bn_common + ["--batch-size", str(b)]))]:
        folder = os.path.join(work, "bn-" + what)
        r = subprocess.run(cmd + ["--checkpoint", folder], capture_output=True, text=True,
                           timeout=300)
        runs[what] = parameters(folder)[0] if r.returncode == 0 else r.stderr[-400:]
    ok = all(isinstance(v, dict) for v in runs.values())
    sync = difference(runs["sync"], runs["one"]) if ok else float("inf")
    local = difference(runs["local"], runs["one"]) if ok else 0.0
    check("2 ranks x batch %d with --sync-batch-norm train as 1 x batch %d (batch norm)"
          % (b, 2 * b), ok and sync <= RTOL and len(runs["one"]) >= 8,
          "max relative difference %.1e (bound %.0e); %s"
          % (sync, RTOL, "" if ok else runs))
    check("without --sync-batch-norm each replica's batch statistics differ from the "
          "whole batch's", ok and local > 1e-3, "max relative difference %.1e" % local)

    # Resume: every rank loads rank 0's checkpoint and goes on.
    many = os.path.join(work, "many-2")
    before = int(parameters(many)[1]["lathe.step"])
    r = subprocess.run(mpirun(2, [lathe] + common + [
        "--batch-size", str(b), "--epochs", "100", "--max-steps", "3", "--resume", many]),
        capture_output=True, text=True, timeout=300)
    after = int(parameters(many)[1].get("lathe.step", -1))
    check("2 ranks resume from rank 0's checkpoint", r.returncode == 0 and after == before + 3,
          "step %d -> %d; %s" % (before, after, r.stderr[-300:]))

    # Another world size resumes too: at the checkpoint's epoch and batch,
    # with that epoch's shards of the new world size.
    r = subprocess.run(mpirun(3, [lathe] + common + [
        "--batch-size", str(b), "--epochs", "100", "--max-steps", "2", "--resume", many]),
        capture_output=True, text=True, timeout=300)
    again = int(parameters(many)[1].get("lathe.step", -1))
    check("a run of 2 ranks resumes on 3", r.returncode == 0 and again == after + 2
          and "per replica (3 replicas)" in r.stderr,
          "step %d -> %d; %s" % (after, again, r.stderr[-300:]))

    # Replicas that disagree are refused before training.
    odd = os.path.join(work, "odd")
    script = os.path.join(work, "odd.sh")
    with open(script, "w") as f:
        f.write('#!/bin/sh\nlr=0.05\n[ "$OMPI_COMM_WORLD_RANK" = 1 ] && lr=0.06\n'
                'exec "%s" train "%s" --data "%s" --batch-size %d --lr $lr '
                '--checkpoint "%s" --epochs 1\n' % (lathe, onnx, data, b, odd))
    os.chmod(script, 0o755)
    r = subprocess.run(mpirun(2, [script]), capture_output=True, text=True, timeout=300)
    check("replicas started with different options are refused at start-up",
          r.returncode != 0 and "different models or options" in r.stderr
          and not os.path.exists(os.path.join(odd, "checkpoint.safetensors")),
          r.stderr.strip()[-300:])

    # A killed rank: the others stop, naming it; the checkpoint resumes.
    victim, code, err, _, resumed = signal_rank(lathe, common, b, os.path.join(work, "killed"),
                                                signal.SIGKILL, [])
    check("a killed rank stops the others within 60 s, naming it; the checkpoint resumes",
          victim is not None and code != 0 and "rank 1" in err and resumed.returncode == 0,
          "exit %s; %s | resume: %s" % (code, err.strip()[-300:], resumed.stderr.strip()[-200:]))

    # A hung rank (stopped, alive): the others' all-reduce times out, they
    # say so and every rank ends; the checkpoint resumes.
    victim, code, err, took, resumed = signal_rank(
        lathe, common, b, os.path.join(work, "hung"), signal.SIGSTOP,
        ["--collective-timeout", "3"])
    check("a hung rank makes the others stop after --collective-timeout 3; the "
          "checkpoint resumes",
          victim is not None and code != 0 and "collective timeout (3 s)" in err
          and took < 60 and resumed.returncode == 0,
          "exit %s after %.0f s; %s | resume: %s"
          % (code, took, err.strip()[-300:], resumed.stderr.strip()[-200:]))

    print("%d passed, %d failed, %d skipped" % (len(PASSED), len(FAILED), len(SKIPPED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(compare.main_with_seed(main))
