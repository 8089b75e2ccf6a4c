"""Test-wide settings, applied before anything is collected (the notebook kernels inherit them).

Tests never touch the network, and the notebooks read the embedded MNIST sample so that the
outputs nbval compares are the same on every machine. Export another LAB_DATA_SOURCE to override.

Tiers: a test that executes a notebook, starts kernels or trains a model to its target is marked ``slow`` (the
notebooks nbval runs and the grader's batches are marked here; the rest where they are written). ``make test-fast``
runs ``-m "not slow"``: everything else.
"""

import os
import shutil
import tempfile

import pytest

os.environ.setdefault("LAB_OFFLINE", "1")
os.environ.setdefault("LAB_DATA_SOURCE", "embedded")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Where the notebooks a test session runs write their models and logs (lab_utils.device.output_path): one folder per
# session, made here in the main process before xdist starts its workers, so that they and their kernels inherit
# it. Nothing is written beside the notebooks, and tests that need what nbval's run saved find it here.
# Python tests get a folder of their own inside it (a notebook a test runs writes there): only nbval's runs, which
# no fixture reaches, write to the session's folder itself, read back as LAB_SESSION_OUTPUT_DIR.
MADE_OUTPUT_DIR = None
if "LAB_SESSION_OUTPUT_DIR" not in os.environ:
    MADE_OUTPUT_DIR = os.environ["LAB_SESSION_OUTPUT_DIR"] = tempfile.mkdtemp(prefix="lab-test-outputs-")
os.environ["LAB_OUTPUT_DIR"] = os.environ["LAB_SESSION_OUTPUT_DIR"]


@pytest.fixture(autouse=True)
def output_dir_of_its_own(request, monkeypatch):
    """LAB_OUTPUT_DIR for one Python test: a folder of its own (made when a notebook writes to it)."""
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.nodeid)[-120:]
    monkeypatch.setenv("LAB_OUTPUT_DIR", os.path.join(os.environ["LAB_SESSION_OUTPUT_DIR"], "tests", name))

# Module-scoped fixtures that grade a batch of notebooks in real kernels (minutes each).
GRADER_BATCHES = {"batch", "graded", "lab1", "kit_builders"}
# The module whose tests read what nbval's run of a notebook saved (marked after_notebook, parametrized by the
# notebook's file name): each runs in its notebook's scope.
AFTER_NOTEBOOK_MODULE = "tests/test_notebook_models.py"
# Test modules whose batch fixture must run once: one worker runs all their tests.
ONE_WORKER = {"tests/test_grade.py", "tests/test_grade_labs.py", "tests/test_grade_tampering.py"}


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: executes a notebook, starts kernels or trains to a target "
                                       "(make test-fast leaves it out)")
    config.addinivalue_line("markers", "after_notebook(name): reads what nbval's run of solutions/<name> saved; "
                                       "runs right after it on the same worker")
    if config.pluginmanager.hasplugin("xdist"):  # without xdist (-p no:xdist) its hook must not be registered
        config.pluginmanager.register(OneWorkerPerNotebook(), "one-worker-per-notebook")


def pytest_unconfigure(config):
    if MADE_OUTPUT_DIR and not hasattr(config, "workerinput"):  # the process that made it, not an xdist worker
        shutil.rmtree(MADE_OUTPUT_DIR, ignore_errors=True)


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.suffix == ".ipynb" or GRADER_BATCHES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    # A test marked after_notebook("03_lenet.ipynb") reads what nbval's run of that notebook saved: it runs right
    # after the notebook's last cell, on the same xdist worker (OneWorkerPerNotebook puts it in the notebook's scope).
    for item in [i for i in items if i.get_closest_marker("after_notebook")]:
        name = item.get_closest_marker("after_notebook").args[0]
        cells = [i for i in items if i.path.suffix == ".ipynb" and i.path.name == name and i.path.parent.name ==
                 "solutions"]
        if cells:
            items.remove(item)
            items.insert(items.index(cells[-1]) + 1, item)


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
                if path == AFTER_NOTEBOOK_MODULE:  # its tests are parametrized by notebook: [03_lenet.ipynb]
                    return f"solutions/{nodeid.split('[')[-1].rstrip(']')}"
                return path if path.endswith(".ipynb") or path in ONE_WORKER else nodeid

        return Scheduling(config, log)
