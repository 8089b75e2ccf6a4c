"""Accuracy of each lab's reference model, trained on the embedded 5,000-digit sample, on the official MNIST test set.

    .venv/bin/python benchmarks/accuracy.py [--seeds 3] [--test-dir ../shared/data/mnist-test]

Trains with the kit's recipe (lab_utils.models.RECIPES) on all 5,000 embedded digits, evaluates on the
official 10,000-image test set (evaluation only), prints a table and writes benchmarks/results/accuracy.json.
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

from lab_utils.data import read_embedded_mnist, read_idx  # noqa: E402
from lab_utils.models import ACCURACY_TARGETS as TARGETS, RECIPES, accuracy, train_reference  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--test-dir", default=str(ROOT.parent / "shared" / "data" / "mnist-test"))
    parser.add_argument("--models", nargs="*", default=list(RECIPES))
    args = parser.parse_args()
    test_dir = Path(args.test_dir)
    x_test = read_idx(test_dir / "t10k-images-idx3-ubyte.gz", (28, 28))
    y_test = read_idx(test_dir / "t10k-labels-idx1-ubyte.gz", ())
    x_train, y_train, _, _ = read_embedded_mnist(test_per_class=0)  # all 5,000 digits
    results = {}
    print(f"{'model':<22} {'target':>7} {'accuracy per seed':<28} {'median':>7} {'train s':>8}")
    for name in args.models:
        accuracies, seconds = [], []
        for seed in range(args.seeds):
            start = time.perf_counter()
            model = train_reference(name, x_train, y_train, seed=seed)
            seconds.append(time.perf_counter() - start)
            accuracies.append(accuracy(model, x_test, y_test))
        median = statistics.median(accuracies)
        results[name] = {"accuracies": accuracies, "median": median, "train_seconds": seconds,
                         "target": TARGETS.get(name), "train_images": len(x_train), "test_images": len(x_test)}
        print(f"{name:<22} {TARGETS.get(name, float('nan')):>7.1%} "
              f"{' '.join(f'{a:.2%}' for a in accuracies):<28} {median:>7.2%} {statistics.median(seconds):>8.1f}")
    out = ROOT / "benchmarks" / "results" / "accuracy.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
