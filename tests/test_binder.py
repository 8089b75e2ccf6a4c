"""Binder and repo2docker-based hubs build the kit from runtime.txt and requirements.txt. repo2docker itself (its
--no-build mode, no Docker needed) writes the Dockerfile it would build: the tests read which Python it chooses and
what it installs, rather than restating repo2docker's rules."""

import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from lab_utils import release

from notebooks import ROOT

# What would make repo2docker ignore runtime.txt or requirements.txt (its configuration files, in its order).
OVERRIDES = ["binder", ".binder", "environment.yml", "Pipfile", "Pipfile.lock", "Project.toml", "install.R",
             "apt.txt", "setup.py", "Dockerfile"]


def runtime_python():
    text = (ROOT / "runtime.txt").read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"python-(3\.\d+)", text)
    assert match, f"runtime.txt: {text!r} is not python-3.X"
    return match.group(1)


def test_runtime_txt_names_a_python_the_kit_supports_and_tests_in_full():
    supported = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    python = runtime_python()
    assert Version(python) in supported
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"^\| Python {re.escape(python)}\.\d+ \| `make test`: everything", readme, re.MULTILINE), \
        f"runtime.txt names Python {python}, which README's 'Tested versions' does not list as running make test"


def test_no_other_configuration_file_overrides_runtime_txt_and_requirements_txt():
    present = [name for name in OVERRIDES if (ROOT / name).exists()]
    assert present == []


def test_every_requirement_of_requirements_txt_is_what_this_environment_has_installed():
    """The environment the tests run in is built from requirements.txt (make, .ci/run, .ci/lanes), so the file
    installs, and the versions it names are the ones tested."""
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line)
        installed = metadata.version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), f"{requirement}: {installed} installed"


def repo2docker_dockerfile(folder):
    repo2docker = shutil.which("repo2docker", path=str(Path(sys.executable).parent))
    assert repo2docker, "repo2docker is not installed: pip install -r requirements.txt"
    done = subprocess.run([repo2docker, "--no-build", "--no-run", "--debug", str(folder)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout + done.stderr


def check_binder_builds_python_and_requirements(folder):
    dockerfile = repo2docker_dockerfile(folder)
    assert f"Building conda environment for python={runtime_python()}" in dockerfile
    copied = dockerfile.index("COPY --chown=0:0 src/ ${REPO_DIR}/")  # -e . needs the repository first
    installed = dockerfile.index('bin/pip install --no-cache-dir -r "requirements.txt"')
    assert copied < installed


def test_repo2docker_builds_the_kit_with_runtime_txt_s_python_and_requirements_txt():
    check_binder_builds_python_and_requirements(ROOT)


@pytest.fixture
def students(tmp_path):
    dest = tmp_path / "students"
    release.release(dest, "alice/handwriting-labs-2027", "v2027.1")
    return dest


def test_a_students_release_builds_on_binder_too_and_its_badge_opens_the_labs_at_its_tag(students):
    check_binder_builds_python_and_requirements(students)
    readme = (students / "README.md").read_text(encoding="utf-8")
    assert "https://mybinder.org/v2/gh/alice/handwriting-labs-2027/v2027.1?urlpath=lab/tree/labs" in readme
    assert "repo2docker" not in (students / "requirements.txt").read_text(encoding="utf-8")
