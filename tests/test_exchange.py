"""lab_utils.exchange: the grader's checks call a student's function as data, and trust nothing that comes back.

Here the "kernel" is this process (``run`` executes the grader's line in a namespace), so every check of every lab is
tried through a RemoteFunction without starting a kernel; test_grade*.py do it through real ones.
"""

import json
import zipfile

import numpy as np
import pytest

from lab_utils import checks, exchange, grade

from notebooks import ROOT, SOLUTIONS, exercise_cell

LABS = ROOT / "labs"


def namespace_of(notebook):
    """Every exercise cell of ``notebook`` run in one namespace, with what those cells expect to be imported."""
    import keras
    import tensorflow as tf

    from lab_utils.models import lenet
    from lab_utils.transfer import TRANSFER_LAYERS

    scope = {"np": np, "tf": tf, "keras": keras, "lenet": lenet, "TRANSFER_LAYERS": TRANSFER_LAYERS}
    for exercise in grade.lab_exercises(ROOT / "solutions" / notebook.name):
        exec(exercise_cell(notebook, f"Exercise {exercise['number']}"), scope)
    return scope


def remote(scope, name, folder):
    return exchange.RemoteFunction(name, lambda code: exec(code, scope), folder)


EXERCISES = [(solution, e) for solution in SOLUTIONS for e in grade.lab_exercises(solution)]
IDS = [f"{s.stem}-{e['function']}" for s, e in EXERCISES]


@pytest.mark.parametrize("solution, exercise", EXERCISES, ids=IDS)
def test_every_check_passes_on_the_solution_called_as_data(solution, exercise, tmp_path, capsys):
    getattr(checks, exercise["check"])(remote(namespace_of(solution), exercise["function"], tmp_path))
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("solution, exercise", EXERCISES, ids=IDS)
def test_every_check_says_not_done_on_the_placeholder_called_as_data(solution, exercise, tmp_path):
    with pytest.raises(checks.ExerciseFailed) as failed:
        getattr(checks, exercise["check"])(remote(namespace_of(LABS / solution.name), exercise["function"], tmp_path))
    assert failed.value.status == "not attempted"


def test_a_call_updates_the_graders_variables_as_the_function_did_in_the_kernel(tmp_path):
    import tensorflow as tf

    scope = {}
    exec("def step(w):\n    w.assign_sub([1.0, 1.0])\n    return 0.5", scope)
    w = tf.Variable([3.0, 4.0])
    assert remote(scope, "step", tmp_path)(w) == 0.5
    assert w.numpy().tolist() == [2.0, 3.0]


def test_the_students_exception_comes_back_by_name_and_the_placeholder_as_itself(tmp_path):
    scope = {}
    exec("def bad(x):\n    raise ValueError('odd input')\n"
         "def todo(x):\n    raise NotImplementedError('Exercise 9')", scope)
    with pytest.raises(Exception) as raised:
        remote(scope, "bad", tmp_path)(1)
    assert type(raised.value).__name__ == "ValueError" and "odd input" in str(raised.value)
    with pytest.raises(NotImplementedError):
        remote(scope, "todo", tmp_path)(1)


def test_a_missing_or_non_callable_name_is_described_as_such(tmp_path):
    scope = {"answer": 42}
    assert remote(scope, "nothing", tmp_path).describe()["exists"] is False
    described = remote(scope, "answer", tmp_path).describe()
    assert (described["exists"], described["callable"], described["value"]) == (True, False, 42)


def test_while_the_function_runs_the_names_the_check_replaces_mean_the_kits_and_are_restored(tmp_path):
    scope = {"sigmoid": lambda z: "the student's"}
    exec("def uses(z):\n    return float(sigmoid(z))", scope)
    fn = remote(scope, "uses", tmp_path)
    with checks._names_replaced(fn, {"sigmoid": "tensorflow.math.sigmoid"}):
        assert fn(0.0) == 0.5
    assert scope["sigmoid"](0) == "the student's"


# --------------------------------------------------------------------------- what comes back is data, checked

def reply(folder, text, arrays=None):
    np.savez(folder / "reply.npz", **(arrays or {}))
    (folder / "reply.json").write_text(text)


@pytest.mark.parametrize("text", ["1", "not JSON", '{"values": 1}', '{"values": {"result": {"t": "eval", "v": 1}}}',
                                  '{"values": {"result": {"t": "array", "key": "nope"}}}',
                                  '{"values": {"result": {"t": "list", "items": 5}}}'])
def test_a_malformed_reply_is_refused(tmp_path, text):
    reply(tmp_path, text)
    with pytest.raises(exchange.BadReply):
        exchange.read(tmp_path, "reply")


def test_a_reply_with_pickled_arrays_is_refused(tmp_path):
    np.save(tmp_path / "x.npy", np.array([object()], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(tmp_path / "reply.npz", "w") as z:
        z.write(tmp_path / "x.npy", "a0.npy")
    (tmp_path / "reply.json").write_text(json.dumps({"values": {"result": {"t": "array", "key": "a0"}}}))
    with pytest.raises(exchange.BadReply, match="not plain arrays"):
        exchange.read(tmp_path, "reply")


def test_a_reply_that_is_a_link_elsewhere_is_refused(tmp_path):
    np.savez(tmp_path / "reply.npz")
    (tmp_path / "reply.json").symlink_to("/etc/hostname")
    with pytest.raises(exchange.BadReply, match="no readable reply.json"):
        exchange.read(tmp_path, "reply")


def test_a_reply_too_large_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(exchange, "MAX_REPLY_BYTES", 1000)
    reply(tmp_path, json.dumps({"values": {"result": {"t": "str", "v": "x" * 2000}}}))
    with pytest.raises(exchange.BadReply, match="larger than the grader reads"):
        exchange.read(tmp_path, "reply")


def model_file(folder, edit):
    """A real .keras file of a small model, its config edited by ``edit``."""
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.save(folder / "m.keras")
    with zipfile.ZipFile(folder / "m.keras") as z:
        files = {name: z.read(name) for name in z.namelist()}
    config = json.loads(files["config.json"])
    edit(config)
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(folder / "m0.keras", "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return folder / "m0.keras"


def test_a_model_naming_a_class_outside_keras_is_not_rebuilt(tmp_path):
    def custom(config):
        config["config"]["layers"][0]["module"] = "os"
        config["config"]["layers"][0]["class_name"] = "system"

    with pytest.raises(exchange.NotRebuildable, match="system from os"):
        exchange.load_model(model_file(tmp_path, custom))


def test_a_model_with_a_lambda_layer_is_not_rebuilt(tmp_path):
    def lambda_layer(config):
        config["config"]["layers"][0]["class_name"] = "Lambda"

    with pytest.raises(exchange.NotRebuildable, match="Lambda"):
        exchange.load_model(model_file(tmp_path, lambda_layer))


def test_a_keras_model_of_keras_layers_is_rebuilt_with_its_weights(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")])
    model.save(tmp_path / "m0.keras")
    loaded = exchange.load_model(tmp_path / "m0.keras")
    assert np.array_equal(loaded.get_layer("d").get_weights()[0], model.get_layer("d").get_weights()[0])


def test_the_kernel_reports_the_library_functions_a_call_used(tmp_path):
    scope = {}
    exec("import numpy\ndef uses(a):\n    return numpy.convolve(a, [1.0])", scope)
    fn = remote(scope, "uses", tmp_path)
    with checks._watched(fn, ["numpy.convolve", "numpy.correlate"]) as seen:
        fn(np.array([1.0, 2.0]))
    assert seen == ["numpy.convolve"]


def test_a_library_call_by_hand_is_refused_in_the_grader_too(tmp_path):
    scope = {}
    exec("import tensorflow as tf\ndef softmax_cross_entropy(logits, labels):\n"
         "    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))", scope)
    with pytest.raises(checks.ExerciseFailed, match="calls tensorflow.nn.sparse_softmax_cross_entropy_with_logits"):
        checks.check_softmax_cross_entropy(remote(scope, "softmax_cross_entropy", tmp_path))


def test_a_call_to_the_kits_own_builder_is_refused_in_the_grader_too(tmp_path):
    scope = {}
    exec("from lab_utils import models as m\nbuild = m.RECIPES['mlp'].build\n"
         "def build_mlp():\n    return build()", scope)
    with pytest.raises(checks.ExerciseFailed, match=r"calls lab_utils\.models\.mlp, the kit's own code"):
        checks.check_mlp(remote(scope, "build_mlp", tmp_path))
