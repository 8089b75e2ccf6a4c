"""Test-wide settings, applied before anything is collected (the notebook kernels inherit them).

Tests never touch the network, and the notebooks read the embedded MNIST sample so that the
outputs nbval compares are the same on every machine. Export another LAB_DATA_SOURCE to override.
"""

import os

os.environ.setdefault("LAB_OFFLINE", "1")
os.environ.setdefault("LAB_DATA_SOURCE", "embedded")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_xdist_make_scheduler(config, log):
    """With pytest-xdist (`make test` runs `pytest -n 2`), keep each notebook's nbval cells together on one worker:
    they share one kernel and must run in order. Every other test goes to whichever worker is free."""
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerPerNotebook(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            path = nodeid.split("::")[0]
            return path if path.endswith(".ipynb") else nodeid

    return OneWorkerPerNotebook(config, log)
