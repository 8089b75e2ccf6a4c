"""TensorFlow's start-up notices stay off a student's screen; every other line TensorFlow writes still shows."""

import os
import re
import subprocess
import sys

import pytest

from lab_utils.quiet import start_up_notices_filtered

from notebooks import ROOT, SOLUTIONS, load

# TensorFlow's start-up notices, by a phrase of each (lab_utils.quiet.NOTICES, written out again).
NOTICES = ("cudart_stub", "oneDNN custom operations", "failed call to cuInit", "absl::InitializeLog",
           "cpu_feature_guard", "rebuild TensorFlow", "Unable to register cu", "computation placer already registered")


def run_python(code):
    """Run ``code`` in a fresh Python, as a notebook's kernel starts: TF_CPP_MIN_LOG_LEVEL unset."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0 and "ready" in done.stdout, done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def tensorflows_start_up_stderr():
    """What loading TensorFlow and looking for GPUs writes to stderr here without lab_utils: the notices to filter.
    Where it writes none of them (not seen so far), there is nothing to show filtered, and the tests that use this
    skip rather than pass."""
    stderr = run_python("import keras, tensorflow as tf; tf.config.list_physical_devices('GPU'); print('ready')").stderr
    if not any(notice in stderr for notice in NOTICES):
        pytest.skip(f"TensorFlow wrote none of its start-up notices here: nothing to filter ({stderr!r:.300})")
    return stderr


def test_importing_lab_utils_first_keeps_tensorflows_start_up_notices_off_stderr(tensorflows_start_up_stderr):
    printed = [notice for notice in NOTICES if notice in tensorflows_start_up_stderr]
    done = run_python("import lab_utils, keras; lab_utils.setup(); print('ready')")
    assert [notice for notice in printed if notice in done.stderr] == []


def test_the_lines_tensorflow_writes_here_are_removed_and_every_other_line_kept(tensorflows_start_up_stderr, capfd):
    theirs = tensorflows_start_up_stderr.splitlines(keepends=True)
    mine = ["E0000 something that matters\n", "a student's own line\n"]
    with start_up_notices_filtered():
        os.write(2, "".join([mine[0], *theirs, mine[1]]).encode())
    kept = [line for line in theirs if not any(notice in line for notice in NOTICES)]
    assert capfd.readouterr().err == "".join([mine[0], *kept, mine[1]])


def test_lines_that_are_not_start_up_notices_still_reach_stderr(capfd):
    with start_up_notices_filtered():
        os.write(2, b"I0000 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.\n")
        os.write(2, b"E0000 something that matters\n")
    assert capfd.readouterr().err == "E0000 something that matters\n"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_the_first_cell_imports_lab_utils_before_tensorflow_or_keras(path):
    first = next(c for c in load(path)["cells"] if c["cell_type"] == "code")
    lines = "".join(first["source"]).splitlines()
    where = {name: next((i for i, line in enumerate(lines) if line.startswith(f"import {name}")), len(lines))
             for name in ("tensorflow", "keras")}
    lab_utils = next(i for i, line in enumerate(lines) if line.startswith("from lab_utils import"))
    assert lab_utils < min(where.values())


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_no_saved_output_of_a_solution_shows_a_start_up_notice(path):
    text = "".join("".join(o.get("text", "")) for c in load(path)["cells"] if c["cell_type"] == "code"
                   for o in c.get("outputs", []))
    # saved by a kernel that loaded TensorFlow and looked for GPUs (where the notices come), and showed setup()'s lines
    assert re.search(r"TensorFlow \d[^\n]*\nDevices: ", text), text[:300]
    assert [n for n in NOTICES if n in text] == []
