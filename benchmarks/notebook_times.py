"""How long each solution notebook takes, as a student runs it, against its time budget.

    .venv/bin/python benchmarks/notebook_times.py [--runs 3] [--full-size DIR] [--only 03_lenet ...]

Each solution is executed --runs times in a fresh kernel (kernel start included), offline, on the embedded
5,000-digit sample, as CI does. With --full-size DIR, each is also executed on the four IDX files in DIR
(60,000 training images; Fashion-MNIST's files from Debian's dataset-fashion-mnist stand in for the full MNIST
offline), as a student who is online would run it: there the budget is twice the sample's.
Prints the median seconds per notebook and writes benchmarks/results/notebook_times.json.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from lab_utils.files import write_atomic  # noqa: E402

from notebooks import execute  # noqa: E402  (the one way tests and benchmarks run a notebook: papermill)

RESULTS = ROOT / "benchmarks" / "results"
# Seconds each notebook may take on a 2-core CPU with the embedded sample; at full size, twice that.
BUDGETS = {"00_setup.ipynb": 30, "01_linear_model.ipynb": 90, "02_mlp.ipynb": 90, "03_lenet.ipynb": 120,
           "04_transfer_learning.ipynb": 150, "05_modern_cnns.ipynb": 180}
FULL_SIZE_FACTOR = 2


def time_notebook(name, env=None):
    """Seconds to execute solutions/``name`` in a fresh kernel (kernel start included), offline."""
    from papermill.exceptions import PapermillExecutionError

    env = {"LAB_OFFLINE": "1", **(env or {"LAB_DATA_SOURCE": "embedded"})}
    with tempfile.TemporaryDirectory() as tmp:
        tic = time.perf_counter()
        try:
            execute(ROOT / "solutions" / name, tmp, env={**env, "LAB_OUTPUT_DIR": tmp})
        except PapermillExecutionError as e:
            sys.exit(f"solutions/{name} failed to execute: {e.ename}: {e.evalue}")
        return time.perf_counter() - tic


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="executions of each notebook on the sample")
    parser.add_argument("--full-size", help="a folder of the four 60,000/10,000 IDX files (one more run each)")
    parser.add_argument("--only", nargs="*", help="notebook names (without .ipynb) to time; default all")
    args = parser.parse_args()
    names = sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb"))
    if args.only:
        names = [n for n in names if n.removesuffix(".ipynb") in args.only]
    settings = [("sample", None, args.runs, 1)]
    if args.full_size:
        folder = str(Path(args.full_size).resolve())
        settings.append(("full size", {"LAB_DATA_DIR": folder, "LAB_DATA_SOURCE": "local"}, 1, FULL_SIZE_FACTOR))
    results = {}
    for label, env, runs, factor in settings:
        for name in names:
            seconds = [time_notebook(name, env) for _ in range(runs)]
            budget = BUDGETS.get(name, 0) * factor or None
            results.setdefault(label, {})[name] = {"seconds": seconds, "median": statistics.median(seconds),
                                                   "budget": budget}
            verdict = "" if budget is None else (" within budget" if statistics.median(seconds) <= budget
                                                 else " OVER BUDGET")
            print(f"{label:<10} {name:<28} median {statistics.median(seconds):6.1f} s of {budget} s{verdict} "
                  f"({', '.join(f'{s:.1f}' for s in seconds)})", flush=True)
    path = RESULTS / "notebook_times.json"
    run = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                      f"Python {platform.python_version()}",
           "command": " ".join(["benchmarks/notebook_times.py", *sys.argv[1:]]), "date": time.strftime("%Y-%m-%d")}
    out = {**run, "results": results}
    if args.only and path.is_file():  # keep the other notebooks' results; note which run these came from
        out = json.loads(path.read_text())
        for label, timed in results.items():
            out["results"].setdefault(label, {}).update({name: {**r, **run} for name, r in timed.items()})
    write_atomic(path, json.dumps(out, indent=1) + "\n")  # an interrupted run leaves the last results whole
    print(f"written {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
