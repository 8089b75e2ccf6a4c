"""Grade a class's submitted notebooks: one command, no database, no extra test folder.

    python -m lab_utils.grade 01 submissions/ --out grades/ [--hidden hidden_01.py] [--jobs 2] [--roster roster.csv]

For each submitted ``.ipynb`` (files, or folders searched for them) the grader:

1. reads it (bad JSON, a non-notebook or a notebook of another lab gets a row saying so, and the batch goes on);
2. runs it in a fresh kernel inside a box (``lab_utils.sandbox``: memory, CPU, file-size and process limits; as
   root also no network, no other process in sight, every file read-only but its own folder, the instructor's
   folders hidden), offline on the embedded sample, with the lab's fast settings injected after its parameters
   cell, a per-cell timeout (in CPU seconds, so that a loaded machine does not time out honest cells) and a
   total one, with an environment made from scratch (no tokens, HOME its own);
3. decides each exercise in the grader's own process, which runs no student code: right after the (last) cell that
   starts ``# Exercise N:`` runs, the official check from ``lab_utils.checks`` (then the instructor's hidden
   check, if any) runs here on a ``lab_utils.exchange.RemoteFunction``: each call of the student's function goes
   to the kernel as data and its result comes back as data. Nothing the notebook writes, patches or imports can
   change what the check decides; only what the student's function returns for the check's inputs counts;
4. reports each exercise as passed, failed (with the check's message), not attempted (the placeholder's
   NotImplementedError), error (an exception in the exercise cell), timed out, missing (no function of that name)
   or not graded (the file could not be run, or the kernel died first), and flags notebooks whose code tries to
   tamper with grading ("tampering suspected: ...");
5. writes to ``--out``: ``grades.csv`` (points per exercise, total), ``details.csv`` (every status, message and
   flag), ``summary.md`` and ``summary.png``, ``feedback/<student>.md`` and ``executed/<student>.ipynb``; with
   ``--format canvas`` or ``moodle`` also that gradebook's import file. Submissions are never modified.

Points per exercise come from the solution notebook: ``"points": 2`` in the exercise cell's metadata (default 1).
``--overrides overrides.csv`` (student, exercise, points, reason) is applied on every run and shown in feedback;
``--roster roster.csv`` gives every rostered student a row (see ``lab_utils.gradebook``).

Hidden checks: a Python file, kept by the instructor outside ``labs/`` and the package, that defines
``HIDDEN = {exercise_number: function}``; each function receives the student's function (a RemoteFunction: call
it like the function) and fails by raising ``AssertionError`` with a message. It runs in the grader, so the
student's kernel never sees it. Example::

    def sigmoid_on_float64(sigmoid):
        import tensorflow as tf
        assert abs(float(sigmoid(tf.constant(0.0, tf.float64))) - 0.5) < 1e-12, "sigmoid(0.0) in float64 is not 0.5"

    HIDDEN = {1: sigmoid_on_float64}
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

from lab_utils import labgen
from lab_utils.files import replacing, write_atomic

SOLUTIONS_DIR = Path(__file__).resolve().parents[1] / "solutions"
EXERCISE_HEADER = labgen.EXERCISE_HEADER  # "# Exercise N:" starts an exercise cell
CHECK_CALL = re.compile(r"^\s*checks\.(check_\w+)\((\w+)\)\s*$")  # a check cell: nothing but the call
STATUSES = ["passed", "failed", "not attempted", "error", "timed out", "missing", "not graded"]
RESULT_PREFIX = "LAB-GRADE-RESULT "  # the worker's lines to the batch, on a pipe no kernel holds

# Small settings for each lab (as papermill injects them after the parameters cell), so that a class's notebooks
# run in minutes: grading checks the exercises, not how well the models train. tests/test_notebooks.py reruns
# the solutions with them too.
FAST_PARAMETERS = {
    "00_setup": {"EPOCHS": 1},
    "01_linear_model": {"EPOCHS": 1, "TOY_STEPS": 20},
    "02_mlp": {"TOY_EPOCHS": 2, "EXPERIMENT_EPOCHS": 1, "OVERFIT_EPOCHS": 2, "REGULARISATION_SEEDS": 1, "EPOCHS": 1},
    "03_lenet": {"COMPARE_EPOCHS": 1, "COMPARE_SEEDS": 1, "EPOCHS": 1, "MLP_EPOCHS": 1},
    "04_transfer_learning": {"BASE_EPOCHS": 1, "TRANSFER_EPOCHS": 1, "SEEDS": 1, "LABELS_PER_CLASS": [5],
                             "FEW_LABEL_STEPS": 2, "FASHION_LABELS_PER_CLASS": 5},
    "05_modern_cnns": {"BN_DEPTH": 4, "DEPTH": 4, "COMPARE_EPOCHS": 1, "TRAP_STEPS": 2, "EPOCHS": 1,
                       "INVARIANCE_EPOCHS": 1},
}

# What a notebook's code may do to try to change its grade, and the flag each earns (details.csv, summary.md).
# None of it can change a grade (the checks run in the grader); the flag lets the instructor talk to the student.
TAMPERING = [
    (r"records/|LAB_GRADE|\.jsonl", "wrote to the grader's records"),
    (r"\bchecks\s*\.\s*\w+\s*=|setattr\(\s*(lab_utils\.)?checks|lab_utils\.checks\.\w+\s*=|"
     r"\b_passed\b|\bExerciseFailed\s*=", "replaced lab_utils.checks"),
    (r"sys\.modules", "changed sys.modules"),
    (r"\b(np|numpy|tf|tensorflow|keras)(\.\w+)+\s*=(?!=)|setattr\(\s*(np|numpy|tf|tensorflow|keras)\b",
     "patched NumPy, TensorFlow or Keras"),
    (r"lab_utils\s*/|%%writefile\s+\S*lab_utils|mkdir\([^)]*lab_utils", "wrote a local lab_utils"),
    (r"\bHIDDEN\b|hidden_checks|spec\.json|--hidden", "looked for the hidden checks"),
    (r"grades/|executed/|feedback/|grades\.csv|details\.csv", "wrote into the grader's output folder"),
    (r"kernel\.pid|os\.kill\(|killpg|signal\.SIGKILL", "signalled processes"),
    (r"os\.fork|setsid|start_new_session|daemon|nohup|subprocess\.Popen",
     "started a process meant to outlive its cell"),
    (r"exec\(|eval\(|b64decode|__import__\(|compile\(", "ran code built at run time (exec, eval, base64)"),
    (r"__file__|site-packages|\.venv", "wrote to the kit's or Python's own files"),
]


class KernelDied(BaseException):
    """The student's kernel died while the grader called a function in it (a BaseException: no check's
    ``except Exception`` mistakes it for the student's error)."""


class BadSubmission(Exception):
    """A submitted file that cannot be graded; its message says why and what to do."""


def tampering(nb, kit=()):
    """The flags a notebook's code earns, as short phrases: ``["replaced lab_utils.checks", ...]``. Cells whose
    source is one of ``kit`` (the lab's and the solution's own cells) are not read: only what the student wrote.

    Example:
        >>> tampering(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("checks.check_sigmoid = print")]))
        ['replaced lab_utils.checks']
    """
    kit = {_source(c).strip() for c in kit}
    code = "\n".join(_source(c) for c in nb.cells if c.cell_type == "code" and _source(c).strip() not in kit
                     and not CHECK_CALL.match(_source(c)))
    return [flag for pattern, flag in TAMPERING if re.search(pattern, code)]


def kit_cells(lab_name, solutions_dir=SOLUTIONS_DIR):
    """The code cells of the lab's solution and of the lab handed out (beside solutions/, in labs/), if there."""
    cells = []
    for folder in (Path(solutions_dir), Path(solutions_dir).parent / "labs"):
        try:
            cells += [c for c in json.loads((folder / f"{lab_name}.ipynb").read_text(encoding="utf-8"))["cells"]
                      if c.get("cell_type") == "code"]
        except (OSError, ValueError, KeyError):
            pass
    return cells


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def find_solution(lab, solutions_dir=SOLUTIONS_DIR):
    """The solution notebook for ``lab``: a number (``"1"``, ``"01"``), a name (``"01_linear_model"``) or a path;
    raises ``LookupError`` naming the labs there are.

    Example:
        >>> find_solution("01").name
        '01_linear_model.ipynb'
    """
    if str(lab).endswith(".ipynb") and Path(lab).is_file():
        return Path(lab)
    solutions_dir = Path(solutions_dir)
    wanted = f"{int(lab):02d}_" if str(lab).isdigit() else str(lab).removesuffix(".ipynb")
    found = [p for p in sorted(solutions_dir.glob("*.ipynb")) if p.stem == wanted or p.stem.startswith(wanted)]
    if len(found) != 1:
        names = ", ".join(p.stem for p in sorted(solutions_dir.glob("*.ipynb")))
        raise LookupError(f"no single lab {lab!r} in {solutions_dir} (there are: {names}).")
    return found[0]


def lab_exercises(solution):
    """The exercises of a solution notebook, in order: one dict each with ``number``, ``function`` (the name the
    check is given), ``check`` (its name in lab_utils.checks), ``points`` (cell metadata, default 1), ``column``.

    Example:
        >>> [e["column"] for e in lab_exercises("solutions/00_setup.ipynb")]
        ['ex1_class_counts', 'ex2_scale_images']
    """
    cells = [c for c in json.loads(Path(solution).read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    exercises = []
    for index, cell in enumerate(cells):
        match = EXERCISE_HEADER.match(_source(cell))
        if not match:
            continue
        calls = [CHECK_CALL.match(_source(c)) for c in cells[index + 1:index + 3]]
        call = next((c for c in calls if c), None)
        if call is None:
            raise ValueError(f"{solution}: Exercise {match.group(1)} has no `checks.check_...(fn)` cell after it.")
        exercises.append({"number": match.group(1), "function": call.group(2), "check": call.group(1),
                          "points": cell.get("metadata", {}).get("points", 1),
                          "column": f"ex{match.group(1)}_{call.group(2)}"})
    return exercises


# --------------------------------------------------------------------------- reading one submission

def read_submission(path):
    """The submitted notebook as an nbformat node; raises BadSubmission with a one-line reason otherwise."""
    import nbformat

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BadSubmission(f"cannot read the file ({type(e).__name__}); submit the .ipynb file itself.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadSubmission(f"not a notebook: the file is not JSON ({e.msg} at line {e.lineno}); "
                            "download it again with File > Download > .ipynb.") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list) or "nbformat" not in data:
        raise BadSubmission("not a notebook: JSON without notebook cells; submit the lab's .ipynb file.")
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as e:  # nbformat's own complaints about a damaged notebook
        raise BadSubmission(f"a damaged notebook ({type(e).__name__}: {str(e)[:120]}).") from None


def _defined_functions(nb):
    code = "\n".join(_source(c) for c in nb.cells if c.cell_type == "code")
    return set(re.findall(r"^\s*def\s+(\w+)\s*\(", code, re.MULTILINE))


def check_lab(nb, exercises, solutions_dir, lab_name):
    """Raise BadSubmission when ``nb`` defines none of the lab's exercise functions but those of another lab."""
    defined = _defined_functions(nb)
    if defined & {e["function"] for e in exercises}:
        return
    for other in sorted(Path(solutions_dir).glob("*.ipynb")):
        if other.stem == lab_name:
            continue
        theirs = {e["function"] for e in lab_exercises(other)} & defined
        if theirs:
            raise BadSubmission(f"a notebook of another lab, {other.stem} (it defines {', '.join(sorted(theirs))}), "
                                f"not of {lab_name}: was the wrong file submitted?")



# --------------------------------------------------------------------------- preparing one submission

def prepare(nb, exercises, lab_name):
    """The notebook to execute: fast parameters after the parameters cell, the student's check cells left out
    (the grader checks), outputs cleared. Returns ``(notebook, origin, after)``: ``origin[i]`` is the submitted
    cell index of executed cell ``i`` (None for the grader's parameters cell); ``after[i]`` the exercises to judge
    once executed cell ``i`` has run (the last cell starting ``# Exercise N:``); exercises whose cell is gone are
    judged at the end, on whatever function has their name."""
    import nbformat

    cells, origin, after = [], [], {}
    last_cell = {}
    for index, cell in enumerate(nb.cells):
        match = EXERCISE_HEADER.match(_source(cell)) if cell.cell_type == "code" else None
        if match:
            last_cell[match.group(1)] = index
    fast = FAST_PARAMETERS.get(lab_name, {})
    assigns = re.compile(rf"^({'|'.join(fast) or '$^'})\s*=", re.MULTILINE)
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    parameters = next((i for i in code_cells if "parameters" in nb.cells[i].metadata.get("tags", [])),  # its tag
                      next((i for i in code_cells if assigns.search(_source(nb.cells[i]))), None))  # or its lines
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and CHECK_CALL.match(_source(cell)):
            continue  # the student's check cell: the grader checks instead
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        else:
            cell.pop("outputs", None)
        cells.append(cell)
        origin.append(index)
        if fast and index == parameters:
            cells.append(nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in fast.items()),
                                                   metadata={"grader": {"phase": "parameters"}}))
            origin.append(None)
        numbers = [e["number"] for e in exercises if last_cell.get(e["number"]) == index]
        if numbers:
            after[len(cells) - 1] = numbers
    nb.cells = cells
    return nb, origin, after


# --------------------------------------------------------------------------- deciding (the grader's process)

def judge(exercise, run, folder, hidden=None):
    """Decide one exercise in this process: the official check, then the hidden one, on the student's function as
    a RemoteFunction that ``run`` reaches in the kernel. Returns ``{"status", "message", "hidden", "flags"}``.

    Example (inside the worker, ``run`` executes code in the student's kernel):
        >>> judge({"number": "1", "function": "sigmoid", "check": "check_sigmoid"}, run, "/tmp/x")["status"]
        'passed'
    """
    import contextlib

    from lab_utils import checks
    from lab_utils.exchange import BadReply, NotRebuildable, RemoteFunction

    name = exercise["function"]
    fn = RemoteFunction(name, run, folder)
    result = {"hidden": None, "flags": []}

    def decide(check):
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # the check's ✅ line is for students
                check()
            return "passed", ""
        except checks.ExerciseFailed as e:
            return e.status, e.message
        except KeyboardInterrupt:  # the per-cell timeout interrupted the student's function
            return "timed out", "the function did not finish within the per-cell timeout (an endless loop?)."
        except NotRebuildable as e:
            return "failed", f"{e}."
        except BadReply as e:
            result["flags"].append("answered the grader with data it did not write (tampering with the kernel)")
            return "error", f"the grader could not read what your function returned: {e}."
        except AssertionError as e:  # a hidden check
            return "failed", str(e) or "hidden check failed."
        except Exception as e:
            return "error", f"the check stopped on {type(e).__name__}: {str(e)[:200]}"

    try:
        described = fn.describe()
    except (BadReply, KeyboardInterrupt) as e:
        result["flags"].append("answered the grader with data it did not write (tampering with the kernel)")
        result.update(status="error", message=f"the grader could not ask the kernel about `{name}`: {e}")
        return result
    if not described["exists"]:
        result.update(status="missing", message=f"no function named `{name}`: was its cell deleted or the function "
                                                "renamed? Keep the name the lab gives.")
        return result
    student = fn if described["callable"] else described["value"]
    result["status"], result["message"] = decide(lambda: getattr(checks, exercise["check"])(student))
    if hidden is not None:
        status, message = decide(lambda: hidden(student))
        result["hidden"] = {"status": status, "message": message if status != "passed" else "hidden check passed."}
    return result


def hidden_checks(path):
    """The instructor's hidden checks, ``{exercise number as text: function}``, read in the grader's process."""
    import runpy

    if not path:
        return {}
    table = runpy.run_path(str(path)).get("HIDDEN", {})
    return {str(number): fn for number, fn in table.items()}


def outcome(exercises, judged, cells=None, stopped=None):
    """Each exercise's status, message and points from what the grader decided (``judged``: number -> judge's
    result) and from what happened in its exercise cell.

    ``cells`` maps an exercise number to ``{"cell": n, "error": (ename, evalue) or None, "timed_out": bool}``;
    ``stopped`` says why the run ended early (``"the kernel died in cell 12 ..."``), if it did."""
    cells = cells or {}
    results = {}
    for exercise in exercises:
        number = exercise["number"]
        decided = judged.get(number) or {}
        status, message = decided.get("status"), decided.get("message", "")
        seen = cells.get(number, {})
        if status != "passed" and seen.get("timed_out"):
            status, message = "timed out", f"cell {seen['cell']} (the exercise cell) ran past the per-cell timeout."
        elif status != "passed" and seen.get("error"):
            ename, evalue = seen["error"]
            if ename == "NotImplementedError":
                status, message = "not attempted", "the exercise cell still raises NotImplementedError."
            else:
                status, message = "error", f"{ename} in cell {seen['cell']} (the exercise cell): {evalue[:200]}"
        if status is None:
            status, message = ("not graded", f"not checked: {stopped}.") if stopped else \
                ("not graded", "not checked: the notebook stopped before this exercise.")
        if status == "missing" and not seen:
            message = f"no cell starting '# Exercise {number}:' and {message[0].lower()}{message[1:]}"
        results[number] = {"status": status, "message": message,
                           "points": exercise["points"] if status == "passed" else 0,
                           "out_of": exercise["points"], "cell": seen.get("cell"), "hidden": decided.get("hidden")}
    return results


# --------------------------------------------------------------------------- running one submission (the worker)

def _kernel_environment(student_dir):
    """The kernel's whole environment, made from scratch: nothing of the instructor's (no tokens, no paths)."""
    home = Path(student_dir) / "home"
    tmp = Path(student_dir) / "tmp"
    for folder in (home, tmp):
        folder.mkdir(parents=True, exist_ok=True)
    return {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home),
            "TMPDIR": str(tmp), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "LAB_OFFLINE": "1",
            "LAB_DATA_SOURCE": "embedded", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1",
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(home / ".matplotlib"), "KERAS_HOME": str(home / ".keras"),
            "PYTHONDONTWRITEBYTECODE": "1", "JUPYTER_PLATFORM_DIRS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def _hideable(folders, keep):
    """Of ``folders``, those that can be hidden from the kernel: none that holds Python, the kit or ``keep``."""
    needed = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(__file__).resolve().parent,
              *(Path(k).resolve() for k in keep)]
    result = []
    for folder in folders:
        folder = Path(folder).resolve()
        if folder.is_dir() and folder != Path("/") and not any(n == folder or folder in n.parents for n in needed):
            result.append(str(folder))
    return sorted(set(result))


# The kit's builders that an exercise of each lab asks the student to write: in that lab's grading kernel they
# raise instead of building (a renamed or wrapped lab_utils.models.mlp() earns nothing; the checks also refuse a call
# to them), lab_utils.checks is replaced by a module without any check (the grader checks, not the kernel), and what
# the checks expect (expected.json) is left out, so that no function can look up the expected values.
ABSENT_WHILE_GRADING = {"01_linear_model": ["softmax_regression"], "02_mlp": ["mlp"], "03_lenet": ["lenet"],
                        "05_modern_cnns": ["vgg_block", "inception_block", "residual_block"]}
CHECKS_WHILE_GRADING = '''"""lab_utils.checks while a notebook is graded: the grader runs the checks in its own
process."""


def __getattr__(name):
    if name.startswith("check_"):
        return lambda *args, **kwargs: print(f"{name}: checked by the grader, not in this kernel.")
    raise AttributeError(f"lab_utils.checks has no {name} while grading")
'''


def package_without_answers(lab_name, folder):
    """A copy of the lab_utils package in ``folder`` whose ``checks`` holds no check, without the checks' expected
    values, and whose builders named in ``ABSENT_WHILE_GRADING[lab_name]`` raise; the kernel sees it in place of the
    real one. Returns the copy's path.

    Example:
        >>> package_without_answers("02_mlp", "/tmp/x")   # /tmp/x/lab_utils, where models.mlp() raises
        PosixPath('/tmp/x/lab_utils')
    """
    import ast
    import shutil

    source = Path(__file__).resolve().parent
    copy = Path(folder) / "lab_utils"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__", "expected.json"))
    (copy / "checks.py").write_text(CHECKS_WHILE_GRADING, encoding="utf-8")
    absent = set(ABSENT_WHILE_GRADING.get(lab_name, []))
    if absent:
        text = (copy / "models.py").read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        for node in sorted((n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name in absent),
                           key=lambda n: -n.lineno):
            start, end = node.body[0].lineno - 1, node.end_lineno
            lines[start:end] = [f"    raise RuntimeError('lab_utils.models.{node.name}() is not available while "
                                "this lab is graded: the exercise is to build it yourself.')\n"]
        (copy / "models.py").write_text("".join(lines), encoding="utf-8")
    return copy


def _kernel_manager(spec, private, student):
    """A kernel manager whose kernel starts inside ``lab_utils.sandbox``, talking over Unix sockets (no network)."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    argv = [sys.executable, "-m", "lab_utils.sandbox", "--memory", str(spec["memory"]), "--cpu",
            str(spec["cpu_time"]), "--file-size", str(spec["file_size"]), "--processes", str(spec["processes"]),
            "--cgroup", spec["cgroup"], "--report", str(private / "sandbox.txt"), "--writable", str(student)]
    for folder in _hideable(spec["hide"], [student, private]):
        argv += ["--hide", folder]
    argv += ["--overlay", f"{package_without_answers(spec['lab'], private)}:{Path(__file__).resolve().parent}"]
    argv += ["--", sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernels = private / "kernels" / "lab-grade"
    kernels.mkdir(parents=True, exist_ok=True)
    (kernels / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "graded", "language": "python"}))
    specs = KernelSpecManager(kernel_dirs=[str(kernels.parent)])
    return AsyncKernelManager(kernel_name="lab-grade", kernel_spec_manager=specs, transport="ipc",
                              ip=str(student / ".kernel"), connection_file=str(private / "kernel.json"))


def _execute(nb, origin, after, spec, private, student, report):
    """Run every code cell (errors allowed), judging each exercise after its cell; ``report(number, judged)`` is
    called as each is decided. Returns ``(per-cell info by submitted index, judged, stopped reason, flags)``."""
    import subprocess

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    from lab_utils import sandbox

    km = _kernel_manager(spec, private, student)
    client = NotebookClient(nb, km=km, timeout=spec["cell_timeout"], interrupt_on_timeout=True, allow_errors=True,
                            resources={"metadata": {"path": str(student)}})
    hidden = hidden_checks(spec.get("hidden"))
    info, judged, stopped, flags = {}, {}, None, []

    def execute(cell, index):
        """Run one cell; True when it ran past the cell timeout (and was interrupted)."""
        return _execute_cell(client, km, cell, index, spec["cell_timeout"], spec["cgroup"])

    def run(code):  # one call of the student's function: a cell of the grader's, not kept in the notebook
        nb.cells.append(nbformat.v4.new_code_cell(code))
        try:
            execute(nb.cells[-1], len(nb.cells) - 1)
        except DeadKernelError:
            raise KernelDied() from None
        finally:
            nb.cells.pop()

    def decide(numbers, cell=None):  # the verdicts also go under the exercise cell of the executed copy
        for number in numbers:
            exercise = next(e for e in spec["exercises"] if e["number"] == number)
            judged[number] = judge(exercise, run, student, hidden.get(number))
            report(number, judged[number])
            if cell is not None:
                verdict = judged[number]
                text = f"[grader] Exercise {number} ({exercise['function']}): {verdict['status']}" + (
                    f": {verdict['message']}" if verdict["status"] != "passed" else "") + "\n"
                cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=text))

    log = open(private / "kernel.log", "wb")
    launcher = None
    try:
        with client.setup_kernel(env=_kernel_environment(student), stdin=subprocess.DEVNULL, stdout=log, stderr=log):
            launcher = getattr(km.provisioner, "pid", None)
            where = ""
            try:
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type != "code":
                        continue
                    where = f"cell {origin[index] + 1}" if origin[index] is not None else "the grader's settings"
                    past = False
                    try:
                        past = execute(cell, index)
                    except DeadKernelError:
                        raise
                    except Exception as e:  # nbclient's own trouble with one cell: note it and go on
                        cell.outputs.append(nbformat.v4.new_output("error", ename=type(e).__name__,
                                                                   evalue=str(e)[:200], traceback=[]))
                    if origin[index] is not None:
                        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
                        timed_out = past and any(o.get("ename") == "KeyboardInterrupt" for o in errors)
                        info[origin[index]] = {"cell": origin[index] + 1, "timed_out": timed_out,
                                               "error": (errors[0]["ename"], errors[0]["evalue"]) if errors else None}
                    where = f"the check of Exercise {', '.join(after.get(index, []))}"
                    decide(after.get(index, []), cell)
                where = "the checks at the end"
                decide([e["number"] for e in spec["exercises"] if e["number"] not in judged])
                left = max(0, sandbox.processes_in(spec["cgroup"]) - 4)  # but the box's three and the kernel
                if left:
                    flags.append(f"left {left} process(es) running after its last cell (killed)")
            except (DeadKernelError, KernelDied):
                seen = sandbox.cgroup_events(spec["cgroup"])
                why = (f"it used more than the memory limit ({spec['memory'] / 2**30:.3g} GB)" if seen["memory_hit"]
                       else "os._exit, a crash or out of memory")
                stopped = f"the kernel died in {where} ({why})"
    finally:
        log.close()
        _end(launcher)
        seen = sandbox.cgroup_events(spec["cgroup"])
        if seen["memory_hit"]:
            flags.append(f"hit the memory limit ({spec['memory'] / 2**30:.3g} GB)")
        if seen["processes_hit"]:
            flags.append(f"hit the process limit ({spec['processes']})")
        sandbox.remove_cgroups(spec["cgroup"])
    return info, judged, stopped, flags


# A cell that uses no CPU (it waits, or sleeps) is still stopped after this many times the cell timeout in wall time.
WALL_FACTOR = 4


def _execute_cell(client, km, cell, index, timeout, cgroup):
    """Execute ``cell`` and interrupt it once it has used ``timeout`` CPU seconds (the kernel's processes together,
    counted by the box's cgroup), so that the verdict does not depend on how loaded the grading machine is: an honest
    cell waiting for a core uses none. ``WALL_FACTOR`` times ``timeout`` in wall time stops a cell that computes
    nothing. Where no cgroup counts CPU time (not root), the timeout is in wall time. True when the cell ran past it."""
    import signal
    import threading

    from lab_utils import sandbox

    start_cpu, start = sandbox.cpu_seconds(cgroup), time.monotonic()
    client.timeout = timeout if start_cpu is None else WALL_FACTOR * timeout
    done, fired = threading.Event(), threading.Event()

    def watch():
        while not done.wait(0.2):
            used = sandbox.cpu_seconds(cgroup)
            if used is not None and used - start_cpu >= timeout:
                fired.set()
                try:  # what jupyter_client's interrupt does: SIGINT to the kernel's process group
                    os.killpg(km.provisioner.pgid, signal.SIGINT)
                except (AttributeError, OSError, TypeError):
                    pass
                return

    watcher = threading.Thread(target=watch, daemon=True) if start_cpu is not None else None
    if watcher:
        watcher.start()
    try:
        client.execute_cell(cell, index)
    finally:
        done.set()
        if watcher:
            watcher.join()
    return fired.is_set() or time.monotonic() - start >= client.timeout


def _end(pid, wait=10):
    """Make sure the kernel's launcher (and so its namespace, every process in it) is gone: SIGTERM, which the
    launcher answers by killing the namespace's PID 1 (nbclient leaves a kernel it was handed running), then SIGKILL
    if it is still there after ``wait`` seconds."""
    import signal

    if not pid:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


MAX_OUTPUT_CHARS = 20_000  # per output, in the executed copy


def _trimmed(nb):
    """The executed notebook with each output cut to a readable size (a student may print megabytes)."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and len(output.get("text", "")) > MAX_OUTPUT_CHARS:
                output["text"] = output["text"][:MAX_OUTPUT_CHARS] + "\n[... cut by the grader]\n"
            for key, value in list(output.get("data", {}).items()):
                if len(str(value)) > 4 * MAX_OUTPUT_CHARS:
                    output["data"][key] = "[cut by the grader]" if key.startswith("text") else ""
    return nb


def grade_one(spec, report=lambda number, judged: None):
    """Grade one submission as ``spec`` (a dict) says; returns the result dict. Runs in the worker process that
    ``grade`` starts for each submission: the kernel it starts runs the student's code, this process none."""
    import shutil
    import tempfile

    import nbformat

    exercises = spec["exercises"]
    result = {"student": spec["student"], "file": spec["file"], "note": spec.get("note", ""), "flags": []}
    try:
        nb = read_submission(spec["path"])
        check_lab(nb, exercises, spec["solutions"], spec["lab"])
    except BadSubmission as e:
        result["note"] = " ".join(filter(None, [f"{spec['file']}: {e}", result["note"]]))
        result["exercises"] = {e["number"]: {"status": "not graded", "message": str(result["note"]), "points": 0,
                                             "out_of": e["points"], "cell": None} for e in exercises}
        return result
    result["flags"] = tampering(nb, kit_cells(spec["lab"], spec["solutions"]))
    found = {}
    for index, cell in enumerate(nb.cells):
        match = EXERCISE_HEADER.match(_source(cell)) if cell.cell_type == "code" else None
        if match:
            found[match.group(1)] = index
    nb, origin, after = prepare(nb, exercises, spec["lab"])
    private = Path(spec.get("private") or tempfile.mkdtemp(prefix="lab-grade-"))
    student = private / "student"
    student.mkdir(parents=True)
    try:
        info, judged, stopped, flags = _execute(nb, origin, after, spec, private, student, report)
        limits = (private / "sandbox.txt").read_text().strip() if (private / "sandbox.txt").exists() else ""
    finally:
        shutil.rmtree(private, ignore_errors=True)
    cells = {number: info.get(index, {"cell": index + 1}) for number, index in found.items()}
    result["exercises"] = outcome(exercises, judged, cells, stopped)
    result["flags"] += [f for d in judged.values() for f in d.get("flags", []) if f not in result["flags"]] + flags
    notes = [result["note"], f"{spec['file']}: {stopped}." if stopped else "",
             f"The box lacked: {limits}." if limits else ""]
    result["note"] = " ".join(filter(None, notes))
    nb.cells = [c for c, o in zip(nb.cells, origin) if o is not None]
    write_atomic(spec["executed"], nbformat.writes(_trimmed(nb)))
    return result


def _worker():
    """``python -m lab_utils.grade --worker``: the spec on stdin; a line per decided exercise and the result on
    stdout, a pipe that the kernel (started with its output to a log file) does not hold."""
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else printed here (TensorFlow, the checks) goes to the log
    spec = json.loads(sys.stdin.read())

    def report(number, judged):
        out.write(RESULT_PREFIX + json.dumps({"exercise": number, "judged": judged}) + "\n")

    result = grade_one(spec, report)
    out.write(RESULT_PREFIX + json.dumps({"result": result}) + "\n")
    out.close()


# --------------------------------------------------------------------------- the batch

def collect(paths, lab_name):
    """The submissions named on the command line, as ``(student, path or None, note)``; folders are searched
    for ``.ipynb`` files; a second submission under the same name becomes ``name (2)``.

    Example:
        >>> collect(["submissions/"], "01_linear_model")   # [('alice', Path('submissions/alice.ipynb'), ''), ...]
    """
    found = []
    for given in map(Path, paths):
        if given.is_dir():
            files = sorted(p for p in given.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            if not files:
                found.append((given.name or str(given), None, f"{given}: an empty folder (no .ipynb in it)."))
            for file in files:
                name = file.stem
                if lab_name in name and file.parent != given:  # submissions/alice/01_linear_model.ipynb
                    name = file.parent.name
                found.append((name, file, ""))
        elif given.exists():
            found.append((given.stem, given, ""))
        else:
            found.append((given.stem, None, f"{given}: no such file."))
    seen, result = Counter(), []
    for name, path, note in found:
        seen[name] += 1
        if seen[name] > 1:
            note = (note + " " if note else "") + f"another submission is also named {name!r}: this one is " \
                                                  f"'{name} ({seen[name]})'."
            name = f"{name} ({seen[name]})"
        result.append((name, path, note))
    return result


def file_names(students):
    """One file name per student for feedback/ and executed/: safe characters only, and distinct even where two
    names differ only in spaces, punctuation or case (``alice smith``, ``Alice_Smith`` -> ``alice_smith``,
    ``Alice_Smith (2)``).

    Example:
        >>> file_names(["alice smith", "alice_smith"])
        ['alice_smith', 'alice_smith (2)']
    """
    taken, names = set(), []
    for student in students:
        base = re.sub(r"[^\w.()-]+", "_", student).strip("._") or "student"
        name, n = base, 1
        while name.casefold() in taken:
            n += 1
            name = f"{base} ({n})"
        taken.add(name.casefold())
        names.append(name)
    return names


def _not_graded(student, exercises, note, file=""):
    return {"student": student, "file": file, "note": note, "flags": [], "exercises": {
        e["number"]: {"status": "not graded", "message": note, "points": 0, "out_of": e["points"], "cell": None}
        for e in exercises}}


def _run_worker(spec, total_timeout, log_path):
    """One worker process for one submission; its results come over a pipe, line by line, so that what was decided
    before a total timeout or a crash still counts. The worker's process group is killed at the end, whatever
    happens; its kernel dies with it (``lab_utils.sandbox`` ties it to the worker)."""
    import signal
    import subprocess
    import threading

    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-I", "-m", "lab_utils.grade", "--worker"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=log, start_new_session=True,
                                cwd=Path(log_path).parent)
        decided, final = {}, []

        def read():
            for line in proc.stdout:
                text = line.decode("utf-8", "replace")
                if not text.startswith(RESULT_PREFIX):
                    continue
                try:
                    message = json.loads(text[len(RESULT_PREFIX):])
                except json.JSONDecodeError:
                    continue
                if isinstance(message, dict) and "exercise" in message:
                    decided[str(message["exercise"])] = message.get("judged") or {}
                elif isinstance(message, dict) and isinstance(message.get("result"), dict):
                    final.append(message["result"])

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            proc.stdin.write(json.dumps(spec).encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        reader.join(total_timeout)
        timed_out = reader.is_alive()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        reader.join(5)
    if final:
        return final[0]
    if timed_out:
        why = f"not checked: the notebook ran past the total timeout ({total_timeout:g} s) before this exercise."
        note = f"{spec['file']}: stopped after the total timeout of {total_timeout:g} s (an endless loop?)."
    else:
        tail = Path(log_path).read_text(errors="replace").strip().splitlines()[-1:]
        why = "not checked: the grader's process stopped before this exercise."
        note = f"{spec['file']}: the grader's process stopped ({' '.join(tail)[:200]})."
    exercises = outcome(spec["exercises"], decided)
    for number, result in exercises.items():
        if number not in decided:
            result["status"], result["message"] = ("timed out" if timed_out else "not graded"), why
    flags = sorted({f for d in decided.values() for f in d.get("flags", [])})
    return {"student": spec["student"], "file": spec["file"], "note": note, "flags": flags, "exercises": exercises}


def grade(lab, submissions, out, jobs=None, hidden=None, cell_timeout=120, total_timeout=900,
          solutions_dir=SOLUTIONS_DIR, quiet=False, memory="4G", cpu_time=None, file_size="256M", processes=512,
          roster=None, overrides=None, formats=()):
    """Grade ``submissions`` (files or folders) of ``lab`` into the folder ``out``; returns one result per student
    (with ``roster``, one per rostered student first, then the unmatched submissions).

    Example:
        >>> results = grade("01", ["submissions/"], "grades/", jobs=2)
        >>> results[0]["exercises"]["1"]["status"]
        'passed'
    """
    import shutil
    import tempfile
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    from lab_utils import gradebook, sandbox
    from lab_utils.sandbox import parse_size

    solution = find_solution(lab, solutions_dir)
    exercises = lab_exercises(solution)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    hidden = str(Path(hidden).resolve()) if hidden else None
    roster_rows = gradebook.read_roster(roster) if roster else None
    override_rows = gradebook.read_overrides(overrides) if overrides else []
    todo = collect(submissions, solution.stem)
    logs = Path(tempfile.mkdtemp(prefix="lab-grade-logs-"))
    # Each kernel's own folder; every other one is hidden from it (their connection files, their exchanges).
    kernels = Path(tempfile.mkdtemp(prefix="lab-grade-kernels-"))
    privates = [Path(tempfile.mkdtemp(prefix="private-", dir=kernels)) for _ in todo]
    hide = [out, logs, Path(solutions_dir), Path(__file__).resolve().parents[1] / ".git",
            *([Path(hidden).parent] if hidden else []), *{Path(p).parent for _, p, _ in todo if p is not None}]
    limits = {"memory": parse_size(memory), "file_size": parse_size(file_size), "processes": int(processes),
              "cpu_time": int(cpu_time or max(60, 2 * total_timeout))}

    def one(numbered):
        index, (student, path, note) = numbered
        if path is None:
            return _not_graded(student, exercises, note)
        spec = {"student": student, "file": str(path), "path": str(Path(path).resolve()), "note": note,
                "lab": solution.stem, "exercises": exercises, "solutions": str(Path(solutions_dir).resolve()),
                "hidden": hidden, "cell_timeout": cell_timeout, "cgroup": f"lab-grade-{uuid.uuid4().hex}",
                "executed": str((logs / f"{uuid.uuid4().hex}.ipynb").resolve()), "private": str(privates[index]),
                "hide": [str(h) for h in hide] + [str(p) for i, p in enumerate(privates) if i != index], **limits}
        start = time.monotonic()
        try:
            result = _run_worker(spec, total_timeout, logs / f"{uuid.uuid4().hex}.log")
            sandbox.remove_cgroups(spec["cgroup"])  # if the worker was killed before it could
        except Exception as e:  # the grader's own trouble with one submission: a row that says so
            result = _not_graded(student, exercises, f"{path}: the grader failed on it ({type(e).__name__}: {e}).",
                                 str(path))
        result["seconds"] = round(time.monotonic() - start, 1)
        result["executed_copy"] = spec["executed"]
        if not quiet:
            earned = sum(r["points"] for r in result["exercises"].values())
            print(f"{student}: {earned:g}/{sum(e['points'] for e in exercises):g} ({result['seconds']:.0f} s)"
                  + (f"  {result['note']}" if result["note"] else "")
                  + (f"  [tampering suspected: {'; '.join(result['flags'])}]" if result.get("flags") else ""),
                  flush=True)
        return result

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1)) as pool:
            results = list(pool.map(one, enumerate(todo)))
        names = file_names([r["student"] for r in results])
        for result, name in zip(results, names):
            copy = Path(result.pop("executed_copy", "") or "/nonexistent")
            if copy.is_file():  # from the logs' folder, maybe on another file system than --out
                write_atomic(out / "executed" / f"{name}.ipynb", copy.read_bytes())
                copy.unlink()
        if roster_rows is not None:
            results, _ = gradebook.apply_roster(results, exercises, roster_rows)
        if override_rows:
            results = gradebook.apply_overrides(results, exercises, override_rows)
        write_reports(results, exercises, out, file_names([r["student"] for r in results]), solution.stem,
                      hidden is not None)
        for kind in formats:
            writer = {"canvas": gradebook.write_canvas, "moodle": gradebook.write_moodle}[kind]
            writer(results, exercises, out / f"{kind}.csv", f"Lab {solution.stem}", roster=roster_rows)
    finally:
        shutil.rmtree(logs, ignore_errors=True)
        shutil.rmtree(kernels, ignore_errors=True)
    return results


# --------------------------------------------------------------------------- reports

def write_reports(results, exercises, out, names, lab_name, hidden=False):
    """grades.csv, details.csv, summary.md and one feedback file per student, each written atomically."""
    out = Path(out)
    total = sum(e["points"] for e in exercises)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "file", *[e["column"] for e in exercises], "total", "out_of",
                     *([f"hidden_{e['column']}" for e in exercises] if hidden else []), "flags", "note"])
    for r in results:
        ex = r["exercises"]
        hidden_cells = [(ex[e["number"]].get("hidden") or {}).get("status", "") for e in exercises] if hidden else []
        writer.writerow([r["student"], r["file"], *[f"{ex[e['number']]['points']:g}" for e in exercises],
                         f"{sum(x['points'] for x in ex.values()):g}", f"{total:g}", *hidden_cells,
                         _flag_text(r), r["note"]])
    write_atomic(out / "grades.csv", buffer.getvalue())

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "exercise", "status", "points", "out_of", "message", "hidden_status", "hidden_message",
                     "flags"])
    for r in results:
        for e in exercises:
            x = r["exercises"][e["number"]]
            h = x.get("hidden") or {}
            writer.writerow([r["student"], e["column"], x["status"], f"{x['points']:g}", f"{x['out_of']:g}",
                             x["message"], h.get("status", ""), h.get("message", ""), _flag_text(r)])
    write_atomic(out / "details.csv", buffer.getvalue())
    write_atomic(out / "summary.md", summary(results, exercises, lab_name))
    pass_rate_chart(results, exercises, lab_name, out / "summary.png")
    for r, name in zip(results, names):
        write_atomic(out / "feedback" / f"{name}.md", feedback(r, exercises, lab_name))


def _flag_text(result):
    flags = result.get("flags") or []
    return f"tampering suspected: {'; '.join(flags)}" if flags else ""


def summary(results, exercises, lab_name):
    """The class summary (Markdown): pass rate per exercise as a bar, and each exercise's most frequent failure."""
    n = len(results)
    lines = [f"# {lab_name}: class summary", "", f"{n} submissions. Mean score "
             f"{sum(sum(x['points'] for x in r['exercises'].values()) for r in results) / max(n, 1):.2f} of "
             f"{sum(e['points'] for e in exercises):g} points.", "",
             "| exercise | points | passed | pass rate | | not attempted | most frequent failure |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    rates = []
    for e in exercises:
        got = [r["exercises"][e["number"]] for r in results]
        passed = sum(x["status"] == "passed" for x in got)
        rate = passed / n if n else 0
        rates.append((rate, e["column"]))
        failures = Counter(x["message"] for x in got if x["status"] == "failed") or Counter(
            f"{x['status']}: {x['message']}" for x in got if x["status"] in ("error", "timed out", "missing"))
        common = failures.most_common(1)
        common = f"{common[0][0][:160]} ({common[0][1]}x)".replace("|", "\\|") if common else ""
        lines.append(f"| {e['column']} | {e['points']:g} | {passed}/{n} | {rate:.0%} | "
                     f"`{'█' * round(rate * 20)}{'░' * (20 - round(rate * 20))}` | "
                     f"{sum(x['status'] == 'not attempted' for x in got)} | {common} |")
    if rates:
        lines += ["", f"The class struggled most with **{min(rates)[1]}** ({min(rates)[0]:.0%} passed).", "",
                  "![Pass rate per exercise](summary.png)"]
    problems = [f"- {r['student']}: {r['note']}" for r in results if r["note"]]
    if problems:
        lines += ["", "## Submissions with problems", "", *problems]
    flagged = [f"- {r['student']}: {_flag_text(r)}" for r in results if r.get("flags")]
    if flagged:
        lines += ["", "## Tampering suspected", "", "These notebooks' code tried to change how they are graded. "
                  "Their grades count only what their functions do for the checks; talk to the students.", "",
                  *flagged]
    return "\n".join(lines) + "\n"


def pass_rate_chart(results, exercises, lab_name, path):
    """A bar chart of the pass rate per exercise (the exercise the class struggled with stands out), as a PNG.

    Example:
        >>> pass_rate_chart(results, lab_exercises("solutions/01_linear_model.ipynb"), "01", Path("summary.png"))
    """
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    n = max(len(results), 1)
    rates = [sum(r["exercises"][e["number"]]["status"] == "passed" for r in results) / n for e in exercises]
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(exercises), 3.2))
    bars = ax.bar([e["column"] for e in exercises], [100 * r for r in rates],
                  color=["C3" if r == min(rates) else "C0" for r in rates])
    ax.bar_label(bars, labels=[f"{r:.0%}" for r in rates], fontsize=8)
    ax.set(ylim=(0, 110), ylabel="passed (% of submissions)", title=f"{lab_name}: {len(results)} submissions")
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    fig.tight_layout()
    with replacing(path) as tmp:
        fig.savefig(tmp, dpi=100)
    plt.close(fig)


ICONS = {"passed": "✅", "failed": "❌", "not attempted": "⬜", "error": "💥", "timed out": "⏱", "missing": "❓",
         "not graded": "⚠"}


def feedback(result, exercises, lab_name):
    """One student's feedback (Markdown): each exercise's status, points and the check's message."""
    from lab_utils import gradebook

    earned = sum(x["points"] for x in result["exercises"].values())
    lines = [f"# {lab_name}: feedback for {result['student']}", "",
             f"Score: **{earned:g} / {sum(e['points'] for e in exercises):g}** points.", ""]
    if result["note"]:
        lines += [f"Note: {result['note']}", ""]
    for e in exercises:
        x = result["exercises"][e["number"]]
        lines.append(f"- {ICONS.get(x['status'], '')} **Exercise {e['number']} ({e['function']})**: {x['status']}, "
                     f"{x['points']:g}/{x['out_of']:g}" + (f". {x['message']}" if x["status"] != "passed" else ""))
        lines += gradebook.feedback_lines(x)
        if x.get("hidden"):
            lines.append(f"  - extra (hidden) check: {x['hidden']['status']}"
                         + (f". {x['hidden']['message']}" if x["hidden"]["status"] != "passed" else ""))
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker()
        return 0
    parser = argparse.ArgumentParser(prog="python -m lab_utils.grade", description=__doc__.splitlines()[0])
    parser.add_argument("lab", help="the lab: a number (1 or 01), a name (01_linear_model) or a solution notebook")
    parser.add_argument("submissions", nargs="+", help=".ipynb files or folders of them")
    parser.add_argument("--out", required=True, help="folder for grades.csv, summary.md, feedback/, executed/")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="submissions run in parallel (default: cores)")
    parser.add_argument("--hidden", help="the instructor's Python file of extra checks (HIDDEN = {number: fn})")
    parser.add_argument("--cell-timeout", type=float, default=120,
                        help="CPU seconds per cell, the kernel's threads together (default 120); a cell that computes "
                             f"nothing stops after {WALL_FACTOR} times that in wall time; without root, wall seconds")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per submission in all (default 900)")
    parser.add_argument("--memory", default="4G", help="memory per submission's kernel (default 4G)")
    parser.add_argument("--cpu-time", type=int, help="CPU seconds per kernel, all threads (default 2 x --timeout)")
    parser.add_argument("--file-size", default="256M", help="largest file a kernel may write (default 256M)")
    parser.add_argument("--processes", type=int, default=512, help="processes and threads per kernel (default 512)")
    parser.add_argument("--roster", help="roster.csv: a row for every student on it (see lab_utils.gradebook)")
    parser.add_argument("--overrides", help="overrides.csv: student, exercise, points, reason; applied every run")
    parser.add_argument("--format", action="append", choices=["canvas", "moodle"], default=[],
                        help="also write that gradebook's import file (canvas.csv, moodle.csv); repeat for both")
    parser.add_argument("--solutions", default=str(SOLUTIONS_DIR), help="the solution notebooks' folder")
    args = parser.parse_args(argv)
    if args.hidden and not Path(args.hidden).is_file():
        parser.error(f"--hidden {args.hidden}: no such file")
    start = time.monotonic()
    try:
        results = grade(args.lab, args.submissions, args.out, args.jobs, args.hidden, args.cell_timeout,
                        args.timeout, args.solutions, memory=args.memory, cpu_time=args.cpu_time,
                        file_size=args.file_size, processes=args.processes, roster=args.roster,
                        overrides=args.overrides, formats=args.format)
    except (LookupError, ValueError) as e:
        parser.error(str(e))
    print(f"graded {len(results)} submissions in {time.monotonic() - start:.0f} s: {Path(args.out) / 'grades.csv'}, "
          f"{Path(args.out) / 'summary.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
