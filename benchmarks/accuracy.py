"""Accuracy of each lab's reference model, trained on the embedded 5,000-digit sample, on the official MNIST test set.

    .venv/bin/python benchmarks/accuracy.py [--seeds 3] [--notebook-seeds 3] [--test-dir ../shared/data/mnist-test]

Trains with the kit's recipe (lab_utils.models.RECIPES) on all 5,000 embedded digits, evaluates on the
official 10,000-image test set (evaluation only), prints a table and writes benchmarks/results/accuracy.json.
With --notebook-seeds N, it also executes each lab's solution notebook N times (its defaults, with SEED = 42, the
default, then 43, ...), on the embedded sample's 4,000 training digits as a student's offline run does, and
scores the model the notebook saves to its MODEL_PATH: the notebook's own model.
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

from lab_utils.data import read_embedded_mnist  # noqa: E402
from lab_utils.files import write_atomic  # noqa: E402
from lab_utils.models import ACCURACY_TARGETS as TARGETS  # noqa: E402
from lab_utils.models import RECIPES, accuracy, train_reference  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from notebooks import NOTEBOOK_MODELS, OFFICIAL_TEST_DIR, official_test_set, run_for_model  # noqa: E402


def notebook_accuracies(name, seeds, x_test, y_test):
    """Accuracy of the model the lab's notebook saves, for SEED = 42, 43, ... (42 is the notebook's default)."""
    import tempfile

    os.environ.update(LAB_OFFLINE="1", LAB_DATA_SOURCE="embedded")
    notebook = next(nb for nb, model in NOTEBOOK_MODELS.items() if model == name)
    scores = []
    for seed in range(42, 42 + seeds):
        with tempfile.TemporaryDirectory() as tmp:
            model, _ = run_for_model(ROOT / "solutions" / notebook, tmp, SEED=seed)
            scores.append(accuracy(model, x_test, y_test))
    return notebook, scores


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--test-dir", default=str(OFFICIAL_TEST_DIR))
    parser.add_argument("--models", nargs="*", default=list(RECIPES))
    parser.add_argument("--notebook-seeds", type=int, default=0, help="runs of each lab's notebook (0: none)")
    args = parser.parse_args()
    x_test, y_test = official_test_set(args.test_dir)
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
        if args.notebook_seeds:
            notebook, scores = notebook_accuracies(name, args.notebook_seeds, x_test, y_test)
            results[name]["notebook"] = {"name": notebook, "seeds": list(range(42, 42 + args.notebook_seeds)),
                                         "accuracies": scores, "median": statistics.median(scores)}
            print(f"{'  ' + notebook:<22} {'':>7} {' '.join(f'{a:.2%}' for a in scores):<28} "
                  f"{statistics.median(scores):>7.2%}  (the notebook's own model, SEED 42 first)", flush=True)
    out = ROOT / "benchmarks" / "results" / "accuracy.json"
    # The models not run this time (--models) keep their earlier results; written whole or not at all.
    earlier = json.loads(out.read_text()) if out.exists() else {}
    write_atomic(out, json.dumps({**earlier, **results}, indent=2) + "\n")
    print(f"written {out.relative_to(ROOT)} ({', '.join(results)} updated)")


if __name__ == "__main__":
    main()
