"""Generate the student labs (``labs/``) from the instructor solutions (``solutions/``).

Rules, applied to every ``solutions/*.ipynb``:

- In a code cell, the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` become a
  placeholder at the same indentation: the block's ``# HINT:`` comment lines (and the comment lines that continue
  them) are kept, followed by
  ``raise NotImplementedError("Exercise N is not done yet ...")``. A cell with a solution block must
  start with a comment ``# Exercise N: ...``, which names the exercise in the placeholder.
- Cells tagged ``solution-only`` (an instructor's discussion, a reference plot) are dropped.
- Outputs and execution counts are cleared; links to ``/solutions/`` become links to ``/labs/``.

Run ``python -m lab_utils.labgen`` to write the labs, ``python -m lab_utils.labgen --check`` to
fail (exit 1) when a lab differs from what would be generated now.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from lab_utils.files import write_atomic

BEGIN, END, HINT = "### BEGIN SOLUTION", "### END SOLUTION", "# HINT:"


def hints(block):
    """The lines of a solution block that stay in the lab: each ``# HINT:`` line and the comment lines that continue
    it (a hint may run over several lines; only its first starts with ``# HINT:``).

    Example:
        >>> hints(["# HINT: the patch starts `stride` pixels", "# further at each step.", "x = 1", "# a note"])
        ['# HINT: the patch starts `stride` pixels', '# further at each step.']
    """
    kept, in_hint = [], False
    for line in block:
        stripped = line.strip()
        in_hint = stripped.startswith(HINT) or (in_hint and stripped.startswith("#") and not stripped.startswith("##"))
        if in_hint:
            kept.append(line)
    return kept
SOLUTION_ONLY_TAG = "solution-only"
# The first line of an exercise cell, "# Exercise N: what it asks": one pattern for labgen, the grader and the tests.
EXERCISE_HEADER = re.compile(r"^#\s*Exercise\s+(\d+)\s*:")


class LabGenError(ValueError):
    """A solution notebook that breaks the authoring rules; the message names the notebook and cell."""


def _lines(source):
    return source if isinstance(source, list) else source.splitlines(keepends=True)


def strip_solutions(source, where="cell"):
    """Replace each solution block of a code cell's source with its placeholder.

    Example:
        >>> print(strip_solutions("# Exercise 1: add\\ndef f(a, b):\\n    ### BEGIN SOLUTION\\n"
        ...                       "    return a + b\\n    ### END SOLUTION\\n"), end="")
        # Exercise 1: add
        def f(a, b):
            raise NotImplementedError("Exercise 1 is not done yet: write your code in place of this line.")
    """
    lines = _lines(source)
    out, block, indent = [], None, ""
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if block is not None:
                raise LabGenError(f"{where}, line {number}: {BEGIN} inside another solution block.")
            first = lines[0].strip() if lines else ""
            match = EXERCISE_HEADER.match(first)
            if not match:
                raise LabGenError(f"{where}: a cell with a solution block must start with a comment "
                                  f"'# Exercise N: ...', found {first!r}.")
            exercise = f"Exercise {match.group(1)}"
            block, indent = [], line[: len(line) - len(line.lstrip())]
        elif stripped.startswith(END):
            if block is None:
                raise LabGenError(f"{where}, line {number}: {END} without a {BEGIN} before it.")
            out += [indent + b.strip() + "\n" for b in hints(block)]
            out.append(f'{indent}raise NotImplementedError("{exercise} is not done yet: '
                       'write your code in place of this line.")\n')
            block = None
        elif block is not None:
            block.append(line)
        else:
            out.append(line)
    if block is not None:
        raise LabGenError(f"{where}: {BEGIN} without an {END} after it.")
    text = "".join(out)
    return text[:-1] if text.endswith("\n") and not "".join(lines).endswith("\n") else text


def make_lab(notebook, name="notebook"):
    """The lab (a notebook dict) generated from a solution notebook dict.

    Example:
        >>> lab = make_lab(json.load(open("solutions/00_setup.ipynb")), "00_setup.ipynb")
    """
    lab = {key: value for key, value in notebook.items() if key != "cells"}
    lab["cells"] = []
    for index, cell in enumerate(notebook["cells"]):
        tags = cell.get("metadata", {}).get("tags", [])
        if SOLUTION_ONLY_TAG in tags:
            continue
        source = "".join(_lines(cell["source"]))
        new = {key: value for key, value in cell.items() if key not in ("outputs", "execution_count", "source")}
        new["metadata"] = {k: v for k, v in cell.get("metadata", {}).items() if k not in ("execution", "scrolled")}
        if cell["cell_type"] == "code":
            source = strip_solutions(source, f"{name}, cell {index}")
            new["execution_count"] = None
            new["outputs"] = []
        else:
            source = source.replace("/solutions/", "/labs/")
        new["source"] = _lines(source)
        lab["cells"].append(new)
    return lab


def dumps(notebook):
    """Notebook JSON text as Jupyter writes it (indent 1, UTF-8, trailing newline)."""
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def generate(solutions_dir="solutions", labs_dir="labs", check=False):
    """Write (or with ``check=True`` compare) every lab; returns the labs that differ or are orphans.

    Example:
        >>> generate()             # writes labs/*.ipynb
        >>> generate(check=True)   # [] when every lab is in sync
    """
    solutions_dir, labs_dir = Path(solutions_dir), Path(labs_dir)
    stale = []
    wanted = set()
    for path in sorted(solutions_dir.glob("*.ipynb")):
        try:
            notebook = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise LabGenError(f"{path}: not valid notebook JSON ({e}).") from None
        text = dumps(make_lab(notebook, str(path)))
        target = labs_dir / path.name
        wanted.add(path.name)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != text:
            stale.append(target)
            if not check:
                write_atomic(target, text)
    stale += [p for p in sorted(labs_dir.glob("*.ipynb")) if p.name not in wanted]
    return stale


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report labs that are out of date")
    parser.add_argument("--solutions", default="solutions")
    parser.add_argument("--labs", default="labs")
    args = parser.parse_args(argv)
    try:
        stale = generate(args.solutions, args.labs, check=args.check)
    except LabGenError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for path in stale:
        if not (Path(args.solutions) / path.name).exists():
            print(f"{path}: no solution notebook of that name; delete the lab or add its solution")
        else:
            print(f"{path}: " + ("out of date (run `make labs`)" if args.check else "written"))
    if not stale:
        print("labs are in sync with solutions")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
