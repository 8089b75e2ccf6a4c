"""For every exercise of every lab, the shortcuts a student looking for one would try fail, each with a message that
says what to do instead and holds no answer: every function of the package (the checks' own internals included), the
kit's builders called, wrapped and renamed, and the library functions an exercise asks to write by hand."""

import inspect

import numpy as np
import pytest

from lab_utils import checks, exchange, expected, grade

from notebooks import ROOT, SOLUTIONS, assert_holds_no_answer

EXERCISES = [(solution, e) for solution in SOLUTIONS for e in grade.lab_exercises(solution)]
IDS = [f"{s.stem}-{e['function']}" for s, e in EXERCISES]

# Where a student could look for an answer: the package's modules that students use, and the checks.
STUDENT_MODULES = ["lab_utils.checks", "lab_utils.expected", *checks.KIT_MODULES]
# Functions not called here: they reach for the network or download (minutes offline), or show a widget.
NOT_CALLED = {"lab_utils.data.load_mnist", "lab_utils.data.load_fashion_mnist", "lab_utils.data.network_available",
              "lab_utils.data.download", "lab_utils.data._online", "lab_utils.data._load",
              "lab_utils.data._tfds_candidate", "lab_utils.data._read_tfds", "lab_utils.transfer.imagenet_backbone",
              "lab_utils.transfer.fit_backbone", "lab_utils.draw.draw", "lab_utils.expected.main",
              "lab_utils.expected.write"}


def package_functions():
    import importlib

    found = []
    for module in STUDENT_MODULES:
        found += [(name, fn) for name, fn in exchange._functions_of(importlib.import_module(module))
                  if name not in NOT_CALLED and "." not in name[len(module) + 1:]]  # functions, not methods
    return found


def arity(solution, function):
    """How many arguments the check gives the exercise's function (the solution's positional parameters)."""
    fn = expected.exercise_functions(solution)[function]
    return len([p for p in inspect.signature(fn).parameters.values() if p.kind == p.POSITIONAL_OR_KEYWORD])


def takes(fn, count):
    try:
        inspect.signature(fn).bind(*[None] * count)
    except (TypeError, ValueError):
        return False
    return True


def failure(check, fn):
    with pytest.raises(checks.ExerciseFailed) as error:
        check(fn)
    assert_holds_no_answer(str(error.value))
    return str(error.value)


@pytest.mark.parametrize("solution, exercise", EXERCISES, ids=IDS)
def test_no_function_of_the_package_passes_a_check_in_place_of_the_students(solution, exercise):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    check = getattr(checks, exercise["check"])
    count = arity(solution, exercise["function"])
    tried = [(name, fn) for name, fn in package_functions() if takes(fn, count)]
    assert tried, f"no function of the package takes {count} arguments: is package_functions() broken?"
    passed = []
    for name, fn in tried:
        try:
            failure(check, fn)
        except BaseException as e:  # noqa: BLE001 - anything but a failed check is a finding
            passed.append(f"{name}: {type(e).__name__} {e}"[:300])
            continue
        finally:
            plt.close("all")
    assert passed == []


# The kit's builders, as a student looking for a shortcut would hand them in.
def _models():
    from lab_utils import models

    return models


def _keras():
    import keras

    return keras


def renamed(model):
    """The same layers under a new model of another name."""
    return _keras().Model(model.inputs[0], model.outputs[0], name="my_model")


BUILDERS = {
    "check_softmax_regression": lambda: _models().softmax_regression(input_shape=(784,)),
    "check_mlp": lambda: _models().mlp(dropout=0.2),
    "check_lenet": lambda: _models().lenet(),
}
RECIPE = {"check_softmax_regression": "softmax_regression", "check_mlp": "mlp", "check_lenet": "lenet"}


def model_shortcuts(check):
    """``{how: builder}``: the kit's builder called, through its recipe, wrapped, renamed, and built once outside."""
    build = BUILDERS[check]
    keras = _keras()
    prebuilt = renamed(build())
    return {
        "called": build,
        "recipe": lambda: _models().RECIPES[RECIPE[check]].build(),
        "wrapped": lambda: keras.Sequential([keras.Input(build().input_shape[1:]), build()]),
        "renamed": lambda: renamed(build()),
        "built outside": lambda: prebuilt,
    }


@pytest.mark.parametrize("check", list(BUILDERS))
@pytest.mark.parametrize("how", ["called", "recipe", "wrapped", "renamed", "built outside"])
def test_the_kits_model_builders_fail_however_they_are_handed_in(check, how):
    message = failure(getattr(checks, check), model_shortcuts(check)[how])
    if how == "built outside":
        assert "returned the same layers on two calls: each call must build a new model" in message
    else:
        assert "the kit's own code: the exercise is to write it yourself (build it layer by layer" in message


def test_the_kits_vgg_block_fails_called_wrapped_and_renamed():
    keras, models = _keras(), _models()
    for shortcut in [lambda convs, filters: models.vgg_block(convs, filters),
                     lambda convs, filters: keras.Sequential([models.vgg_block(convs, filters)]),
                     lambda convs, filters: keras.Sequential(models.vgg_block(convs, filters).layers, name="mine")]:
        assert "calls lab_utils.models.vgg_block, the kit's own code" in failure(checks.check_vgg_block, shortcut)


@pytest.mark.parametrize("check, block", [(checks.check_inception_block, "inception_block"),
                                          (checks.check_residual_block, "residual_block")])
def test_the_kits_lab5_blocks_fail_called_and_wrapped(check, block):
    keras, models = _keras(), _models()
    for shortcut in [lambda x, *args: getattr(models, block)(x, *args),
                     lambda x, *args: keras.layers.Identity(name="mine")(getattr(models, block)(x, *args))]:
        assert f"calls lab_utils.models.{block}, the kit's own code" in failure(check, shortcut)


def _tf():
    import tensorflow as tf

    return tf


def _conv(image, kernel, stride=1, padding=0):
    tf = _tf()
    padded = np.pad(image, padding)[None, :, :, None]
    return tf.nn.conv2d(padded, kernel[:, :, None, None], strides=stride, padding="VALID").numpy()[0, :, :, 0]


def _keras_rows(layers, side, channels):
    keras = _keras()
    made = {"conv": lambda f, k, s, p: [keras.layers.ZeroPadding2D(p), keras.layers.Conv2D(f, k, strides=s)],
            "pool": lambda k, s: [keras.layers.MaxPooling2D(k, strides=s)],
            "dense": lambda u: [keras.layers.Flatten(), keras.layers.Dense(u)]}
    x, rows = keras.Input((side, side, channels)), []
    for kind, *args in layers:
        before = x
        for layer in made[kind](*args):
            x = layer(x)
        model = keras.Model(before, x)
        shape = x.shape
        rows.append((shape[1] if len(shape) == 4 else 1, shape[-1], model.count_params()))
    return rows


# What each exercise that is to be written by hand refuses: the libraries' own, called as a student would.
LIBRARY_SHORTCUTS = {
    "check_sigmoid": [lambda z: _tf().sigmoid(z), lambda z: _tf().nn.sigmoid(z),
                      lambda z: _keras().activations.sigmoid(z), lambda z: _keras().ops.sigmoid(z)],
    "check_binary_cross_entropy": [
        lambda y, p: _tf().reduce_mean(_keras().losses.binary_crossentropy(y[:, None], p[:, None])),
        lambda y, p: _keras().losses.BinaryCrossentropy()(y, p),
        lambda y, p: _tf().reduce_mean(_keras().ops.binary_crossentropy(y, p)),
        lambda y, p: _tf().reduce_mean(_tf().nn.sigmoid_cross_entropy_with_logits(y, _tf().math.log(p / (1 - p))))],
    "check_softmax_cross_entropy": [
        lambda logits, labels: _keras().losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits),
        lambda logits, labels: -_tf().reduce_mean(_tf().gather(_tf().nn.log_softmax(logits), labels, axis=1,
                                                               batch_dims=1)),
        lambda logits, labels: _tf().reduce_mean(_tf().math.reduce_logsumexp(logits, axis=1)
                                                 - _tf().gather(logits, labels, axis=1, batch_dims=1))],
    "check_backward": [lambda x, y, W1, b1, W2, b2: _tape_gradients(x, y, W1, b1, W2, b2)],
    "check_conv2d": [_conv,
                     lambda image, kernel, stride=1, padding=0: __import__("scipy.signal").signal.correlate2d(
                         np.pad(image, padding), kernel, mode="valid")[::stride, ::stride]],
    "check_output_size": [lambda W, F, P, S: _keras().layers.Conv2D(1, F, strides=S).compute_output_shape(
                              (1, W + 2 * P, W + 2 * P, 1))[1],
                          lambda W, F, P, S: _conv(np.zeros((W, W)), np.zeros((F, F)), S, P).shape[0]],
    "check_conv_params": [lambda c, f, k: _keras().Sequential([_keras().Input((k, k, c)),
                                                               _keras().layers.Conv2D(f, k)]).count_params()],
    "check_receptive_field": [
        lambda n, k: int(np.count_nonzero(_impulse_response(n, k)))],
    "check_layer_arithmetic": [_keras_rows],
    "check_head_params": [
        lambda side, channels, hidden, classes: (
            _keras_rows([("dense", h) for h in (*hidden, classes)], side, channels)[0][2]
            + sum(r[2] for r in _keras_rows([("dense", h) for h in (*hidden, classes)], side, channels)[1:]),
            _keras_rows([("conv", classes, 1, 1, 0)], side, channels)[0][2])],
}


def _tape_gradients(x, y, W1, b1, W2, b2):
    tf = _tf()
    variables = [tf.Variable(p, dtype=tf.float64) for p in (W1, b1, W2, b2)]
    with tf.GradientTape() as tape:
        h = tf.tanh(tf.linalg.matvec(variables[0], tf.constant(x), transpose_a=True) + variables[1])
        loss = 0.5 * (tf.reduce_sum(h * variables[2]) + variables[3] - y) ** 2
    return tuple(g.numpy() for g in tape.gradient(loss, variables))


def _impulse_response(layers, kernel):
    image = np.zeros((4 * layers * kernel + 1,) * 2)
    image[image.shape[0] // 2, image.shape[1] // 2] = 1
    for _ in range(layers):
        image = _conv(image, np.ones((kernel, kernel)), 1, kernel // 2)
    return image[image.shape[0] // 2]


@pytest.mark.parametrize("check, shortcut", [(c, s) for c, shortcuts in LIBRARY_SHORTCUTS.items() for s in shortcuts],
                         ids=[f"{c}-{i}" for c, shortcuts in LIBRARY_SHORTCUTS.items() for i in range(len(shortcuts))])
def test_the_library_function_an_exercise_replaces_fails_with_what_to_do_instead(check, shortcut):
    message = failure(getattr(checks, check), shortcut)
    assert "which does what the exercise asks you to write by hand" in message
    assert "as the text says" in message


@pytest.mark.parametrize("check, shortcut", [(c, s) for c, shortcuts in LIBRARY_SHORTCUTS.items() for s in shortcuts],
                         ids=[f"{c}-{i}" for c, shortcuts in LIBRARY_SHORTCUTS.items() for i in range(len(shortcuts))])
def test_the_library_shortcuts_are_right_answers_apart_from_the_rule(check, shortcut, monkeypatch, capsys):
    """Each shortcut above would pass if the check did not watch for it: the test above is not passing for a wrong
    answer's sake."""
    monkeypatch.setattr(checks, "_watched", lambda fn, names: _nothing_seen())
    getattr(checks, check)(shortcut)
    assert "passed" in capsys.readouterr().out


def _nothing_seen():
    import contextlib

    @contextlib.contextmanager
    def nothing():
        yield []

    return nothing()


def test_every_exercise_that_is_written_by_hand_has_library_shortcuts_tried():
    by_hand = {"check_sigmoid", "check_binary_cross_entropy", "check_softmax_cross_entropy", "check_backward",
               "check_conv2d", "check_output_size", "check_conv_params", "check_receptive_field",
               "check_layer_arithmetic", "check_head_params"}
    assert set(LIBRARY_SHORTCUTS) == by_hand
    assert {e["check"] for _, e in EXERCISES} >= by_hand


@pytest.mark.parametrize("solution, exercise", EXERCISES, ids=IDS)
def test_each_check_names_its_exercise_by_the_number_of_the_notebooks_header(solution, exercise):
    import keras

    from lab_utils.models import lenet

    scope = expected.exercise_functions(ROOT / "labs" / solution.name)  # the placeholders
    scope.update(keras=keras, lenet=lenet)
    message = failure(getattr(checks, exercise["check"]), scope[exercise["function"]])
    assert message.startswith(f"Exercise {exercise['number']} (")


def test_a_message_that_quotes_a_solutions_expression_is_caught():
    with pytest.raises(AssertionError, match="holds the answer"):
        assert_holds_no_answer("for output_size(28, 5, 0, 1) expected (W - F + 2 * P) // S + 1")


def test_no_hint_holds_an_answer():
    """The hint lines the labs keep (labgen.hints) quote no line of a solution and no expression one returns."""
    import json

    from lab_utils import labgen

    hints = []
    for path in SOLUTIONS:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and labgen.BEGIN in source:
                block = source.split(labgen.BEGIN, 1)[1].split(labgen.END, 1)[0].splitlines(keepends=True)
                hints += labgen.hints(block)
    assert len(hints) > 20, "fewer hints than the labs have: is labgen.hints() reading the blocks?"
    for hint in hints:
        assert_holds_no_answer(hint)
