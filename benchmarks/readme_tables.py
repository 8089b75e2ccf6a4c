"""README's tables of results, written from the JSON results they report: never copied by hand.

    .venv/bin/python benchmarks/readme_tables.py           # rewrite the tables in README.md
    .venv/bin/python benchmarks/readme_tables.py --check   # exit 1 if README's tables differ from the results

Each table sits in README between ``<!-- table NAME: ... -->`` and ``<!-- end of table NAME -->``. Its sources:

- ``accuracy``: ``benchmarks/results/accuracy.json`` (``benchmarks/accuracy.py``, the recipes) and
  ``benchmarks/results/notebooks/*.json`` (``make record``: the model each notebook saved in the nbval run of
  ``make test``, scored by ``tests/test_notebook_models.py``).
"""

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
README = ROOT / "README.md"

# What each model is (its parameter count comes from building it), and the lab it belongs to.
MODELS = {
    "softmax_regression": ("softmax regression", "", "Lab 1"),
    "mlp": ("MLP 256-128, dropout 0.2", "random shifts", "Lab 2"),
    "lenet": ("modern LeNet-5 with C5 as a convolution", "random shifts, turns, zooms and heavier strokes", "Lab 3"),
    "small_resnet": ("small ResNet, batch normalisation, GAP", "label smoothing 0.1", "Lab 5"),
}


def _parameters(name):
    from lab_utils.models import RECIPES

    return RECIPES[name].build().count_params()


def _percent(x):
    return f"{x:.2%}"


def accuracy_table(results=RESULTS):
    """The accuracy table's lines, from ``results``/accuracy.json and ``results``/notebooks/."""
    recipes = json.loads((results / "accuracy.json").read_text(encoding="utf-8"))
    notebooks = {}
    for path in sorted((results / "notebooks").glob("*.json")):
        run = json.loads(path.read_text(encoding="utf-8"))
        notebooks[run["model"]] = run
    seeds = {len(r["accuracies"]) for r in recipes.values()}
    lines = ["| model | target | recipe, 5,000 digits, "
             f"{'/'.join(map(str, sorted(seeds)))} seeds: each (median) | the notebook's own model, SEED = 42 |",
             "| --- | --- | --- | --- |"]
    for name, (what, extra, lab) in MODELS.items():
        recipe, own = recipes[name], notebooks.get(name)
        described = f"{what}, {extra}" if extra else what
        each = ", ".join(_percent(a) for a in recipe["accuracies"])
        mine = (f"{_percent(own['accuracy'])} ({own['executed_by']}, {own['date']})" if own else "not recorded")
        lines.append(f"| {described} ({_parameters(name):,} parameters), {lab} | {recipe['target']:.1%} | "
                     f"{each} ({_percent(recipe['median'])}) | {mine} |".replace(".0%", "%"))
    machines = sorted({run["machine"] for run in notebooks.values()})
    if machines:
        lines += ["", f"The notebooks' column: {'; '.join(machines)}."]
    return lines


TABLES = {"accuracy": accuracy_table}


def render(text, results=RESULTS):
    """``text`` (README) with each table between its markers written anew from ``results``."""
    for name, make in TABLES.items():
        pattern = re.compile(rf"(<!-- table {name}:[^\n]*-->\n)(.*?)(<!-- end of table {name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md: no '<!-- table {name}: ... -->' ... '<!-- end of table {name} -->' markers")
        start, end = pattern.search(text).span(2)
        text = text[:start] + "\n".join(make(results)) + "\n" + text[end:]
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether README is up to date (exit 1 if not)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from lab_utils.files import write_atomic

    text = README.read_text(encoding="utf-8")
    new = render(text)
    if args.check:
        print("README's tables are up to date" if new == text else "README's tables differ from benchmarks/results/")
        return 0 if new == text else 1
    if new != text:
        write_atomic(README, new)
    print(f"README.md: tables {', '.join(TABLES)} written from {RESULTS.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
