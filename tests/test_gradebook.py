"""lab_utils.gradebook: the roster, the instructor's overrides and the Canvas and Moodle import files."""

import csv
import doctest

import pytest

from lab_utils import files, gradebook
from lab_utils.gradebook import (
    apply_overrides,
    apply_roster,
    feedback_lines,
    read_overrides,
    read_roster,
    write_canvas,
    write_moodle,
)

EXERCISES = [{"number": "1", "function": "sigmoid", "check": "check_sigmoid", "points": 1, "column": "ex1_sigmoid"},
             {"number": "2", "function": "loss", "check": "check_loss", "points": 2, "column": "ex2_loss"}]


def result(student, points=(1, 0), file=None):
    statuses = ["passed" if p == e["points"] else "failed" for p, e in zip(points, EXERCISES)]
    return {"student": student, "file": file or f"submissions/{student}.ipynb", "note": "",
            "exercises": {e["number"]: {"status": s, "message": "", "points": p, "out_of": e["points"], "cell": 5}
                          for e, s, p in zip(EXERCISES, statuses, points)}}


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def read_back(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture
def roster(tmp_path):
    return read_roster(write(tmp_path / "roster.csv",
                             "student,name,email,id,sis_id,login,section\n"
                             "alice,Alice Martin,alice@example.org,101,S1,amartin,A\n"
                             "alice_smith,Alice Smith,asmith@example.org,102,S2,asmith,A\n"
                             "bob,Bob Li,bob@example.org,,,blogin,B\n"))


# --------------------------------------------------------------------------- read_roster

def test_a_roster_gives_every_optional_column_empty_where_the_file_has_none(tmp_path):
    [entry] = read_roster(write(tmp_path / "roster.csv", "Student,Email\nalice,alice@example.org\n"))
    assert entry == {"student": "alice", "name": "", "email": "alice@example.org", "id": "", "sis_id": "",
                     "login": "", "section": ""}


def test_a_roster_saved_by_excel_with_a_byte_order_mark_and_blank_lines_reads(tmp_path):
    roster = read_roster(write(tmp_path / "roster.csv", "\ufeffstudent\nalice\n,\n\nbob\n"))
    assert [s["student"] for s in roster] == ["alice", "bob"]


@pytest.mark.parametrize("content, expected", [
    (None, r"roster\.csv: cannot read the roster .*check the path"),
    ("", r"roster\.csv: the file is empty"),
    ("name,email\nAlice,a@x\n", r"roster\.csv, line 1: no student column \(found: name, email\)"),
    ("student\nalice\nbob\nAlice\n", r"roster\.csv, line 4: student 'Alice' is already on the roster \(line 2\)"),
    ("student,name\nalice,A\n,B\n", r"roster\.csv, line 3: the student column is empty"),
    ("student\n", r"roster\.csv: a header but no students"),
], ids=["missing file", "empty file", "no student column", "duplicate student", "empty student", "no students"])
def test_a_bad_roster_raises_a_value_error_naming_the_file_and_line(tmp_path, content, expected):
    path = tmp_path / "roster.csv"
    if content is not None:
        write(path, content)
    with pytest.raises(ValueError, match=expected):
        read_roster(path)


def test_a_roster_that_is_not_utf8_is_refused_with_its_line_and_what_to_do(tmp_path):
    path = write(tmp_path / "roster.csv", "student,name\nalice,Alice\nzoe,Zoé\n", encoding="latin-1")
    with pytest.raises(ValueError, match=r"roster\.csv, line 3: not UTF-8 text; save the roster as CSV UTF-8"):
        read_roster(path)


# --------------------------------------------------------------------------- apply_roster

def test_the_roster_orders_the_results_and_matches_names_exactly_first(roster):
    rows, unmatched = apply_roster([result("bob"), result("alice_smith"), result("alice")], EXERCISES, roster)
    assert [(r["student"], r["file"]) for r in rows] == [
        ("alice", "submissions/alice.ipynb"), ("alice_smith", "submissions/alice_smith.ipynb"),
        ("bob", "submissions/bob.ipynb")]
    assert unmatched == []


def test_a_name_differing_in_case_spaces_or_hyphens_matches_and_takes_the_roster_name(roster):
    rows, unmatched = apply_roster([result("Alice Smith"), result("BOB")], EXERCISES, roster)
    assert [(r["student"], r["file"], r["note"]) for r in rows[1:]] == [
        ("alice_smith", "submissions/Alice Smith.ipynb", "submitted as 'Alice Smith'"),
        ("bob", "submissions/BOB.ipynb", "submitted as 'BOB'")]
    assert unmatched == []


def test_two_submissions_never_go_onto_one_roster_entry_the_exact_name_wins(roster):
    rows, unmatched = apply_roster([result("Alice-Smith", (0, 0)), result("alice_smith", (1, 2))], EXERCISES, roster)
    assert rows[1]["file"] == "submissions/alice_smith.ipynb"
    assert unmatched == ["Alice-Smith"]
    assert rows[-1]["student"] == "Alice-Smith"
    assert rows[-1]["note"].startswith("matches no one on the roster (alice_smith has ")


def test_a_rostered_student_without_a_submission_gets_zero_and_no_submission(roster):
    rows, _ = apply_roster([result("alice")], EXERCISES, roster)
    bob = rows[2]
    assert (bob["student"], bob["file"], bob["note"]) == ("bob", "", "no submission")
    assert bob["exercises"] == {
        "1": {"status": "not graded", "message": "no submission", "points": 0, "out_of": 1, "cell": None},
        "2": {"status": "not graded", "message": "no submission", "points": 0, "out_of": 2, "cell": None}}


def test_a_submission_matching_no_one_comes_last_flagged_in_its_note(roster):
    stranger = result("mallory")
    stranger["note"] = "submissions/mallory.ipynb: stopped after the total timeout."
    rows, unmatched = apply_roster([stranger, result("alice")], EXERCISES, roster)
    assert unmatched == ["mallory"]
    assert [r["student"] for r in rows] == ["alice", "alice_smith", "bob", "mallory"]
    assert rows[-1]["note"] == ("submissions/mallory.ipynb: stopped after the total timeout. "
                                "matches no one on the roster")


def test_applying_the_roster_twice_changes_nothing_and_leaves_the_input_alone(roster):
    results = [result("Alice Smith"), result("mallory")]
    once, _ = apply_roster(results, EXERCISES, roster)
    assert apply_roster(once, EXERCISES, roster)[0] == once
    assert results == [result("Alice Smith"), result("mallory")]


# --------------------------------------------------------------------------- overrides

def test_an_override_sets_the_points_keeps_the_status_and_records_what_it_replaced(tmp_path):
    overrides = read_overrides(write(tmp_path / "overrides.csv",
                                     "student,exercise,points,reason\nalice,ex2_loss,1,late-day extension\n"))
    [alice] = apply_overrides([result("alice", (1, 0))], EXERCISES, overrides)
    assert alice["exercises"]["2"]["status"] == "failed"
    assert alice["exercises"]["2"]["points"] == 1
    assert alice["exercises"]["2"]["override"] == {"points": 1, "reason": "late-day extension", "was": 0}
    assert "override" not in alice["exercises"]["1"]


def test_an_override_may_name_the_exercise_by_its_number(tmp_path):
    overrides = read_overrides(write(tmp_path / "overrides.csv", "student,exercise,points,reason\nalice,1,0,copied\n"))
    [alice] = apply_overrides([result("alice", (1, 0))], EXERCISES, overrides)
    assert alice["exercises"]["1"]["points"] == 0
    assert alice["exercises"]["1"]["override"] == {"points": 0, "reason": "copied", "was": 1}


def test_applying_overrides_twice_gives_the_same_result(tmp_path):
    overrides = read_overrides(write(tmp_path / "overrides.csv", "student,exercise,points,reason\nalice,2,1.5,ok\n"))
    once = apply_overrides([result("alice", (1, 0))], EXERCISES, overrides)
    assert apply_overrides(once, EXERCISES, overrides) == once
    assert once[0]["exercises"]["2"]["override"]["was"] == 0


@pytest.mark.parametrize("line, expected", [
    ("alice,2,many,typo", r"overrides\.csv, line 3: points 'many' is not a number"),
    ("alice,2,-1,typo", r"overrides\.csv, line 3: points -1 is out of range"),
])
def test_an_override_with_bad_points_is_refused_when_read_naming_file_and_line(tmp_path, line, expected):
    path = write(tmp_path / "overrides.csv", f"student,exercise,points,reason\nalice,1,1,fine\n{line}\n")
    with pytest.raises(ValueError, match=expected):
        read_overrides(path)


@pytest.mark.parametrize("line, expected", [
    ("alcie,2,1,typo", r"overrides\.csv, line 3: no student 'alcie' in the results"),
    ("alice,7,1,typo", r"overrides\.csv, line 3: no exercise '7' in this lab"),
    ("alice,ex2_los,1,typo", r"overrides\.csv, line 3: no exercise 'ex2_los' in this lab"),
    ("alice,2,3,typo", r"overrides\.csv, line 3: 3 points for exercise 2, which is out of 2"),
    ("alice,ex1_sigmoid,0,twice", r"overrides\.csv, line 3: exercise ex1_sigmoid of alice is already overridden "
                                  r"\(.*overrides\.csv, line 2\)"),
], ids=["unknown student", "unknown number", "unknown column", "above out_of", "twice"])
def test_an_override_that_matches_nothing_is_never_dropped_silently(tmp_path, line, expected):
    path = write(tmp_path / "overrides.csv", f"student,exercise,points,reason\nalice,1,1,fine\n{line}\n")
    with pytest.raises(ValueError, match=expected):
        apply_overrides([result("alice")], EXERCISES, read_overrides(path))


def test_an_overrides_file_without_the_reason_column_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"overrides\.csv, line 1: no reason column"):
        read_overrides(write(tmp_path / "overrides.csv", "student,exercise,points\nalice,1,1\n"))


def test_the_feedback_shows_an_override_and_its_reason():
    x = {"status": "failed", "points": 1, "out_of": 2, "override": {"points": 1, "reason": "late-day extension",
                                                                    "was": 0}}
    assert feedback_lines(x) == ["  - points set by the instructor to 1 (was 0): late-day extension"]
    assert feedback_lines({**x, "override": {"points": 2.5, "reason": "", "was": 0}}) == \
        ["  - points set by the instructor to 2.5 (was 0)"]


def test_the_feedback_of_an_exercise_without_override_has_no_extra_line():
    assert feedback_lines(result("alice")["exercises"]["1"]) == []


@pytest.mark.parametrize("name", ["apply_roster", "apply_overrides", "feedback_lines"])
def test_the_docstring_example_prints_what_it_shows(name):
    [test] = doctest.DocTestFinder().find(getattr(gradebook, name), name, globs=vars(gradebook).copy())
    runner = doctest.DocTestRunner()
    runner.run(test, out=lambda report: pytest.fail(report, pytrace=False))
    assert runner.summarize(verbose=False).attempted > 0


# --------------------------------------------------------------------------- Canvas and Moodle files

def test_the_canvas_file_has_the_import_header_points_possible_and_one_row_per_rostered_student(tmp_path, roster):
    results = [result("alice", (1, 2)), result("Alice Smith", (1, 0)), result("mallory")]
    write_canvas(results, EXERCISES, tmp_path / "canvas.csv", assignment="Lab 01", roster=roster)
    assert read_back(tmp_path / "canvas.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Lab 01"],
        ["Points Possible", "", "", "", "", "3"],
        ["Alice Martin", "101", "S1", "amartin", "A", "3"],
        ["Alice Smith", "102", "S2", "asmith", "A", "1"],
        ["Bob Li", "", "", "blogin", "B", "0"]]


def test_the_canvas_file_without_a_roster_names_each_student_and_leaves_the_ids_empty(tmp_path):
    write_canvas([result("alice", (1, 1.5))], EXERCISES, tmp_path / "canvas.csv", assignment="Lab 02: MLP")
    assert read_back(tmp_path / "canvas.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Lab 02: MLP"],
        ["Points Possible", "", "", "", "", "3"],
        ["alice", "", "", "", "", "2.5"]]


def test_the_canvas_file_carries_the_overridden_points(tmp_path, roster):
    overrides = [{"student": "alice", "exercise": "2", "points": 1, "reason": "", "file": "o.csv", "line": 2}]
    results = apply_overrides(apply_roster([result("alice", (1, 0))], EXERCISES, roster)[0], EXERCISES, overrides)
    write_canvas(results, EXERCISES, tmp_path / "canvas.csv", roster=roster)
    assert read_back(tmp_path / "canvas.csv")[2] == ["Alice Martin", "101", "S1", "amartin", "A", "2"]


def test_the_moodle_file_identifies_students_by_username_when_the_roster_has_logins(tmp_path, roster):
    results = [result("alice", (1, 2)), result("alice_smith", (0, 0)), result("mallory")]
    write_moodle(results, EXERCISES, tmp_path / "moodle.csv", item="Lab 01", roster=roster)
    assert read_back(tmp_path / "moodle.csv") == [
        ["username", "Lab 01"], ["amartin", "3"], ["asmith", "0"], ["blogin", "0"]]


def test_the_moodle_file_identifies_students_by_email_when_the_roster_has_no_logins(tmp_path):
    roster = read_roster(write(tmp_path / "roster.csv",
                               "student,email\nalice,alice@example.org\nbob,bob@example.org\n"))
    write_moodle([result("bob", (1, 1))], EXERCISES, tmp_path / "moodle.csv", item="Lab 01", roster=roster)
    assert read_back(tmp_path / "moodle.csv") == [
        ["email", "Lab 01"], ["alice@example.org", "0"], ["bob@example.org", "2"]]


def test_the_moodle_file_refuses_a_rostered_student_without_an_identifier(tmp_path):
    roster = read_roster(write(tmp_path / "roster.csv", "student,email\nalice,alice@example.org\nbob,\n"))
    with pytest.raises(ValueError, match=r"the roster has none for 'bob'"):
        write_moodle([result("alice")], EXERCISES, tmp_path / "moodle.csv", roster=roster)
    assert not (tmp_path / "moodle.csv").exists()


def test_writing_leaves_only_the_file_and_no_temporary_one(tmp_path, roster):
    write_canvas([result("alice")], EXERCISES, tmp_path / "out" / "canvas.csv", roster=roster)
    write_moodle([result("alice")], EXERCISES, tmp_path / "out" / "moodle.csv", roster=roster)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["canvas.csv", "moodle.csv"]


def test_a_write_that_fails_keeps_the_previous_file_and_removes_its_temporary_one(tmp_path, monkeypatch):
    path = write(tmp_path / "canvas.csv", "previous\n")

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_canvas([result("alice")], EXERCISES, path)
    assert path.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["canvas.csv"]
