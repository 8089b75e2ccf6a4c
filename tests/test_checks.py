"""Each exercise check passes on the solution and fails, with a useful message, on the placeholder and typical mistakes.

The solution and placeholder come from the notebooks themselves (solutions/ and labs/)."""

import numpy as np
import pytest

from lab_utils import checks
from notebooks import ROOT, run_exercise

SETUP_SOLUTION = ROOT / "solutions" / "00_setup.ipynb"
SETUP_LAB = ROOT / "labs" / "00_setup.ipynb"


def failure(check, fn):
    with pytest.raises(checks.ExerciseFailed) as error:
        check(fn)
    return str(error.value)


# --------------------------------------------------------------------------- the mechanics

def test_a_failed_check_renders_as_one_line_without_a_traceback():
    error = checks.ExerciseFailed("Exercise 9 (f)", "expected 1, got 2.")
    assert error._render_traceback_() == ["\u274c Exercise 9 (f): expected 1, got 2."]


def test_a_crash_in_student_code_is_named_in_one_line():
    def crashes(labels):
        return labels.reshape(3, 3)

    message = failure(checks.check_class_counts, crashes)
    assert message.startswith("Exercise 1 (class_counts): your code raised ValueError: cannot reshape")
    assert "\n" not in message


def test_passing_the_result_instead_of_the_function_is_explained():
    assert "Pass the function itself, without calling it" in failure(checks.check_class_counts, np.zeros(10))


# --------------------------------------------------------------------------- 00_setup, exercise 1

def test_class_counts_check_passes_on_the_solution(capsys):
    checks.check_class_counts(run_exercise(SETUP_SOLUTION, "Exercise 1")["class_counts"])
    assert capsys.readouterr().out.startswith("\u2705 Exercise 1 (class_counts) passed")


def test_class_counts_check_fails_on_the_placeholder():
    message = failure(checks.check_class_counts, run_exercise(SETUP_LAB, "Exercise 1")["class_counts"])
    assert "not done yet" in message


def test_class_counts_check_catches_digits_that_never_occur():
    message = failure(checks.check_class_counts, lambda labels: np.bincount(labels))
    assert "expected 10 counts" in message and "minlength" in message


def test_class_counts_check_catches_the_digits_returned_instead_of_counts():
    message = failure(checks.check_class_counts, lambda labels: np.unique(labels, return_counts=True)[1])
    assert "expected 10 counts" in message


def test_class_counts_check_catches_wrong_counts():
    message = failure(checks.check_class_counts, lambda labels: np.bincount(labels[1:], minlength=10))
    assert "expected [1, 1, 0, 3, 0, 0, 0, 0, 0, 1], got [1, 1, 0, 2" in message


# --------------------------------------------------------------------------- 00_setup, exercise 2

def test_scale_images_check_passes_on_the_solution(capsys):
    checks.check_scale_images(run_exercise(SETUP_SOLUTION, "Exercise 2")["scale_images"])
    assert "Exercise 2 (scale_images) passed" in capsys.readouterr().out


def test_scale_images_check_fails_on_the_placeholder():
    assert "not done yet" in failure(checks.check_scale_images, run_exercise(SETUP_LAB, "Exercise 2")["scale_images"])


def test_scale_images_check_catches_float64_from_plain_division():
    message = failure(checks.check_scale_images, lambda images: images / 255)
    assert "expected dtype float32" in message and "got float64" in message


def test_scale_images_check_catches_a_missing_division():
    message = failure(checks.check_scale_images, lambda images: images.astype("float32"))
    assert "Divide by 255" in message and "got 255 as the largest" in message


def test_scale_images_check_catches_a_flattened_result():
    message = failure(checks.check_scale_images, lambda images: images.reshape(len(images), -1).astype("float32") / 255)
    assert "expected the shape to stay (3, 28, 28), got (3, 784)" in message
