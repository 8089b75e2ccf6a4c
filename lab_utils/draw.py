"""Draw a digit with the mouse (or a pen, or a finger) and watch a model answer, in the notebook.

``draw(model)`` shows a canvas built on anywidget: one small JavaScript module and a style sheet shipped inside
this package (``draw.js``, ``draw.css``), nothing fetched from the network. Each time the pen lifts, Python turns
the strokes into an image, prepares it with ``to_mnist`` (28 x 28, as MNIST's digits were made) and shows what the
model makes of it: the 28 x 28 digit, a bar chart of the ten probabilities and a line of text with the top
prediction. The drawing stays readable from Python: ``canvas.array`` (28 x 28 uint8, the model's input) and
``canvas.image`` (the full-size drawing).

Where no notebook front end can show a widget (a plain terminal, nbconvert, CI), one line says so and points to
``to_mnist(path)``; nothing raises.

Example:
    >>> from lab_utils.draw import draw
    >>> canvas = draw(model)          # draw a digit in the notebook
    >>> canvas.array.shape            # in the next cell: the digit as MNIST sees it
    (28, 28)
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import numpy as np

from lab_utils.preprocess import ImageError, to_mnist

HERE = Path(__file__).parent
FALLBACK = ("The drawing canvas needs a notebook front end (JupyterLab, Jupyter Notebook 7, VS Code or Colab) and "
            "cannot show here; save your digit as an image file and use to_mnist(path) instead.")
SIZE = 280  # canvas side in pixels: 10 times MNIST's 28
PEN = 18    # pen width in pixels: a digit drawn 200 pixels tall has MNIST's 2-pixel strokes after to_mnist


def strokes_to_image(strokes, size=SIZE, pen=PEN):
    """Rasterise strokes (lists of (x, y) points in canvas pixels) into a ``size`` x ``size`` uint8 image:
    ink 255 on a black background, round pen ends, as the canvas shows it (in other colours).

    Example:
        >>> image = strokes_to_image([[(140, 40), (140, 240)]])   # a vertical line: a 1
        >>> image.shape, image[140, 140], image[140, 20]
        ((280, 280), 255, 0)
    """
    from PIL import Image, ImageDraw

    image = Image.new("L", (size, size), 0)
    pencil = ImageDraw.Draw(image)
    r = pen / 2
    for stroke in strokes:
        points = [(float(x), float(y)) for x, y in stroke]
        if len(points) > 1:
            pencil.line(points, fill=255, width=int(round(pen)), joint="curve")
        for x, y in points[:1] + points[-1:]:  # round ends
            pencil.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(image)


def predict_probabilities(model, digit):
    """The ten class probabilities ``model`` gives one 28 x 28 uint8 digit: a Keras model that outputs logits or
    probabilities (images of 28 x 28 x 1 or flat 784 inputs, scaled to [0, 1]), or any function that takes such a
    batch and returns scores.

    Example:
        >>> predict_probabilities(model, to_mnist("my_seven.png")).argmax()
        7
    """
    x = np.asarray(digit, dtype=np.float32)[None, :, :, None] / 255
    inputs = getattr(model, "inputs", None)
    if inputs and len(inputs[0].shape) == 2:  # a model of flat vectors (Lab 1's softmax regression)
        x = x.reshape(1, -1)
    try:
        scores = model(x, training=False)
    except TypeError:  # a plain function
        scores = model(x)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if np.all(scores >= 0) and abs(scores.sum() - 1) < 1e-3:
        return scores
    exp = np.exp(scores - scores.max())  # logits: softmax
    return exp / exp.sum()


def front_end_available():
    """Whether this code runs in a Jupyter kernel that a front end may be showing (False in a plain terminal or
    Python script, where a widget cannot be shown).

    Example:
        >>> front_end_available()    # in a plain `python` session
        False
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


@functools.cache
def _widget_class():
    """The anywidget class, defined on first use so that importing lab_utils.draw needs no anywidget."""
    import anywidget
    import traitlets

    class DrawCanvas(anywidget.AnyWidget):
        """A canvas to draw a digit on; see ``draw``."""

        _esm = HERE / "draw.js"
        _css = HERE / "draw.css"
        size = traitlets.Int(SIZE).tag(sync=True)
        pen = traitlets.Float(PEN).tag(sync=True)
        strokes = traitlets.List([]).tag(sync=True)        # from the page: one list of [x, y] per stroke
        preview = traitlets.List([]).tag(sync=True)        # to the page: the 784 pixels of the 28 x 28 digit
        probabilities = traitlets.List([]).tag(sync=True)  # to the page: ten probabilities, or none without a model
        status = traitlets.Unicode("").tag(sync=True)      # to the page: the top prediction in words

        def __init__(self, model=None, **kwargs):
            super().__init__(**kwargs)
            self.model = model
            self.array = None
            self.probabilities_array = None
            self.observe(self._update, names="strokes")
            self._update()

        @property
        def image(self):
            """The drawing at full size (uint8, ink 255 on black)."""
            return strokes_to_image(self.strokes, self.size, self.pen)

        def _update(self, change=None):
            self.array, self.probabilities_array = None, None
            if not any(len(s) for s in self.strokes):
                self.preview, self.probabilities = [], []
                self.status = "Draw one digit in the box." if self.model is not None else \
                    "Draw one digit in the box; canvas.array then holds it as MNIST sees it."
                return
            try:
                self.array = to_mnist(self.image)
            except ImageError as error:
                self.preview, self.probabilities, self.status = [], [], f"Not a digit yet: {error}"
                return
            self.preview = self.array.reshape(-1).tolist()
            if self.model is None:
                self.status = "Drawn: canvas.array holds your digit (28 x 28); give draw() a model to see its guess."
                return
            p = predict_probabilities(self.model, self.array)
            self.probabilities_array = p
            self.probabilities = [float(v) for v in p]
            second = np.argsort(p)[-2]
            self.status = f"Prediction: {p.argmax()} ({p.max():.0%} sure); next: {second} ({p[second]:.0%})."

        def __repr__(self):
            return FALLBACK  # what a front end without widgets (nbconvert, a terminal) shows

    return DrawCanvas


def draw(model=None):
    """Show a canvas to draw one digit on; with a Keras ``model`` (or any function of a batch of 28 x 28 x 1
    images in [0, 1]), each finished stroke shows the model's probabilities and its top prediction.

    Shows the canvas and returns it: ``canvas.array`` is the drawing as MNIST sees it (28 x 28 uint8, None
    before any ink), ``canvas.image`` the full-size drawing, ``canvas.probabilities_array`` the model's ten
    probabilities.
    Where no front end can show it, prints one line that says so (use ``to_mnist(path)``) and returns None.

    Example:
        >>> canvas = draw(model)
        >>> model.predict(canvas.array[None, :, :, None] / 255)   # in a later cell
    """
    if not front_end_available():
        print(FALLBACK)
        return None
    try:
        cls = _widget_class()
    except ImportError:
        print("The drawing canvas needs anywidget (%pip install anywidget); meanwhile, save your digit as an image "
              "file and use to_mnist(path).")
        return None
    if "google.colab" in sys.modules:  # Colab shows third-party widgets once its widget manager is on
        from google.colab import output

        output.enable_custom_widget_manager()
    from IPython.display import display

    canvas = cls(model)
    display(canvas)
    return canvas
