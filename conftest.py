"""Test-wide settings, applied before anything is collected (the notebook kernels inherit them).

Tests never touch the network, and the notebooks read the embedded MNIST sample so that the
outputs nbval compares are the same on every machine. Export another LAB_DATA_SOURCE to override.

Tiers: a test that executes a notebook, starts kernels or trains a model to its target is marked ``slow`` (the
notebooks nbval runs and the grader's batches are marked here; the rest where they are written). ``make test-fast``
runs ``-m "not slow"``: everything else.
"""

import os

import pytest

os.environ.setdefault("LAB_OFFLINE", "1")
os.environ.setdefault("LAB_DATA_SOURCE", "embedded")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Module-scoped fixtures that grade a batch of notebooks in real kernels (minutes each).
GRADER_BATCHES = {"batch", "graded", "lab1", "kit_builders"}
# Test modules whose batch fixture must run once: one worker runs all their tests.
ONE_WORKER = {"tests/test_grade.py", "tests/test_grade_labs.py", "tests/test_grade_tampering.py"}


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: executes a notebook, starts kernels or trains to a target "
                                       "(make test-fast leaves it out)")
    if config.pluginmanager.hasplugin("xdist"):  # without xdist (-p no:xdist) its hook must not be registered
        config.pluginmanager.register(OneWorkerPerNotebook(), "one-worker-per-notebook")


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.suffix == ".ipynb" or GRADER_BATCHES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


class OneWorkerPerNotebook:
    """With pytest-xdist (`make test` runs `pytest -n auto`), keep each notebook's nbval cells together on one
    worker: they share one kernel and must run in order. So do the tests of a module in ONE_WORKER, whose
    module-scoped fixture would otherwise run once on each worker. Every other test goes to whichever worker is free.
    (xdist's own ``--dist loadgroup`` with ``xdist_group`` marks did not group tests under pytest 9.2 here.)"""

    def pytest_xdist_make_scheduler(self, config, log):
        from xdist.scheduler import LoadScopeScheduling

        class Scheduling(LoadScopeScheduling):
            def _split_scope(self, nodeid):
                path = nodeid.split("::")[0]
                return path if path.endswith(".ipynb") or path in ONE_WORKER else nodeid

        return Scheduling(config, log)
