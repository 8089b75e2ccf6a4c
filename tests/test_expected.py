"""What the checks expect (lab_utils/expected.json) is what the solutions compute, and what the libraries compute."""

import json

import numpy as np
import pytest

from lab_utils import checks, expected

from notebooks import ROOT


def assert_same(got, want, where):
    """Equal structure, equal whole numbers, floats equal to 6 significant digits (another CPU may round otherwise)."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), where
        for key in want:
            assert_same(got[key], want[key], f"{where}[{key!r}]")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{where}[{i}]")
    elif isinstance(want, float):
        assert np.isclose(got, want, rtol=1e-6, atol=1e-9), f"{where}: {got} != {want}"
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


@pytest.fixture(scope="module")
def computed():
    return expected.compute(ROOT / "solutions")


def test_the_expected_values_are_what_the_solutions_compute_today(computed):
    stored = json.loads(expected.PATH.read_text(encoding="utf-8"))
    assert list(stored) == list(checks.INPUTS), "run `python -m lab_utils.expected solutions`"
    assert_same(computed, stored, "expected.json")


def test_every_check_input_has_expected_values_for_each_case(computed):
    for name, (inputs, _) in checks.INPUTS.items():
        assert len(computed[name]) == len(inputs()), name


def test_the_expected_gradients_are_tf_gradient_tapes():
    import tensorflow as tf

    [(x, y, *params)] = checks._backward_inputs()
    variables = [tf.Variable(p, dtype=tf.float64) for p in params]
    with tf.GradientTape() as tape:
        h = tf.tanh(tf.linalg.matvec(variables[0], tf.constant(x), transpose_a=True) + variables[1])
        loss = 0.5 * (tf.reduce_sum(h * variables[2]) + variables[3] - y) ** 2
    [stored] = expected.load("backward")
    for got, want in zip(stored, tape.gradient(loss, variables)):
        np.testing.assert_allclose(got, want.numpy(), atol=1e-9)


def test_the_expected_convolutions_are_tf_nn_conv2ds_and_their_flips():
    import tensorflow as tf

    def conv(image, kernel, stride, padding):
        padded = np.pad(image, padding)[None, :, :, None]
        return tf.nn.conv2d(padded, kernel[:, :, None, None], strides=stride, padding="VALID").numpy()[0, :, :, 0]

    for (image, kernel, stride, padding), stored in zip(checks._conv2d_inputs(), expected.load("conv2d")):
        np.testing.assert_allclose(stored["output"], conv(image, kernel, stride, padding), atol=1e-9)
        np.testing.assert_allclose(stored["flipped"], conv(image, kernel[::-1, ::-1], stride, padding), atol=1e-9)


def test_the_expected_sigmoid_is_the_logistic_function():
    from scipy.special import expit

    (z,), (large,) = checks._sigmoid_inputs()
    stored, stored_large = expected.load("sigmoid")
    np.testing.assert_allclose(stored, expit(z.numpy()), atol=1e-6)
    assert stored_large == [0.0, 1.0]


def test_a_check_without_expected_values_says_how_to_make_them(tmp_path):
    (tmp_path / "expected.json").write_text("{}", encoding="utf-8")
    with pytest.raises(KeyError, match=r"python -m lab_utils\.expected solutions"):
        expected.load("sigmoid", tmp_path / "expected.json")


def test_the_command_writes_the_file_whole(tmp_path):
    out = tmp_path / "expected.json"
    expected.main([str(ROOT / "solutions"), "--out", str(out)])
    assert out.read_text(encoding="utf-8") == expected.dumps(json.loads(out.read_text(encoding="utf-8")))
    assert list(json.loads(out.read_text(encoding="utf-8"))) == list(checks.INPUTS)
    assert [p.name for p in tmp_path.iterdir()] == ["expected.json"]  # no temporary file left behind
