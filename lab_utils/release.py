"""Write the students' repository: the labs, ``lab_utils`` and a README for students, without the solutions.

``python -m lab_utils.release DEST --repo OWNER/NAME --tag TAG`` writes into the folder DEST:

- ``labs/*.ipynb``: the labs, generated from ``solutions/`` as ``make labs`` does (``lab_utils.labgen``), with every
  Colab badge and the install line of every first cell pointing at OWNER/NAME at TAG instead of
  dl-workshop/handwriting-labs at main;
- ``lab_utils/`` (its modules and package data), ``pyproject.toml``, ``runtime.txt`` (the Python that Binder and
  repo2docker build with), a ``LICENSE`` if the kit has one;
- ``requirements.txt``: the kit's requirements without the test tools (pytest, ruff, nbval, ...);
- ``README.md`` for students: how to start on Colab, on Binder or in JupyterLab, and what each lab is.

Nothing else: no solutions, tests, benchmarks, CI or instructor README. DEST must be new or empty (``--force``
replaces what is there but keeps its ``.git``). The release is written into a folder beside DEST and renamed to
DEST at the end, so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path

from lab_utils import labgen

ROOT = Path(__file__).resolve().parents[1]
# Where the kit's notebooks and README point today; the release points at the students' repository instead.
SOURCE_REPO, SOURCE_REF = "dl-workshop/handwriting-labs", "main"
# Requirements that only the kit's own tests use; students do not install them.
TEST_TOOLS = {"pytest", "pytest-xdist", "ruff", "playwright", "nbval", "papermill", "jupyter-repo2docker"}
LICENSES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING")
# Folders of the kit that a release must not be written into (--force would replace them).
KIT_FOLDERS = ("solutions", "labs", "lab_utils", "tests")

REPO_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
TAG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
# A Colab badge or a GitHub link to a file of the kit's repository at main.
LINK_RE = re.compile(rf"(colab\.research\.google\.com/github/|github\.com/){re.escape(SOURCE_REPO)}"
                     rf"/(blob|tree)/{re.escape(SOURCE_REF)}/")
# pip's address of the kit's repository (the first cell's install line), at main or at no ref.
INSTALL_RE = re.compile(rf"git\+https://github\.com/{re.escape(SOURCE_REPO)}(\.git)?(@{re.escape(SOURCE_REF)})?"
                        r"(?![\w./@-])")

README_TEMPLATE = """\
{title}

{intro}

This is release `{tag}` of the labs. Each lab is a Jupyter notebook with exercises; each exercise is followed by a
check cell that says whether your answer is right and, if not, what it expected. Run a lab with
*Kernel → Restart Kernel and Run All Cells*: it stops at the first exercise you have not done yet.

## Start on Colab

Click a lab's badge in the table below. The first cell of every lab installs `lab_utils` from this repository
(`{repo}` at `{tag}`) on Colab and does nothing elsewhere; Colab already has TensorFlow. For a GPU:
*Runtime → Change runtime type → GPU*, then rerun. To keep your work: *File → Save a copy in Drive*.

## Start on Binder

[![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/{repo}/{tag}?urlpath=lab/tree/labs)
opens the labs in JupyterLab on mybinder.org, built from this repository's `requirements.txt` and `runtime.txt`
(the first start takes several minutes; nothing you change is kept when the session ends: download your notebook).

## Start in JupyterLab, on your computer

You need Python 3.11, 3.12 or 3.13 and `git` (Linux or macOS; on Windows, `.venv\\Scripts\\` in place of
`.venv/bin/`). The first install takes a few minutes: TensorFlow is large.

```bash
git clone https://github.com/{repo}.git
cd {name}
python -m venv .venv && .venv/bin/pip install -r requirements.txt && .venv/bin/jupyter lab labs/
```

Open `labs/{first_lab}.ipynb` first: it checks versions, devices and data, and trains a tiny model.

## The labs

{table}

{problems}
"""


class ReleaseError(ValueError):
    """A release that cannot be written; the message names the argument or the file at fault."""


def check_repo(repo):
    """``repo`` if it is a GitHub repository's OWNER/NAME, else a ReleaseError naming ``--repo``.

    Example:
        >>> check_repo("alice/handwriting-labs")
        'alice/handwriting-labs'
    """
    name = repo.split("/")[-1]
    if not REPO_RE.fullmatch(repo) or name in (".", "..") or name.endswith(".git"):
        raise ReleaseError(f"argument --repo: {repo!r} is not a GitHub repository's OWNER/NAME "
                           "(for example alice/handwriting-labs).")
    return repo


def check_tag(tag):
    """``tag`` if it can name a git tag in a Colab address, else a ReleaseError naming ``--tag``.

    Example:
        >>> check_tag("v2026.1")
        'v2026.1'
    """
    if not TAG_RE.fullmatch(tag) or ".." in tag or tag.endswith((".", ".lock")):
        raise ReleaseError(f"argument --tag: {tag!r} is not a tag name: letters, digits, '.', '_' and '-', "
                           "starting with a letter or digit (for example v1 or 2026-spring).")
    return tag


def solution_lines(solutions_dir="solutions"):
    """Every line of every solution block in the solution notebooks, stripped: not blank, not a hint (the lines
    ``labgen.hints`` keeps in the labs).

    Example:
        >>> lines = solution_lines("solutions")   # what no file handed to students may contain
    """
    found = []
    for path in sorted(Path(solutions_dir).glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] != "code":
                continue
            block = None
            for line in "".join(labgen._lines(cell["source"])).splitlines():
                stripped = line.strip()
                if stripped.startswith(labgen.BEGIN):
                    block = []
                elif stripped.startswith(labgen.END) and block is not None:
                    hints = {h.strip() for h in labgen.hints(block)}
                    found += [b.strip() for b in block if b.strip() and b.strip() not in hints]
                    block = None
                elif block is not None:
                    block.append(line)
    return found


def rewrite(text, repo, tag, where="text"):
    """``text`` with its Colab badges, GitHub links and pip install addresses moved to ``repo`` at ``tag``.

    Any other mention of the kit's repository is a ReleaseError: the release would point students back at it.

    Example:
        >>> rewrite('%pip install "lab-utils @ git+https://github.com/dl-workshop/handwriting-labs"', "a/b", "v1")
        '%pip install "lab-utils @ git+https://github.com/a/b@v1"'
    """
    text = LINK_RE.sub(lambda m: f"{m.group(1)}{repo}/{m.group(2)}/{tag}/", text)
    text = INSTALL_RE.sub(f"git+https://github.com/{repo}@{tag}", text)
    for line in text.splitlines():
        if SOURCE_REPO in line:
            raise ReleaseError(f"{where}: a mention of {SOURCE_REPO} that the release cannot rewrite: "
                               f"{line.strip()[:200]!r}")
    return text


def make_labs(solutions_dir, repo, tag):
    """The labs' notebook texts by file name: ``labgen.make_lab`` of each solution, rewritten for ``repo``, ``tag``.

    Example:
        >>> labs = make_labs("solutions", "alice/labs", "v1")
        >>> sorted(labs)[0]
        '00_setup.ipynb'
    """
    labs = {}
    for path in sorted(Path(solutions_dir).glob("*.ipynb")):
        try:
            notebook = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise ReleaseError(f"{path}: not valid notebook JSON ({e}).") from None
        text = labgen.dumps(labgen.make_lab(notebook, str(path)))
        labs[path.name] = rewrite(text, repo, tag, f"labs/{path.name}")
    if not labs:
        raise ReleaseError(f"{solutions_dir}: no solution notebooks to make labs from.")
    return labs


def students_requirements(text):
    """The requirements file ``text`` without the test tools (TEST_TOOLS) and without its header comment.

    Example:
        >>> students_requirements("# the kit\\nnumpy~=2.4\\npytest~=9.2  # tests\\n-e .\\n")
        "# What the labs and JupyterLab need (the kit's requirements without its test tools).\\nnumpy~=2.4\\n-e .\\n"
    """
    kept = ["# What the labs and JupyterLab need (the kit's requirements without its test tools).\n"]
    for line in text.splitlines(keepends=True):
        name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if line.lstrip().startswith("#") or (name and name.group(1).lower().replace("_", "-") in TEST_TOOLS):
            continue
        kept.append(line)
    return "".join(kept)


def labs_table(readme_text, lab_names, repo, tag):
    """The table of README's section "The labs", its badges rewritten; every lab in ``lab_names`` must have a row.

    Example:
        >>> table = labs_table(open("README.md").read(), ["00_setup", "01_linear_model", "02_mlp", "03_lenet",
        ...                    "04_transfer_learning", "05_modern_cnns"], "alice/labs", "v1")
    """
    lines = readme_text.splitlines()
    if "## The labs" not in lines:
        raise ReleaseError("README.md: no section '## The labs' to take the table of the labs from.")
    table = []
    for line in lines[lines.index("## The labs") + 1:]:
        if line.startswith("|"):
            table.append(line)
        elif table or line.startswith("#"):
            break
    rows = {m.group(1) for line in table[2:] for m in [re.match(r"\|\s*`([^`]+)`", line)] if m}
    missing = sorted(set(lab_names) - rows)
    if missing:
        raise ReleaseError(f"README.md: the table of 'The labs' has no row for {', '.join(missing)}.")
    return rewrite("\n".join(table), repo, tag, "README.md, 'The labs'")


def section(readme_text, title):
    """README's section ``## title``, from its heading to the next one, rewritten for nothing (a ReleaseError if
    it is missing: a lab points students at it).

    Example:
        >>> section(open("README.md").read(), "Usual problems").splitlines()[0]
        '## Usual problems'
    """
    lines = readme_text.splitlines()
    if f"## {title}" not in lines:
        raise ReleaseError(f"README.md: no section '## {title}' (Lab 0 points students at it).")
    start = lines.index(f"## {title}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "\n".join(lines[start:end]).strip()


def students_readme(readme_text, lab_names, repo, tag):
    """The students' README.md: the kit README's title and first paragraph, how to start, the table of the labs, and
    its section "Usual problems".

    Example:
        >>> text = students_readme(open("README.md").read(), ["00_setup", "01_linear_model", "02_mlp", "03_lenet",
        ...                        "04_transfer_learning", "05_modern_cnns"], "alice/labs", "v1")
    """
    paragraphs = readme_text.split("\n\n")
    title = paragraphs[0].strip()
    intro = paragraphs[1].strip() if len(paragraphs) > 1 and not paragraphs[1].startswith("#") else ""
    text = README_TEMPLATE.format(title=title, intro=intro, tag=tag, repo=repo, name=repo.split("/")[1],
                                  first_lab=lab_names[0], table=labs_table(readme_text, lab_names, repo, tag),
                                  problems=section(readme_text, "Usual problems"))
    return rewrite(text, repo, tag, "README.md")


def check_dest(dest, root=ROOT, force=False):
    """``dest`` resolved, if a release may be written there, else a ReleaseError naming DEST.

    Example:
        >>> check_dest("/tmp/students-repo")
        PosixPath('/tmp/students-repo')
    """
    dest, root = Path(dest).resolve(), Path(root).resolve()
    if dest == root or dest in root.parents or any(dest.is_relative_to(root / f) for f in KIT_FOLDERS):
        raise ReleaseError(f"argument DEST: {dest} is the kit's own folder, one above it or one of its "
                           f"{', '.join(KIT_FOLDERS)}; choose a folder of its own.")
    if dest.exists() and not dest.is_dir():
        raise ReleaseError(f"argument DEST: {dest} is a file, not a folder.")
    if dest.exists() and any(dest.iterdir()) and not force:
        raise ReleaseError(f"argument DEST: {dest} is not empty; choose a new folder, or pass --force to replace "
                           "what is in it (its .git is kept).")
    return dest


def package_files(root=ROOT):
    """The package's files to ship: every ``lab_utils/*.py`` but this one, and the package data that pyproject.toml
    lists. (This module makes releases from the solutions, which a release has not, and names the kit's repository.)

    Example:
        >>> [p.name for p in package_files()][:2]
        ['__init__.py', 'checks.py']
    """
    package = Path(root) / "lab_utils"
    config = tomllib.loads((Path(root) / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config.get("tool", {}).get("setuptools", {}).get("package-data", {}).get("lab_utils", [])
    data = [p for pattern in patterns for p in package.glob(pattern) if p.is_file()]
    return sorted((set(package.glob("*.py")) | set(data)) - {package / "release.py"})


def write_release(folder, repo, tag, root=ROOT):
    """Write the release's files into ``folder`` (which exists); returns what was written, for the summary.

    Example:
        >>> written = write_release(Path(tempfile.mkdtemp()), "alice/labs", "v1")
    """
    root = Path(root)
    labs = make_labs(root / "solutions", repo, tag)
    (folder / "labs").mkdir()
    for name, text in labs.items():
        (folder / "labs" / name).write_text(text, encoding="utf-8")
    files = package_files(root)
    (folder / "lab_utils").mkdir()
    for path in files:
        shutil.copyfile(path, folder / "lab_utils" / path.name)
    shutil.copyfile(root / "pyproject.toml", folder / "pyproject.toml")
    shutil.copyfile(root / "runtime.txt", folder / "runtime.txt")
    requirements = (root / "requirements.txt").read_text(encoding="utf-8")
    (folder / "requirements.txt").write_text(students_requirements(requirements), encoding="utf-8")
    licences = [name for name in LICENSES if (root / name).is_file()]
    for name in licences:
        shutil.copyfile(root / name, folder / name)
    lab_names = [Path(name).stem for name in labs]
    readme = students_readme((root / "README.md").read_text(encoding="utf-8"), lab_names, repo, tag)
    (folder / "README.md").write_text(readme, encoding="utf-8")
    return [f"{len(labs)} labs", f"lab_utils ({len(files)} files)", "README.md", "requirements.txt",
            "pyproject.toml", "runtime.txt", *licences]


def release(dest, repo, tag, force=False, root=ROOT):
    """Write the students' repository for ``repo`` at ``tag`` into ``dest``; returns a one-line summary.

    Example:
        >>> print(release("/tmp/students-repo", "alice/handwriting-labs", "v1"))   # doctest: +SKIP
        Wrote 6 labs, lab_utils (20 files), ... to /tmp/students-repo (alice/handwriting-labs at v1). Next: ...
    """
    repo, tag = check_repo(repo), check_tag(tag)
    dest = check_dest(dest, root, force)
    dest.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        written = write_release(folder, repo, tag, root)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    kept_git = False
    if dest.exists() and any(dest.iterdir()):  # --force: the old release goes, its .git stays
        old = folder.with_suffix(".old")
        dest.rename(old)
        if (old / ".git").exists():
            (old / ".git").rename(folder / ".git")
            kept_git = True
        folder.rename(dest)
        shutil.rmtree(old)
    else:
        if dest.exists():
            dest.rmdir()
        folder.rename(dest)
    where = shlex.quote(str(dest))
    git = "git add -A" if kept_git else f"git init && git add -A && git remote add origin https://github.com/{repo}.git"
    return (f"Wrote {', '.join(written)} to {dest} ({repo} at {tag}{', its .git kept' if kept_git else ''}). "
            f"Next: cd {where} && {git} && git commit -m 'Labs {tag}' && git tag {tag} && "
            f"git push -u origin HEAD {tag}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lab_utils.release", description=__doc__.splitlines()[0])
    parser.add_argument("dest", metavar="DEST", help="the folder to write the students' repository into")
    parser.add_argument("--repo", required=True, help="the students' GitHub repository, OWNER/NAME")
    parser.add_argument("--tag", required=True, help="the git tag the badges and install lines point at, e.g. v1")
    parser.add_argument("--force", action="store_true", help="replace what DEST holds (its .git is kept)")
    args = parser.parse_args(argv)
    try:
        print(release(args.dest, args.repo, args.tag, force=args.force))
    except (ReleaseError, labgen.LabGenError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
