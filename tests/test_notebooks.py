"""The notebooks run anywhere: Colab-aware first cell, one parameters cell, reruns, other parameters.

nbval (in the same test command) executes every solution once and compares the cells tagged
`nbval-check-output`; these tests cover what nbval does not.
"""

import re

import nbformat
import pytest
from nbclient import NotebookClient

from notebooks import ROOT, SOLUTIONS, load

ALL_NOTEBOOKS = SOLUTIONS + sorted((ROOT / "labs").glob("*.ipynb"))


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_first_code_cell_installs_lab_utils_on_colab_only(path):
    first = "".join(code_cells(load(path))[0]["source"])
    assert 'if "google.colab" in sys.modules:' in first
    assert re.search(r'\n    %pip install --quiet "lab-utils @ git\+https://github.com/[\w.-]+/[\w.-]+"', first)
    assert "from lab_utils import" in first


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_there_is_exactly_one_parameters_cell_and_it_only_assigns_values(path):
    cells = [c for c in code_cells(load(path)) if "parameters" in c["metadata"].get("tags", [])]
    assert len(cells) == 1
    for line in "".join(cells[0]["source"]).splitlines():
        assert not line.strip() or re.match(r"^[A-Z][A-Z0-9_]* = ", line), f"not a plain assignment: {line!r}"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_top_cell_has_a_colab_badge_for_this_very_notebook(path):
    top = "".join(load(path)["cells"][0]["source"])
    assert f"/blob/main/{path.parent.name}/{path.name})" in top
    assert "colab-badge.svg" in top


# Smaller settings for the rerun test, injected after the parameters cell as papermill does: the point
# is that every cell runs again in a kernel that has already run them, not how well the models train.
QUICK = {
    "01_linear_model.ipynb": {"EPOCHS": 1, "TOY_STEPS": 20},
    "02_mlp.ipynb": {"TOY_EPOCHS": 2, "EXPERIMENT_EPOCHS": 1, "OVERFIT_EPOCHS": 2, "REGULARISATION_SEEDS": 1,
                     "EPOCHS": 1},
    "03_lenet.ipynb": {"COMPARE_EPOCHS": 1, "COMPARE_SEEDS": 1, "EPOCHS": 1, "MLP_EPOCHS": 1},
    "04_transfer_learning.ipynb": {"BASE_EPOCHS": 1, "TRANSFER_EPOCHS": 1, "SEEDS": 1, "LABELS_PER_CLASS": [5],
                                   "FEW_LABEL_STEPS": 2, "FASHION_LABELS_PER_CLASS": 5},
    "05_modern_cnns.ipynb": {"BN_DEPTH": 4, "DEPTH": 4, "COMPARE_EPOCHS": 1, "TRAP_STEPS": 2, "EPOCHS": 1},
}


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_a_solution_runs_top_to_bottom_twice_in_one_kernel(path):
    nb = nbformat.read(path, as_version=4)
    quick = QUICK.get(path.name, {})
    if quick:
        index = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
        nb.cells.insert(index + 1, nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in quick.items())))
    nb.cells = nb.cells + [nbformat.from_dict(dict(c)) for c in nb.cells]
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []


def test_quick_settings_name_only_real_parameters():
    for name, quick in QUICK.items():
        cell = next(c for c in load(ROOT / "solutions" / name)["cells"] if "parameters" in c["metadata"].get("tags", []))
        assigned = {line.split(" = ")[0] for line in "".join(cell["source"]).splitlines() if " = " in line}
        assert set(quick) <= assigned, f"{name}: {set(quick) - assigned} are not parameters"


def test_a_solution_runs_with_other_parameters_through_papermill(tmp_path):
    import papermill

    out = tmp_path / "00_setup.ipynb"
    papermill.execute_notebook(str(ROOT / "solutions" / "00_setup.ipynb"), str(out),
                               parameters={"N_SHOW": 5, "BATCH_SIZE": 32, "EPOCHS": 1},
                               cwd=str(ROOT / "solutions"), progress_bar=False)
    text = out.read_text()
    assert "one batch: (32, 28, 28, 1) float32" in text
    assert "test accuracy after 1 epochs" in text
