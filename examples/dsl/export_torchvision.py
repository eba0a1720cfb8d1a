"""Writes torchvision's ResNet-18 state dict as safetensors, for
resnet18.cpp: the pretrained weights when torchvision has them cached (or
--random for a freshly initialized model, with random batch-norm
statistics), and, with --input/--output, a random input and torchvision's
output on it as .npy files to compare with the compiled artifact.

Usage: export_torchvision.py OUT.safetensors [--random] [--seed S]
                             [--input x.npy --output y.npy] [--batch N]
"""
import argparse
import json
import struct

import numpy as np
import torch
import torchvision

_ST = {np.dtype("float32"): "F32", np.dtype("float64"): "F64",
       np.dtype("int64"): "I64", np.dtype("int32"): "I32", np.dtype("bool"): "BOOL"}


def write_safetensors(path, tensors):
    """Writes the arrays of the dict |tensors| to |path| as safetensors, in
    the dict's order (the format PyTorch's safetensors.torch.save_file
    writes; for machines without the safetensors package)."""
    header, offset, blobs = {}, 0, []
    for name, a in tensors.items():
        a = np.require(a, requirements="C")
        header[name] = {"dtype": _ST[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--random", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--input")
    p.add_argument("--output")
    p.add_argument("--batch", type=int, default=1)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    if a.random:
        model = torchvision.models.resnet18()
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.2, 0.2)
                    m.running_var.uniform_(0.5, 1.5)
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.2, 0.2)
    else:
        model = torchvision.models.resnet18(weights="DEFAULT")
    model.eval()
    write_safetensors(a.out, {k: v.numpy() for k, v in model.state_dict().items()})
    if a.input:
        x = np.random.default_rng(a.seed).standard_normal(
            (a.batch, 3, 224, 224)).astype(np.float32)
        np.save(a.input, x)
        with torch.no_grad():
            np.save(a.output, model(torch.from_numpy(x)).numpy())


if __name__ == "__main__":
    main()
