"""Regenerates the shipped example: a LeNet-5 (random weights, from
test/fixtures/models.py) and a batch of two 28x28 inputs.

Usage: /usr/bin/python3 examples/lenet/make_example.py
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "test", "fixtures"))
import models  # noqa: E402

models.export("lenet", HERE)
os.remove(os.path.join(HERE, "lenet.pt"))
# Two "digits": a vertical and a horizontal bar, values in [0, 1].
x = np.zeros((2, 1, 28, 28), np.float32)
x[0, 0, 4:24, 12:16] = 1.0
x[1, 0, 12:16, 4:24] = 1.0
np.save(os.path.join(HERE, "digits.npy"), x)
