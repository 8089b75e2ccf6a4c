"""README's tables of results are written from the JSON results by benchmarks/readme_tables.py, never by hand."""

import json
import shutil
import sys

from notebooks import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import readme_tables  # noqa: E402


def test_readmes_tables_are_the_ones_the_results_give():
    text = readme_tables.README.read_text(encoding="utf-8")
    assert readme_tables.render(text) == text, "README is stale: run .venv/bin/python benchmarks/readme_tables.py"


def test_a_new_result_changes_the_table(tmp_path):
    shutil.copytree(readme_tables.RESULTS, tmp_path / "results")
    accuracy = json.loads((tmp_path / "results" / "accuracy.json").read_text())
    accuracy["mlp"]["accuracies"][0], accuracy["mlp"]["median"] = 0.9123, 0.9456
    (tmp_path / "results" / "accuracy.json").write_text(json.dumps(accuracy))
    (tmp_path / "results" / "notebooks").mkdir(exist_ok=True)
    (tmp_path / "results" / "notebooks" / "02_mlp.json").write_text(json.dumps({
        "notebook": "02_mlp.ipynb", "model": "mlp", "accuracy": 0.9612, "executed_by": "nbval", "date": "2031-01-02",
        "machine": "a test machine"}))
    text = readme_tables.render(readme_tables.README.read_text(encoding="utf-8"), tmp_path / "results")
    row = next(line for line in text.splitlines() if line.startswith("| MLP"))
    assert "91.23%" in row and "(94.56%)" in row and "96.12% (nbval, 2031-01-02)" in row
    assert "a test machine" in text
