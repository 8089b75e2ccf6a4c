"""Labs are generated from solutions: in sync, free of solution code, and the rules are enforced."""

import json

import pytest

from lab_utils import labgen

from notebooks import ROOT, SOLUTIONS, load


def cell(source, cell_type="code", tags=None):
    c = {"cell_type": cell_type, "id": "x", "metadata": {"tags": tags} if tags else {}, "source": source}
    if cell_type == "code":
        c.update(execution_count=3, outputs=[{"output_type": "stream", "name": "stdout", "text": "hi"}])
    return c


def notebook(*cells):
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


SOLVED = ("# Exercise 3: add\ndef add(a, b):\n    ### BEGIN SOLUTION\n    # HINT: use +\n    return a + b\n"
          "    ### END SOLUTION\n")


def test_every_lab_is_exactly_what_the_generator_makes_from_its_solution():
    assert SOLUTIONS, "no solution notebooks found"
    stale = labgen.generate(ROOT / "solutions", ROOT / "labs", check=True)
    assert stale == [], f"out of date: {[str(p) for p in stale]}; run `make labs`"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_no_lab_contains_solution_code(solution):
    lab_text = (ROOT / "labs" / solution.name).read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in lab_text and "END SOLUTION" not in lab_text
    lab_sources = ["".join(c["source"]) for c in load(ROOT / "labs" / solution.name)["cells"]]
    for c in load(solution)["cells"]:
        source = "".join(c["source"])
        for block in source.split(labgen.BEGIN)[1:]:
            code = [line for line in block.split(labgen.END)[0].splitlines()[1:]
                    if line.strip() and not line.strip().startswith(labgen.HINT)]
            assert code, f"{solution.name}: an empty solution block"
            assert not any("\n".join(code) in s for s in lab_sources)


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_every_exercise_in_a_solution_is_followed_by_a_check(solution):
    cells = [("".join(c["source"]), c["cell_type"]) for c in load(solution)["cells"]]
    for i, (source, kind) in enumerate(cells):
        if kind == "code" and labgen.BEGIN in source:
            following = [s for s, k in cells[i + 1:] if k == "code"][:1]
            assert following and following[0].lstrip().startswith("checks.check_"), \
                f"{solution.name}: the cell after '{source.splitlines()[0]}' must call its check"


def test_a_solution_block_becomes_its_hints_and_a_not_done_yet_error():
    lab = labgen.strip_solutions(SOLVED)
    assert lab == ("# Exercise 3: add\ndef add(a, b):\n    # HINT: use +\n"
                   '    raise NotImplementedError("Exercise 3 is not done yet: '
                   'write your code in place of this line.")\n')
    scope = {}
    exec(lab, scope)
    with pytest.raises(NotImplementedError, match="Exercise 3 is not done yet"):
        scope["add"](1, 2)


def test_outputs_are_cleared_solution_only_cells_dropped_and_links_pointed_at_labs():
    source = notebook(cell("[badge](https://colab.research.google.com/github/o/r/blob/main/solutions/x.ipynb)",
                           "markdown"),
                      cell(SOLVED),
                      cell("Instructor notes", "markdown", tags=["solution-only"]),
                      cell("print(1)", tags=["parameters"]))
    lab = labgen.make_lab(source)
    assert [c["cell_type"] for c in lab["cells"]] == ["markdown", "code", "code"]
    assert "/blob/main/labs/x.ipynb" in "".join(lab["cells"][0]["source"])
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in lab["cells"][1:])
    assert lab["cells"][2]["metadata"]["tags"] == ["parameters"]


@pytest.mark.parametrize("source, problem", [
    ("# Exercise 1: x\n### BEGIN SOLUTION\nx = 1\n", "without an ### END SOLUTION"),
    ("# Exercise 1: x\nx = 1\n### END SOLUTION\n", "line 3: ### END SOLUTION without"),
    ("# Exercise 1: x\n### BEGIN SOLUTION\n### BEGIN SOLUTION\n", "line 3: ### BEGIN SOLUTION inside"),
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n",
     "must start with a comment '# Exercise N"),
])
def test_broken_markers_are_refused_naming_the_notebook_and_cell(source, problem):
    with pytest.raises(labgen.LabGenError, match="my.ipynb, cell 1") as error:
        labgen.make_lab(notebook(cell("# title", "markdown"), cell(source)), "my.ipynb")
    assert problem in str(error.value)


def test_the_command_writes_labs_then_check_passes_and_catches_drift_and_orphans(tmp_path, capsys):
    solutions, labs = tmp_path / "solutions", tmp_path / "labs"
    solutions.mkdir()
    (solutions / "01_x.ipynb").write_text(json.dumps(notebook(cell(SOLVED))))
    args = ["--solutions", str(solutions), "--labs", str(labs)]
    assert labgen.main(args) == 0 and (labs / "01_x.ipynb").exists()
    assert labgen.main(args + ["--check"]) == 0
    (labs / "01_x.ipynb").write_text((labs / "01_x.ipynb").read_text().replace("HINT", "hint"))
    (labs / "99_old.ipynb").write_text("{}")
    assert labgen.main(args + ["--check"]) == 1
    out = capsys.readouterr().out
    assert "01_x.ipynb: out of date (run `make labs`)" in out
    assert "99_old.ipynb: no solution notebook of that name" in out


def test_a_notebook_that_is_not_json_is_refused_by_name(tmp_path, capsys):
    (tmp_path / "bad.ipynb").write_text("{not json")
    assert labgen.main(["--solutions", str(tmp_path), "--labs", str(tmp_path / "labs")]) == 2
    assert "bad.ipynb: not valid notebook JSON" in capsys.readouterr().err


def test_a_hint_that_runs_over_several_comment_lines_stays_whole_in_the_lab():
    source = ("# Exercise 1: f\ndef f():\n    ### BEGIN SOLUTION\n    # HINT: the patch starts `stride` pixels\n"
              "    # further at each step.\n    # a note of the solution's\n    return 1\n    ### END SOLUTION\n")
    lab = labgen.strip_solutions(source, "cell")
    assert "    # HINT: the patch starts `stride` pixels\n    # further at each step.\n" in lab
    assert "return 1" not in lab


def test_every_line_of_a_hint_in_a_solution_reaches_its_lab():
    """A hint runs from a ``# HINT:`` line over the comment lines right after it; none of them may be lost."""
    for solution in SOLUTIONS:
        lab = "".join("".join(cell["source"]) for cell in load(ROOT / "labs" / solution.name)["cells"])
        for cell in load(solution)["cells"]:
            in_block, in_hint = False, False
            for line in "".join(cell["source"]).splitlines():
                stripped = line.strip()
                in_block = (in_block or stripped.startswith("### BEGIN SOLUTION")) and \
                    not stripped.startswith("### END SOLUTION")
                in_hint = in_block and (stripped.startswith("# HINT:") or (in_hint and stripped.startswith("#")
                                                                            and not stripped.startswith("##")))
                if in_hint:
                    assert stripped in lab, f"{solution.name}: the hint line {stripped!r} is not in the lab"
