"""lab_utils.preprocess.to_mnist: any image of a digit becomes a centred 28x28 MNIST-style digit, or a clear refusal."""

import numpy as np
import pytest
from PIL import Image

from lab_utils.preprocess import ImageError, to_mnist


def dark_bar_on_light(height=90, width=60, top=10, left=40):
    """A dark vertical stroke (a '1') off-centre on a light, wide RGB image."""
    image = np.full((height, width, 3), 230, np.uint8)
    image[top:top + 60, left:left + 8] = (20, 30, 90)
    return image


def test_a_dark_digit_on_light_paper_becomes_light_ink_on_black_centred_in_28x28():
    digit = to_mnist(dark_bar_on_light())
    assert digit.shape == (28, 28) and digit.dtype == np.uint8
    assert digit[0, 0] == 0 and digit.max() == 255
    rows, cols = np.nonzero(digit > 50)
    assert rows.max() - rows.min() + 1 <= 21  # the longer side fitted into 20 pixels
    weights = digit.astype(float)
    cy = (weights.sum(axis=1) * np.arange(28)).sum() / weights.sum()
    cx = (weights.sum(axis=0) * np.arange(28)).sum() / weights.sum()
    assert abs(cy - 14) < 1 and abs(cx - 14) < 1


def test_light_ink_on_dark_is_not_inverted():
    image = 255 - dark_bar_on_light()[..., 0]
    assert to_mnist(image)[0, 0] == 0


def test_a_png_file_reads_the_same_as_its_array(tmp_path):
    path = tmp_path / "digit.png"
    Image.fromarray(dark_bar_on_light()).save(path)
    np.testing.assert_array_equal(to_mnist(path), to_mnist(dark_bar_on_light()))


@pytest.mark.parametrize("bad, message", [
    (np.full((40, 40), 255), "blank"),
    (np.zeros((0, 0)), "empty"),
    (np.zeros((2, 3, 4, 5)), "shape (2, 3, 4, 5)"),
    ({"not": "an image"}, "got dict"),
    ("missing.png", "missing.png: no such image file"),
])
def test_bad_images_are_refused_with_a_reason(bad, message):
    with pytest.raises(ImageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        to_mnist(bad)


def test_a_file_that_is_not_an_image_is_refused_by_name(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not a picture")
    with pytest.raises(ImageError, match="notes.png: not an image"):
        to_mnist(path)


def test_a_real_mnist_digit_survives_preparation_nearly_unchanged():
    from lab_utils.data import read_embedded_mnist

    digit = read_embedded_mnist()[0][0]
    again = to_mnist(digit).astype(float) / 255
    original = digit.astype(float) / 255
    assert np.abs(again - original).mean() < 0.08


def test_a_thin_stroke_of_a_large_drawing_survives_scaling_down():
    letter_t = np.zeros((400, 400))
    letter_t[:3, :] = 255       # a 3-pixel bar across the top
    letter_t[:, 198:201] = 255  # and a 3-pixel stem down the middle: 0.15 pixels wide at MNIST's scale
    digit = to_mnist(letter_t)
    rows_with_ink = np.count_nonzero((digit > 60).any(axis=1))
    assert rows_with_ink >= 18  # the stem is still there (scaling without anti-aliasing loses it)


def test_a_small_blurry_digit_is_thinned_to_about_the_ink_of_an_mnist_digit():
    from sklearn.datasets import load_digits

    zero = load_digits().images[0]  # 8 x 8 pixels, heavy and blurry once scaled up to 20 x 20
    ink = to_mnist(zero).sum() / 255
    assert 80 <= ink <= 115  # an MNIST digit holds about 103
