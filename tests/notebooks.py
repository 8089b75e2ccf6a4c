"""Reading exercise cells out of the notebooks, so that tests run the very code students see."""

import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def load(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def exercise_cell(path, exercise):
    """The source of the code cell that starts with ``# Exercise N:``."""
    for cell in load(path)["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and source.startswith(f"# {exercise}:"):
            return source
    raise LookupError(f"{path}: no code cell starting with '# {exercise}:'")


def run_exercise(path, exercise, **namespace):
    """Execute one exercise cell (with numpy as np and any names given) and return its namespace."""
    scope = {"np": np, **namespace}
    exec(compile(exercise_cell(path, exercise), f"{Path(path).name}:{exercise}", "exec"), scope)
    return scope
