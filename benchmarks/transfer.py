"""Few labels, measured: fine-tuning from baseA against training from scratch on digits 5-9 (Lab 4's section 4).

    .venv/bin/python benchmarks/transfer.py [--seeds 5] [--labels 10] [--base-epochs 6] [--shift 0]

Uses the embedded 5,000-digit sample only (train split to train, its test split to score), the same helpers and
settings as the notebook's defaults, and prints the mean and spread over seeds.
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402

from lab_utils.data import read_embedded_mnist  # noqa: E402
from lab_utils.models import accuracy, lenet  # noqa: E402
from lab_utils.transfer import TRANSFER_LAYERS, per_class_subset, split_classes, train  # noqa: E402


def transfer_net(base, n, fine_tune):
    model = lenet(num_classes=5)
    for name in TRANSFER_LAYERS[:n]:
        model.get_layer(name).set_weights(base.get_layer(name).get_weights())
        model.get_layer(name).trainable = fine_tune
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--labels", type=int, default=10, help="labelled digits per class of B")
    parser.add_argument("--copied", type=int, default=2, help="layers copied from baseA")
    parser.add_argument("--base-epochs", type=int, default=6, help="training epochs of baseA (the notebook's 6)")
    parser.add_argument("--shift", type=int, default=0,
                        help="augmentation (pixels) for baseA and for every run on B (the notebook's 0)")
    args = parser.parse_args()
    x_train, y_train, x_test, y_test = read_embedded_mnist()
    xa, ya = split_classes(x_train, y_train, range(5))
    xb, yb = split_classes(x_train, y_train, range(5, 10))
    xb_test, yb_test = split_classes(x_test, y_test, range(5, 10))
    keras.utils.set_random_seed(42)
    base_a = lenet(num_classes=5)
    train(base_a, xa, ya, epochs=args.base_epochs, seed=42, shift=args.shift)
    results = {"from scratch": [], "frozen features + new head": [], "fine-tuning": []}
    setups = {"from scratch": (0, False), "frozen features + new head": (args.copied, False),
              "fine-tuning": (args.copied, True)}
    for seed in range(args.seeds):
        subset = per_class_subset(yb, args.labels, seed=42 + seed)
        for name, (n, fine_tune) in setups.items():
            keras.utils.set_random_seed(42 + seed)
            model = transfer_net(base_a, n, fine_tune)
            train(model, xb[subset], yb[subset], epochs=3, seed=42 + seed, min_steps=100,
                  copied_layers=TRANSFER_LAYERS[:n], copied_learning_rate=1e-4, shift=args.shift)
            results[name].append(accuracy(model, xb_test, yb_test))
    print(f"{args.labels} labelled digits per class of B, {args.seeds} seeds, {args.copied} layers copied from baseA "
          f"(trained {args.base_epochs} epochs), shifts of up to {args.shift} pixels")
    for name, accs in results.items():
        print(f"  {name:<27} mean {statistics.mean(accs):.1%}  (min {min(accs):.1%}, max {max(accs):.1%})")
    gain = statistics.mean(results["fine-tuning"]) - statistics.mean(results["from scratch"])
    print(f"fine-tuning minus from scratch: {gain * 100:+.1f} points (Lab 4's issue asks for at least +10)")


if __name__ == "__main__":
    main()
