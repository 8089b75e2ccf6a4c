"""From the grader's results to what an instructor imports into a gradebook: the class roster, the instructor's
point overrides and the import files of Canvas and Moodle. Standard library only.

    from lab_utils import gradebook
    roster = gradebook.read_roster("roster.csv")
    results, unmatched = gradebook.apply_roster(results, exercises, roster)
    results = gradebook.apply_overrides(results, exercises, gradebook.read_overrides("overrides.csv"))
    gradebook.write_canvas(results, exercises, "grades/canvas.csv", assignment="Lab 01", roster=roster)
    gradebook.write_moodle(results, exercises, "grades/moodle.csv", item="Lab 01", roster=roster)

``results`` and ``exercises`` are what ``lab_utils.grade`` makes: one dict per submission (``student``, ``file``,
``note``, ``exercises``: number -> ``status``, ``message``, ``points``, ``out_of``, ``cell``) and one dict per exercise
(``number``, ``function``, ``check``, ``points``, ``column``). Nothing here changes its arguments: each function
returns new results.
"""

from __future__ import annotations

import copy
import csv
import io
import re
from pathlib import Path

from lab_utils.files import write_atomic

ROSTER_COLUMNS = ["student", "name", "email", "id", "sis_id", "login", "section"]
OVERRIDE_COLUMNS = ["student", "exercise", "points", "reason"]
NO_MATCH = "matches no one on the roster"


# --------------------------------------------------------------------------- reading the instructor's CSV files

def _read_csv(path, required, what):
    """The rows of a UTF-8 CSV file with a header, as ``(line, row)``; column names stripped and lower-cased."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ValueError(f"{path}: cannot read the {what} ({e.strerror}); check the path.") from None
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte-order mark
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise ValueError(f"{path}, line {line}: not UTF-8 text; save the {what} as CSV UTF-8 "
                         "(Excel: File > Save As > CSV UTF-8).") from None
    if not text.strip():
        raise ValueError(f"{path}: the file is empty; the {what} needs a header line ({', '.join(required)}) "
                         "and one line per row.")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in required if c not in header]
    if missing:
        raise ValueError(f"{path}, line 1: no {', '.join(missing)} column (found: {', '.join(header)}); the {what} "
                         f"needs a header line with {', '.join(required)}.")
    rows = []
    for cells in reader:
        if any(c.strip() for c in cells):  # blank lines, and Excel's ",,," lines, are skipped
            rows.append((reader.line_num, {h: c.strip() for h, c in zip(header, cells)}))
    return rows


def _key(name):
    """A name as the roster matching compares it: case, spaces, underscores and hyphens do not count."""
    return re.sub(r"[\s_-]+", "_", name.strip().lower())


def read_roster(path):
    """The class roster: one dict per student with ``student`` (the name of the student's submitted file or folder,
    e.g. ``alice`` for ``alice.ipynb``) and ``name``, ``email``, ``id`` (the LMS's user id), ``sis_id``, ``login``,
    ``section`` ("" where the file has no such column). Raises ValueError, naming the file and the line, for a
    missing, empty or non-UTF-8 file, a missing ``student`` column or a student listed twice.

    Example, with roster.csv::

        student,name,email
        alice,Alice Martin,alice@example.org
        bob_li,Bob Li,bob@example.org

        >>> [s["email"] for s in read_roster("roster.csv")]
        ['alice@example.org', 'bob@example.org']
    """
    roster, seen = [], {}
    for line, row in _read_csv(path, ["student"], "roster"):
        if not row.get("student"):
            raise ValueError(f"{path}, line {line}: the student column is empty; fill it in or delete the line.")
        if _key(row["student"]) in seen:
            raise ValueError(f"{path}, line {line}: student {row['student']!r} is already on the roster (line "
                             f"{seen[_key(row['student'])]}); list each student once.")
        seen[_key(row["student"])] = line
        roster.append({c: "" for c in ROSTER_COLUMNS} | row)
    if not roster:
        raise ValueError(f"{path}: a header but no students; add one line per student.")
    return roster


def read_overrides(path):
    """The instructor's point overrides: one dict per line with ``student``, ``exercise`` (a number such as ``"3"``
    or a column name such as ``"ex3_gradient_step"``), ``points`` (a float), ``reason``, and ``file`` and ``line`` for
    the messages of apply_overrides. Raises ValueError naming the file and the line for points that are not a
    number or are negative.

    Example, with overrides.csv::

        student,exercise,points,reason
        alice,2,1,late-day extension

        >>> read_overrides("overrides.csv")[0]["points"]
        1.0
    """
    overrides = []
    for line, row in _read_csv(path, OVERRIDE_COLUMNS, "overrides file"):
        try:
            points = float(row["points"])
        except ValueError:
            raise ValueError(f"{path}, line {line}: points {row['points']!r} is not a number.") from None
        if not 0 <= points < float("inf"):
            raise ValueError(f"{path}, line {line}: points {row['points']} is out of range; give 0 or more.")
        overrides.append({"student": row["student"], "exercise": row["exercise"], "points": points,
                          "reason": row["reason"], "file": str(path), "line": line})
    return overrides


# --------------------------------------------------------------------------- applying them to the results

def _extend(note, text):
    return note if text in note else " ".join(filter(None, [note, text]))


def apply_roster(results, exercises, roster):
    """The results in roster order, one per student, then the submissions that match no one; and the names of
    those. A submission matches the roster entry of the same name, else the one whose name differs only in case,
    spaces, underscores or hyphens (``Alice Smith`` matches ``alice_smith``); it then takes the roster's name.
    A roster entry takes one submission: a second one stays unmatched. A student without a submission gets
    "not graded" and 0 points for every exercise, with the message and note "no submission". Applying it again to
    its own output changes nothing.

    Example:
        >>> exercises = [{"number": "1", "column": "ex1_sigmoid", "points": 1}]
        >>> roster = [{"student": "alice_smith"}, {"student": "bob"}]
        >>> results = [{"student": "Alice Smith", "file": "a.ipynb", "note": "", "exercises": {}}]
        >>> rows, unmatched = apply_roster(results, exercises, roster)
        >>> [(r["student"], r["note"]) for r in rows], unmatched
        ([('alice_smith', "submitted as 'Alice Smith'"), ('bob', 'no submission')], [])
    """
    taken = {}  # roster index -> submission index
    by_name = {s["student"]: i for i, s in enumerate(roster)}
    by_key = {_key(s["student"]): i for i, s in enumerate(roster)}
    for exact in (True, False):
        for j, r in enumerate(results):
            if j in taken.values():
                continue
            i = by_name.get(r["student"]) if exact else by_key.get(_key(r["student"]))
            if i is not None and i not in taken:
                taken[i] = j
    rows = []
    for i, s in enumerate(roster):
        if i in taken:
            r = copy.deepcopy(results[taken[i]])
            if r["student"] != s["student"]:
                r["note"] = _extend(r["note"], f"submitted as {r['student']!r}")
                r["student"] = s["student"]
        else:
            r = {"student": s["student"], "file": "", "note": "no submission", "exercises": {
                e["number"]: {"status": "not graded", "message": "no submission", "points": 0, "out_of": e["points"],
                              "cell": None} for e in exercises}}
        rows.append(r)
    unmatched = []
    for j, r in enumerate(results):
        if j not in taken.values():
            r = copy.deepcopy(r)
            i = by_key.get(_key(r["student"]))
            why = NO_MATCH if i is None else f"{NO_MATCH} ({roster[i]['student']} has {results[taken[i]]['file']!r})"
            r["note"] = _extend(r["note"], why)
            rows.append(r)
            unmatched.append(r["student"])
    return rows, unmatched


def apply_overrides(results, exercises, overrides):
    """The results with the instructor's overrides applied: each sets one exercise's points and keeps the grader's
    status, recording ``{"override": {"points": p, "reason": r, "was": the grader's points}}`` in that exercise's
    result for the feedback (feedback_lines). Raises ValueError naming the file and the line for an override of a
    student or an exercise that is not in the results, for points above the exercise's out_of, or for a second
    override of the same exercise of the same student. Applying the same overrides again changes nothing.

    Example:
        >>> exercises = [{"number": "2", "column": "ex2_loss", "points": 2}]
        >>> results = [{"student": "alice", "file": "alice.ipynb", "note": "", "exercises": {
        ...     "2": {"status": "failed", "message": "", "points": 0, "out_of": 2, "cell": 9}}}]
        >>> fix = [{"student": "alice", "exercise": "ex2_loss", "points": 1.0, "reason": "late-day extension",
        ...         "file": "overrides.csv", "line": 2}]
        >>> apply_overrides(results, exercises, fix)[0]["exercises"]["2"]["override"]
        {'points': 1.0, 'reason': 'late-day extension', 'was': 0}
    """
    results = copy.deepcopy(results)
    by_student = {}
    for r in results:
        by_student.setdefault(r["student"], r)
    numbers = {e["number"]: e["number"] for e in exercises} | {e["column"]: e["number"] for e in exercises}
    seen = {}
    for o in overrides:
        where = f"{o.get('file', 'overrides')}, line {o.get('line', '?')}"
        if o["student"] not in by_student:
            raise ValueError(f"{where}: no student {o['student']!r} in the results; check the spelling (the names "
                             "are the roster's, or the submissions' without a roster).")
        if o["exercise"] not in numbers:
            raise ValueError(f"{where}: no exercise {o['exercise']!r} in this lab; give its number or column "
                             f"({', '.join(e['column'] for e in exercises)}).")
        if (o["student"], numbers[o["exercise"]]) in seen:
            raise ValueError(f"{where}: exercise {o['exercise']} of {o['student']} is already overridden "
                             f"({seen[o['student'], numbers[o['exercise']]]}); keep one of the two.")
        seen[o["student"], numbers[o["exercise"]]] = where
        x = by_student[o["student"]]["exercises"][numbers[o["exercise"]]]
        if not 0 <= o["points"] <= x["out_of"]:
            raise ValueError(f"{where}: {o['points']:g} points for exercise {o['exercise']}, which is out of "
                             f"{x['out_of']:g}; give 0 to {x['out_of']:g}.")
        was = x["override"]["was"] if "override" in x else x["points"]
        x["points"] = o["points"]
        x["override"] = {"points": o["points"], "reason": o["reason"], "was": was}
    return results


def feedback_lines(exercise_result):
    """Extra Markdown lines for one exercise's feedback: what the instructor's override did, if any.

    Example:
        >>> feedback_lines({"status": "failed", "points": 1, "out_of": 2,
        ...                 "override": {"points": 1, "reason": "late-day extension", "was": 0}})
        ['  - points set by the instructor to 1 (was 0): late-day extension']
        >>> feedback_lines({"status": "passed", "points": 1, "out_of": 1})
        []
    """
    o = exercise_result.get("override")
    if not o:
        return []
    return [f"  - points set by the instructor to {o['points']:g} (was {o['was']:g})"
            + (f": {o['reason']}" if o["reason"] else "")]


# --------------------------------------------------------------------------- the LMS import files

def _total(result):
    return f"{sum(x['points'] for x in result['exercises'].values()):g}"


def _rostered(results, exercises, roster):
    """``(roster entry, result)`` for each student: the roster's students in its order, or every result without one."""
    if roster is None:
        return [({"student": r["student"]}, r) for r in results]
    rows, _ = apply_roster(results, exercises, roster)
    return list(zip(roster, rows))  # the submissions that match no one come after the roster's rows: left out


def _write_csv(path, rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    write_atomic(path, buffer.getvalue())


def write_canvas(results, exercises, path, assignment="Lab 01", roster=None):
    """A Canvas Gradebook import file: the header ``Student,ID,SIS User ID,SIS Login ID,Section,<assignment>``,
    then a ``Points Possible`` row (the lab's total points, which a new assignment gets), then one row per student
    with the total points. Followed: Instructure's "How do I import grades in the Gradebook?",
    https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807, and
    Canvas's importer, https://github.com/instructure/canvas-lms/blob/master/lib/gradebook_importer.rb.

    Canvas finds each row's student by ``ID`` (the Canvas user id: roster column ``id``), else ``SIS User ID``
    (``sis_id``), else ``SIS Login ID`` (``login``), else by the ``Student`` name (``name``, else ``student``), which
    must equal the name Canvas shows; unknown ids are left empty. ``Section`` (``section``) is not used to match.
    The assignment column updates the assignment of that title (or ``"Lab 01 (1234)"``, its Canvas id); a new
    title creates one. With a roster, each rostered student gets a row (no submission: 0) and submissions that match
    no one are left out (apply_roster lists them); without one, every result gets a row named by its student.

    Example:
        >>> write_canvas(results, exercises, "grades/canvas.csv", assignment="Lab 01", roster=read_roster("roster.csv"))
    """
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment],
            ["Points Possible", "", "", "", "", f"{sum(e['points'] for e in exercises):g}"]]
    for s, r in _rostered(results, exercises, roster):
        rows.append([s.get("name") or s["student"], s.get("id", ""), s.get("sis_id", ""), s.get("login", ""),
                     s.get("section", ""), _total(r)])
    _write_csv(path, rows)


def write_moodle(results, exercises, path, item="Lab 01", roster=None):
    """A Moodle "Import grades > CSV file" file: an identifier column, then the total points under ``item``.
    Followed: MoodleDocs "Grade import", https://docs.moodle.org/en/Grade_import (read in its 3.11 version,
    https://docs.moodle.org/311/en/Grade_import), and Moodle's importer,
    https://github.com/moodle/moodle/blob/main/grade/import/csv/classes/load_data.php.

    The identifier is ``username`` (the roster's ``login``) when the roster has logins, else ``email`` when it has
    emails, else ``username`` holding the submission's name. In the import form, set "Map from" to this column and
    "Map to" to the same user field (username, or email address), and map ``item`` to the grade item (or to a new
    one, then check that its maximum grade is the lab's total). Moodle stops the whole import at a user it
    cannot find, so with a roster only rostered students get a row (no submission: 0), and a student without an
    identifier raises ValueError.

    Example:
        >>> write_moodle(results, exercises, "grades/moodle.csv", item="Lab 01", roster=read_roster("roster.csv"))
    """
    pairs = _rostered(results, exercises, roster)
    field = "login" if any(s.get("login") for s, _ in pairs) else "email" if any(s.get("email") for s, _ in pairs) \
        else "student"
    rows = [["email" if field == "email" else "username", item]]
    for s, r in pairs:
        if not s.get(field):
            raise ValueError(f"Moodle finds students by their {field}, and the roster has none for "
                             f"{s['student']!r}; fill it in.")
        rows.append([s[field], _total(r)])
    _write_csv(path, rows)
