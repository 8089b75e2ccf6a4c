"""How long grading a class takes: 30 submissions of Lab 1 (the solution, a few wrong answers and an untouched lab
mixed in), graded by ``python -m lab_utils.grade``'s own code with ``--jobs N``.

    .venv/bin/python benchmarks/grading.py --jobs 1
    .venv/bin/python benchmarks/grading.py --jobs 2

Prints the seconds for the whole class and the slowest submission; the target is a class of 30 in under 10 minutes.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from submissions import WRONG, with_answer  # noqa: E402  (the grader tests' wrong answers)

MIXED_IN = "126"  # the exercises whose typical wrong answer some students hand in


def make_class(folder, students=30):
    """``students`` notebooks of Lab 1 in ``folder``: mostly the solution, one wrong answer in every fifth, the
    untouched lab as the last."""
    solution = json.loads((ROOT / "solutions" / "01_linear_model.ipynb").read_text(encoding="utf-8"))
    wrong = [(number, WRONG[number][0]) for number in MIXED_IN]
    for i in range(students):
        notebook = solution
        if i == students - 1:
            notebook = json.loads((ROOT / "labs" / "01_linear_model.ipynb").read_text(encoding="utf-8"))
        elif i % 5 == 4:
            notebook = with_answer(solution, *wrong[(i // 5) % len(wrong)])
        (Path(folder) / f"student{i + 1:02d}.ipynb").write_text(json.dumps(notebook), encoding="utf-8")


def main():
    from lab_utils.grade import grade

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--out", default=None, help="where the grades go (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        submissions = Path(tmp) / "submissions"
        submissions.mkdir()
        make_class(submissions, args.students)
        load = os.getloadavg()[0]
        start = time.monotonic()
        results = grade("01", [str(submissions)], args.out or Path(tmp) / "grades", jobs=args.jobs, quiet=True)
        seconds = time.monotonic() - start
    full = sum(all(x["status"] == "passed" for x in r["exercises"].values()) for r in results)
    print(f"graded {len(results)} submissions of Lab 1 with --jobs {args.jobs} on {os.cpu_count()} cores in "
          f"{seconds:.0f} s ({seconds / len(results):.1f} s each; slowest {max(r['seconds'] for r in results):.0f} s); "
          f"{full} with full marks; load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
