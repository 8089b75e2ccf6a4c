"""A student's first "Run All" on a fresh lab: every cell before the first exercise runs, and the run stops at that
exercise's check with the message that names it (offline, on the embedded sample)."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from lab_utils import labgen

ROOT = Path(__file__).resolve().parents[1]
LABS = sorted((ROOT / "labs").glob("*.ipynb"))


def first_exercise(nb):
    """Index of the first exercise cell and the exercise's number."""
    for index, cell in enumerate(nb.cells):
        match = labgen.EXERCISE_HEADER.match(cell.source) if cell.cell_type == "code" else None
        if match:
            return index, match.group(1)
    raise LookupError("no exercise cell")


def assert_run_all_stops_at_the_first_exercise(path, folder):
    """Execute the lab at ``path`` in ``folder`` as Run All does: every cell before its first exercise runs, then the
    exercise and its check, which stops the run with the message that names the exercise."""
    nb = nbformat.read(path, as_version=4)
    exercise_cell, number = first_exercise(nb)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    with pytest.raises(CellExecutionError) as stopped:
        client.execute()
    assert stopped.value.ename == "ExerciseFailed"
    assert re.match(rf"Exercise {number} \(\w+\): not done yet", stopped.value.evalue)
    ran = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.get("execution_count")]
    before = [i for i, cell in enumerate(nb.cells[:exercise_cell]) if cell.cell_type == "code"]
    assert ran[:len(before)] == before  # everything before the exercise ran...
    # ...then the exercise and its check
    assert ran[len(before):] == [exercise_cell, ran[-1]] and ran[-1] > exercise_cell
    assert all(i == exercise_cell or nb.cells[i].cell_type == "markdown" for i in range(exercise_cell, ran[-1]))


@pytest.mark.slow
@pytest.mark.parametrize("lab", LABS, ids=[p.stem for p in LABS])
def test_run_all_on_a_fresh_lab_stops_at_the_first_exercise_and_names_it(lab, tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_OFFLINE", "1")
    monkeypatch.setenv("LAB_DATA_SOURCE", "embedded")
    assert_run_all_stops_at_the_first_exercise(lab, tmp_path)
