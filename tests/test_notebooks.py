"""A notebook runs again in the same kernel, and with other parameters.

nbval (in the same test command) executes every solution once and compares the cells tagged
`nbval-check-output`; test_hygiene checks their shape without running them; these tests cover the rest. What running
twice proves (no cell works only once, no state leaks from a later cell into an earlier one) is proven on one
notebook with the kinds of state the labs share: exercise functions that later cells call (Lab 1's training loop
calls the student's sigmoid and loss), a model trained and saved, data loaded and capped, figures.
"""

import nbformat
import pytest

from lab_utils.grade import FAST_PARAMETERS

from notebooks import ROOT, SOLUTIONS, execute, load

# Smaller settings for the rerun test, injected after the parameters cell as papermill does: the point
# is that every cell runs again in a kernel that has already run them, not how well the models train.
# The grader runs students' notebooks with the same ones.
QUICK = {f"{name}.ipynb": values for name, values in FAST_PARAMETERS.items()}
RUN_TWICE = [p for p in SOLUTIONS if p.name == "01_linear_model.ipynb"]


@pytest.mark.slow
@pytest.mark.parametrize("path", RUN_TWICE, ids=lambda p: p.name)
def test_a_solution_runs_top_to_bottom_twice_in_one_kernel(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    quick = QUICK.get(path.name, {})
    if quick:
        index = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
        nb.cells.insert(index + 1, nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in quick.items())))
    new = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell}
    nb.cells += [new[c.cell_type](c.source) for c in nb.cells]  # then every cell again, in the same kernel
    executed = execute(nb, tmp_path)  # a failing cell raises
    assert len([c for c in executed.cells if c.cell_type == "code" and c.execution_count]) == sum(
        c.cell_type == "code" for c in nb.cells)


def test_quick_settings_name_only_real_parameters():
    for name, quick in QUICK.items():
        cells = load(ROOT / "solutions" / name)["cells"]
        cell = next(c for c in cells if "parameters" in c["metadata"].get("tags", []))
        assigned = {line.split(" = ")[0] for line in "".join(cell["source"]).splitlines() if " = " in line}
        assert set(quick) <= assigned, f"{name}: {set(quick) - assigned} are not parameters"


@pytest.mark.slow
def test_a_solution_runs_with_other_parameters_through_papermill(tmp_path):
    out = tmp_path / "00_setup.ipynb"
    execute(ROOT / "solutions" / "00_setup.ipynb", tmp_path, {"N_SHOW": 5, "BATCH_SIZE": 32, "EPOCHS": 1}, out=out)
    text = out.read_text()
    assert "one batch: (32, 28, 28, 1) float32" in text
    assert "test accuracy after 1 epochs" in text
