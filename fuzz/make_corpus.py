"""Writes the seed corpora of the data and expression fuzz targets into
fuzz/corpus/ (small files, kept in the tree). The artifact, checkpoint and
ONNX corpora are made at fuzzing time from this build (scripts/sanitize.sh),
so that they always match the current formats.

Usage: python3 fuzz/make_corpus.py
"""
import io
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def npy(array, version=None):
    buf = io.BytesIO()
    if version is None:
        np.save(buf, array)
    else:
        np.lib.format.write_array(buf, array, version=version)
    return buf.getvalue()


def main():
    rng = np.random.default_rng(0)
    arrays = {
        "f32-2x3": rng.standard_normal((2, 3)).astype(np.float32),
        "f64-scalar": np.float64(1.5),
        "i64-4": np.arange(4, dtype=np.int64),
        "u8-empty": np.zeros((0, 3), np.uint8),
        "f16-3": np.ones(3, np.float16),
        "bool-2x2": np.eye(2, dtype=bool),
    }
    for name, a in arrays.items():
        write("npy", name + ".npy", npy(a))
    write("npy", "f32-v2.npy", npy(arrays["f32-2x3"], version=(2, 0)))
    for name, save in (("plain", np.savez), ("compressed", np.savez_compressed)):
        buf = io.BytesIO()
        save(buf, x=rng.standard_normal((4, 3)).astype(np.float32),
             target=np.array([0, 2, 1, 1], np.int64))
        write("npz", name + ".npz", buf.getvalue())
    # IDX: magic 0, 0, type, rank; big-endian dims; data.
    images = rng.integers(0, 256, (2, 3, 3), dtype=np.uint8)
    write("idx", "images-u8.idx", struct.pack(">BBBB", 0, 0, 0x08, 3) +
          struct.pack(">3I", *images.shape) + images.tobytes())
    labels = np.array([3, 1], np.uint8)
    write("idx", "labels-u8.idx", struct.pack(">BBBB", 0, 0, 0x08, 1) +
          struct.pack(">I", 2) + labels.tobytes())
    floats = rng.standard_normal((2, 2)).astype(">f4")
    write("idx", "f32.idx", struct.pack(">BBBB", 0, 0, 0x0D, 2) +
          struct.pack(">2I", 2, 2) + floats.tobytes())
    for i, text in enumerate([
            "0.95^epoch", "epoch < 5 ? (epoch+1)/5 : 1", "0.5 ** (epoch // 10)",
            "max(0.01, cos(pi * epoch / 20))", "epoch % 3 == 0 && !(epoch > 10) or 0.1",
            "exp(-epoch) + log(epoch + 1) * sqrt(abs(floor(epoch) - ceil(2.5)))",
            "pow(tanh(epoch), 2) - min(1, e)", "-(+epoch) != 2"]):
        write("expression", "expr%d.txt" % i, text.encode())


if __name__ == "__main__":
    main()
