"""What the exercise checks expect, kept as data in ``lab_utils/expected.json``.

A check compares the student's results with these values instead of computing them with an answer of its own: an
answer in the package would be a function any student could call. The values are what the solution notebooks'
functions return on the checks' own inputs (``lab_utils.checks.INPUTS``). After changing a solution or a check's
inputs, regenerate the file (``make labs`` does it too)::

    python -m lab_utils.expected solutions

``tests/test_expected.py`` checks that the file equals what the solutions compute.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

PATH = Path(__file__).with_name("expected.json")


def load(name, path=PATH):
    """The values the check of the exercise function ``name`` expects, one per input.

    Example:
        >>> load("receptive_field")[:2]   # receptive_field(1, 3) and receptive_field(2, 3)
        [3, 5]
    """
    values = json.loads(Path(path).read_text(encoding="utf-8"))
    if name not in values:
        raise KeyError(f"{path} has no expected values for {name!r}: run `python -m lab_utils.expected solutions`.")
    return values[name]


def as_data(value):
    """``value`` (tensors, arrays, tuples, dicts of them) as JSON's lists, numbers and dicts."""
    if isinstance(value, dict):
        return {str(key): as_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_data(item) for item in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return np.asarray(value).tolist()  # a tensor, an array or a NumPy number


def exercise_functions(notebook):
    """The names a notebook's exercise cells (``# Exercise N:``) define, after running those cells (and only those)
    in order, with ``np``, ``tf`` and ``keras`` in scope."""
    import keras
    import tensorflow as tf

    from lab_utils import labgen

    scope = {"np": np, "tf": tf, "keras": keras}
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    for index, cell in enumerate(cells):
        source = "".join(labgen._lines(cell["source"]))
        if cell["cell_type"] == "code" and labgen.EXERCISE_HEADER.match(source):
            exec(compile(source, f"{Path(notebook).name}, cell {index}", "exec"), scope)
    return scope


def compute(solutions_dir="solutions"):
    """``{exercise function: [what the solution returns on each of its check's inputs]}`` for every entry of
    ``checks.INPUTS``.

    Example:
        >>> compute("solutions")["conv_params"][0]   # conv_params(1, 6, 5) and two slips
        {'count': 156, 'one channel': 156, 'not squared': 36}
    """
    import keras

    from lab_utils import checks

    found = {}
    for notebook in sorted(Path(solutions_dir).glob("*.ipynb")):
        scope = exercise_functions(notebook)
        for name, (inputs, run) in checks.INPUTS.items():
            if name in scope:
                keras.utils.set_random_seed(0)
                found[name] = [as_data((run or _call)(scope[name], *case)) for case in inputs()]
    missing = [name for name in checks.INPUTS if name not in found]
    if missing:
        raise LookupError(f"no solution notebook in {solutions_dir} defines {', '.join(missing)}")
    return found


def _call(fn, *args):
    return fn(*args)


def dumps(values):
    """The JSON text of ``values``: one exercise per line, so that a change shows as the lines it changes."""
    lines = [f"  {json.dumps(name)}: {json.dumps(value)}" for name, value in values.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def write(values, path=PATH):
    """Write ``values`` to ``path``, whole or not at all, readable by everyone (it ships in the package)."""
    from lab_utils.files import write_atomic

    write_atomic(path, dumps(values))
    os.chmod(path, 0o644)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lab_utils.expected", description=__doc__.split("\n\n")[0])
    parser.add_argument("solutions", nargs="?", default="solutions", help="the folder of solution notebooks")
    parser.add_argument("--out", default=str(PATH), help=f"the file to write (default {PATH})")
    args = parser.parse_args(argv)
    if not Path(args.solutions).is_dir():
        parser.error(f"{args.solutions} is not a folder of solution notebooks")
    write(compute(args.solutions), args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
