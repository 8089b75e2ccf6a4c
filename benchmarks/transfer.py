"""Few labels, measured: Lab 4's section-4 recipe (transfer from baseA against training from scratch on digits 5-9).

    .venv/bin/python benchmarks/transfer.py [--seeds 5] [--labels 1 5 10 50] [--out benchmarks/results/transfer.json]

The recipe is the notebook's own: every setting (baseA's training, the layers copied, the steps, the learning
rates) is read from the parameters cell of solutions/04_transfer_learning.ipynb, and every run goes through
lab_utils.transfer.transfer_run, as in the notebook, with the notebook's own answer to the exercise
(`build_transfer`, read from its exercise cell) building the networks. Data: the embedded 5,000-digit sample
only (its training split to train, its 500 test digits of B to score). Seeds SEED, SEED + 1, ...: the first
ones are the notebook's own runs.

For each number of labels per class it prints the mean and range of scratch, frozen and fine-tuned, the gain of
each transfer method over scratch (the difference of the means, and its range seed by seed: a seed gives every
method the same digits), and checks Lab 4's targets: at 1 label per class the better transfer method beats
scratch by at least 5 points, and at no label count is it worse than scratch by more than 1 point. Exit status 1
when a target is missed. Results go to benchmarks/results/transfer.json.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from lab_utils.files import write_atomic  # noqa: E402

from notebooks import parameters, run_exercise  # noqa: E402

NOTEBOOK = ROOT / "solutions" / "04_transfer_learning.ipynb"
TARGET_GAIN_AT_ONE = 0.05   # at 1 label per class, the better transfer method beats scratch by at least this
WORST_ALLOWED = -0.01       # at no label count is the better transfer method below scratch by more than this
METHODS = ("from scratch", "frozen", "fine-tuned")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--labels", type=int, nargs="+", default=[1, 5, 10, 50], help="labelled digits per class of B")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "transfer.json")
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    from lab_utils.data import read_embedded_mnist
    from lab_utils.models import lenet
    from lab_utils.transfer import TRANSFER_LAYERS, mean_range, per_class_subset, split_classes, train, transfer_run

    p = parameters(NOTEBOOK)
    answer = run_exercise(NOTEBOOK, "Exercise 1", lenet=lenet, TRANSFER_LAYERS=TRANSFER_LAYERS)
    build_transfer = answer["build_transfer"]
    x_train, y_train, x_test, y_test = read_embedded_mnist()
    xa, ya = split_classes(x_train, y_train, range(5))
    xb, yb = split_classes(x_train, y_train, range(5, 10))
    xb_test, yb_test = split_classes(x_test, y_test, range(5, 10))
    start = time.perf_counter()
    keras.utils.set_random_seed(p["SEED"])
    base_a = lenet(num_classes=5)
    train(base_a, xa, ya, epochs=p["BASE_EPOCHS"], batch_size=p["BATCH_SIZE"], learning_rate=p["LEARNING_RATE"],
          seed=p["SEED"], cosine=p["COSINE_DECAY"])
    setups = {"from scratch": (0, False), "frozen": (p["COPIED_FOR_FEW_LABELS"], False),
              "fine-tuned": (p["COPIED_FOR_FEW_LABELS"], True)}
    seeds = [p["SEED"] + s for s in range(args.seeds)]
    results = {}
    for per_class in args.labels:
        accs = {name: [] for name in METHODS}
        for seed in seeds:
            subset = per_class_subset(yb, per_class, seed=seed)
            for name, (n, fine_tune) in setups.items():
                accs[name].append(transfer_run(
                    build_transfer, base_a, n, fine_tune, (xb[subset], yb[subset]), (xb_test, yb_test), seed=seed,
                    epochs=1, batch_size=p["BATCH_SIZE"], learning_rate=p["LEARNING_RATE"],
                    fine_tune_factor=p["FEW_LABEL_FINE_TUNE_FACTOR"], min_steps=p["FEW_LABEL_STEPS"],
                    cosine=p["COSINE_DECAY"]))
        row = {"per_class": per_class, "accuracies": accs,
               "mean": {name: statistics.mean(a) for name, a in accs.items()},
               "min": {name: min(a) for name, a in accs.items()}, "max": {name: max(a) for name, a in accs.items()}}
        row["gain"] = {name: row["mean"][name] - row["mean"]["from scratch"] for name in ("frozen", "fine-tuned")}
        # The same digits and seed for every method, so the gains pair up seed by seed.
        row["gain_per_seed"] = {name: [a - b for a, b in zip(accs[name], accs["from scratch"])]
                                for name in ("frozen", "fine-tuned")}
        row["best"] = max(row["gain"], key=row["gain"].get)
        row["best_gain"] = row["gain"][row["best"]]
        results[per_class] = row
        print(f"{per_class:>3} labels/class: " + "  ".join(f"{name} {mean_range(a)}" for name, a in accs.items())
              + "  | gain (per seed) " + ", ".join(
                  f"{name} {row['gain'][name] * 100:+.1f} ({min(g) * 100:+.1f} to {max(g) * 100:+.1f})"
                  for name, g in row["gain_per_seed"].items()) + " points", flush=True)
    seconds = time.perf_counter() - start

    checks = {}
    if 1 in results:
        checks["gain_at_1_label_at_least_5_points"] = results[1]["best_gain"] >= TARGET_GAIN_AT_ONE
    checks["never_worse_than_scratch_by_more_than_1_point"] = all(
        r["best_gain"] >= WORST_ALLOWED for r in results.values())
    checks["fine_tuned_never_worse_than_scratch_by_more_than_1_point"] = all(
        r["gain"]["fine-tuned"] >= WORST_ALLOWED for r in results.values())
    checks["frozen_never_worse_than_scratch_by_more_than_1_point"] = all(
        r["gain"]["frozen"] >= WORST_ALLOWED for r in results.values())

    print(f"\nLab 4's few-label recipe, {len(seeds)} seeds ({seeds[0]}-{seeds[-1]}), embedded sample: B = digits 5-9, "
          f"{len(xb_test)} test digits; mean (min-max), gains in points; {seconds:.0f} s")
    print("| labels per class of B | from scratch | frozen | fine-tuned | frozen - scratch | fine-tuned - scratch |")
    print("| --- | --- | --- | --- | --- | --- |")
    for k, r in results.items():
        print(f"| {k} | " + " | ".join(mean_range(r["accuracies"][name]) for name in METHODS) + " | " + " | ".join(
            f"{r['gain'][name] * 100:+.1f} ({min(g) * 100:+.1f} to {max(g) * 100:+.1f})"
            for name, g in r["gain_per_seed"].items()) + " |")
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}: {name.replace('_', ' ')}")

    recipe = {name: p[name] for name in ("SEED", "BATCH_SIZE", "LEARNING_RATE", "COSINE_DECAY", "BASE_EPOCHS",
                                         "COPIED_FOR_FEW_LABELS", "FEW_LABEL_STEPS", "FEW_LABEL_FINE_TUNE_FACTOR")}
    write_atomic(args.out, json.dumps({
        "recipe": recipe, "recipe_source": str(NOTEBOOK.relative_to(ROOT)), "seeds": seeds,
        "data": "embedded 5,000-digit sample: A = digits 0-4 (2,000 training), B = digits 5-9, 500 test digits of B",
        "results": [results[k] for k in args.labels], "checks": checks, "seconds": round(seconds, 1),
        "machine": {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
                    "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count()},
    }, indent=1) + "\n")
    print(f"Saved {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
