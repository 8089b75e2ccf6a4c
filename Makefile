# `make lab` opens the labs, `make test` runs every test; both build .venv first when needed.
PYTHON ?= python3
# Extra arguments for JupyterLab, e.g. make lab LAB_ARGS="--no-browser --port 8899"
LAB_ARGS ?=
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# How requirements are installed into $(VENV): pip, or uv where UV names it (CI: .ci/run), about ten times faster.
UV ?=
PIP_INSTALL := $(if $(UV),$(UV) pip install --quiet --python $(BIN)/python,$(BIN)/python -m pip install --quiet --disable-pip-version-check)

.PHONY: lab test record test-fast labs outputs run benchmark grade release clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -c 'import sys; assert (3, 11) <= sys.version_info[:2] <= (3, 13), "need Python 3.11-3.13, this is " + sys.version.split()[0] + ": run make PYTHON=python3.13 ..."'
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements.txt
	touch $(STAMP)

lab: $(STAMP)        ## open JupyterLab on the student labs
	$(BIN)/jupyter lab labs/ $(LAB_ARGS)

# -n auto: one pytest-xdist worker per core; conftest.py keeps each notebook's cells on one worker.
test: $(STAMP)       ## unit tests, lint, lab/solution sync, and every solution notebook executed by nbval
	$(BIN)/python -m pytest -n auto

# make test, with the score of each notebook's own model kept in benchmarks/results/notebooks/, then README's tables
# written from benchmarks/results/ (benchmarks/readme_tables.py).
record: $(STAMP)     ## make test, keeping the notebooks' own accuracies, then README's tables from the results
	LAB_RESULTS_DIR=benchmarks/results $(BIN)/python -m pytest -n auto
	$(BIN)/python benchmarks/readme_tables.py

# Every test not marked slow (conftest.py): no notebook executed, no kernel started, nothing trained to a target.
test-fast: $(STAMP)  ## unit tests, checks, lint and lab/solution sync; make test runs these and every notebook
	$(BIN)/python -m pytest -n auto tests -m "not slow"

labs: $(STAMP)       ## regenerate labs/ from solutions/, and what the checks expect (lab_utils/expected.json)
	$(BIN)/python -m lab_utils.labgen
	$(BIN)/python -m lab_utils.expected solutions

outputs: $(STAMP)    ## re-execute every solution in place (offline, embedded sample) to refresh its saved outputs
	cd solutions && for nb in *.ipynb; do \
	  LAB_OFFLINE=1 LAB_DATA_SOURCE=embedded ../$(BIN)/jupyter nbconvert --log-level=WARN \
	    --to notebook --execute --inplace "$$nb" || exit 1; done

# make run NB=00_setup PARAMS="-p N_SHOW 5": run one solution with other parameters into runs/
run: $(STAMP)
	mkdir -p runs
	$(BIN)/papermill solutions/$(NB).ipynb runs/$(NB).ipynb $(PARAMS)

benchmark: $(STAMP)  ## the kit's training against the TensorFlow quickstart's way, and notebook timings (~35 min)
	$(BIN)/python benchmarks/performance.py
	$(BIN)/python benchmarks/notebook_times.py --runs 3 $(if $(wildcard /usr/share/datasets/fashion-mnist),--full-size /usr/share/datasets/fashion-mnist)

# make grade LAB=03 DIR=submissions/ [OUT=grades] [GRADE_ARGS="--hidden ../hidden_03.py --jobs 2"]
LAB ?=
DIR ?= submissions/
OUT ?= grades
GRADE_ARGS ?=
grade: $(STAMP)      ## grade the students' notebooks in DIR for lab LAB into OUT (grades.csv, summary.md, feedback/)
	$(BIN)/python -m lab_utils.grade $(LAB) $(DIR) --out $(OUT) $(GRADE_ARGS)

# make release DEST=../labs-2027 REPO=owner/name TAG=v2027.1: the students' repository, without solutions
DEST ?=
REPO ?=
TAG ?=
release: $(STAMP)    ## write the students' repository (labs, lab_utils, a students' README) into DEST
	$(BIN)/python -m lab_utils.release $(DEST) --repo $(REPO) --tag $(TAG)

clean:
	rm -rf $(VENV) runs .pytest_cache
