"""TensorFlow's start-up notices stay off a student's screen; every other line TensorFlow writes still shows."""

import os
import subprocess
import sys

import pytest

from lab_utils.quiet import start_up_notices_filtered

from notebooks import ROOT, SOLUTIONS, load

NOTICES = ("cudart_stub", "oneDNN custom operations", "failed call to cuInit", "absl::InitializeLog",
           "cpu_feature_guard")


def test_importing_lab_utils_first_keeps_tensorflows_start_up_notices_off_stderr():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", "import lab_utils, keras; lab_utils.setup(); print('ready')"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0 and "ready" in done.stdout
    assert [n for n in NOTICES if n in done.stderr] == []


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
    assert [n for n in NOTICES if n in text] == []
