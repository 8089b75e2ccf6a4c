"""The kit's way of training against the plain-Keras quickstart way, and how long each solution notebook takes.

    .venv/bin/python benchmarks/performance.py [--reps 5] [--notebook-runs 0] [--models lenet ...]

For each lab's reference model (softmax regression, MLP, LeNet) and each repetition, two fresh processes train
the same architecture on the same 5,000 embedded MNIST digits, one after the other (kit, baseline, kit,
baseline, ...), so that a machine slowing down or speeding up hits both alike:

- kit: ``lab_utils.models.train_reference``, the recipe the labs use (``RECIPES``: batch 256, Adam with a cosine
  schedule, random shifts in the ``make_dataset`` input pipeline for the MLP and LeNet);
- baseline: what a student copies from the TensorFlow quickstart: ``model.compile(optimizer="adam", ...)`` and
  ``model.fit(x_train / 255.0, y_train)`` on NumPy arrays with the default batch size (32), trained for as long
  as the kit trained, or three times the kit's time to the target if that is longer.

After every epoch the test accuracy is measured on the official MNIST test set (../shared/data/mnist-test, or
--test-dir; the embedded sample's 1,000 held-out digits if it is missing); the clock stops while it is measured.
Reported per way: seconds to the target accuracy (the clock starts before the model is built), training
throughput (images per second), peak memory of the process, final accuracy; then the ratios, as medians over
the repetitions. With --notebook-runs N, each solution notebook is then executed N times (benchmarks/notebook_times.py
times them against their budgets, at full size too).

Writes benchmarks/results/performance.json and benchmarks/results/performance.png (time-to-accuracy curves).
"""

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from lab_utils.files import replacing, write_atomic  # noqa: E402
from lab_utils.models import ACCURACY_TARGETS  # noqa: E402  (numpy only: TensorFlow loads in the workers)

sys.path.insert(0, str(ROOT / "tests"))
from notebooks import OFFICIAL_TEST_DIR, has_official_test_set, official_test_set  # noqa: E402

# The models timed to their labs' accuracy targets (lab_utils.models.ACCURACY_TARGETS).
MODELS = ["softmax_regression", "mlp", "lenet"]
BASELINE_TIME_FACTOR = 3  # the baseline trains for at least this many times the kit's time to the target
NOTEBOOKS = sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb"))
RESULTS = ROOT / "benchmarks" / "results"


# --------------------------------------------------------------------------- one training run (a subprocess)

def load_data(test_dir):
    from lab_utils.data import read_embedded_mnist

    if has_official_test_set(test_dir):
        x_train, y_train, _, _ = read_embedded_mnist(test_per_class=0)  # all 5,000 digits to train
        x_test, y_test = official_test_set(test_dir)
        return x_train, y_train, x_test, y_test, f"official MNIST test set ({len(y_test):,} digits)"
    x_train, y_train, x_test, y_test = read_embedded_mnist()
    return x_train, y_train, x_test, y_test, f"embedded sample's held-out digits ({len(y_test):,})"


def rss_mb():
    """Resident memory of this process now, in MiB (Linux)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def train_once(name, way, seed, budget_s, test_dir):
    """Train one model one way; return its accuracy curve, throughput and memory as a dict."""
    import keras
    import numpy as np
    import tensorflow as tf

    from lab_utils.models import RECIPES, train_reference

    x_train, y_train, x_test, y_test, test_name = load_data(test_dir)
    test_images = x_test[..., np.newaxis].astype("float32") / 255.0

    def test_accuracy(model):
        predicted = np.concatenate([np.argmax(model(test_images[i:i + 2000], training=False), axis=1)
                                    for i in range(0, len(test_images), 2000)])
        return float(np.mean(predicted == y_test))

    start_mb = rss_mb()

    class Curve(keras.callbacks.Callback):
        """Test accuracy after every epoch against training seconds; the clock stops while testing."""

        def __init__(self, start):
            super().__init__()
            self.start, self.paused, self.points, self.epochs = start, 0.0, [], 0

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self.start - self.paused
            tic = time.perf_counter()
            self.points.append((round(seconds, 3), test_accuracy(self.model)))
            self.epochs += 1
            gc.collect()  # the testing's garbage is collected now, with the clock stopped, not during training
            self.paused += time.perf_counter() - tic
            if budget_s is not None and seconds >= budget_s:
                self.model.stop_training = True

    curve = Curve(time.perf_counter())
    if way == "kit":
        train_reference(name, x_train, y_train, seed=seed, callbacks=[curve])
        batch_size = RECIPES[name].batch_size
    else:  # the TensorFlow quickstart: NumPy arrays scaled by 255.0, Adam's defaults, fit's default batch size
        keras.utils.set_random_seed(seed)
        model = RECIPES[name].build()
        model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        model.fit(x_train[..., np.newaxis] / 255.0, y_train, epochs=10_000, verbose=0, callbacks=[curve])
        batch_size = 32
    seconds = curve.points[-1][0]
    target = ACCURACY_TARGETS[name]
    return {
        "model": name, "way": way, "seed": seed, "batch_size": batch_size, "test_set": test_name,
        "curve": curve.points, "target": target,
        "seconds_to_target": next((s for s, a in curve.points if a >= target), None),
        "train_seconds": seconds, "images_per_second": curve.epochs * len(x_train) / seconds,
        "final_accuracy": curve.points[-1][1],
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "start_mb": start_mb,
        "devices": [d.name for d in tf.config.list_physical_devices()], "tensorflow": tf.__version__,
    }


def run_worker(name, way, seed, budget_s, test_dir):
    """Run train_once in a fresh Python process, so that neither way inherits the other's memory or caches."""
    job = json.dumps({"name": name, "way": way, "seed": seed, "budget_s": budget_s, "test_dir": str(test_dir)})
    done = subprocess.run([sys.executable, __file__, "--worker", job], capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        sys.exit(f"the {way} run of {name} (seed {seed}) failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1])


# --------------------------------------------------------------------------- notebooks

from notebook_times import time_notebook  # noqa: E402  (the notebooks' own timings and budgets)

# --------------------------------------------------------------------------- report

def median_or_none(values):
    """Median, where None (never reached) counts as slower than any number; None if that is the median."""
    ranked = sorted(values, key=lambda v: float("inf") if v is None else v)
    middle = ranked[(len(ranked) - 1) // 2: len(ranked) // 2 + 1]
    return None if None in middle else statistics.mean(middle)


def summarise(runs):
    table = {}
    for name in dict.fromkeys(r["model"] for r in runs):
        row = {}
        for way in ("kit", "baseline"):
            mine = [r for r in runs if r["model"] == name and r["way"] == way]
            row[way] = {
                "seconds_to_target": median_or_none([r["seconds_to_target"] for r in mine]),
                "reached": sum(r["seconds_to_target"] is not None for r in mine), "runs": len(mine),
                "train_seconds": statistics.median(r["train_seconds"] for r in mine),
                "images_per_second": statistics.median(r["images_per_second"] for r in mine),
                "peak_mb": statistics.median(r["peak_mb"] for r in mine),
                "final_accuracy": statistics.median(r["final_accuracy"] for r in mine),
            }
        kit, base = row["kit"], row["baseline"]
        # Speed-up per repetition (kit and baseline ran back to back), then the median: infinite where the
        # baseline never reached the target in its budget, zero where the kit never did.
        speedups = []
        for k, b in zip([r for r in runs if r["model"] == name and r["way"] == "kit"],
                        [r for r in runs if r["model"] == name and r["way"] == "baseline"]):
            if k["seconds_to_target"] is None:
                speedups.append(0.0)
            elif b["seconds_to_target"] is None:
                speedups.append(float("inf"))
            else:
                speedups.append(b["seconds_to_target"] / k["seconds_to_target"])
        row["speedups_to_target"] = [None if s == float("inf") else s for s in speedups]
        median = statistics.median(speedups)
        row["speedup_to_target"] = None if median == float("inf") else median  # None: the baseline never got there
        row["target"] = ACCURACY_TARGETS[name]
        row["baseline_budget_factor"] = BASELINE_TIME_FACTOR
        row["throughput_ratio"] = kit["images_per_second"] / base["images_per_second"]
        row["memory_ratio"] = kit["peak_mb"] / base["peak_mb"]
        table[name] = row
    return table


def print_table(table, machine, test_set):
    print(f"\nMachine: {machine}\nScored on: {test_set}")
    print(f"{'model':<19} {'way':<9} {'target':>6} {'s to target':>12} {'images/s':>9} {'peak MiB':>9} "
          f"{'final acc':>9}")
    for name, row in table.items():
        for way in ("kit", "baseline"):
            r = row[way]
            reached = "never" if r["seconds_to_target"] is None else f"{r['seconds_to_target']:.1f}"
            print(f"{name:<19} {way:<9} {row['target'] * 100:>5g}% {reached:>12} {r['images_per_second']:>9,.0f} "
                  f"{r['peak_mb']:>9,.0f} {r['final_accuracy']:>9.2%}")
        speedup = row["speedup_to_target"]
        sooner = "base never" if speedup is None else f"{speedup:.1f}x sooner"
        print(f"{'':<19} {'ratio':<9} {'':>6} {sooner:>12} {row['throughput_ratio']:>8.2f}x "
              f"{row['memory_ratio']:>8.2f}x")


def plot(runs, table, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(table), figsize=(4.2 * len(table), 3.4), squeeze=False)
    for ax, name in zip(axes[0], table):
        for way, colour in (("kit", "tab:blue"), ("baseline", "tab:orange")):
            for i, r in enumerate(r for r in runs if r["model"] == name and r["way"] == way):
                seconds, accuracies = zip(*r["curve"])
                ax.plot(seconds, accuracies, color=colour, alpha=0.6, lw=1, label=None if i else way)
        target = ACCURACY_TARGETS[name]
        ax.axhline(target, color="grey", ls="--", lw=1)
        ax.set_ylim(target - 0.06, min(1.0, target + 0.03))
        ax.set_title(name)
        ax.set_xlabel("training seconds")
        ax.set_ylabel("test accuracy")
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    with replacing(path) as tmp:
        fig.savefig(tmp, dpi=110)


def machine_line(run):
    """The CPU, cores, GPUs and versions that one worker run saw, in one line."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpus = [d for d in run["devices"] if "GPU" in d]
    return (f"{cpu}, {os.cpu_count()} cores, {'GPU: ' + ', '.join(gpus) if gpus else 'no GPU'}; "
            f"Python {platform.python_version()}, TensorFlow {run['tensorflow']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="repetitions of each kit/baseline pair")
    parser.add_argument("--models", nargs="*", default=MODELS, choices=MODELS)
    parser.add_argument("--notebook-runs", type=int, default=0,
                        help="executions of each solution notebook (0: none; benchmarks/notebook_times.py times them "
                             "against their budgets)")
    parser.add_argument("--test-dir", default=str(OFFICIAL_TEST_DIR))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        job = json.loads(args.worker)
        print(json.dumps(train_once(job["name"], job["way"], job["seed"], job["budget_s"], job["test_dir"])))
        return

    runs = []
    for rep in range(args.reps):
        for name in args.models:
            kit = run_worker(name, "kit", rep, None, args.test_dir)
            to_target = kit["seconds_to_target"] or kit["train_seconds"]
            budget = max(kit["train_seconds"], BASELINE_TIME_FACTOR * to_target)
            base = run_worker(name, "baseline", rep, budget, args.test_dir)
            runs += [kit, base]
            print(f"rep {rep + 1}/{args.reps} {name:<19} to {ACCURACY_TARGETS[name]:.1%}: kit "
                  f"{kit['seconds_to_target']} s, baseline {base['seconds_to_target']} s "
                  f"(final {kit['final_accuracy']:.2%} / {base['final_accuracy']:.2%})", flush=True)
    table = summarise(runs)
    machine = machine_line(runs[0])
    print_table(table, machine, runs[0]["test_set"])

    notebooks = {}
    for rep in range(args.notebook_runs):
        for name in NOTEBOOKS:
            notebooks.setdefault(name, []).append(time_notebook(name))
            print(f"notebook run {rep + 1}/{args.notebook_runs} {name}: {notebooks[name][-1]:.1f} s", flush=True)
    if notebooks:
        medians = {name: statistics.median(seconds) for name, seconds in notebooks.items()}
        print(f"\n{'solution notebook':<30} {'median s':>9}  runs")
        for name, seconds in notebooks.items():
            print(f"{name:<30} {medians[name]:>9.1f}  {', '.join(f'{s:.1f}' for s in seconds)}")
        print(f"{'all together':<30} {sum(medians.values()):>9.1f}")

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"machine": machine, "test_set": runs[0]["test_set"],
           "command": " ".join(["benchmarks/performance.py", *sys.argv[1:]]),
           "date": time.strftime("%Y-%m-%d"), "table": table, "runs": runs,
           "notebooks": {name: {"seconds": s, "median": statistics.median(s)} for name, s in notebooks.items()}}
    write_atomic(RESULTS / "performance.json", json.dumps(out, indent=1) + "\n")
    plot(runs, table, RESULTS / "performance.png")
    print("written", (RESULTS / "performance.json").relative_to(ROOT), "and",
          (RESULTS / "performance.png").relative_to(ROOT))


if __name__ == "__main__":
    main()
