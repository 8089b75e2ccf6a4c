"""Reading exercise cells out of the notebooks, so that tests run the very code students see."""

import functools
import json
import re
from pathlib import Path

import numpy as np

from lab_utils import labgen

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def load(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def exercise_cell(path, exercise):
    """The source of the code cell that starts with ``# Exercise N:``."""
    for cell in load(path)["cells"]:
        source = "".join(cell["source"])
        match = labgen.EXERCISE_HEADER.match(source) if cell["cell_type"] == "code" else None
        if match and f"Exercise {match.group(1)}" == exercise:
            return source
    raise LookupError(f"{path}: no code cell starting with '# {exercise}:'")


def run_exercise(path, exercise, **namespace):
    """Execute one exercise cell (with numpy as np and any names given) and return its namespace."""
    scope = {"np": np, **namespace}
    exec(compile(exercise_cell(path, exercise), f"{Path(path).name}:{exercise}", "exec"), scope)
    return scope


# The lab whose final model each notebook saves to its MODEL_PATH parameter, by the name of its recipe in
# lab_utils.models.RECIPES (and of its target in ACCURACY_TARGETS).
NOTEBOOK_MODELS = {"01_linear_model.ipynb": "softmax_regression", "02_mlp.ipynb": "mlp", "03_lenet.ipynb": "lenet",
                   "05_modern_cnns.ipynb": "small_resnet"}
OFFICIAL_TEST_DIR = ROOT.parent / "shared" / "data" / "mnist-test"


def parameters(path):
    """The values assigned in a notebook's cell tagged ``parameters``, as a dict."""
    import ast

    cell = next(c for c in load(path)["cells"] if "parameters" in c["metadata"].get("tags", []))
    tree = ast.parse("".join(cell["source"]))
    return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)}


def has_official_test_set(folder=OFFICIAL_TEST_DIR):
    """Whether the official MNIST test set is in ``folder`` (../shared, beside the project; not on users' machines)."""
    return (Path(folder) / "t10k-images-idx3-ubyte.gz").is_file()


def official_test_set(folder=OFFICIAL_TEST_DIR):
    """The official 10,000-digit MNIST test set (evaluation only) as uint8 arrays."""
    from lab_utils.data import read_idx

    folder = Path(folder)
    return (read_idx(folder / "t10k-images-idx3-ubyte.gz", (28, 28)),
            read_idx(folder / "t10k-labels-idx1-ubyte.gz", ()))


def execute(notebook, workdir, parameters=None, out=None, env=None, timeout=900):
    """Execute ``notebook`` (a path, or an nbformat notebook) in a fresh kernel with its working folder ``workdir``,
    ``parameters`` injected after its parameters cell, the kernel's environment updated with ``env``; the executed
    notebook is written to ``out`` (if given) and returned. A failing cell raises papermill's
    ``PapermillExecutionError`` (its ``ename``, ``evalue``) once ``out`` is written.

    The one way tests and benchmarks run a notebook: papermill. Besides it, nbval executes every solution as the
    test of it, and the grader drives its own kernel inside its box (``lab_utils.grade``)."""
    import os

    import papermill

    source = str(notebook) if isinstance(notebook, (str, Path)) else notebook
    saved = {name: os.environ.get(name) for name in env or {}}
    os.environ.update(env or {})  # the kernel starts with this process's environment
    try:
        return papermill.execute_notebook(source, None if out is None else str(out), parameters=parameters or {},
                                          cwd=str(workdir), progress_bar=False, execution_timeout=timeout,
                                          kernel_name="python3")
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_for_model(path, workdir, **params):
    """Execute a solution notebook in ``workdir`` (its defaults, but for ``params``), and return the Keras model it
    saved to its MODEL_PATH and the executed notebook's path."""
    import keras

    workdir = Path(workdir)
    model_path = workdir / f"{Path(path).stem}.keras"
    executed = workdir / Path(path).name
    execute(path, workdir, {"MODEL_PATH": str(model_path), **params}, out=executed)
    return keras.models.load_model(model_path), executed


@functools.lru_cache(maxsize=1)
def answer_fragments():
    """What no hint, message or file handed to students may contain: every solution line of 12 characters or more,
    and every expression a solution returns (``(W - F + 2 * P) // S + 1``) of 8 or more."""
    from lab_utils import release

    lines = release.solution_lines(ROOT / "solutions")
    returned = [line[len("return "):] for line in lines if line.startswith("return ")]
    return frozenset([line for line in lines if len(line) >= 12] + [r for r in returned if len(r) >= 8])


def assert_holds_no_answer(text):
    found = sorted(fragment for fragment in answer_fragments() if fragment in text)
    assert not found, f"{text!r} holds the answer: {found}"


def first_exercise(nb):
    """Index of the first exercise cell and the exercise's number."""
    for index, cell in enumerate(nb.cells):
        match = labgen.EXERCISE_HEADER.match(cell.source) if cell.cell_type == "code" else None
        if match:
            return index, match.group(1)
    raise LookupError("no exercise cell")


def assert_run_all_stops_at_the_first_exercise(path, folder):
    """A student's first "Run All" on a fresh lab: every cell before the first exercise runs, and the run stops at
    that exercise's check with the message that names it.

    Execute the lab at ``path`` in ``folder`` as Run All does: every cell before its first exercise runs, then the
    exercise and its check, which stops the run with the message that names the exercise."""
    import nbformat
    import pytest
    from papermill.exceptions import PapermillExecutionError

    exercise_cell, number = first_exercise(nbformat.read(path, as_version=4))
    out = Path(folder) / f"executed-{Path(path).name}"
    with pytest.raises(PapermillExecutionError) as stopped:
        execute(path, folder, out=out)
    assert stopped.value.ename == "ExerciseFailed"
    assert re.match(rf"Exercise {number} \(\w+\): not done yet", stopped.value.evalue)
    nb = nbformat.read(out, as_version=4)  # less the cell papermill puts at the top to point at the error
    nb.cells = [c for c in nb.cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    ran = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.get("execution_count")]
    before = [i for i, cell in enumerate(nb.cells[:exercise_cell]) if cell.cell_type == "code"]
    assert ran[:len(before)] == before  # everything before the exercise ran...
    # ...then the exercise and its check
    assert ran[len(before):] == [exercise_cell, ran[-1]] and ran[-1] > exercise_cell
    assert all(i == exercise_cell or nb.cells[i].cell_type == "markdown" for i in range(exercise_cell, ran[-1]))
