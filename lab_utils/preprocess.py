"""A digit of your own, prepared the way MNIST's digits were: grayscale, ink light on dark, cropped,
fitted into 20 x 20 with anti-aliasing, strokes no heavier than MNIST's, and centred by its centre of mass
in 28 x 28."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class ImageError(ValueError):
    """An image that cannot be turned into an MNIST-style digit; the message says why and what to do."""


def _read(image):
    if isinstance(image, (str, Path)):
        path = Path(image).expanduser()
        if not path.is_file():
            raise ImageError(f"{path}: no such image file.")
        from PIL import Image, UnidentifiedImageError  # Pillow comes with matplotlib

        try:
            with Image.open(path) as img:
                return np.asarray(img.convert("L"), dtype=np.float64)
        except (UnidentifiedImageError, OSError) as e:
            raise ImageError(f"{path}: not an image Pillow can read ({e}). Use a PNG or JPEG file.") from None
    try:
        array = np.asarray(image, dtype=np.float64)
    except (TypeError, ValueError):
        raise ImageError(f"expected an image file path or an array of pixels, got {type(image).__name__}.") from None
    if array.ndim == 3 and array.shape[-1] in (3, 4):  # RGB(A): luminance, alpha ignored
        array = array[..., :3] @ np.array([0.299, 0.587, 0.114])
    elif array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 2:
        raise ImageError(f"expected a 2-D grayscale or an RGB image, got an array of shape {array.shape}.")
    if array.size == 0:
        raise ImageError("the image is empty (no pixels).")
    return array


# An MNIST digit holds about 100 units of ink (the sum of its pixels scaled to [0, 1]; 103 on average over the
# embedded sample). A digit with much heavier strokes (a thick pen, a bold font, a small image scaled up) is made
# lighter at the edges of its strokes until it holds about as much.
MNIST_INK = 100
HEAVY_INK = 115


def to_mnist(image, ink_threshold=0.2):
    """Turn any image of one digit (file path or array; any size, any colours) into a 28 x 28 uint8 MNIST digit.

    Steps: grayscale, scale to [0, 1], invert when the background is light (MNIST is light ink on black),
    crop to the ink, scale the longer side to 20 pixels with anti-aliasing (Lanczos, as MNIST's grey levels came
    from anti-aliasing), thin strokes much heavier than MNIST's (more than ``HEAVY_INK`` units of ink: the grey
    edges are darkened, ``pixels ** k``, until about ``MNIST_INK`` remain), and place the digit in 28 x 28 so that
    its centre of mass is at the centre, as LeCun et al. did.

    Example:
        >>> digit = to_mnist("my_seven.png")
        >>> digit.shape, digit.dtype
        ((28, 28), dtype('uint8'))
    """
    from PIL import Image
    from scipy import ndimage

    pixels = _read(image)
    if not np.all(np.isfinite(pixels)):
        raise ImageError("the image has NaN or infinite pixels.")
    low, high = pixels.min(), pixels.max()
    if high - low < 1e-6:
        raise ImageError("the image is blank (every pixel has the same value): there is no digit to read.")
    pixels = (pixels - low) / (high - low)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    if np.median(border) > 0.5:  # light background: dark ink on paper
        pixels = 1 - pixels
    ink = pixels > ink_threshold
    if ink.sum() < 3:
        raise ImageError("found almost no ink: draw the digit larger or with more contrast.")
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    pixels = pixels[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    scale = 20 / max(pixels.shape)
    height, width = max(1, round(pixels.shape[0] * scale)), max(1, round(pixels.shape[1] * scale))
    fitted = Image.fromarray(np.uint8(np.round(pixels * 255))).resize((width, height), Image.Resampling.LANCZOS)
    digit = np.asarray(fitted, dtype=np.float64) / 255
    if digit.sum() > HEAVY_INK:  # strokes heavier than MNIST's: darken their grey edges
        for k in np.linspace(1.1, 4, 30):
            if (digit ** k).sum() <= MNIST_INK:
                break
        digit = digit ** k
    canvas = np.zeros((28, 28))
    top, left = (28 - height) // 2, (28 - width) // 2
    canvas[top:top + height, left:left + width] = digit
    cy, cx = ndimage.center_of_mass(canvas)
    canvas = np.clip(ndimage.shift(canvas, (14 - cy, 14 - cx), order=1, mode="constant"), 0, 1)
    return np.round(canvas / canvas.max() * 255).astype(np.uint8)
