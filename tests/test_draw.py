"""lab_utils.draw: strokes become an MNIST-style digit and a model's probabilities; outside a front end, one line."""

import subprocess
import sys
from pathlib import Path

import numpy as np

from lab_utils import draw as draw_module
from lab_utils.draw import FALLBACK, draw, predict_probabilities, strokes_to_image

ROOT = Path(__file__).resolve().parents[1]
VERTICAL_LINE = [[[140, 40], [141, 140], [140, 240]]]  # a 1


def loop(cx=140, cy=140, rx=70, ry=100, n=40):
    """A closed loop of n points: a 0."""
    angles = np.linspace(0, 2 * np.pi, n)
    return [[[float(cx + rx * np.cos(a)), float(cy + ry * np.sin(a))] for a in angles]]


def test_outside_a_front_end_draw_prints_one_line_pointing_to_to_mnist_and_returns_none():
    code = "from lab_utils.draw import draw; print(repr(draw()))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.splitlines() == [FALLBACK, "None"]
    assert "to_mnist(path)" in FALLBACK


def test_importing_lab_utils_does_not_import_anywidget():
    code = "import sys, lab_utils, lab_utils.preprocess; print('anywidget' in sys.modules, 'ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.split() == ["False", "False"]


def test_strokes_are_rasterised_as_ink_on_black_with_the_pen_width():
    image = strokes_to_image(VERTICAL_LINE, size=280, pen=18)
    assert image.shape == (280, 280) and image.dtype == np.uint8
    assert image[140, 140] == 255 and image[140, 100] == 0
    width = np.count_nonzero(image[140] > 128)
    assert 16 <= width <= 20


def test_a_single_tap_leaves_a_dot():
    image = strokes_to_image([[[50, 60]]], pen=18)
    assert image[60, 50] == 255 and image[60, 80] == 0


def test_the_canvas_turns_strokes_into_a_centred_28x28_digit():
    canvas = draw_module._widget_class()()
    canvas.strokes = VERTICAL_LINE
    digit = canvas.array
    assert digit.shape == (28, 28) and digit.dtype == np.uint8
    rows, cols = np.nonzero(digit > 128)
    assert rows.max() - rows.min() + 1 >= 18  # a tall, thin 1
    assert cols.max() - cols.min() + 1 <= 4
    np.testing.assert_array_equal(digit.reshape(-1), canvas.preview)  # what the page shows


def test_clearing_the_strokes_empties_the_digit():
    canvas = draw_module._widget_class()()
    canvas.strokes = VERTICAL_LINE
    canvas.strokes = []
    assert canvas.array is None and canvas.preview == [] and canvas.probabilities == []
    assert "Draw one digit" in canvas.status


def ink_model(x):
    """Logits that favour 1 where there is much ink (more than 60 full pixels) and 0 otherwise: a line alone is a 0
    to it, a line and a loop a 1."""
    return np.eye(10)[int(x.sum() > 60)] * 5


def test_with_a_model_each_stroke_updates_the_probabilities_and_the_status_line():
    canvas = draw_module._widget_class()(ink_model)
    canvas.strokes = VERTICAL_LINE
    assert len(canvas.probabilities) == 10 and abs(sum(canvas.probabilities) - 1) < 1e-6
    first = canvas.status
    canvas.strokes = VERTICAL_LINE + loop()
    assert first.startswith("Prediction: 0 (") and canvas.status.startswith("Prediction: 1 (")


def test_probabilities_come_from_logits_by_softmax_and_pass_through_when_already_probabilities():
    digit = np.zeros((28, 28), np.uint8)
    logits = predict_probabilities(lambda x: np.log([[1, 3] + [0.000001] * 8]), digit)
    assert abs(logits[1] - 0.75) < 1e-4
    given = np.full(10, 0.1)
    np.testing.assert_allclose(predict_probabilities(lambda x: given[None], digit), given)


def test_a_keras_model_of_flat_inputs_gets_a_flat_digit():
    import keras

    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10)])
    p = predict_probabilities(model, np.zeros((28, 28), np.uint8))
    assert p.shape == (10,) and abs(p.sum() - 1) < 1e-6


def test_where_widgets_cannot_show_the_canvas_text_is_the_fallback_line():
    canvas = draw_module._widget_class()()
    bundle = canvas._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["text/plain"] == FALLBACK


def test_the_javascript_and_css_ship_as_package_data():
    import tomllib

    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    for name in ["draw.js", "draw.css"]:
        assert name in package_data["lab_utils"]
        assert (Path(draw_module.__file__).parent / name).is_file()
    assert "export default" in (Path(draw_module.__file__).parent / "draw.js").read_text()


def test_the_javascript_fetches_nothing_from_the_network():
    js = (Path(draw_module.__file__).parent / "draw.js").read_text()
    assert "import " not in js and "fetch(" not in js and "http" not in js


# Undo and Clear act in the page (draw.js): they send the strokes less the last one, or none, as the page sends
# each new stroke. What Python must do with them is tested here, with the update a front end sends (set_state);
# that the buttons send it, from the mouse or the keyboard, is tested in a browser (test_draw_browser.py).
def undo(canvas):
    canvas.set_state({"strokes": canvas.strokes[:-1]})


def test_undo_takes_the_digit_and_the_prediction_back_to_before_the_last_stroke():
    canvas = draw_module._widget_class()(ink_model)
    canvas.set_state({"strokes": VERTICAL_LINE})
    digit, probabilities, status = canvas.array.copy(), canvas.probabilities, canvas.status
    canvas.set_state({"strokes": VERTICAL_LINE + loop()})
    assert canvas.status.startswith("Prediction: 1 (") and status.startswith("Prediction: 0 (")
    undo(canvas)
    assert canvas.strokes == VERTICAL_LINE
    np.testing.assert_array_equal(canvas.array, digit)
    np.testing.assert_array_equal(canvas.preview, digit.reshape(-1))
    assert canvas.probabilities == probabilities and canvas.status == status


def test_undoing_the_only_stroke_leaves_an_empty_canvas():
    canvas = draw_module._widget_class()(ink_model)
    canvas.set_state({"strokes": VERTICAL_LINE})
    undo(canvas)
    assert canvas.strokes == [] and canvas.array is None
    assert canvas.preview == [] and canvas.probabilities == [] and canvas.probabilities_array is None
    assert canvas.status == "Draw one digit in the box."


def test_draw_in_a_kernel_returns_a_canvas(monkeypatch):
    monkeypatch.setattr(draw_module, "front_end_available", lambda: True)
    canvas = draw(None)
    assert canvas is not None and canvas.array is None
