"""Small 2-D datasets for seeing what a classifier does: two blobs, two circles, XOR.

Each returns ``(X, y)``: float32 points of shape (n, 2) and int32 labels 0/1, the same for the same seed.
"""

from __future__ import annotations

import numpy as np


def two_blobs(n=200, seed=0, spread=0.7):
    """Two Gaussian clouds, one per class: a problem a straight line solves.

    Example:
        >>> X, y = two_blobs(n=100)
        >>> X.shape, y[:4]
        ((100, 2), array([0, 1, 0, 1], dtype=int32))
    """
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 2).astype(np.int32)
    centres = np.array([[-1.0, -1.0], [1.0, 1.0]])
    X = centres[y] + spread * rng.standard_normal((n, 2))
    return X.astype(np.float32), y


def circles(n=400, seed=0, noise=0.08, inner=0.5):
    """A small circle (class 1) inside a larger ring (class 0): no straight line separates them.

    Example:
        >>> X, y = circles(n=200)
        >>> np.bincount(y)
        array([100, 100])
    """
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 2).astype(np.int32)
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(y == 1, inner, 1.0)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    X += noise * rng.standard_normal((n, 2))
    return X.astype(np.float32), y
