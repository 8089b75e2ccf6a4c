"""Each exercise check passes on the solution and fails, with a useful message, on the placeholder and typical mistakes.

The solution and placeholder come from the notebooks themselves (solutions/ and labs/)."""

import inspect
import re

import numpy as np
import pytest

from lab_utils import checks

from notebooks import ROOT, assert_holds_no_answer, run_exercise

SETUP_SOLUTION = ROOT / "solutions" / "00_setup.ipynb"
SETUP_LAB = ROOT / "labs" / "00_setup.ipynb"


def failure(check, fn):
    with pytest.raises(checks.ExerciseFailed) as error:
        check(fn)
    assert_holds_no_answer(str(error.value))
    return str(error.value)


def exercise_function(path, exercise, name):
    """The function ``name`` defined by one exercise cell of a notebook, run with keras in scope."""
    import keras

    return run_exercise(path, exercise, keras=keras)[name]


# --------------------------------------------------------------------------- the mechanics

def test_a_failed_check_renders_as_one_line_without_a_traceback():
    error = checks.ExerciseFailed("Exercise 9 (f)", "expected 1, got 2.")
    assert error._render_traceback_() == ["\u274c Exercise 9 (f): expected 1, got 2."]


def test_a_crash_in_student_code_is_named_in_one_line():
    def crashes(labels):
        return labels.reshape(3, 3)

    message = failure(checks.check_class_counts, crashes)
    assert message.startswith("Exercise 1 (class_counts): your code raised ValueError: cannot reshape")
    assert "\n" not in message


def test_passing_the_result_instead_of_the_function_is_explained():
    assert "Pass the function itself, without calling it" in failure(checks.check_class_counts, np.zeros(10))


# Odd answers a student's function can give, whatever its signature (a model builder, a Keras block on a tensor...).
def returns_none(*args, **kwargs):
    return None


def returns_a_string(*args, **kwargs):
    return "not a number"


def returns_nan(*args, **kwargs):
    return np.full(1, np.nan)


def raises_value_error(*args, **kwargs):
    raise ValueError("odd input")


# What the message about each odd answer must say came back, in words a student can match to their code: None and
# how to fix it; the exception, quoted; the string, by its type or its value; the one-element NaN array, by its type,
# its value or its shape (as a check sees it, (1,) or, made a column, (1, 1)).
SAYS_WHAT_CAME_BACK = {
    returns_none: r"expected your function to return its result, got None\. End it with a `return \.\.\.` line\.",
    raises_value_error: r"your code raised ValueError: odd input",
    returns_a_string: r".*\bgot (str\b|'not a number').*",
    returns_nan: r".*\bgot (nan\b|ndarray\b|array\(\[nan\]\)|(shape )?\(1,( 1)?\)).*",
}
# gradient_step's answer is its update of w and b, checked before what it returns: for a wrong value that updates
# nothing, what came back is variables that did not change.
SAYS_WHAT_CAME_BACK_OF_AN_UPDATE = r"expected w and b to change, but they did not\. .*"

EVERY_CHECK = sorted(name for name, fn in inspect.getmembers(checks, inspect.isfunction)
                     if name.startswith("check_") and fn.__module__ == checks.__name__)


@pytest.mark.parametrize("odd", list(SAYS_WHAT_CAME_BACK), ids=lambda fn: fn.__name__)
@pytest.mark.parametrize("name", EVERY_CHECK)
def test_every_check_fails_with_its_own_message_on_an_odd_answer(name, odd):
    check = getattr(checks, name)
    with pytest.raises(checks.ExerciseFailed) as error:  # any other exception escapes and fails the test
        check(odd)
    number = re.match(r"Exercise (\d+) of ", check.__doc__).group(1)  # the exercise the check's docstring names
    assert re.fullmatch(rf"Exercise {number} \(\w[^)]*\)", error.value.exercise)
    message = str(error.value)
    assert message == f"{error.value.exercise}: {error.value.message}" and "\n" not in message
    said = SAYS_WHAT_CAME_BACK[odd]
    if name == "check_gradient_step" and odd in (returns_a_string, returns_nan):
        said = SAYS_WHAT_CAME_BACK_OF_AN_UPDATE
    assert re.fullmatch(said, error.value.message), error.value.message


# --------------------------------------------------------------------------- 00_setup, exercise 1

def test_class_counts_check_passes_on_the_solution(capsys):
    checks.check_class_counts(run_exercise(SETUP_SOLUTION, "Exercise 1")["class_counts"])
    assert capsys.readouterr().out.startswith("\u2705 Exercise 1 (class_counts) passed")


def test_class_counts_check_fails_on_the_placeholder():
    message = failure(checks.check_class_counts, run_exercise(SETUP_LAB, "Exercise 1")["class_counts"])
    assert "not done yet" in message


def test_class_counts_check_catches_digits_that_never_occur():
    message = failure(checks.check_class_counts, lambda labels: np.bincount(labels))
    assert "expected 10 counts" in message and "minlength" in message


def test_class_counts_check_catches_the_digits_returned_instead_of_counts():
    message = failure(checks.check_class_counts, lambda labels: np.unique(labels, return_counts=True)[1])
    assert "expected 10 counts" in message


def test_class_counts_check_catches_wrong_counts():
    message = failure(checks.check_class_counts, lambda labels: np.bincount(labels[1:], minlength=10))
    assert "expected [1, 1, 0, 3, 0, 0, 0, 0, 0, 1], got [1, 1, 0, 2" in message


# --------------------------------------------------------------------------- 00_setup, exercise 2

def test_scale_images_check_passes_on_the_solution(capsys):
    checks.check_scale_images(run_exercise(SETUP_SOLUTION, "Exercise 2")["scale_images"])
    assert "Exercise 2 (scale_images) passed" in capsys.readouterr().out


def test_scale_images_check_fails_on_the_placeholder():
    assert "not done yet" in failure(checks.check_scale_images, run_exercise(SETUP_LAB, "Exercise 2")["scale_images"])


def test_scale_images_check_catches_float64_from_plain_division():
    message = failure(checks.check_scale_images, lambda images: images / 255)
    assert "expected dtype float32" in message and "got float64" in message


def test_scale_images_check_catches_a_missing_division():
    message = failure(checks.check_scale_images, lambda images: images.astype("float32"))
    assert "the largest must become 1" in message and "images[0, 0, 1] = 255 should become 1, got 255" in message


def test_scale_images_check_catches_a_flattened_result():
    message = failure(checks.check_scale_images, lambda images: images.reshape(len(images), -1).astype("float32") / 255)
    assert "expected the shape to stay (2, 6, 6), got (2, 36)" in message


# --------------------------------------------------------------------------- 01_linear_model

LINEAR_SOLUTION = ROOT / "solutions" / "01_linear_model.ipynb"
LINEAR_LAB = ROOT / "labs" / "01_linear_model.ipynb"


def linear(path, exercise):
    """Run one exercise cell of Lab 1 on top of the solution's earlier exercises (as a student's kernel would)."""
    import keras
    import tensorflow as tf

    scope = {"tf": tf, "keras": keras}
    for earlier in ("Exercise 1", "Exercise 2"):
        if earlier != exercise:
            scope.update(run_exercise(LINEAR_SOLUTION, earlier, **scope))
    return run_exercise(path, exercise, **scope)


LINEAR_EXERCISES = [
    ("Exercise 1", "sigmoid", checks.check_sigmoid),
    ("Exercise 2", "binary_cross_entropy", checks.check_binary_cross_entropy),
    ("Exercise 3", "gradient_step", checks.check_gradient_step),
    ("Exercise 4", "softmax_cross_entropy", checks.check_softmax_cross_entropy),
    ("Exercise 5", "build_softmax_regression", checks.check_softmax_regression),
    ("Exercise 6", "feature_map", checks.check_feature_map),
]


@pytest.mark.parametrize("exercise, name, check", LINEAR_EXERCISES, ids=[e[1] for e in LINEAR_EXERCISES])
def test_lab1_check_passes_on_the_solution(exercise, name, check, capsys):
    check(linear(LINEAR_SOLUTION, exercise)[name])
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("exercise, name, check", LINEAR_EXERCISES, ids=[e[1] for e in LINEAR_EXERCISES])
def test_lab1_check_fails_on_the_placeholder(exercise, name, check):
    assert "not done yet" in failure(check, linear(LINEAR_LAB, exercise)[name])


def test_sigmoid_check_catches_a_missing_minus_sign():
    import tensorflow as tf

    message = failure(checks.check_sigmoid, lambda z: 1 / (1 + tf.exp(z)))
    assert "Compare your code with the sigmoid's definition, sign by sign." in message and "exp(-z)" not in message


def test_binary_cross_entropy_check_catches_a_sum_and_a_missing_minus():
    import tensorflow as tf

    def terms(y, p):
        return y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p)

    summed = failure(checks.check_binary_cross_entropy, lambda y, p: -tf.reduce_sum(terms(y, p)))
    assert "the sum over the examples" in summed
    assert "never negative" in failure(checks.check_binary_cross_entropy, lambda y, p: tf.reduce_mean(terms(y, p)))
    assert "expected one number" in failure(checks.check_binary_cross_entropy, lambda y, p: -terms(y, p))


def test_binary_cross_entropy_check_accepts_the_mean_as_a_one_element_tensor(capsys):
    import tensorflow as tf

    def mean_of_shape_1(y, p):
        return tf.reshape(-tf.reduce_mean(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p)), (1,))

    checks.check_binary_cross_entropy(mean_of_shape_1)
    assert "passed" in capsys.readouterr().out


def test_gradient_step_check_catches_rebinding_instead_of_assigning_and_going_uphill():
    import tensorflow as tf

    scope = linear(LINEAR_SOLUTION, "Exercise 3")

    def rebinds(w, b, x, y, learning_rate):
        with tf.GradientTape() as tape:
            loss = scope["binary_cross_entropy"](y, scope["predict_proba"](w, b, x))
        grad_w, grad_b = tape.gradient(loss, [w, b])
        w = w - learning_rate * grad_w  # noqa: F841 (the mistake under test)
        return loss

    def uphill(w, b, x, y, learning_rate):
        with tf.GradientTape() as tape:
            loss = scope["binary_cross_entropy"](y, scope["predict_proba"](w, b, x))
        grad_w, grad_b = tape.gradient(loss, [w, b])
        w.assign_add(learning_rate * grad_w)
        b.assign_add(learning_rate * grad_b)
        return loss

    assert "w.assign_sub" in failure(checks.check_gradient_step, rebinds)
    assert "went uphill" in failure(checks.check_gradient_step, uphill)


def test_gradient_step_check_is_not_failed_by_a_wrong_sigmoid_or_cross_entropy_and_leaves_them_in_place(capsys):
    import keras
    import tensorflow as tf

    def wrong_sigmoid(z):
        return 1 / (1 + tf.exp(z))

    def wrong_cross_entropy(y, p):
        return -tf.reduce_sum(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))

    scope = run_exercise(LINEAR_SOLUTION, "Exercise 3", tf=tf, keras=keras, sigmoid=wrong_sigmoid,
                         binary_cross_entropy=wrong_cross_entropy)
    checks.check_gradient_step(scope["gradient_step"])
    assert "Exercise 3 (gradient_step) passed" in capsys.readouterr().out
    assert (scope["sigmoid"], scope["binary_cross_entropy"]) == (wrong_sigmoid, wrong_cross_entropy)


def test_gradient_step_check_leaves_no_names_behind_in_a_namespace_that_had_none():
    import tensorflow as tf

    scope = {"tf": tf}
    exec("def gradient_step(w, b, x, y, learning_rate):\n"
         "    with tf.GradientTape() as tape:\n"
         "        loss = binary_cross_entropy(y, sigmoid(tf.linalg.matvec(x, w) + b))\n"
         "    grad_w, grad_b = tape.gradient(loss, [w, b])\n"
         "    w.assign_sub(learning_rate * grad_w)\n"
         "    b.assign_sub(learning_rate * grad_b)\n"
         "    return loss\n", scope)
    checks.check_gradient_step(scope["gradient_step"])
    assert "sigmoid" not in scope and "binary_cross_entropy" not in scope


def test_softmax_cross_entropy_check_catches_overflow_wrong_axis_and_logits_as_probabilities():
    import tensorflow as tf

    def naive(logits, labels):
        p = tf.exp(logits) / tf.reduce_sum(tf.exp(logits), axis=1, keepdims=True)
        return -tf.reduce_mean(tf.math.log(tf.gather(p, labels, axis=1, batch_dims=1)))

    def wrong_axis(logits, labels):
        p = tf.exp(logits) / tf.reduce_sum(tf.exp(logits), axis=0, keepdims=True)
        return -tf.reduce_mean(tf.math.log(tf.gather(p, labels, axis=1, batch_dims=1)))

    def logits_as_probabilities(logits, labels):
        return -tf.reduce_mean(tf.math.log(tf.nn.relu(tf.gather(logits, labels, axis=1, batch_dims=1)) + 1e-7))

    assert "exp(1000) overflows" in failure(checks.check_softmax_cross_entropy, naive)
    assert "labels = [3, 0, 9, 3, 5, 1] expected" in failure(checks.check_softmax_cross_entropy, wrong_axis)
    assert "labels = [3, 0, 9, 3, 5, 1] expected" in failure(checks.check_softmax_cross_entropy,
                                                              logits_as_probabilities)


def test_softmax_regression_check_catches_a_softmax_output_a_hidden_layer_and_a_wrong_input():
    import keras

    def model(*layers, shape=(784,)):
        return lambda: keras.Sequential([keras.Input(shape=shape), *layers])

    assert "ends in a softmax" in failure(checks.check_softmax_regression,
                                          model(keras.layers.Dense(10, activation="softmax")))
    assert "got 7,960. Softmax regression has no hidden layer" in failure(checks.check_softmax_regression,
                                        model(keras.layers.Dense(10), keras.layers.Dense(10)))
    assert "keras.Input(shape=(784,))" in failure(checks.check_softmax_regression,
                                                  model(keras.layers.Dense(10), shape=(28, 28)))
    assert "expected 10 outputs" in failure(checks.check_softmax_regression, model(keras.layers.Dense(1)))


def test_feature_map_check_catches_features_that_stay_linear():
    assert "reaches only" in failure(checks.check_feature_map, lambda X: np.column_stack([X, X[:, 0] + X[:, 1]]))
    assert "one row of features per point" in failure(checks.check_feature_map, lambda X: X.T)


# --------------------------------------------------------------------------- 02_mlp

MLP_SOLUTION = ROOT / "solutions" / "02_mlp.ipynb"
MLP_LAB = ROOT / "labs" / "02_mlp.ipynb"


def test_backward_check_passes_on_the_solution(capsys):
    checks.check_backward(exercise_function(MLP_SOLUTION, "Exercise 1", "backward"))
    assert "match tf.GradientTape" in capsys.readouterr().out


def test_backward_check_fails_on_the_placeholder():
    assert "not done yet" in failure(checks.check_backward, exercise_function(MLP_LAB, "Exercise 1", "backward"))


def test_backward_check_catches_a_forgotten_tanh_derivative():
    def no_tanh_derivative(x, y, W1, b1, W2, b2):
        h = np.tanh(x @ W1 + b1)
        e = h @ W2 + b2 - y
        delta = e * W2
        return np.outer(x, delta), delta, e * h, e

    message = failure(checks.check_backward, no_tanh_derivative)
    assert "db1 differs from tf.GradientTape's" in message and "1 - h**2" in message


def test_backward_check_catches_a_gradient_of_the_wrong_shape():
    def wrong_shape(x, y, W1, b1, W2, b2):
        h = np.tanh(x @ W1 + b1)
        e = h @ W2 + b2 - y
        delta = e * W2 * (1 - h ** 2)
        return np.outer(delta, x), delta, e * h, e

    message = failure(checks.check_backward, wrong_shape)
    assert "dW1 should have the shape of its parameter, (2, 3); got (3, 2)" in message


def test_mlp_check_passes_on_the_solution(capsys):
    checks.check_mlp(exercise_function(MLP_SOLUTION, "Exercise 2", "build_mlp"))
    assert "235,146 parameters" in capsys.readouterr().out


def test_mlp_check_fails_on_the_placeholder():
    assert "not done yet" in failure(checks.check_mlp, exercise_function(MLP_LAB, "Exercise 2", "build_mlp"))


@pytest.mark.parametrize("layers, message", [
    ([("Dense", 256, None), ("Dense", 128, "relu"), ("Dense", 10, None)], "have no activation"),
    ([("Dense", 256, "relu"), ("Dense", 128, "relu"), ("Dense", 10, "softmax")], "must output logits"),
    ([("Dense", 256, "sigmoid"), ("Dense", 128, "sigmoid"), ("Dense", 10, None)], "expected ReLU"),
    ([("Dense", 128, "relu"), ("Dense", 10, None)], "hidden Dense layers of 256 and 128 units, found [128]"),
])
def test_mlp_check_catches_typical_mistakes(layers, message):
    import keras

    def build():
        return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten()]
                                + [keras.layers.Dense(units, activation=act) for _, units, act in layers])

    assert message in failure(checks.check_mlp, build)


def test_mlp_check_explains_a_missing_flatten():
    import keras

    def no_flatten():
        return keras.Sequential([keras.Input((784,)), keras.layers.Dense(256, activation="relu"),
                                 keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10)])

    assert "Start with keras.Input(shape=(28, 28, 1)) and Flatten" in failure(checks.check_mlp, no_flatten)


# --------------------------------------------------------------------------- 03_lenet

LENET_SOLUTION = ROOT / "solutions" / "03_lenet.ipynb"
LENET_LAB = ROOT / "labs" / "03_lenet.ipynb"

LENET_EXERCISES = [
    ("Exercise 1", "conv2d", checks.check_conv2d),
    ("Exercise 2", "output_size", checks.check_output_size),
    ("Exercise 3", "conv_params", checks.check_conv_params),
    ("Exercise 4", "receptive_field", checks.check_receptive_field),
    ("Exercise 5", "build_lenet", checks.check_lenet),
]


def test_conv2d_check_catches_a_flipped_kernel_and_ignored_stride():
    solution = exercise_function(LENET_SOLUTION, "Exercise 1", "conv2d")
    assert "the kernel flipped" in failure(checks.check_conv2d,
                                           lambda image, kernel, stride=1, padding=0:
                                           solution(image, kernel[::-1, ::-1], stride, padding))
    assert "expected output shape" in failure(checks.check_conv2d,
                                              lambda image, kernel, stride=1, padding=0:
                                              solution(image, kernel, 1, padding))


@pytest.mark.parametrize("check, wrong, hint", [
    (checks.check_output_size, lambda W, F, P, S: (W - F + P) // S + 1, "on *both* sides"),
    (checks.check_output_size, lambda W, F, P, S: (W - F + 2 * P) / S + 1, "expected a whole number"),
    (checks.check_conv_params, lambda c, f, k: f * k * k * c, "also has a bias"),
    (checks.check_conv_params, lambda c, f, k: f * (k * k + 1), "spans every input channel"),
    (checks.check_receptive_field, lambda n, k: n * k, "each adds fewer than k pixels"),
])
def test_arithmetic_checks_name_the_typical_slip(check, wrong, hint):
    assert hint in failure(check, wrong)


@pytest.mark.parametrize("change, message", [
    ({"padding": "valid"}, "padding=\"same\""),
    ({"pool": "average"}, "expected two MaxPooling2D layers"),
    ({"activation": "tanh"}, "need activation=\"relu\""),
    ({"last": "softmax"}, "output logits"),
    ({"c5": "dense"}, "LeCun's C5 is a convolution"),
])
def test_lenet_check_catches_typical_mistakes(change, message):
    import keras

    def build():
        act = change.get("activation", "relu")
        pool = keras.layers.AveragePooling2D if change.get("pool") == "average" else keras.layers.MaxPooling2D
        c5 = ([keras.layers.Flatten(), keras.layers.Dense(120, activation=act)] if change.get("c5") == "dense"
              else [keras.layers.Conv2D(120, 5, activation=act), keras.layers.Flatten()])
        return keras.Sequential([
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(6, 5, padding=change.get("padding", "same"), activation=act), pool(2),
            keras.layers.Conv2D(16, 5, activation=act), pool(2), *c5,
            keras.layers.Dense(84, activation=act),
            keras.layers.Dense(10, activation=change.get("last")),
        ])

    assert message in failure(checks.check_lenet, build)


@pytest.mark.parametrize("check, builder", [
    (checks.check_softmax_regression, lambda: __import__("lab_utils.models").models.softmax_regression(
        input_shape=(784,))),
    (checks.check_mlp, lambda: __import__("lab_utils.models").models.mlp(dropout=0.2)),
    (checks.check_lenet, lambda: __import__("lab_utils.models").models.lenet()),
])
def test_a_model_check_refuses_the_kits_own_builder(check, builder):
    assert re.search(r"your function calls lab_utils\.models\.\w+, the kit's own code: the exercise is to write it "
                     r"yourself \(build it layer by layer with keras layers\)\.", failure(check, builder))


@pytest.mark.parametrize("shortcut", [
    lambda logits, labels: tf_().reduce_mean(tf_().nn.sparse_softmax_cross_entropy_with_logits(labels, logits)),
    lambda logits, labels: -tf_().reduce_mean(tf_().gather(tf_().nn.log_softmax(logits), labels, axis=1, batch_dims=1)),
    lambda logits, labels: __import__("keras").losses.sparse_categorical_crossentropy(labels, logits, from_logits=True),
], ids=["tf_loss", "log_softmax", "keras_loss"])
def test_softmax_cross_entropy_check_refuses_the_libraries_losses_by_what_the_function_calls(shortcut):
    assert "which does what the exercise asks you to write by hand" in failure(
        checks.check_softmax_cross_entropy, shortcut)


def test_a_library_function_is_caught_under_another_name():
    from tensorflow.nn import log_softmax as my_helper  # what a source-text search would not see

    def renamed(logits, labels):
        return -tf_().reduce_mean(tf_().gather(my_helper(logits), labels, axis=1, batch_dims=1))

    assert "calls tensorflow.nn.log_softmax" in failure(checks.check_softmax_cross_entropy, renamed)


def test_a_helper_of_the_students_own_named_like_a_library_function_is_allowed(capsys):
    def log_softmax(logits):  # the student's own, by hand
        m = tf_().reduce_max(logits, axis=1, keepdims=True)
        return logits - m - tf_().math.log(tf_().reduce_sum(tf_().exp(logits - m), axis=1, keepdims=True))

    def loss(logits, labels):
        return -tf_().reduce_mean(tf_().gather(log_softmax(logits), labels, axis=1, batch_dims=1))

    checks.check_softmax_cross_entropy(loss)
    assert "passed" in capsys.readouterr().out


def test_backward_check_refuses_gradients_from_gradient_tape():
    def taped(x, y, W1, b1, W2, b2):
        tf = tf_()
        variables = [tf.Variable(np.asarray(v, np.float64)) for v in (W1, b1, W2, b2)]
        with tf.GradientTape() as tape:
            h = tf.tanh(tf.linalg.matvec(variables[0], tf.constant(x), transpose_a=True) + variables[1])
            loss = 0.5 * (tf.reduce_sum(h * variables[2]) + variables[3] - y) ** 2
        return tuple(g.numpy() for g in tape.gradient(loss, variables))

    assert "calls tensorflow.GradientTape.gradient" in failure(checks.check_backward, taped)


def test_conv2d_check_refuses_a_library_convolution():
    def library(image, kernel, stride=1, padding=0):
        tf = tf_()
        padded = np.pad(image, padding)
        return tf.nn.conv2d(padded[None, :, :, None], kernel[:, :, None, None], strides=stride,
                            padding="VALID").numpy()[0, :, :, 0]

    def scipy_one(image, kernel, stride=1, padding=0):
        from scipy.signal import correlate2d

        return correlate2d(np.pad(image, padding), kernel, mode="valid")[::stride, ::stride]

    assert "calls tensorflow.nn.conv2d" in failure(checks.check_conv2d, library)
    assert "calls scipy.signal.correlate2d" in failure(checks.check_conv2d, scipy_one)


def tf_():
    import tensorflow as tf

    return tf


# --------------------------------------------------------------------------- 04_transfer_learning

TRANSFER_SOLUTION = ROOT / "solutions" / "04_transfer_learning.ipynb"
TRANSFER_LAB = ROOT / "labs" / "04_transfer_learning.ipynb"


def transfer_exercise(path):
    from lab_utils.models import lenet
    from lab_utils.transfer import TRANSFER_LAYERS

    return run_exercise(path, "Exercise 1", lenet=lenet, TRANSFER_LAYERS=TRANSFER_LAYERS)["build_transfer"]


def test_build_transfer_check_passes_on_the_solution(capsys):
    checks.check_build_transfer(transfer_exercise(TRANSFER_SOLUTION))
    assert "passed" in capsys.readouterr().out


def test_build_transfer_check_fails_on_the_placeholder():
    assert "not done yet" in failure(checks.check_build_transfer, transfer_exercise(TRANSFER_LAB))


def test_build_transfer_check_catches_shared_layers_forgotten_freezing_and_copying_everything():
    import keras

    from lab_utils.models import lenet
    from lab_utils.transfer import TRANSFER_LAYERS

    def shares_layers(base, n, fine_tune):
        fresh = lenet(num_classes=5)
        layers = [base.get_layer(name) if name in TRANSFER_LAYERS[:n] else fresh.get_layer(name)
                  for name in ("C1", "S2", "C3", "S4", "C5", "flatten", "F6", "logits")]
        return keras.Sequential([keras.Input((28, 28, 1))] + layers)

    def never_freezes(base, n, fine_tune):
        model = lenet(num_classes=5)
        for name in TRANSFER_LAYERS[:n]:
            model.get_layer(name).set_weights(base.get_layer(name).get_weights())
        return model

    def copies_everything(base, n, fine_tune):
        model = lenet(num_classes=5)
        for name in TRANSFER_LAYERS:
            model.get_layer(name).set_weights(base.get_layer(name).get_weights())
            model.get_layer(name).trainable = fine_tune or name not in TRANSFER_LAYERS[:n]
        return model

    assert "shared" in failure(checks.check_build_transfer, shares_layers)
    assert "has trainable=True; expected False" in failure(checks.check_build_transfer, never_freezes)
    assert "should be freshly initialised" in failure(checks.check_build_transfer, copies_everything)


# --------------------------------------------------------------------------- 05_modern_cnns

CNN_SOLUTION = ROOT / "solutions" / "05_modern_cnns.ipynb"
CNN_LAB = ROOT / "labs" / "05_modern_cnns.ipynb"

CNN_EXERCISES = [
    ("Exercise 1", "layer_arithmetic", checks.check_layer_arithmetic),
    ("Exercise 2", "vgg_block", checks.check_vgg_block),
    ("Exercise 3", "head_params", checks.check_head_params),
    ("Exercise 4", "inception_block", checks.check_inception_block),
    ("Exercise 5", "residual_block", checks.check_residual_block),
]


# Labs 3 and 5: every check passes on the solution's function and fails on the lab's placeholder.
EXERCISES = [(LENET_SOLUTION, LENET_LAB, *e) for e in LENET_EXERCISES] + \
            [(CNN_SOLUTION, CNN_LAB, *e) for e in CNN_EXERCISES]
EXERCISE_IDS = [f"{solution.stem}-{name}" for solution, _, _, name, _ in EXERCISES]


@pytest.mark.parametrize("solution, lab, exercise, name, check", EXERCISES, ids=EXERCISE_IDS)
def test_check_passes_on_the_solution(solution, lab, exercise, name, check, capsys):
    check(exercise_function(solution, exercise, name))
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("solution, lab, exercise, name, check", EXERCISES, ids=EXERCISE_IDS)
def test_check_fails_on_the_placeholder(solution, lab, exercise, name, check):
    assert "not done yet" in failure(check, exercise_function(lab, exercise, name))


@pytest.mark.parametrize("check, builder", [
    (checks.check_vgg_block, lambda convs, filters: __import__("lab_utils.models").models.vgg_block(convs, filters)),
    (checks.check_inception_block,
     lambda x, *widths: __import__("lab_utils.models").models.inception_block(x, *widths)),
    (checks.check_residual_block, lambda x, filters, strides=1: __import__("lab_utils.models").models.residual_block(
        x, filters, strides)),
])
def test_a_lab5_block_check_refuses_the_kits_own_builder(check, builder):
    assert re.search(r"your function calls lab_utils\.models\.\w+, the kit's own code: the exercise is to write it "
                     r"yourself \(build it with keras layers\)\.", failure(check, builder))


def test_layer_arithmetic_check_names_the_layer_kind_that_goes_wrong():
    solution = exercise_function(CNN_SOLUTION, "Exercise 1", "layer_arithmetic")

    def pools_with_parameters(layers, side, channels):
        return [(s, c, p if p else 1) for s, c, p in solution(layers, side, channels)]

    def dense_without_bias(layers, side, channels):
        rows = solution(layers, side, channels)
        return [(s, c, p - c if kind[0] == "dense" else p) for (s, c, p), kind in zip(rows, layers)]

    assert "pooling changes the side" in failure(checks.check_layer_arithmetic, pools_with_parameters)
    assert "each unit has a bias" in failure(checks.check_layer_arithmetic, dense_without_bias)


def test_head_params_check_catches_a_forgotten_bias():
    solution = exercise_function(CNN_SOLUTION, "Exercise 3", "head_params")
    assert "its biases included" in failure(checks.check_head_params,
                                           lambda s, c, h, k: (solution(s, c, h, k)[0], c * k))


def test_vgg_block_check_catches_a_block_that_shrinks_without_padding():
    import keras

    def no_padding(convs, filters):
        return keras.Sequential([keras.layers.Conv2D(filters, 3, activation="relu") for _ in range(convs)]
                                + [keras.layers.MaxPooling2D(2)])

    assert "keep the side (padding=\"same\")" in failure(checks.check_vgg_block, no_padding)


def test_inception_block_check_catches_a_forgotten_branch():
    import keras

    def three_branches(x, c1, c3, c5, pool_proj):
        return keras.layers.Concatenate()([keras.layers.Conv2D(c, k, padding="same")(x)
                                           for c, k in ((c1, 1), (c3, 3), (c5, 5))])

    assert "concatenated along the channels" in failure(checks.check_inception_block, three_branches)


@pytest.mark.parametrize("mistake, message", [
    ("no_add", "no Add layer"),
    ("default_momentum", "momentum=0.9"),
    ("no_projection", "your code raised ValueError"),
])
def test_residual_block_check_catches_typical_mistakes(mistake, message):
    import re

    import keras

    def block(x, filters, strides=1):
        norm = (lambda t: keras.layers.BatchNormalization()(t)) if mistake == "default_momentum" else \
            (lambda t: keras.layers.BatchNormalization(momentum=0.9)(t))
        y = keras.layers.ReLU()(norm(keras.layers.Conv2D(filters, 3, strides=strides, padding="same")(x)))
        y = norm(keras.layers.Conv2D(filters, 3, padding="same")(y))
        if mistake == "no_add":
            return keras.layers.ReLU()(y)
        shortcut = x
        if (strides != 1 or x.shape[-1] != filters) and mistake != "no_projection":
            shortcut = norm(keras.layers.Conv2D(filters, 1, strides=strides)(x))
        return keras.layers.ReLU()(keras.layers.Add()([y, shortcut]))

    assert re.search(message, failure(checks.check_residual_block, block))


# --------------------------------------------------------------------------- the text and the check agree

def test_mlp_check_requires_the_dropout_the_exercise_asks_for():
    import keras

    def without_dropout():
        return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                                 keras.layers.Dense(256, activation="relu"), keras.layers.Dense(128, activation="relu"),
                                 keras.layers.Dense(10)])

    def other_rate():
        return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                                 keras.layers.Dense(256, activation="relu"), keras.layers.Dropout(0.5),
                                 keras.layers.Dense(128, activation="relu"), keras.layers.Dropout(0.2),
                                 keras.layers.Dense(10)])

    assert "after the hidden Dense(256) layer expected a Dropout layer of rate 0.2, found Dense" in failure(
        checks.check_mlp, without_dropout)
    assert "found Dropout(0.5)" in failure(checks.check_mlp, other_rate)


def test_lenet_check_accepts_any_zero_padding_that_keeps_the_size(capsys):
    import keras

    def padded_then_valid():
        return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.ZeroPadding2D(2),
                                 keras.layers.Conv2D(6, 5, activation="relu"), keras.layers.MaxPooling2D(2),
                                 keras.layers.Conv2D(16, 5, activation="relu"), keras.layers.MaxPooling2D(2),
                                 keras.layers.Conv2D(120, 5, activation="relu"), keras.layers.Flatten(),
                                 keras.layers.Dense(84, activation="relu"), keras.layers.Dense(10)])

    checks.check_lenet(padded_then_valid)
    assert "passed" in capsys.readouterr().out


def inception(x, c1, c3, c5, pool_proj, reduce=lambda c: max(c // 2, 1), activation="relu"):
    def conv(t, filters, size):
        return keras_layers().Conv2D(filters, size, padding="same", activation=activation)(t)

    return keras_layers().Concatenate()([conv(x, c1, 1), conv(conv(x, reduce(c3), 1), c3, 3),
                                         conv(conv(x, reduce(c5), 1), c5, 5),
                                         conv(keras_layers().MaxPooling2D(3, strides=1, padding="same")(x),
                                              pool_proj, 1)])


def keras_layers():
    import keras

    return keras.layers


def test_inception_check_requires_halved_reductions_and_relu():
    same_width = failure(checks.check_inception_block, lambda x, *w: inception(x, *w, reduce=lambda c: c))
    assert "the 3x3 convolution of 8 channels should read a 1x1 reduction of 4 channels (half its output), found 8" \
        in same_width
    assert "have no ReLU" in failure(checks.check_inception_block, lambda x, *w: inception(x, *w, activation=None))


def test_sigmoid_check_refuses_a_numpy_sigmoid_that_the_training_loop_could_not_differentiate():
    message = failure(checks.check_sigmoid, lambda z: 1 / (1 + np.exp(-np.asarray(z))))
    assert "returns a ndarray, not a tensor" in message and "tf.GradientTape" in message
