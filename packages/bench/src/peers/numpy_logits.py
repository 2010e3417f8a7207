"""What a NumPy user writes for ftcal's `logits`: features · Wᵀ + b from .npy files to an .npy file.

usage: python3 numpy_logits.py FEATURES.npy WEIGHTS.npy BIAS.npy OUT.npy (the bench times the process).
"""

import sys

import numpy as np

features, weights, bias, out = sys.argv[1:5]
np.save(out, np.load(features) @ np.load(weights).T + np.load(bias))
