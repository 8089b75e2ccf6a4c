"""python -m lab_utils.grade: a class's notebooks, good and bad, graded in one batch of real kernels.

The submissions are made here from the kit's own notebooks (Lab 1 mostly): the solution, the lab as generated,
one typical wrong answer per exercise, and one file for each kind of bad input the grader must survive.
One batch (jobs=2) grades them all; each test then reads one row of its result. The other labs' wrong answers
are in test_grade_labs.py.
"""

import concurrent.futures
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from lab_utils import grade

from notebooks import ROOT
from submissions import WRONG, index_of, load, quick, save, statuses, with_answer

LAB = "01_linear_model"
HIDDEN = ROOT / "tests" / "fixtures" / "hidden_checks_01.py"
# The cell timeout counts CPU seconds (as root, where the box's cgroup counts them): an honest cell waiting for a
# core on a loaded machine uses none, an endless loop uses them at whatever rate it gets.
CELL_TIMEOUT, TOTAL_TIMEOUT = 20, 150
# Wall seconds an honest cell of the endless notebook waits, computing nothing (without root, where the timeout is
# wall time, it does not wait).
WAIT = CELL_TIMEOUT + 5 if os.geteuid() == 0 else 0
# The stubborn notebook is graded on its own, beside the batch, with a short total timeout: its test holds whatever
# the timeout leaves decided, so its verdict does not depend on how loaded the machine is.
STUBBORN_TIMEOUT = 45


def code(text, **metadata):
    return {"cell_type": "code", "execution_count": None, "metadata": metadata, "outputs": [], "source": text}


def edited(solution):
    """Exercise 6's cells deleted, Exercise 5's cell moved to the end, Exercise 2 done twice (wrong, then right)."""
    nb = json.loads(json.dumps(solution))
    cells = nb["cells"]
    six = index_of(nb, "# Exercise 6:")
    del cells[six:six + 2]
    five = index_of(nb, "# Exercise 5:")
    cells.append(cells.pop(five))
    two = index_of(nb, "# Exercise 2:")
    right = json.loads(json.dumps(cells[two]))
    cells[two] = with_answer(nb, "2", WRONG["2"][0])["cells"][two]
    cells.insert(two + 2, right)  # after the first copy's check cell
    return nb


def as_colab(solution):
    """The notebook as Colab saves it: nbformat 4.0, Colab's metadata, cell ids in cell metadata, widget state."""
    nb = json.loads(json.dumps(solution))
    nb["nbformat_minor"] = 0
    nb["metadata"] = {"colab": {"provenance": [], "name": f"{LAB}.ipynb", "gpuType": "T4"}, "accelerator": "GPU",
                      "kernelspec": {"name": "python3", "display_name": "Python 3"},
                      "language_info": {"name": "python"},
                      "widgets": {"application/vnd.jupyter.widget-state+json": {
                          "0a1b": {"model_module": "@jupyter-widgets/controls", "model_name": "HBoxModel",
                                   "model_module_version": "1.5.0", "state": {"children": []}}}}}
    for i, cell in enumerate(nb["cells"]):
        cell.pop("id", None)
        cell["metadata"] = {**cell["metadata"], "id": f"cell{i:04x}", "colab": {"base_uri": "https://localhost:8080/"}}
        if cell["cell_type"] == "code":
            cell["metadata"]["outputId"] = f"out{i:04x}"
    return nb


def insert_after(notebook, start, text):
    nb = json.loads(json.dumps(notebook))
    nb["cells"].insert(index_of(nb, start) + 1, code(text))
    return nb


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Every submission below graded in one run; returns (results by student, output folder, submissions)."""
    tmp = tmp_path_factory.mktemp("grading")
    solutions = tmp / "solutions"
    shutil.copytree(ROOT / "solutions", solutions, ignore=shutil.ignore_patterns("*.keras", "logs"))
    pointed = load(solutions / f"{LAB}.ipynb")  # Exercise 3 is worth 2 points, in the solution's cell metadata
    pointed["cells"][index_of(pointed, "# Exercise 3:")]["metadata"]["points"] = 2
    save(pointed, solutions / f"{LAB}.ipynb")

    solution = quick(load(ROOT / "solutions" / f"{LAB}.ipynb"), LAB)
    s = tmp / "submissions"
    save(solution, s / "solution.ipynb")
    save(quick(load(ROOT / "labs" / f"{LAB}.ipynb"), LAB), s / "lab.ipynb")
    wrong = solution  # every exercise answered by its typical wrong answer (test_checks.py shows each on its own)
    for number, (body, _) in WRONG.items():
        wrong = with_answer(wrong, number, body)
    save(wrong, s / "wrong.ipynb")
    save(edited(solution), s / "edited.ipynb")
    renamed = with_answer(solution, "1", "return 1 / (1 + tf.exp(-z))")
    cell = renamed["cells"][index_of(renamed, "# Exercise 1:")]
    cell["source"] = cell["source"].replace("def sigmoid(z):", "def my_sigmoid(z):")
    save(renamed, s / "renamed.ipynb")
    endless = with_answer(solution, "6", "while True:\n        pass")
    cell = endless["cells"][index_of(endless, "# Exercise 1:")]  # as a cell waiting for a busy machine's core
    waits = f"import time\ntime.sleep({WAIT})\n\n\ndef sigmoid(z):"
    cell["source"] = "".join(cell["source"]).replace("def sigmoid(z):", waits)
    save(endless, s / "endless.ipynb")
    save(with_answer(solution, "4", "return tf.reduce_mean(logits[labels]"), s / "syntax.ipynb")
    save(insert_after(solution, "checks.check_binary_cross_entropy", "import time\nwhile True:\n    try:\n"
                      "        time.sleep(0.5)\n    except KeyboardInterrupt:\n        pass"),
         tmp / "alone" / "stubborn.ipynb")
    save(with_answer(solution, "4", "import os\n    os._exit(1)"), s / "exits.ipynb")
    save(insert_after(solution, "checks.check_binary_cross_entropy",
                      "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)  # what the out-of-memory killer does"),
         s / "oom.ipynb")
    save(as_colab(solution), s / "colab.ipynb")
    save("this is not JSON {", s / "notjson.ipynb")
    save('{"hello": "world"}', s / "notnotebook.ipynb")
    save(load(ROOT / "solutions" / "00_setup.ipynb"), s / "otherlab.ipynb")
    (tmp / "empty").mkdir()
    save("not JSON either", tmp / "twins" / "a" / "alice.ipynb")
    save('{"hello": "world"}', tmp / "twins" / "b" / "alice.ipynb")

    files = sorted(p for p in tmp.rglob("*.ipynb") if solutions not in p.parents)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    out = tmp / "grades"
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # it mostly sleeps: it can run beside the batch
        alone = pool.submit(grade.grade, LAB, [str(tmp / "alone")], tmp / "alone-grades", jobs=1,
                            cell_timeout=CELL_TIMEOUT, total_timeout=STUBBORN_TIMEOUT, solutions_dir=solutions,
                            quiet=True)
        results = grade.grade(LAB, [str(s), str(tmp / "empty"), str(tmp / "twins")], out, jobs=2, hidden=HIDDEN,
                              cell_timeout=CELL_TIMEOUT, total_timeout=TOTAL_TIMEOUT, solutions_dir=solutions,
                              quiet=True)
        results += alone.result()
    return {r["student"]: r for r in results}, out, before


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------- the kit's own notebooks

def test_the_solution_scores_full_marks(batch):
    result = batch[0]["solution"]
    assert set(statuses(result).values()) == {"passed"}
    assert sum(x["points"] for x in result["exercises"].values()) == 7  # six exercises, Exercise 3 worth 2


def test_points_come_from_the_solutions_cell_metadata(batch):
    row = next(r for r in rows(batch[1] / "grades.csv") if r["student"] == "solution")
    assert (row["ex3_gradient_step"], row["ex1_sigmoid"], row["total"], row["out_of"]) == ("2", "1", "7", "7")


def test_the_lab_as_generated_scores_zero_with_every_exercise_not_attempted(batch):
    result = batch[0]["lab"]
    assert set(statuses(result).values()) == {"not attempted"}
    assert sum(x["points"] for x in result["exercises"].values()) == 0


@pytest.mark.parametrize("number", sorted(WRONG))
def test_a_typical_wrong_answer_fails_its_exercise_with_the_checks_message(batch, number):
    result = batch[0]["wrong"]
    assert statuses(result)[number] == "failed"
    assert WRONG[number][1] in result["exercises"][number]["message"]



# --------------------------------------------------------------------------- bad input: a clear row, the batch goes on

def test_a_file_that_is_not_json_gets_a_row_saying_so(batch):
    result = batch[0]["notjson"]
    assert "not a notebook: the file is not JSON" in result["note"] and "notjson.ipynb" in result["note"]
    assert set(statuses(result).values()) == {"not graded"}


def test_json_that_is_not_a_notebook_gets_a_row_saying_so(batch):
    assert "not a notebook: JSON without notebook cells" in batch[0]["notnotebook"]["note"]


def test_a_notebook_of_another_lab_is_named_as_such(batch):
    note = batch[0]["otherlab"]["note"]
    assert "a notebook of another lab, 00_setup" in note and "wrong file" in note


def test_a_deleted_exercise_cell_is_reported_missing(batch):
    six = batch[0]["edited"]["exercises"]["6"]
    assert six["status"] == "missing"
    assert "no cell starting '# Exercise 6:'" in six["message"] and "`feature_map`" in six["message"]


def test_a_reordered_exercise_cell_is_still_graded(batch):
    assert batch[0]["edited"]["exercises"]["5"]["status"] == "passed"  # its cell moved below the cells that use it


def test_with_a_duplicated_exercise_cell_the_last_copy_counts(batch):
    assert batch[0]["edited"]["exercises"]["2"]["status"] == "passed"  # the first copy is the wrong answer


def test_a_renamed_exercise_function_is_reported_missing_by_its_name(batch):
    one = batch[0]["renamed"]["exercises"]["1"]
    assert one["status"] == "missing" and "no function named `sigmoid`" in one["message"]


def test_an_exception_in_an_exercise_cell_is_an_error_with_its_type_and_cell(batch):
    four = batch[0]["syntax"]["exercises"]["4"]
    assert four["status"] == "error"
    assert re.match(r"SyntaxError in cell \d+ \(the exercise cell\)", four["message"]), four["message"]
    assert statuses(batch[0]["syntax"])["6"] == "passed"


def test_an_endless_loop_times_out_its_exercise_and_the_others_are_still_graded(batch):
    assert statuses(batch[0]["endless"]) == {**{n: "passed" for n in "12345"}, "6": "timed out"}


@pytest.mark.skipif(not WAIT, reason="without root no cgroup counts CPU time: the cell timeout is wall time")
def test_a_cell_that_waits_longer_than_the_cell_timeout_without_computing_is_not_timed_out(batch):
    assert statuses(batch[0]["endless"])["1"] == "passed"  # it slept WAIT s, more than CELL_TIMEOUT
    assert batch[0]["endless"]["seconds"] > WAIT


def test_a_loop_that_ignores_interrupts_is_stopped_by_the_total_timeout(batch):
    result = batch[0]["stubborn"]
    got = list(statuses(result).values())
    decided = got[:got.index("timed out")]  # what finished before the timeout (Exercises 1 and 2 on an idle machine)
    assert set(decided) <= {"passed"} and len(decided) <= 2 and set(got[len(decided):]) == {"timed out"}
    assert "total timeout" in result["note"] and result["seconds"] < STUBBORN_TIMEOUT + 30


def test_a_kernel_that_exits_is_reported_and_earlier_exercises_keep_their_points(batch):
    result = batch[0]["exits"]
    assert statuses(result) == {"1": "passed", "2": "passed", "3": "passed", **{n: "not graded" for n in "456"}}
    assert "the kernel died in the check of Exercise 4" in result["note"]


def test_a_kernel_killed_as_by_the_out_of_memory_killer_is_reported(batch):
    result = batch[0]["oom"]
    assert statuses(result) == {"1": "passed", "2": "passed", **{n: "not graded" for n in "3456"}}
    assert re.search(r"the kernel died in cell \d+ \(os._exit, a crash or out of memory\)", result["note"])


def test_a_notebook_saved_by_colab_is_graded_like_any_other(batch):
    assert set(statuses(batch[0]["colab"]).values()) == {"passed"}


def test_an_empty_folder_gets_a_row_saying_so(batch):
    assert "an empty folder" in batch[0]["empty"]["note"]


def test_two_submissions_with_the_same_name_get_distinct_rows(batch):
    assert "not JSON" in batch[0]["alice"]["note"]
    assert "JSON without notebook cells" in batch[0]["alice (2)"]["note"]
    assert "also named 'alice'" in batch[0]["alice (2)"]["note"]


# --------------------------------------------------------------------------- hidden checks

def test_hidden_checks_are_reported_in_their_own_columns(batch):
    row = next(r for r in rows(batch[1] / "grades.csv") if r["student"] == "solution")
    assert (row["hidden_ex1_sigmoid"], row["hidden_ex2_binary_cross_entropy"], row["hidden_ex3_gradient_step"]) \
        == ("passed", "failed", "")
    assert row["ex2_binary_cross_entropy"] == "1"  # the public check still counts
    detail = next(r for r in rows(batch[1] / "details.csv")
                  if r["student"] == "solution" and r["exercise"] == "ex2_binary_cross_entropy")
    assert "not finite when p is exactly 0 or 1" in detail["hidden_message"]


def test_the_hidden_checks_file_is_never_copied_into_the_output(batch):
    secret = "cross_entropy_of_certain_predictions"
    assert not [p for p in batch[1].rglob("*") if p.is_file() and secret in p.read_text(errors="replace")]


def test_no_hidden_checks_table_ships_in_labs_or_in_the_package():
    shipped = list((ROOT / "labs").glob("*.ipynb")) + list((ROOT / "lab_utils").rglob("*.py"))
    assert not [p for p in shipped if re.search(r"^HIDDEN\s*=", p.read_text(encoding="utf-8"), re.MULTILINE)]


# --------------------------------------------------------------------------- outputs

def test_submissions_are_never_modified(batch):
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in batch[2]} == batch[2]


def test_grades_csv_has_one_row_per_submission_and_one_column_per_exercise(batch):
    table = rows(batch[1] / "grades.csv")
    assert sorted(r["student"] for r in table) == sorted(set(batch[0]) - {"stubborn"})  # graded on its own
    assert [c for c in table[0] if c.startswith("ex")] == ["ex1_sigmoid", "ex2_binary_cross_entropy",
                                                          "ex3_gradient_step", "ex4_softmax_cross_entropy",
                                                          "ex5_build_softmax_regression", "ex6_feature_map"]


def test_each_graded_notebook_gets_an_executed_copy_and_each_student_a_feedback_file(batch):
    out = batch[1]
    graded_together = [student for student in batch[0] if student != "stubborn"]  # stubborn is graded on its own
    assert {p.stem for p in (out / "feedback").glob("*.md")} == set(grade.file_names(graded_together))
    executed = load(out / "executed" / "solution.ipynb")
    assert any("passed" in json.dumps(c.get("outputs", [])) for c in executed["cells"])
    text = (out / "feedback" / "wrong.md").read_text(encoding="utf-8")
    assert "Exercise 1 (sigmoid)**: failed, 0/1" in text and WRONG["1"][1] in text


def test_the_summary_shows_each_exercises_pass_rate_as_a_bar_and_its_most_frequent_failure(batch):
    text = (batch[1] / "summary.md").read_text(encoding="utf-8")
    line = next(row for row in text.splitlines() if row.startswith("| ex1_sigmoid "))
    assert "█" in line and "Compare your code with the sigmoid's definition" in line
    assert "The class struggled most with" in text and "![Pass rate per exercise](summary.png)" in text
    assert (batch[1] / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- no kernel needed

def test_every_exercise_of_every_solution_names_a_check_that_exists():
    from lab_utils import checks

    for solution in sorted((ROOT / "solutions").glob("*.ipynb")):
        exercises = grade.lab_exercises(solution)
        assert exercises, solution
        assert all(hasattr(checks, e["check"]) for e in exercises)


def test_without_a_parameters_tag_the_fast_settings_follow_the_cell_that_assigns_them():
    import nbformat

    nb = nbformat.read(ROOT / "solutions" / f"{LAB}.ipynb", as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("tags", None)
    prepared, origin, after = grade.prepare(nb, grade.lab_exercises(ROOT / "solutions" / f"{LAB}.ipynb"), LAB)
    index = next(i for i, c in enumerate(prepared.cells) if c.metadata.get("grader", {}).get("phase") == "parameters")
    assert "EPOCHS = 1" in prepared.cells[index].source
    assert prepared.cells[index - 1].source.startswith("SEED = 42")  # the solution's parameters cell


def test_a_lab_is_found_by_number_or_by_name():
    assert grade.find_solution("1").name == grade.find_solution("01_linear_model").name == f"{LAB}.ipynb"


def test_the_command_line_grades_a_bad_file_and_says_where_the_grades_are(tmp_path):
    bad = save("{", tmp_path / "bob.ipynb")
    done = subprocess.run([sys.executable, "-m", "lab_utils.grade", "01", str(bad), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "graded 1 submissions" in done.stdout
    assert rows(tmp_path / "out" / "grades.csv")[0]["total"] == "0"


def test_names_that_differ_only_in_spaces_or_case_get_distinct_files():
    assert grade.file_names(["alice smith", "alice_smith", "Alice_Smith"]) == [
        "alice_smith", "alice_smith (2)", "Alice_Smith (3)"]


def test_a_missing_lab_is_an_error_that_names_the_labs_there_are():
    with pytest.raises(LookupError, match="there are: 00_setup, 01_linear_model"):
        grade.find_solution("09")


def test_the_graders_copy_of_the_package_holds_neither_the_checks_nor_their_expected_values_nor_the_labs_builder(
        tmp_path):
    copy = grade.package_without_answers("02_mlp", tmp_path)
    checks_text = (copy / "checks.py").read_text()
    assert "def check_" not in checks_text and "INPUTS" not in checks_text
    assert (copy / "expected.py").is_file() and not (copy / "expected.json").exists()
    scope = {}
    exec((copy / "models.py").read_text(), scope)
    with pytest.raises(RuntimeError, match="not available while this lab is graded"):
        scope["mlp"]()
    assert scope["lenet"]().count_params() == 61_706  # a builder another lab asks for stays


def test_the_kits_own_notebooks_are_never_flagged():
    import nbformat

    for solution in sorted((ROOT / "solutions").glob("*.ipynb")):
        for nb in (solution, ROOT / "labs" / solution.name):
            assert grade.tampering(nbformat.read(nb, as_version=4), grade.kit_cells(solution.stem)) == []


def test_a_student_cell_that_replaces_a_check_is_flagged():
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("from lab_utils import checks\n"
                                                                    "checks.check_sigmoid = print")])
    assert grade.tampering(nb) == ["replaced lab_utils.checks"]


def test_roster_overrides_and_gradebook_files_from_the_command_line(tmp_path):
    save("{", tmp_path / "s" / "bob.ipynb")
    save("{", tmp_path / "s" / "Eve Stranger.ipynb")
    (tmp_path / "roster.csv").write_text("student,name,email,id\n"
                                         "bob,Bob B,bob@x.org,11\nalice,Alice A,alice@x.org,12\n")
    (tmp_path / "overrides.csv").write_text("student,exercise,points,reason\nbob,1,1,asked in class\n")
    done = subprocess.run([sys.executable, "-m", "lab_utils.grade", "01", str(tmp_path / "s"), "--out",
                           str(tmp_path / "out"), "--roster", str(tmp_path / "roster.csv"), "--overrides",
                           str(tmp_path / "overrides.csv"), "--format", "canvas", "--format", "moodle"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    table = {r["student"]: r for r in rows(tmp_path / "out" / "grades.csv")}
    assert list(table) == ["bob", "alice", "Eve Stranger"]
    assert (table["bob"]["ex1_sigmoid"], table["alice"]["total"]) == ("1", "0")
    assert "no submission" in table["alice"]["note"] and "matches no one" in table["Eve Stranger"]["note"]
    assert "asked in class" in (tmp_path / "out" / "feedback" / "bob.md").read_text()
    canvas = (tmp_path / "out" / "canvas.csv").read_text().splitlines()
    assert canvas[0].startswith("Student,ID,SIS User ID,SIS Login ID,Section,") and canvas[1].startswith(
        "Points Possible")
    assert (tmp_path / "out" / "moodle.csv").read_text().splitlines()[0].startswith("email,")


def test_a_bad_roster_stops_before_grading_with_a_message_that_names_it(tmp_path):
    save("{", tmp_path / "bob.ipynb")
    (tmp_path / "roster.csv").write_text("name\nBob\n")
    done = subprocess.run([sys.executable, "-m", "lab_utils.grade", "01", str(tmp_path / "bob.ipynb"), "--out",
                           str(tmp_path / "out"), "--roster", str(tmp_path / "roster.csv")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "roster.csv" in done.stderr and "student" in done.stderr
    assert "Traceback" not in done.stderr
