"""Submissions made from the kit's own notebooks: a solution with one typical wrong answer in place of the right one.

The grader's tests (test_grade.py, test_grade_labs.py) and its benchmark (benchmarks/grading.py) build their classes
from these. Each wrong answer is a mistake its exercise's check already knows, with the words of the message the
check gives for it.
"""

import json
import re
from pathlib import Path

# Lab 1: the body that replaces the solution block of each exercise, and the words of the check's message.
WRONG = {
    "1": ("return 1 / (1 + tf.exp(z))", "Compare your code with the sigmoid's definition, sign by sign."),
    "2": ("return -tf.reduce_sum(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))", "the sum over the examples"),
    "3": ("with tf.GradientTape() as tape:\n        loss = binary_cross_entropy(y, predict_proba(w, b, x))\n"
          "    grad_w, grad_b = tape.gradient(loss, [w, b])\n    w.assign_add(learning_rate * grad_w)\n"
          "    b.assign_add(learning_rate * grad_b)\n    return loss", "went uphill"),
    "4": ("p = tf.exp(logits) / tf.reduce_sum(tf.exp(logits), axis=1, keepdims=True)\n"
          "    return -tf.reduce_mean(tf.math.log(tf.gather(p, labels, axis=1, batch_dims=1)))", "exp(1000) overflows"),
    "5": ('return keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10, activation="softmax")])',
          "ends in a softmax"),
    "6": ("return np.column_stack([X, X[:, 0] + X[:, 1]])", "reaches only"),
}

# The other labs: each wrong answer as an edit of the solution's exercise cell (old text, new text), and the words
# of the check's message.
WRONG_ELSEWHERE = {
    "00_setup": {
        "1": ("np.bincount(labels, minlength=10)", "np.bincount(labels)", "expected 10 counts"),
        "2": ('images.astype("float32") / 255.0', "images / 255", "expected dtype float32"),
    },
    "02_mlp": {
        "1": ("delta = e * W2 * (1 - h ** 2)", "delta = e * W2", "1 - h**2"),
        "2": ("keras.layers.Dense(10),", 'keras.layers.Dense(10, activation="softmax"),', "must output logits"),
    },
    "03_lenet": {
        "1": ("np.sum(patch * kernel)", "np.sum(patch * kernel[::-1, ::-1])", "the kernel flipped"),
        "2": ("(W - F + 2 * P) // S + 1", "(W - F + P) // S + 1", "on *both* sides"),
        "3": ("filters * (kernel_size * kernel_size * in_channels + 1)",
              "filters * kernel_size * kernel_size * in_channels", "also has a bias"),
        "4": ("layers * (kernel_size - 1) + 1", "layers * kernel_size", "each adds fewer than k pixels"),
        "5": ('keras.layers.Dense(10, name="logits")', 'keras.layers.Dense(10, activation="softmax", name="logits")',
              "output logits"),
    },
    "04_transfer_learning": {
        "1": ("\n        model.get_layer(name).trainable = fine_tune", "", "has trainable=True; expected False"),
    },
    "05_modern_cnns": {
        "1": ("params = side * side * channels * units + units", "params = side * side * channels * units",
              "each unit has a bias"),
        "2": ('keras.layers.Conv2D(filters, 3, padding="same", activation="relu")',
              'keras.layers.Conv2D(filters, 3, activation="relu")', 'keep the side (padding="same")'),
        "3": ("gap_head = channels * classes + classes", "gap_head = channels * classes", "its biases included"),
        "4": ("keras.layers.Concatenate()(branches)", "keras.layers.Concatenate()(branches[:3])",
              "concatenated along the channels"),
        "5": ("BatchNormalization(momentum=0.9)", "BatchNormalization()", "momentum=0.9"),
    },
}


# Shorter training for the labs in the grader's tests: a student may change the parameters cell, and the grader judges
# the exercises' functions, not what the lab trains (nbval runs every notebook at its defaults).
QUICK = {
    "01_linear_model": {"EPOCHS": 2, "TOY_STEPS": 50},
    "02_mlp": {"TOY_EPOCHS": 30, "EXPERIMENT_EPOCHS": 1, "OVERFIT_EPOCHS": 2, "EPOCHS": 1, "HISTOGRAM_FREQ": 0},
    "03_lenet": {"COMPARE_EPOCHS": 1, "MLP_EPOCHS": 1, "EPOCHS": 1},
    "04_transfer_learning": {"BASE_EPOCHS": 1, "TRANSFER_EPOCHS": 1, "LABELS_PER_CLASS": [5], "FEW_LABEL_STEPS": 10},
    "05_modern_cnns": {"INVARIANCE_EPOCHS": 1, "COMPARE_EPOCHS": 1, "TRAP_STEPS": 20, "EPOCHS": 1},
}


def quick(notebook, lab):
    """A copy of ``notebook`` (lab ``lab``, e.g. "03_lenet") whose parameters cell trains for less (QUICK)."""
    notebook = json.loads(json.dumps(notebook))
    cell = next(c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", []))
    source = "".join(cell["source"])
    for name, value in QUICK.get(lab, {}).items():
        source, found = re.subn(rf"^{name} = .*$", f"{name} = {value!r}", source, flags=re.MULTILINE)
        if found != 1:
            raise LookupError(f"{lab}'s parameters cell has no {name}: update QUICK")
    cell["source"] = source
    return notebook


def load(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def save(notebook, path):
    """Write ``notebook`` (a dict, or text as it is) to ``path``, making its folder; returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(notebook if isinstance(notebook, str) else json.dumps(notebook), encoding="utf-8")
    return path


def index_of(notebook, start):
    """The index of the first cell of ``notebook`` whose source starts with ``start``."""
    return next(i for i, c in enumerate(notebook["cells"]) if "".join(c["source"]).startswith(start))


def with_answer(notebook, number, body):
    """A copy of ``notebook`` whose Exercise ``number`` answers with ``body`` in place of the solution block."""
    notebook = json.loads(json.dumps(notebook))
    cell = notebook["cells"][index_of(notebook, f"# Exercise {number}:")]
    cell["source"] = re.sub(r"( *)### BEGIN SOLUTION.*?### END SOLUTION", lambda m: m.group(1) + body,
                            "".join(cell["source"]), flags=re.DOTALL)
    return notebook


def with_mistake(notebook, number, old, new):
    """A copy of ``notebook`` whose Exercise ``number`` cell has ``old`` (which must be there) replaced by ``new``."""
    notebook = json.loads(json.dumps(notebook))
    cell = notebook["cells"][index_of(notebook, f"# Exercise {number}:")]
    source = "".join(cell["source"])
    if old not in source:
        raise LookupError(f"Exercise {number}'s solution no longer contains {old!r}: update WRONG_ELSEWHERE")
    cell["source"] = source.replace(old, new)
    return notebook


def statuses(result):
    """Each exercise's status in one of ``lab_utils.grade.grade``'s results: ``{"1": "passed", ...}``."""
    return {number: x["status"] for number, x in result["exercises"].items()}
