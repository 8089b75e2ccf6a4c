"""The model each lab trains as its result, with the notebook's own defaults on the embedded sample, reaches the
lab's target on the official MNIST test set; and the notebooks train it with the kit's one recipe."""

import os
from pathlib import Path

import pytest

from lab_utils.models import ACCURACY_TARGETS, RECIPES, accuracy

from notebooks import (
    NOTEBOOK_MODELS,
    OFFICIAL_TEST_DIR,
    ROOT,
    has_official_test_set,
    official_test_set,
    parameters,
    run_for_model,
)

CASES = sorted(NOTEBOOK_MODELS.items())


@pytest.mark.parametrize("notebook, name", CASES, ids=[c[0] for c in CASES])
def test_the_notebook_trains_its_model_with_the_kits_recipe(notebook, name):
    params, recipe = parameters(ROOT / "solutions" / notebook), RECIPES[name]
    assert (params["EPOCHS"], params["BATCH_SIZE"], params["LEARNING_RATE"], params.get("SHIFT", 0),
            params.get("LABEL_SMOOTHING", 0.0), params.get("ROTATION", 0), params.get("ZOOM", 0),
            params.get("THICKEN", 0)) == \
        (recipe.epochs, recipe.batch_size, recipe.learning_rate, recipe.shift, recipe.label_smoothing,
         recipe.rotation, recipe.zoom, recipe.thicken)


@pytest.mark.parametrize("notebook, name", CASES, ids=[c[0] for c in CASES])
def test_the_notebook_saves_its_model_where_its_parameters_say(notebook, name):
    assert parameters(ROOT / "solutions" / notebook)["MODEL_PATH"].endswith(".keras")


@pytest.mark.skipif(not has_official_test_set(),
                    reason=f"official MNIST test set not found at {OFFICIAL_TEST_DIR}")
@pytest.mark.slow
@pytest.mark.parametrize("notebook, name", [pytest.param(n, m, marks=pytest.mark.after_notebook(n), id=n)
                                            for n, m in CASES])
def test_the_notebooks_own_model_reaches_the_labs_target_on_official_mnist(notebook, name, tmp_path):
    """The model nbval's run of the notebook saved, at its defaults (conftest.py runs this test right after it);
    where nbval has not run it (this test alone), the notebook is run here."""
    import keras

    saved = Path(os.environ["LAB_SESSION_OUTPUT_DIR"]) / parameters(ROOT / "solutions" / notebook)["MODEL_PATH"]
    model = keras.models.load_model(saved) if saved.exists() else run_for_model(ROOT / "solutions" / notebook,
                                                                                tmp_path)[0]
    x_test, y_test = official_test_set()
    score = accuracy(model, x_test, y_test)
    print(f"{notebook}: {score:.2%} on the official test set (target {ACCURACY_TARGETS[name]:.1%})")
    if os.environ.get("LAB_RESULTS_DIR"):  # make record: README's column of the notebooks' own models
        record(notebook, name, score, "nbval" if saved.exists() else "papermill")
    assert score >= ACCURACY_TARGETS[name]


def record(notebook, name, score, how):
    """Keep this run's score in $LAB_RESULTS_DIR/notebooks/<notebook>.json, for benchmarks/readme_tables.py."""
    import json
    import platform
    import time

    import keras
    import tensorflow as tf

    from lab_utils.files import write_atomic

    machine = (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
               f"TensorFlow {tf.__version__}, Keras {keras.__version__}")
    run = {"notebook": notebook, "model": name, "accuracy": score, "target": ACCURACY_TARGETS[name],
           "seed": parameters(ROOT / "solutions" / notebook)["SEED"], "data": os.environ.get("LAB_DATA_SOURCE", "auto"),
           "executed_by": how, "date": time.strftime("%Y-%m-%d"), "machine": machine}
    folder = Path(os.environ["LAB_RESULTS_DIR"]) / "notebooks"
    write_atomic(folder / f"{Path(notebook).stem}.json", json.dumps(run, indent=1) + "\n")
