"""Test-wide settings, applied before anything is collected (the notebook kernels inherit them).

Tests never touch the network, and the notebooks read the embedded MNIST sample so that the
outputs nbval compares are the same on every machine. Export another LAB_DATA_SOURCE to override.
"""

import os

os.environ.setdefault("LAB_OFFLINE", "1")
os.environ.setdefault("LAB_DATA_SOURCE", "embedded")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
