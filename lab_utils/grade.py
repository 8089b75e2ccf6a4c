"""Grade a class's submitted notebooks: one command, no database, no extra test folder.

    python -m lab_utils.grade 01 submissions/ --out grades/ [--hidden hidden_01.py] [--jobs 2]

For each submitted ``.ipynb`` (files, or folders searched for them) the grader:

1. reads it (bad JSON, a non-notebook or a notebook of another lab gets a row saying so, and the batch goes on);
2. runs it in a fresh kernel in its own process and temporary folder, offline on the embedded sample
   (``LAB_OFFLINE=1 LAB_DATA_SOURCE=embedded``), with the lab's fast settings injected after its parameters cell,
   a per-cell timeout and a total one;
3. replaces the student's check cells with the grader's: right after the (last) cell that starts
   ``# Exercise N:``, the official check from ``lab_utils.checks`` runs on the student's function, then the
   instructor's hidden check, if any; an exercise whose cell is gone is checked at the end of the notebook;
4. reads each exercise's result from the record the check itself leaves (``LAB_GRADE_RECORD``, see
   ``lab_utils.checks``): passed, failed (with the check's message) or not attempted (the placeholder's
   NotImplementedError); the grader adds error (an exception in the exercise cell or the check), timed out,
   missing (no function of that name: cell deleted or function renamed) and not graded (the file could not be run);
5. writes to ``--out``: ``grades.csv`` (points per exercise, total), ``details.csv`` (every status and
   message), ``summary.md`` and ``summary.png`` (pass rate per exercise as bars, most frequent failure),
   ``feedback/<student>.md`` and ``executed/<student>.ipynb``. Submissions are never modified.

Points per exercise come from the solution notebook: ``"points": 2`` in the exercise cell's metadata (default 1).

Hidden checks: a Python file, kept by the instructor outside ``labs/`` and the package, that defines
``HIDDEN = {exercise_number: function}``; each function receives the student's function and fails by raising
(``lab_utils.checks.ExerciseFailed`` or ``AssertionError``, whose message is reported). Example::

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

SOLUTIONS_DIR = Path(__file__).resolve().parents[1] / "solutions"
EXERCISE_HEADER = re.compile(r"^#\s*Exercise\s+(\w+)\s*:")
CHECK_CALL = re.compile(r"^\s*checks\.(check_\w+)\((\w+)\)\s*$")  # a check cell: nothing but the call
STATUSES = ["passed", "failed", "not attempted", "error", "timed out", "missing", "not graded"]

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
    "05_modern_cnns": {"BN_DEPTH": 4, "DEPTH": 4, "COMPARE_EPOCHS": 1, "TRAP_STEPS": 2, "EPOCHS": 1},
}


class BadSubmission(Exception):
    """A submitted file that cannot be graded; its message says why and what to do."""


# --------------------------------------------------------------------------- the lab: exercises from the solution

def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def find_solution(lab, solutions_dir=SOLUTIONS_DIR):
    """The solution notebook for ``lab``: a number (``"1"``, ``"01"``), a name (``"01_linear_model"``) or a path.

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
        raise SystemExit(f"error: no single lab {lab!r} in {solutions_dir} (there are: {names}).")
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


# --------------------------------------------------------------------------- preparing one submission

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


def prepare(nb, exercises, lab_name, records, hidden=None):
    """The notebook to execute: fast parameters after the parameters cell, the student's check cells replaced by
    grading cells after each exercise cell. Returns ``(notebook, origin)``: ``origin[i]`` is the submitted cell
    index of executed cell ``i`` (None for the grader's cells)."""
    import nbformat

    cells, origin = [], []

    def add(cell, where):
        cells.append(cell)
        origin.append(where)

    def grading(exercise, phase):
        call = (f"__import__('lab_utils.grade').grade.run_check(globals(), {exercise['number']!r}, "
                f"{exercise['check']!r}, {exercise['function']!r}, {str(records)!r}, {phase!r}"
                + (f", {str(hidden)!r})" if phase == "hidden" else ")"))
        return nbformat.v4.new_code_cell(call, metadata={"grader": {"exercise": exercise["number"], "phase": phase}})

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
    hidden_numbers = _hidden_numbers(hidden) if hidden else set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and CHECK_CALL.match(_source(cell)):
            continue  # the student's check cell: the grader's runs instead
        add(cell, index)
        if fast and index == parameters:
            add(nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in fast.items()),
                                          metadata={"grader": {"phase": "parameters"}}), None)
        for exercise in exercises:
            if last_cell.get(exercise["number"]) == index:
                add(grading(exercise, "public"), None)
                if exercise["number"] in hidden_numbers:
                    add(grading(exercise, "hidden"), None)
    for exercise in exercises:  # exercise cells deleted or renamed: check whatever function of that name exists
        if exercise["number"] not in last_cell:
            add(grading(exercise, "public"), None)
            if exercise["number"] in hidden_numbers:
                add(grading(exercise, "hidden"), None)
    nb.cells = cells
    return nb, origin


def _hidden_numbers(hidden):
    import runpy

    table = runpy.run_path(str(hidden)).get("HIDDEN", {})
    return {str(number) for number in table}


# --------------------------------------------------------------------------- inside the student's kernel

def run_check(namespace, number, check, function, records, phase, hidden=None):
    """Run one exercise's official check (``phase="public"``) or the instructor's hidden one on the student's
    function, inside the student's kernel; the outcome goes to ``records/<phase>-<number>.jsonl``. Failures and
    passes are recorded by ``lab_utils.checks`` itself; this adds missing, error, timed out (and hidden passes).

    Example (a grading cell, as the grader writes it):
        >>> run_check(globals(), "1", "check_sigmoid", "sigmoid", "/tmp/records", "public")
    """
    from lab_utils import checks

    path = Path(records) / f"{phase}-{number}.jsonl"
    os.environ["LAB_GRADE_RECORD"] = str(path)
    label = f"Exercise {number} ({function})"
    try:
        if function not in namespace:
            checks._record(label, "missing", f"no function named `{function}`: was its cell deleted or the "
                                             "function renamed? Keep the name the lab gives.")
            return
        if phase == "public":
            getattr(checks, check)(namespace[function])
        else:
            import runpy

            runpy.run_path(str(hidden))["HIDDEN"].get(int(number) if number.isdigit() else number,
                                                      lambda fn: None)(namespace[function])
            checks._record(label, "passed", "hidden check passed.")
    except checks.ExerciseFailed:
        pass  # the check recorded it
    except KeyboardInterrupt:  # the per-cell timeout interrupts the kernel
        checks._record(label, "timed out", "the check did not finish in time (an endless loop?).")
    except AssertionError as e:
        checks._record(label, "failed", str(e) or "hidden check failed.")
    except Exception as e:
        checks._record(label, "error", f"the check stopped on {type(e).__name__}: {str(e)[:200]}")
    finally:
        os.environ.pop("LAB_GRADE_RECORD", None)


# --------------------------------------------------------------------------- one submission (in its own process)

def _last_record(path):
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            continue
    return None


def outcome(exercises, records, cells=None, stopped=None, hidden=False):
    """Each exercise's status, message and points from the records and from what happened in its exercise cell.

    ``cells`` maps an exercise number to ``{"cell": n, "error": (ename, evalue) or None, "timed_out": bool}``;
    ``stopped`` says why the run ended early (``"the kernel died in cell 12 ..."``), if it did."""
    cells = cells or {}
    results = {}
    for exercise in exercises:
        number = exercise["number"]
        record = _last_record(Path(records) / f"public-{number}.jsonl")
        status, message = (record["status"], record["message"]) if record else (None, "")
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
                ("error", "the check left no record.")
        if status == "missing" and not seen:
            message = f"no cell starting '# Exercise {number}:' and {message[0].lower()}{message[1:]}"
        result = {"status": status, "message": message, "points": exercise["points"] if status == "passed" else 0,
                  "out_of": exercise["points"], "cell": seen.get("cell")}
        if hidden:
            record = _last_record(Path(records) / f"hidden-{number}.jsonl")
            result["hidden"] = {"status": record["status"], "message": record["message"]} if record else None
        results[number] = result
    return results


def _execute(nb, origin, workdir, cell_timeout, pid_file):
    """Run every code cell (errors allowed); returns ``(per-cell info by submitted index, stopped reason)``."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    client = NotebookClient(nb, timeout=cell_timeout, interrupt_on_timeout=True, allow_errors=True,
                            kernel_name="python3", resources={"metadata": {"path": str(workdir)}})
    info, stopped = {}, None
    with client.setup_kernel():
        pid = getattr(client.km.provisioner, "pid", None) if client.km else None
        if pid:
            Path(pid_file).write_text(str(pid))
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            where = (f"cell {origin[index] + 1}" if origin[index] is not None else
                     f"the check of Exercise {cell.metadata.get('grader', {}).get('exercise', '?')}")
            start = time.monotonic()
            try:
                client.execute_cell(cell, index)
            except DeadKernelError:
                stopped = f"the kernel died in {where} (os._exit, a crash or out of memory)"
                break
            except Exception as e:  # nbclient's own trouble with one cell: note it and go on
                cell.outputs.append({"output_type": "error", "ename": type(e).__name__, "evalue": str(e)[:200],
                                     "traceback": []})
            if origin[index] is None:
                continue
            errors = [o for o in cell.outputs if o.get("output_type") == "error"]
            timed_out = time.monotonic() - start >= cell_timeout and any(
                o.get("ename") == "KeyboardInterrupt" for o in errors)
            info[origin[index]] = {"cell": origin[index] + 1, "timed_out": timed_out,
                                   "error": (errors[0]["ename"], errors[0]["evalue"]) if errors else None}
    return info, stopped


def grade_one(spec):
    """Grade one submission as ``spec`` (a dict) says; returns the result dict (also written to spec["result"]).
    Runs in the worker process that ``grade`` starts for each submission."""
    import nbformat

    exercises, records = spec["exercises"], Path(spec["workdir"]) / "records"
    records.mkdir(parents=True, exist_ok=True)
    result = {"student": spec["student"], "file": spec["file"], "note": spec.get("note", "")}
    try:
        nb = read_submission(spec.get("path", spec["file"]))
        check_lab(nb, exercises, spec["solutions"], spec["lab"])
    except BadSubmission as e:
        result["note"] = " ".join(filter(None, [f"{spec['file']}: {e}", result["note"]]))
        result["exercises"] = {e["number"]: {"status": "not graded", "message": str(result["note"]), "points": 0,
                                             "out_of": e["points"], "cell": None} for e in exercises}
        return result
    found = {}
    for index, cell in enumerate(nb.cells):
        match = EXERCISE_HEADER.match(_source(cell)) if cell.cell_type == "code" else None
        if match:
            found[match.group(1)] = index
    nb, origin = prepare(nb, exercises, spec["lab"], records, spec.get("hidden"))
    info, stopped = _execute(nb, origin, spec["workdir"], spec["cell_timeout"], Path(spec["workdir"]) / "kernel.pid")
    cells = {number: info.get(index, {"cell": index + 1}) for number, index in found.items()}
    result["exercises"] = outcome(exercises, records, cells, stopped, bool(spec.get("hidden")))
    if stopped:
        result["note"] = " ".join(filter(None, [result["note"], f"{spec['file']}: {stopped}."]))
    _write_atomic(spec["executed"], nbformat.writes(nb))
    return result


def _worker(spec_path):
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    result = grade_one(spec)
    _write_atomic(spec["result"], json.dumps(result))


# --------------------------------------------------------------------------- the batch

def _write_atomic(path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


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


def _safe(name):
    return re.sub(r"[^\w.()-]+", "_", name).strip("._") or "student"


def _run_worker(spec, total_timeout):
    """Start a worker process for one submission, kill it (and its kernel) past ``total_timeout`` seconds."""
    import signal
    import subprocess

    spec_path = Path(spec["workdir"]) / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    env = {**os.environ, "LAB_OFFLINE": "1", "LAB_DATA_SOURCE": "embedded", "PYTHONUNBUFFERED": "1"}
    env.pop("LAB_GRADE_RECORD", None)
    log = open(Path(spec["workdir"]) / "worker.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "lab_utils.grade", "--worker", str(spec_path)], cwd=spec["workdir"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        proc.wait(timeout=total_timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    if timed_out or proc.returncode != 0:  # kill the worker's process group, then the kernel (its own session)
        kernel_pid = Path(spec["workdir"]) / "kernel.pid"
        for group in [proc.pid, int(kernel_pid.read_text()) if kernel_pid.exists() else None]:
            try:
                os.killpg(group, signal.SIGKILL) if group else None
            except (ProcessLookupError, PermissionError):
                pass
    proc.wait()
    log.close()
    try:
        return json.loads(Path(spec["result"]).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        pass
    records = Path(spec["workdir"]) / "records"
    if timed_out:
        why = f"not checked: the notebook ran past the total timeout ({total_timeout:g} s) before this exercise."
        note = f"{spec['file']}: stopped after the total timeout of {total_timeout:g} s (an endless loop?)."
    else:
        tail = (Path(spec["workdir"]) / "worker.log").read_text(errors="replace").strip().splitlines()[-1:]
        why = "not checked: the grader's process stopped before this exercise."
        note = f"{spec['file']}: the grader's process stopped ({' '.join(tail)[:200]})."
    exercises = outcome(spec["exercises"], records, hidden=bool(spec.get("hidden")))
    for result in exercises.values():
        if result["message"] == "the check left no record.":
            result["status"], result["message"] = ("timed out" if timed_out else "not graded"), why
    return {"student": spec["student"], "file": spec["file"], "note": note, "exercises": exercises}


def grade(lab, submissions, out, jobs=None, hidden=None, cell_timeout=120, total_timeout=900,
          solutions_dir=SOLUTIONS_DIR, quiet=False):
    """Grade ``submissions`` (files or folders) of ``lab`` into the folder ``out``; returns one result per student.

    Example:
        >>> results = grade("01", ["submissions/"], "grades/", jobs=2)
        >>> results[0]["exercises"]["1"]["status"]
        'passed'
    """
    import shutil
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    solution = find_solution(lab, solutions_dir)
    exercises = lab_exercises(solution)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    hidden = str(Path(hidden).resolve()) if hidden else None
    todo = collect(submissions, solution.stem)
    names = [_safe(name) for name, _, _ in todo]

    def one(item):
        (student, path, note), safe = item
        if path is None:
            return {"student": student, "file": "", "note": note, "exercises": {
                e["number"]: {"status": "not graded", "message": note, "points": 0, "out_of": e["points"],
                              "cell": None} for e in exercises}}
        workdir = tempfile.mkdtemp(prefix="lab-grade-")
        spec = {"student": student, "file": str(path), "path": str(Path(path).resolve()), "note": note,
                "lab": solution.stem,
                "exercises": exercises, "solutions": str(Path(solutions_dir).resolve()), "workdir": workdir,
                "hidden": hidden, "cell_timeout": cell_timeout, "result": str(Path(workdir) / "result.json"),
                "executed": str((out / "executed" / f"{safe}.ipynb").resolve())}
        start = time.monotonic()
        try:
            result = _run_worker(spec, total_timeout)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        result["seconds"] = round(time.monotonic() - start, 1)
        if not quiet:
            earned = sum(r["points"] for r in result["exercises"].values())
            print(f"{student}: {earned:g}/{sum(e['points'] for e in exercises):g} ({result['seconds']:.0f} s)"
                  + (f"  {result['note']}" if result["note"] else ""), flush=True)
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1)) as pool:
        results = list(pool.map(one, zip(todo, names)))
    write_reports(results, exercises, out, names, solution.stem, hidden is not None)
    return results


# --------------------------------------------------------------------------- reports

def write_reports(results, exercises, out, names, lab_name, hidden=False):
    """grades.csv, details.csv, summary.md and one feedback file per student, each written atomically."""
    out = Path(out)
    total = sum(e["points"] for e in exercises)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "file", *[e["column"] for e in exercises], "total", "out_of",
                     *([f"hidden_{e['column']}" for e in exercises] if hidden else []), "note"])
    for r in results:
        ex = r["exercises"]
        hidden_cells = [(ex[e["number"]].get("hidden") or {}).get("status", "") for e in exercises] if hidden else []
        writer.writerow([r["student"], r["file"], *[f"{ex[e['number']]['points']:g}" for e in exercises],
                         f"{sum(x['points'] for x in ex.values()):g}", f"{total:g}", *hidden_cells, r["note"]])
    _write_atomic(out / "grades.csv", buffer.getvalue())

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "exercise", "status", "points", "out_of", "message", "hidden_status", "hidden_message"])
    for r in results:
        for e in exercises:
            x = r["exercises"][e["number"]]
            h = x.get("hidden") or {}
            writer.writerow([r["student"], e["column"], x["status"], f"{x['points']:g}", f"{x['out_of']:g}",
                             x["message"], h.get("status", ""), h.get("message", "")])
    _write_atomic(out / "details.csv", buffer.getvalue())
    _write_atomic(out / "summary.md", summary(results, exercises, lab_name))
    pass_rate_chart(results, exercises, lab_name, out / "summary.png")
    for r, name in zip(results, names):
        _write_atomic(out / "feedback" / f"{name}.md", feedback(r, exercises, lab_name))


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
    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)


ICONS = {"passed": "✅", "failed": "❌", "not attempted": "⬜", "error": "💥", "timed out": "⏱", "missing": "❓",
         "not graded": "⚠"}


def feedback(result, exercises, lab_name):
    """One student's feedback (Markdown): each exercise's status, points and the check's message."""
    earned = sum(x["points"] for x in result["exercises"].values())
    lines = [f"# {lab_name}: feedback for {result['student']}", "",
             f"Score: **{earned:g} / {sum(e['points'] for e in exercises):g}** points.", ""]
    if result["note"]:
        lines += [f"Note: {result['note']}", ""]
    for e in exercises:
        x = result["exercises"][e["number"]]
        lines.append(f"- {ICONS.get(x['status'], '')} **Exercise {e['number']} ({e['function']})**: {x['status']}, "
                     f"{x['points']:g}/{x['out_of']:g}" + (f". {x['message']}" if x["status"] != "passed" else ""))
        if x.get("hidden"):
            lines.append(f"  - extra (hidden) check: {x['hidden']['status']}"
                         + (f". {x['hidden']['message']}" if x["hidden"]["status"] != "passed" else ""))
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(argv[1])
        return 0
    parser = argparse.ArgumentParser(prog="python -m lab_utils.grade", description=__doc__.splitlines()[0])
    parser.add_argument("lab", help="the lab: a number (1 or 01), a name (01_linear_model) or a solution notebook")
    parser.add_argument("submissions", nargs="+", help=".ipynb files or folders of them")
    parser.add_argument("--out", required=True, help="folder for grades.csv, summary.md, feedback/, executed/")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="submissions run in parallel (default: cores)")
    parser.add_argument("--hidden", help="the instructor's Python file of extra checks (HIDDEN = {number: fn})")
    parser.add_argument("--cell-timeout", type=float, default=120, help="seconds per cell (default 120)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per submission in all (default 900)")
    parser.add_argument("--solutions", default=str(SOLUTIONS_DIR), help="the solution notebooks' folder")
    args = parser.parse_args(argv)
    if args.hidden and not Path(args.hidden).is_file():
        parser.error(f"--hidden {args.hidden}: no such file")
    start = time.monotonic()
    results = grade(args.lab, args.submissions, args.out, args.jobs, args.hidden, args.cell_timeout, args.timeout,
                    args.solutions)
    print(f"graded {len(results)} submissions in {time.monotonic() - start:.0f} s: {Path(args.out) / 'grades.csv'}, "
          f"{Path(args.out) / 'summary.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
