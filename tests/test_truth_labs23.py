"""Labs 2 and 3 say only what their runs print: the regularisation and architecture verdicts in the saved outputs
follow from the numbers printed beside them, and every percentage a markdown cell states is printed by the run or
is a cited fact."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MLP = ROOT / "solutions" / "02_mlp.ipynb"
LENET = ROOT / "solutions" / "03_lenet.ipynb"
# A printed number is rounded to 0.1; a difference or range worked out from printed numbers may be 0.1 off the
# unrounded one that decided the verdict, so a verdict is checked only where the margin is larger than that.
ROUNDING = 0.11


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def cell_text(cell):
    text = "".join(cell["source"])
    for output in cell.get("outputs", []):
        text += "".join(output.get("text", "")) + "".join(output.get("data", {}).get("text/plain", ""))
    return text


def printed(path, marker):
    """The saved output of the one code cell whose source holds ``marker``."""
    [cell] = [c for c in cells(path) if c["cell_type"] == "code" and marker in "".join(c["source"])]
    text = "".join("".join(o.get("text", "")) for o in cell.get("outputs", []))
    assert text, f"{path.name}: the cell with {marker!r} has no saved output; execute the notebook"
    return text


def parameters(path):
    [cell] = [c for c in cells(path) if "parameters" in c.get("metadata", {}).get("tags", [])]
    scope = {}
    exec("".join(cell["source"]), scope)
    return scope


def test_lab2_regularisation_verdicts_follow_the_printed_accuracies():
    cell = next(c for c in cells(MLP) if "def early_stopping" in "".join(c["source"]))
    assert "from lab_utils.transfer import compare" in "".join(cell["source"])  # the kit's rule, not a new one
    out = printed(MLP, "def early_stopping")
    accuracy = {name.strip(): (float(mean), float(low), float(high)) for name, mean, low, high in re.findall(
        r"^\s*(.+?): validation accuracy ([\d.]+)% \(from ([\d.]+)% to ([\d.]+)% over \d+ seeds\)$", out, re.M)}
    assert "no regularisation" in accuracy and len(accuracy) == 4, out
    verdicts = re.findall(r"^(.+?) against no regularisation: ([+-][\d.]+) points between the means printed above "
                          r"\(the seeds' range: ([\d.]+) points\): (.+)$", out, re.M)
    assert len(verdicts) == 3, out
    base = accuracy["no regularisation"]
    groups = {"better": [], "worse": [], "within noise": []}
    for name, difference, spread, verdict in verdicts:
        mean, low, high = accuracy[name]
        assert float(difference) == pytest.approx(mean - base[0], abs=0.01)
        assert float(spread) == pytest.approx(max(high - low, base[2] - base[1], 0.5), abs=ROUNDING)
        margin = abs(float(difference)) - float(spread)
        if margin < -ROUNDING:
            assert verdict == "within noise", (name, difference, spread, verdict)
        elif margin > ROUNDING:
            assert verdict.startswith("better" if float(difference) > 0 else "worse"), (name, verdict)
        groups[verdict.split(",")[0]].append(name)
    [summary] = [line for line in out.splitlines() if line.startswith("-> ")]
    assert (f"{', '.join(groups['better']) or 'no remedy'} beat no regularisation") in summary
    if groups["worse"]:
        assert f"{', '.join(groups['worse'])} fell behind it" in summary
    if groups["within noise"]:
        assert f"{', '.join(groups['within noise'])} within noise of it" in summary


def lenet_comparison():
    out = printed(LENET, "def last(name, metric)")
    means = {name.strip(): (float(mean), [float(r) for r in runs.split("%, ")]) for name, mean, runs in re.findall(
        r"^  (\S.*?)\s+[\d.]+\s+([\d.]+)%\s+\(runs: ([\d.%, ]+)%\)$", out, re.M)}
    [spread] = re.findall(r"([\d.]+) points of validation accuracy", out)
    return out, means, float(spread)


def test_lab3_each_recipe_choice_is_judged_from_the_printed_means_and_spread():
    out, means, spread = lenet_comparison()
    assert len(means) == 5, out
    assert spread == pytest.approx(max(max(runs) - min(runs) for _, runs in means.values()), abs=ROUNDING)
    p = parameters(LENET)
    assert f"in this short regime ({p['COMPARE_IMAGES']:,} images, {p['COMPARE_EPOCHS']} epochs" in out
    modern = means["modern: ReLU, max"][0]
    for what, without in [("ReLU instead of tanh", "tanh, max"), ("max instead of average pooling", "ReLU, average"),
                          ("augmentation", "modern, no augmentation")]:
        [(moved, points, size)] = re.findall(
            rf"^  {re.escape(what)} (raised|lowered) the validation accuracy, ([\d.]+) points between the means, "
            r"(.+)$", out, re.M)
        gap = modern - means[without][0]
        assert float(points) == pytest.approx(abs(gap), abs=0.01) and moved == ("raised" if gap > 0 else "lowered")
        if abs(gap) > spread + ROUNDING:
            assert size.startswith("more than the seeds' spread") and size.endswith("a gain" if gap > 0 else "a loss")
        elif abs(gap) < spread - ROUNDING:
            assert size.startswith("within the seeds' spread") and size.endswith("no clear change")


def test_lab3_mlp_against_lenet_says_its_spread_comes_from_the_short_runs():
    _, _, spread = lenet_comparison()
    out = printed(LENET, 'mlp_recipe = RECIPES["mlp"]')
    table = dict(re.findall(r"^(MLP|LeNet-5)\s+[\d,]+\s+([\d.]+)%", out, re.M))
    gap = float(table["LeNet-5"]) - float(table["MLP"])
    p = parameters(LENET)
    [line] = [line for line in out.splitlines() if line.startswith("-> ")]
    assert f"LeNet {gap:+.1f} points against the MLP" in line
    assert f"{spread:.1f} points of seed-to-seed spread measured in the {p['COMPARE_EPOCHS']}-epoch runs on " \
           f"{p['COMPARE_IMAGES']:,} images" in line
    assert f"these {p['EPOCHS']}- and {p['MLP_EPOCHS']}-epoch runs are one seed each" in line
    if abs(gap) < spread - ROUNDING:
        assert line.startswith(f"-> LeNet {gap:+.1f} points against the MLP, within") and "no clear difference" in line
    elif abs(gap) > spread + ROUNDING:
        assert "more than" in line and "more accurate" in line


# Percentages a markdown cell may state without the run printing them: facts from a paper the paragraph cites.
CITED = {"25%": "Krizhevsky"}


@pytest.mark.parametrize("path", [MLP, LENET], ids=lambda p: p.name)
def test_every_percentage_in_the_text_is_printed_or_cited(path):
    notebook = cells(path)
    outputs = "".join(cell_text(c) for c in notebook if c["cell_type"] == "code")
    for cell in notebook:
        if cell["cell_type"] != "markdown":
            continue
        for paragraph in "".join(cell["source"]).split("\n\n"):
            for number in re.findall(r"\d[\d,.]*%", paragraph):
                assert number in outputs or CITED.get(number, "\0") in paragraph, (
                    f"{path.name}: {number} in {paragraph[:80]!r}... is printed by no cell and cites no source")
