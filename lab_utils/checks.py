"""Exercise checks: one per exercise, called in the cell right after it.

A check runs the student's function on small inputs and compares it with a reference. It prints
one success line, or stops the cell with a short message (what was expected, what was found, how
to fix it) instead of a TensorFlow traceback.

Adding a check: write ``check_<what>(fn)`` here that calls ``_call`` to run the student's code and
``_expect`` for each comparison, ends with ``_passed``, and add its tests in ``tests/test_checks.py``
(it must pass on the solution and fail on the placeholder and on a typical wrong answer).
"""

from __future__ import annotations

import numpy as np


class ExerciseFailed(AssertionError):
    """A check that did not pass. In Jupyter it shows as its message alone, without a traceback."""

    def __init__(self, exercise, message):
        super().__init__(f"{exercise}: {message}")
        self.exercise = exercise

    def _render_traceback_(self):  # IPython shows these lines instead of a traceback
        return [f"\u274c {self}"]


def _call(exercise, fn, *args):
    """Run the student's ``fn``; turn a placeholder or a crash into a short ExerciseFailed."""
    if not callable(fn):
        raise ExerciseFailed(exercise, f"expected a function, got {type(fn).__name__}. "
                                       "Pass the function itself, without calling it.")
    try:
        return fn(*args)
    except NotImplementedError:
        raise ExerciseFailed(exercise, "not done yet: replace the `raise NotImplementedError` line "
                                       "with your code, run that cell, then this one.") from None
    except Exception as e:  # the student's bug: name it in one line, no traceback
        first_line = (str(e).strip().splitlines() or [""])[0][:300]
        raise ExerciseFailed(exercise, f"your code raised {type(e).__name__}: {first_line}") from None


def _expect(exercise, condition, message):
    if not condition:
        raise ExerciseFailed(exercise, message)


def _passed(exercise, what):
    print(f"\u2705 {exercise} passed: {what}")


def _as_array(exercise, value):
    try:
        return np.asarray(value)
    except Exception:  # e.g. a ragged list
        raise ExerciseFailed(exercise, f"expected an array, got {type(value).__name__}.") from None


# --------------------------------------------------------------------------- 00_setup

def check_class_counts(class_counts):
    """Exercise 1 of 00_setup: ``class_counts(labels)`` returns how many times each digit 0-9 occurs.

    Example:
        >>> check_class_counts(lambda labels: np.bincount(labels, minlength=10))
        ✅ Exercise 1 passed: class_counts counts every digit, absent ones too.
    """
    ex = "Exercise 1 (class_counts)"
    cases = [np.array([3, 1, 3, 0, 9, 3], np.uint8), np.array([0, 1, 2, 2, 4], np.uint8),
             np.repeat(np.arange(10, dtype=np.uint8), 7)]
    for labels in cases:
        expected = np.bincount(labels, minlength=10)
        got = _as_array(ex, _call(ex, class_counts, labels.copy()))
        _expect(ex, got.shape == (10,),
                f"for labels {labels.tolist()[:12]} expected 10 counts (one per digit 0-9), got shape {got.shape}. "
                "Digits that never occur still need a count of 0: look at np.bincount's minlength.")
        _expect(ex, np.issubdtype(got.dtype, np.integer),
                f"expected whole-number counts, got dtype {got.dtype}.")
        _expect(ex, np.array_equal(got, expected),
                f"for labels {labels.tolist()[:12]} expected {expected.tolist()}, got {got.tolist()}.")
    _passed(ex, "class_counts counts every digit, absent ones too.")


def check_scale_images(scale_images):
    """Exercise 2 of 00_setup: ``scale_images(images)`` turns uint8 pixels 0-255 into float32 in [0, 1].

    Example:
        >>> check_scale_images(lambda images: images.astype("float32") / 255)
        ✅ Exercise 2 passed: scale_images gives float32 pixels in [0, 1] with the same shape.
    """
    ex = "Exercise 2 (scale_images)"
    images = np.random.default_rng(0).integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    got = _as_array(ex, _call(ex, scale_images, images.copy()))
    _expect(ex, got.shape == images.shape,
            f"expected the shape to stay {images.shape}, got {got.shape}.")
    _expect(ex, got.dtype == np.float32,
            f"expected dtype float32 (what Keras layers compute in), got {got.dtype}. "
            "Convert with .astype('float32') before dividing.")
    _expect(ex, np.allclose(got, images.astype(np.float32) / 255, atol=1e-6),
            f"expected pixel 255 to become 1.0 and 0 to stay 0.0; got {float(got.max()):.4g} as the largest "
            f"value and {float(got.min()):.4g} as the smallest. Divide by 255.")
    _passed(ex, "scale_images gives float32 pixels in [0, 1] with the same shape.")
