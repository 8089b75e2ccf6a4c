"""Lab 0's set-up verdict says true things: the Pythons it accepts are the kit's, and the README section it sends a
student to exists."""

import doctest
import json
import re
from pathlib import Path

import pytest

from lab_utils import device

ROOT = Path(__file__).resolve().parents[1]
SETUP_NOTEBOOKS = [ROOT / "solutions" / "00_setup.ipynb", ROOT / "labs" / "00_setup.ipynb"]
# How the verdict names a README section: the section "NAME" of README.md
SECTION_RE = re.compile(r'the section "([^"]+)" of README\.md')


@pytest.mark.parametrize("version", ["3.11", "3.12", "3.13", "3.13.1", (3, 12), (3, 11, 7)])
def test_the_supported_pythons_pass(version):
    assert device.python_supported(version)


def test_python_3_10_fails():
    assert not device.python_supported("3.10")
    assert not device.python_supported((3, 10, 12))


def test_python_3_14_fails():
    assert not device.python_supported("3.14")
    assert not device.python_supported((3, 14, 0))


def test_the_requirement_is_the_package_metadata():
    from importlib import metadata

    assert device.python_requirement() == metadata.metadata(device.DISTRIBUTION)["Requires-Python"]


def test_without_metadata_the_requirement_comes_from_pyproject(monkeypatch):
    import tomllib
    from importlib import metadata

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "metadata", missing)
    with open(ROOT / "pyproject.toml", "rb") as f:
        assert device.python_requirement() == tomllib.load(f)["project"]["requires-python"]


@pytest.mark.parametrize("requires, words", [(">=3.11,<3.14", "3.11 to 3.13"), (">=3.11", "3.11 or newer"),
                                             ("==3.12.*", "3.12")])
def test_the_range_in_words(requires, words):
    assert device.python_range(requires) == words


def test_a_given_requirement_is_used():
    assert device.python_supported("3.13", ">=3.11,<3.14")
    assert not device.python_supported("3.14", ">=3.11,<3.14")
    assert not device.python_supported("3.10", ">=3.11,<3.14")
    assert device.python_supported("3.13.0rc2", ">=3.11,<3.14")  # a pre-release is compared, not refused


@pytest.mark.parametrize("function", [device.python_supported, device.python_range])
def test_docstring_examples_print_what_they_show(function):
    [test] = doctest.DocTestFinder().find(function, function.__name__, globs=vars(device).copy())
    runner = doctest.DocTestRunner()
    runner.run(test, out=lambda report: pytest.fail(report, pytrace=False))
    assert test.examples and runner.summarize(verbose=False).failed == 0


def verdict_source(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    [cell] = [c for c in cells if c["cell_type"] == "code" and "verdict = {" in "".join(c["source"])]
    return "".join(cell["source"])


@pytest.mark.parametrize("path", SETUP_NOTEBOOKS, ids=lambda p: p.parent.name)
def test_the_verdict_uses_the_kits_range(path):
    source = verdict_source(path)
    assert "python_supported()" in source and "python_range()" in source
    assert "version_info" not in source  # no second, hand-written range


@pytest.mark.parametrize("path", SETUP_NOTEBOOKS, ids=lambda p: p.parent.name)
def test_the_readme_section_the_verdict_names_exists(path):
    sections = SECTION_RE.findall(verdict_source(path))
    assert sections, f"{path.name}: the verdict names no README section"
    headings = {line.lstrip("#").strip() for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
                if line.startswith("#")}
    for section in sections:
        assert section in headings, f"README.md has no section {section!r}, which {path.name} names"
