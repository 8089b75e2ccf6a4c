"""What every notebook and source file looks like, checked without running anything: the notebooks' shape
(Colab-aware first cell, badge, one parameters cell, labs handed out clean) and ruff's lint over the code."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from notebooks import NOTEBOOK_MODELS, ROOT, SOLUTIONS, load

LABS = sorted((ROOT / "labs").glob("*.ipynb"))
ALL_NOTEBOOKS = SOLUTIONS + LABS
LINTED = ["lab_utils", "tests", "benchmarks", "solutions", "labs", "conftest.py"]


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def notebook_id(path):
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=notebook_id)
def test_the_first_code_cell_installs_lab_utils_on_colab_only(path):
    first = "".join(code_cells(load(path))[0]["source"])
    assert 'if "google.colab" in sys.modules:' in first
    assert re.search(r'\n    %pip install --quiet "lab-utils @ git\+https://github.com/[\w.-]+/[\w.-]+"', first)
    assert "from lab_utils import" in first
    assert re.search(r'%pip install [^\n]*\n    from lab_utils.device import on_colab\n    on_colab\(\)', first)


@pytest.mark.parametrize("path", SOLUTIONS, ids=notebook_id)
def test_on_a_colab_runtime_without_tensorflow_the_first_cell_stops_before_importing_it(path, monkeypatch, capsys):
    """Colab's TPU runtimes have no TensorFlow: the first cell, run as Colab runs it (pip stubbed), stops at
    on_colab() with the line that names the runtime to choose, before any line that would import TensorFlow."""
    from lab_utils.device import RuntimeNotSupported

    first = "".join(code_cells(load(path))[0]["source"])
    first = re.sub(r"^(\s*)%pip install .*$", r"\1pass  # %pip install, done", first, flags=re.MULTILINE)
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # import tensorflow fails, find_spec answers None
    with pytest.raises(RuntimeNotSupported, match="Change runtime type"):
        exec(compile(first, str(path), "exec"), {})
    assert "lab_utils" in capsys.readouterr().out


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=notebook_id)
def test_there_is_exactly_one_parameters_cell_and_it_only_assigns_values(path):
    cells = [c for c in code_cells(load(path)) if "parameters" in c["metadata"].get("tags", [])]
    assert len(cells) == 1
    for line in "".join(cells[0]["source"]).splitlines():
        assert not line.strip() or re.match(r"^[A-Z][A-Z0-9_]* = ", line), f"not a plain assignment: {line!r}"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=notebook_id)
def test_every_file_a_notebook_writes_goes_where_lab_output_dir_says(path):
    """Each path parameter (MODEL_PATH, LOG_DIR) passes through output_path right after the parameters cell, so
    that a test run writes into its temporary folder, never beside the notebooks."""
    cells = code_cells(load(path))
    index = next(i for i, c in enumerate(cells) if "parameters" in c["metadata"].get("tags", []))
    names = re.findall(r"^([A-Z_]+_(?:PATH|DIR)) = ", "".join(cells[index]["source"]), re.MULTILINE)
    after = "".join(cells[index + 1]["source"]) if index + 1 < len(cells) else ""
    assert "MODEL_PATH" in names or path.name not in NOTEBOOK_MODELS
    for name in names:
        assert re.search(rf"\b{name}\b[^\n]*= [^\n]*output_path\({name}\)", after), f"{name} not through output_path"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=notebook_id)
def test_the_top_cell_has_a_colab_badge_for_this_very_notebook(path):
    top = "".join(load(path)["cells"][0]["source"])
    assert f"/blob/main/{path.parent.name}/{path.name})" in top
    assert "colab-badge.svg" in top


@pytest.mark.parametrize("path", LABS, ids=notebook_id)
def test_a_lab_is_handed_out_without_outputs_or_execution_counts(path):
    ran = [i for i, c in enumerate(code_cells(load(path))) if c["outputs"] or c["execution_count"] is not None]
    assert ran == [], f"{path.name}: code cells {ran} carry outputs; run `make labs`"


def test_every_solution_has_its_lab():
    assert [p.name for p in LABS] == [p.name for p in SOLUTIONS]


def test_ruff_finds_nothing_in_the_code_and_the_notebooks():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))  # the one requirements.txt installed
    assert ruff, f"ruff is not installed beside {sys.executable}: pip install -r requirements.txt"
    result = subprocess.run([ruff, "check", "--no-cache", *LINTED], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
