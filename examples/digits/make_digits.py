"""Regenerates the shipped training example (run once; needs python3-sklearn):

- digits-train.npz / digits-val.npz: scikit-learn's 8x8 handwritten digits
  (1797 images, 16 grey levels), split 1497 / 300 with a fixed seed, as
  x: uint8 N x 1 x 8 x 8 and target: int64 N;
- lenet-digits.onnx: a LeNet-5-style network for 8x8 inputs (two 3x3
  convolutions with ReLU and 2x2 max pooling, then 120-84-10 linear layers
  with dropout after the first), untrained, seeded, with a dynamic batch
  dimension, exported in training mode so that the Dropout stays.

Usage: /usr/bin/python3 examples/digits/make_digits.py [--model-only]
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


class LeNetDigits(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64, 120), nn.ReLU(), nn.Dropout(0.25),
            nn.Linear(120, 84),
            nn.ReLU(), nn.Linear(84, 10))

    def forward(self, x):
        return self.classifier(self.features(x / 16.0))


def write_data():
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = digits.images.astype(np.uint8).reshape(-1, 1, 8, 8)
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(y))
    val, train = order[:300], order[300:]
    np.savez(os.path.join(HERE, "digits-train.npz"), x=x[train], target=y[train])
    np.savez(os.path.join(HERE, "digits-val.npz"), x=x[val], target=y[val])


def write_model():
    torch.manual_seed(0)
    model = LeNetDigits().train()
    torch.onnx.export(model, torch.zeros(1, 1, 8, 8),
                      os.path.join(HERE, "lenet-digits.onnx"),
                      input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "N"}, "logits": {0: "N"}},
                      opset_version=13, training=torch.onnx.TrainingMode.TRAINING,
                      do_constant_folding=False)


if __name__ == "__main__":
    if "--model-only" not in sys.argv[1:]:
        write_data()
    write_model()
