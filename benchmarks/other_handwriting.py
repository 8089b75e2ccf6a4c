"""How well the kit's LeNet reads handwriting that is not MNIST's, after to_mnist: the digits a student draws.

    .venv/bin/python benchmarks/other_handwriting.py [--seeds 3] [--test-dir ../shared/data/mnist-test] [--shift-only]

Trains train_reference("lenet") (the kit's recipe, RECIPES["lenet"]) on all 5,000 embedded MNIST digits for each
seed, then scores it on
- the other handwriting: scikit-learn's digits (sklearn.datasets.load_digits: 1,797 digits of 8 x 8 pixels written
  by 13 people, the test part of the UCI "Optical Recognition of Handwritten Digits" set, whose 43 writers were
  split 30 / 13 between its parts, Alpaydin and Kaynak 1998; none of it from MNIST), each prepared with to_mnist,
  and, for comparison, with to_mnist as it was before the
  drawing canvas (scipy zoom, no anti-aliasing, no stroke thinning);
- the official 10,000-digit MNIST test set (evaluation only), as it is and after to_mnist.
``--shift-only`` trains with the recipe's shifts but without its rotation, zoom and stroke thickening (the recipe
as it was before them). Prints a table and writes benchmarks/results/other_handwriting.json
(other_handwriting_shift_only.json with --shift-only), whole or not at all.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from lab_utils.data import read_embedded_mnist  # noqa: E402
from lab_utils.files import write_atomic  # noqa: E402
from lab_utils.models import RECIPES, accuracy, train_reference  # noqa: E402
from lab_utils.preprocess import to_mnist  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from notebooks import OFFICIAL_TEST_DIR, official_test_set  # noqa: E402


def to_mnist_before(pixels):
    """to_mnist as the kit had it before the drawing canvas, for one light-on-dark array: crop to the ink, scipy
    zoom of the longer side to 20 pixels (linear, no anti-aliasing), centre of mass at the centre."""
    from scipy import ndimage

    pixels = (pixels - pixels.min()) / (pixels.max() - pixels.min())
    ink = pixels > 0.2
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    pixels = pixels[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    digit = np.clip(ndimage.zoom(pixels, 20 / max(pixels.shape), order=1), 0, 1)
    canvas = np.zeros((28, 28))
    top, left = (28 - digit.shape[0]) // 2, (28 - digit.shape[1]) // 2
    canvas[top:top + digit.shape[0], left:left + digit.shape[1]] = digit
    cy, cx = ndimage.center_of_mass(canvas)
    canvas = ndimage.shift(canvas, (14 - cy, 14 - cx), order=1, mode="constant")
    return np.round(np.clip(canvas, 0, 1) * 255).astype(np.uint8)


def other_handwriting():
    """scikit-learn's 1,797 handwritten digits (8 x 8, ink 0 to 16 on black) and their labels."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images, digits.target


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--test-dir", default=str(OFFICIAL_TEST_DIR))
    parser.add_argument("--shift-only", action="store_true",
                        help="augment with shifts only: no rotation, zoom or stroke thickening")
    args = parser.parse_args()
    images, labels = other_handwriting()
    other_now = np.stack([to_mnist(image) for image in images])
    other_before = np.stack([to_mnist_before(image) for image in images])
    x_test, y_test = official_test_set(args.test_dir)
    x_test_prepared = np.stack([to_mnist(image) for image in x_test])
    x_train, y_train, _, _ = read_embedded_mnist(test_per_class=0)  # all 5,000 digits
    columns = ["other (to_mnist)", "other (before)", "MNIST test", "MNIST test (to_mnist)"]
    scores = {column: [] for column in columns}
    seconds = []
    print(f"{'seed':<5} " + " ".join(f"{c:>22}" for c in columns) + f" {'train s':>8}")
    for seed in range(args.seeds):
        start = time.perf_counter()
        model = train_reference("lenet", x_train, y_train, seed=seed,
                                **(dict(rotation=0, zoom=0, thicken=0) if args.shift_only else {}))
        seconds.append(time.perf_counter() - start)
        for column, (x, y) in zip(columns, [(other_now, labels), (other_before, labels), (x_test, y_test),
                                            (x_test_prepared, y_test)]):
            scores[column].append(accuracy(model, x, y))
        print(f"{seed:<5} " + " ".join(f"{scores[c][-1]:>22.2%}" for c in columns) + f" {seconds[-1]:>8.1f}",
              flush=True)
    print(f"{'median':<5} " + " ".join(f"{statistics.median(scores[c]):>22.2%}" for c in columns))
    recipe = RECIPES["lenet"]
    results = {
        "other_set": "sklearn.datasets.load_digits (UCI optical recognition of handwritten digits, 8 x 8, 13 writers)",
        "other_images": len(labels), "train_images": len(x_train), "test_images": len(y_test),
        "recipe": {"epochs": recipe.epochs, "batch_size": recipe.batch_size, "learning_rate": recipe.learning_rate,
                   "shift": recipe.shift, **({"rotation": 0, "zoom": 0, "thicken": 0} if args.shift_only else
                                             {"rotation": recipe.rotation, "zoom": recipe.zoom,
                                              "thicken": recipe.thicken})},
        "seeds": list(range(args.seeds)), "train_seconds": seconds,
        **{column: {"accuracies": scores[column], "median": statistics.median(scores[column])} for column in columns},
    }
    out = ROOT / "benchmarks" / "results" / f"other_handwriting{'_shift_only' if args.shift_only else ''}.json"
    write_atomic(out, json.dumps(results, indent=2) + "\n")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
