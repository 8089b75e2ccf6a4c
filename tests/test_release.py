"""The students' repository (``python -m lab_utils.release``): the labs and the package, no answers, pointing at the
students' repository and tag, installable, and each lab runs as a student first runs it."""

import json
import os
import re
import subprocess
import sys

import pytest

from lab_utils import labgen, release

from notebooks import ROOT, assert_run_all_stops_at_the_first_exercise

REPO, TAG = "alice/handwriting-labs-2027", "v2027.1"
BADGE = f"https://colab.research.google.com/github/{REPO}/blob/{TAG}/labs/"
INSTALL = f"git+https://github.com/{REPO}@{TAG}"
LAB_NAMES = sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb"))

@pytest.fixture
def built(tmp_path):
    """A release written into tmp_path/students."""
    dest = tmp_path / "students"
    release.release(dest, REPO, TAG)
    return dest


def files(folder):
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def shown_lines(solutions_dir):
    """Lines the labs show outside exercises (in cells students get), stripped: no secret if a release has them."""
    shown = set()
    for path in sorted(solutions_dir.glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if labgen.SOLUTION_ONLY_TAG in cell.get("metadata", {}).get("tags", []):
                continue
            inside = False
            for line in "".join(cell["source"]).splitlines():
                stripped = line.strip()
                if stripped.startswith(labgen.BEGIN):
                    inside = True
                elif stripped.startswith(labgen.END):
                    inside = False
                elif not inside:
                    shown.add(stripped)
    return shown


def test_a_release_holds_no_line_of_a_solution_that_the_labs_do_not_show(built):
    lines = set(release.solution_lines(ROOT / "solutions"))
    # Lines such as "])", "else:" or "return model" are also in the labs' own code, outside any exercise.
    shown = "\n".join(shown_lines(ROOT / "solutions"))
    secret = {line for line in lines if line not in shown}
    # Of the rest, 3 are shorter than 12 characters ("rows = []", "return out", "return rows") and also lines of
    # unrelated code in lab_utils (data.py, gradebook.py): too common to betray an answer, so they are skipped.
    secret = {line for line in secret if len(line) >= 12}
    assert len(secret) > 60, "the solutions have fewer secret lines than expected: is solution_lines() broken?"
    texts = {name: path.read_text(encoding="utf-8") for name, path in files(built).items()}
    found = {name: sorted(line for line in secret if line in text) for name, text in texts.items()}
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_a_release_has_no_solutions_no_tests_and_no_instructor_material(built):
    names = files(built)
    assert not [n for n in names if "solutions" in n.split("/")[:-1] or n.split("/")[0] in
                ("tests", "benchmarks", "docs", ".ci", ".github")]
    assert [n for n in names if n.endswith(".ipynb")] == [f"labs/{name}" for name in LAB_NAMES]
    solved = {(ROOT / "solutions" / name).read_text(encoding="utf-8") for name in LAB_NAMES}
    assert not [n for n, p in names.items() if n.endswith(".ipynb") and
                (p.read_text(encoding="utf-8") in solved or labgen.BEGIN in p.read_text(encoding="utf-8"))]
    assert not [n for n in names if re.search(r"(^|/)(test_\w*\.py|\w*_test\.py|conftest\.py)$", n)]
    assert (built / "README.md").read_text(encoding="utf-8") != (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## For instructors" not in (built / "README.md").read_text(encoding="utf-8")


def test_the_students_readme_has_the_section_lab_0_sends_them_to(built):
    lab0 = (built / "labs" / LAB_NAMES[0]).read_text(encoding="utf-8")
    [title] = set(re.findall(r'the section \\"([^"\\]+)\\" of README\.md', lab0))
    readme = (built / "README.md").read_text(encoding="utf-8")
    assert f"\n## {title}\n" in readme


def test_a_release_points_its_badges_and_first_cells_at_the_given_repository_and_tag(built):
    for name in LAB_NAMES:
        nb = json.loads((built / "labs" / name).read_text(encoding="utf-8"))
        first_code = next("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        assert f'"lab-utils @ {INSTALL}"' in first_code, name
        badges = re.findall(r"https://colab\.research\.google\.com/github/[^)\s\"]+", "".join(nb["cells"][0]["source"]))
        assert badges == [BADGE + name], name
    readme = (built / "README.md").read_text(encoding="utf-8")
    badges = re.findall(r"https://colab\.research\.google\.com/github/[^)\s\"]+", readme)
    assert badges == [BADGE + name for name in LAB_NAMES]
    for name, path in files(built).items():
        text = path.read_text(encoding="utf-8")
        assert "dl-workshop/handwriting-labs" not in text, name
        if name.startswith("labs/") or name == "README.md":
            assert "/main/" not in text, name


def test_the_labs_of_a_release_are_the_repository_s_labs_with_the_new_repository_and_tag(built):
    for name in LAB_NAMES:
        text = (built / "labs" / name).read_text(encoding="utf-8")
        undone = (text.replace(f"github/{REPO}/blob/{TAG}/", "github/dl-workshop/handwriting-labs/blob/main/")
                  .replace(INSTALL, "git+https://github.com/dl-workshop/handwriting-labs"))
        assert undone == (ROOT / "labs" / name).read_text(encoding="utf-8"), f"{name}: labs/ is out of date?"


def test_a_release_installs_offline_with_pip_and_imports_its_own_lab_utils(built, tmp_path):
    python = sys.executable
    assert subprocess.run([python, "-c", "import setuptools"], capture_output=True).returncode == 0, \
        "--no-build-isolation builds with the environment's setuptools: install it"
    site = tmp_path / "site"
    pip = subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
                          "--no-build-isolation", "--disable-pip-version-check", "--target", str(site), str(built)],
                         capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stderr[-3000:]
    code = (f"import sys; sys.path.insert(0, {str(site)!r}); import lab_utils.data, lab_utils.checks; "
            "print(lab_utils.__file__); print(lab_utils.checks._expected('receptive_field'))")
    imported = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert imported.returncode == 0, imported.stderr[-3000:]
    assert imported.stdout.split("\n")[:2] == [str(site / "lab_utils" / "__init__.py"), "[3, 5, 7, 9, 1]"]
    assert sorted(p.name for p in (site / "lab_utils").iterdir() if p.suffix in (".py", ".js", ".css", ".json")) == \
        sorted(p.name for p in (built / "lab_utils").iterdir())


@pytest.mark.slow
@pytest.mark.parametrize("name", LAB_NAMES, ids=[name[:-6] for name in LAB_NAMES])
def test_each_lab_of_a_release_runs_to_its_first_exercise_on_the_release_s_lab_utils(name, built, monkeypatch):
    monkeypatch.setenv("LAB_OFFLINE", "1")
    monkeypatch.setenv("LAB_DATA_SOURCE", "embedded")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(built), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    where = subprocess.run([sys.executable, "-c", "import lab_utils; print(lab_utils.__file__)"], cwd=built,
                           capture_output=True, text=True, timeout=300)
    assert where.stdout.strip() == str(built / "lab_utils" / "__init__.py")  # what the kernel will import
    assert_run_all_stops_at_the_first_exercise(built / "labs" / name, built)


@pytest.mark.parametrize("args, argument", [(["--repo", "nonsense", "--tag", TAG], "--repo"),
                                            (["--repo", REPO, "--tag", "no spaces"], "--tag"),
                                            (["--repo", REPO, "--tag", TAG], "DEST")],
                         ids=["repo-not-owner-name", "bad-tag", "dest-not-empty"])
def test_bad_arguments_exit_2_with_one_line_that_names_the_argument(args, argument, tmp_path):
    dest = tmp_path / "students"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "lab_utils.release", str(dest), *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1 and argument in run.stderr and "Traceback" not in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["students"]
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]


def test_a_release_that_fails_half_way_leaves_nothing_behind(tmp_path, monkeypatch):
    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(release, "students_readme", broken)  # after the labs and the package are written
    with pytest.raises(RuntimeError):
        release.release(tmp_path / "students", REPO, TAG)
    assert list(tmp_path.iterdir()) == []


def test_force_replaces_an_earlier_release_and_keeps_its_git(built):
    (built / ".git").mkdir()
    (built / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (built / "labs" / "99_old.ipynb").write_text("{}", encoding="utf-8")
    release.release(built, REPO, "v2", force=True)
    assert (built / ".git" / "HEAD").read_text(encoding="utf-8") == "ref: refs/heads/main\n"
    assert not (built / "labs" / "99_old.ipynb").exists()
    assert "/blob/v2/" in (built / "labs" / LAB_NAMES[0]).read_text(encoding="utf-8")
    assert sorted(p.name for p in built.parent.iterdir()) == ["students"]
