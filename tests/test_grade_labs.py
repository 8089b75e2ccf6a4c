"""python -m lab_utils.grade on every lab but Lab 1 (test_grade.py has Lab 1 and the bad input), through real kernels:
one submission per lab with every exercise answered by its typical wrong answer fails each exercise with that
wrong answer's message; Lab 4, with one exercise, also has its solution graded (full marks) to show the wrong answer
costs exactly that exercise.

What each wrong answer does to its own check is shown cheaply, without a kernel, by test_checks.py; here the point is
that the grader reports it, lab by lab. One batch per lab (jobs=2).
"""

import pytest

from lab_utils import grade

from notebooks import ROOT
from submissions import WRONG_ELSEWHERE, load, quick, save, statuses, with_mistake


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every lab's wrong answers in one submission (and Lab 4's solution) graded; results by lab and student."""
    tmp = tmp_path_factory.mktemp("labs")
    results = {}
    for lab, mistakes in WRONG_ELSEWHERE.items():
        solution = wrong = quick(load(ROOT / "solutions" / f"{lab}.ipynb"), lab)
        for number, (old, new, _) in mistakes.items():
            wrong = with_mistake(wrong, number, old, new)
        save(wrong, tmp / lab / "wrong.ipynb")
        if len(mistakes) == 1:
            save(solution, tmp / lab / "solution.ipynb")
        results[lab] = {r["student"]: r for r in grade.grade(lab, [str(tmp / lab)], tmp / f"{lab}-grades", jobs=2,
                                                              quiet=True)}
    return results


@pytest.mark.parametrize("lab, number", [(lab, n) for lab, mistakes in WRONG_ELSEWHERE.items() for n in mistakes])
def test_a_typical_wrong_answer_fails_its_exercise_with_the_checks_message(graded, lab, number):
    result = graded[lab]["wrong"]
    assert statuses(result)[number] == "failed", result
    assert WRONG_ELSEWHERE[lab][number][2] in result["exercises"][number]["message"]


def test_every_exercise_of_every_lab_but_lab_1_has_a_wrong_answer_here():
    for solution in sorted((ROOT / "solutions").glob("*.ipynb")):
        if solution.stem != "01_linear_model":
            assert sorted(WRONG_ELSEWHERE[solution.stem]) == [e["number"] for e in grade.lab_exercises(solution)]


def test_the_solution_of_a_lab_with_one_exercise_scores_full_marks_and_its_wrong_answer_nothing(graded):
    assert statuses(graded["04_transfer_learning"]["solution"]) == {"1": "passed"}
    assert statuses(graded["04_transfer_learning"]["wrong"]) == {"1": "failed"}
