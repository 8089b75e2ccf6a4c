"""Test-wide settings, applied before anything is collected (the notebook kernels inherit them).

Tests never touch the network, and the notebooks read the embedded MNIST sample so that the
outputs nbval compares are the same on every machine. Export another LAB_DATA_SOURCE to override.
"""

import os

os.environ.setdefault("LAB_OFFLINE", "1")
os.environ.setdefault("LAB_DATA_SOURCE", "embedded")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


# Test modules whose module-scoped fixture grades a batch of notebooks (minutes each): one worker runs all their tests.
ONE_WORKER = {"tests/test_grade.py", "tests/test_grade_labs.py"}


def pytest_xdist_make_scheduler(config, log):
    """With pytest-xdist (`make test` runs `pytest -n 2`), keep each notebook's nbval cells together on one worker:
    they share one kernel and must run in order. So do the tests of a module in ONE_WORKER, whose module-scoped
    fixture would otherwise run once on each worker. Every other test goes to whichever worker is free."""
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerPerNotebook(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            path = nodeid.split("::")[0]
            return path if path.endswith(".ipynb") or path in ONE_WORKER else nodeid

    return OneWorkerPerNotebook(config, log)
