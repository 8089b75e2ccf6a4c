"""A check's message names the input its numbers belong to, and the numbers are really the values at that input.

Each test feeds a check a typical wrong answer, reads the input, the expected value and the student's value back out
of the message, and recomputes both at that input here, independently of the check (its own reference, and the wrong
function run again on that input).
"""

import ast
import re

import numpy as np
import pytest

from lab_utils import checks

from notebooks import assert_holds_no_answer

NUM = r"-?(?:\d+\.?\d*(?:e[-+]?\d+)?|nan|inf)"


def failure(check, fn):
    with pytest.raises(checks.ExerciseFailed) as error:
        check(fn)
    message = str(error.value)
    assert "\n" not in message
    assert_holds_no_answer(message)
    return message


def parse(pattern, message):
    match = re.search(pattern, message)
    assert match, f"{pattern!r} not in {message!r}"
    return match


def quoted(text, value):
    """``text``, a number as a message prints it, is ``value`` to the digits shown."""
    assert float(text) == pytest.approx(float(value), rel=1e-3, abs=1e-4), (text, value)


def recording(fn):
    """``fn``, keeping the arguments of every call in ``.calls``."""
    def wrapper(*args):
        wrapper.calls.append(args)
        return fn(*args)

    wrapper.calls = []
    return wrapper


# --------------------------------------------------------------------------- 00_setup

@pytest.mark.parametrize("wrong", [
    lambda labels: np.bincount(labels[1:], minlength=10),  # drops the first label
    lambda labels: np.bincount(labels[:12], minlength=10),  # right on short inputs only: fails on the long one
], ids=["drops_first", "first_12_only"])
def test_class_counts_message_names_the_labels_of_its_counts(wrong):
    match = parse(r"for labels (.+?) expected (\[.*?\]), got (\[.*?\])\.", failure(checks.check_class_counts, wrong))
    labels = np.asarray(eval(match.group(1), {"np": np}), np.uint8)  # a list, or the np.repeat(...) that makes it
    assert ast.literal_eval(match.group(2)) == np.bincount(labels, minlength=10).tolist()
    assert ast.literal_eval(match.group(3)) == wrong(labels).tolist()


def test_class_counts_shape_message_names_the_labels_of_its_shape():
    def wrong(labels):
        return np.bincount(labels)

    match = parse(r"for labels (\[.*?\]) expected 10 counts .*?, got shape (\(.*?\))\.",
                  failure(checks.check_class_counts, wrong))
    assert ast.literal_eval(match.group(2)) == wrong(np.array(ast.literal_eval(match.group(1)))).shape


@pytest.mark.parametrize("wrong", [
    lambda images: images.astype("float32"),  # no division: 0 stays right, 255 does not
    lambda images: (images.astype("float32") + 1) / 256,  # wrong from the very first pixel, 0
], ids=["no_division", "shifted"])
def test_scale_images_message_names_the_pixel_of_its_values(wrong):
    student = recording(wrong)
    match = parse(rf"pixel images\[(\d+), (\d+), (\d+)\] = (\d+) should become ({NUM}), got ({NUM})\.",
                  failure(checks.check_scale_images, student))
    [(images,)] = student.calls
    at = tuple(int(match.group(k)) for k in (1, 2, 3))
    assert images[at] == int(match.group(4))
    quoted(match.group(5), images[at] / 255)
    quoted(match.group(6), wrong(images)[at])
    differs = ~np.isclose(wrong(images), images / 255, atol=1e-6)
    assert at == tuple(np.argwhere(differs)[0])  # the first pixel that differs


# --------------------------------------------------------------------------- 01_linear_model

def _tf():
    import tensorflow as tf

    return tf


@pytest.mark.parametrize("wrong", [
    lambda z: 1 / (1 + _tf().exp(z)),  # the minus sign forgotten: wrong everywhere
    lambda z: _tf().where(z > 1, 1 / (1 + _tf().exp(z)), 1 / (1 + _tf().exp(-z))),  # wrong above 1 only
    lambda z: _tf().tanh(z),
], ids=["missing_minus", "wrong_above_1", "tanh"])
def test_sigmoid_message_quotes_expected_and_got_at_the_same_z(wrong):
    tf = _tf()
    match = parse(rf"sigmoid\(({NUM})\) should be ({NUM}), got ({NUM})\.", failure(checks.check_sigmoid, wrong))
    z = float(match.group(1))
    quoted(match.group(2), 1 / (1 + np.exp(-z)))
    quoted(match.group(3), float(wrong(tf.constant([z], tf.float32))[0]))
    grid = np.linspace(-6, 6, 12, dtype=np.float32)  # the check's inputs: the first where the answer is wrong
    differs = ~np.isclose(wrong(tf.constant(grid)).numpy(), 1 / (1 + np.exp(-grid.astype(np.float64))), atol=1e-5)
    assert z == pytest.approx(grid[np.argmax(differs)], abs=1e-5)


def _bce_terms(y, p):
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


@pytest.mark.parametrize("wrong, pattern, expected", [
    (lambda y, p: -_tf().reduce_sum(y * _tf().math.log(p) + (1 - y) * _tf().math.log(1 - p)),
     rf"got ({NUM}), the sum over the examples; expected the mean ({NUM})\.", "mean"),
    (lambda y, p: _tf().reduce_mean(y * _tf().math.log(p) + (1 - y) * _tf().math.log(1 - p)),
     rf"got ({NUM}): cross-entropy is never negative", None),
    (lambda y, p: -_tf().reduce_mean(y * _tf().math.log(p) + (1 - y) * _tf().math.log(1 - p)) / np.log(10.0),
     rf"expected ({NUM}), got ({NUM})\.", "mean first"),
], ids=["sum", "no_minus", "log10"])
def test_binary_cross_entropy_message_names_y_and_p(wrong, pattern, expected):
    tf = _tf()
    message = failure(checks.check_binary_cross_entropy, wrong)
    case = parse(r"for y=(\[.*?\]) and p=(\[.*?\]) ", message)
    y, p = (np.array(ast.literal_eval(case.group(k)), np.float64) for k in (1, 2))
    got = float(wrong(tf.constant(y, tf.float32), tf.constant(p, tf.float32)))
    match = parse(pattern, message[case.end():])
    if expected == "mean first":
        quoted(match.group(1), _bce_terms(y, p).mean())
        quoted(match.group(2), got)
    else:
        quoted(match.group(1), got)
        if expected == "mean":
            quoted(match.group(2), _bce_terms(y, p).mean())


GRADIENT_START = (r"w = (\[.*?\]), b = (" + NUM + r"), learning_rate = (" + NUM + r"), "
                  r"x = (np\.random\.default_rng\(\d+\)\.standard_normal\(\(\d+, \d+\)\)), y = (\[.*?\])")


def _gradient_start(message):
    """The variables and data the message names: (w, b, learning_rate, x, y)."""
    match = parse(GRADIENT_START, message)
    w = np.array(ast.literal_eval(match.group(1)), np.float32)
    x = eval(match.group(4), {"np": np}).astype(np.float32)
    return w, np.float32(match.group(2)), float(match.group(3)), x, np.array(ast.literal_eval(match.group(5)),
                                                                          np.float32)


def _run_step(step, w, b, learning_rate, x, y):
    tf = _tf()
    w, b = tf.Variable(w), tf.Variable(b)
    returned = step(w, b, tf.constant(x), tf.constant(y), learning_rate)
    return w.numpy(), float(b.numpy()), returned


def _loss(w, b, x, y):
    tf = _tf()
    p = tf.sigmoid(tf.linalg.matvec(x, w) + b)
    return -tf.reduce_mean(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))


def _forgets_the_learning_rate(w, b, x, y, learning_rate):
    tf = _tf()
    with tf.GradientTape() as tape:
        loss = _loss(w, b, x, y)
    grad_w, grad_b = tape.gradient(loss, [w, b])
    w.assign_sub(grad_w)
    b.assign_sub(grad_b)
    return loss


def _returns_the_loss_after(w, b, x, y, learning_rate):
    tf = _tf()
    with tf.GradientTape() as tape:
        loss = _loss(w, b, x, y)
    grad_w, grad_b = tape.gradient(loss, [w, b])
    w.assign_sub(learning_rate * grad_w)
    b.assign_sub(learning_rate * grad_b)
    return _loss(w, b, x, y)


def test_gradient_step_message_names_the_start_of_the_step():
    message = failure(checks.check_gradient_step, _forgets_the_learning_rate)
    w, b, learning_rate, x, y = _gradient_start(message)
    assert message.index("after one step from") < message.index("expected w")
    match = parse(rf"expected w = (\[.*?\]), b = ({NUM}); got w = (\[.*?\]), b = ({NUM})\.", message)
    tf = _tf()
    variables = [tf.Variable(w), tf.Variable(b)]
    with tf.GradientTape() as tape:
        loss = _loss(*variables, tf.constant(x), tf.constant(y))
    grad_w, grad_b = (g.numpy() for g in tape.gradient(loss, variables))
    for text, value in zip(ast.literal_eval(match.group(1)), w - learning_rate * grad_w):
        quoted(str(text), value)
    quoted(match.group(2), b - learning_rate * grad_b)
    got_w, got_b, _ = _run_step(_forgets_the_learning_rate, w, b, learning_rate, x, y)
    for text, value in zip(ast.literal_eval(match.group(3)), got_w):
        quoted(str(text), value)
    quoted(match.group(4), got_b)


def test_gradient_step_loss_message_names_the_start_of_the_step():
    message = failure(checks.check_gradient_step, _returns_the_loss_after)
    w, b, learning_rate, x, y = _gradient_start(message)
    match = parse(rf"the loss before the step, ({NUM}); got \[?({NUM})\]?\.", message)
    quoted(match.group(1), float(_loss(w, b, x, y)))
    quoted(match.group(2), float(_run_step(_returns_the_loss_after, w, b, learning_rate, x, y)[2]))


def _softmax_cross_entropy(logits, labels):
    """The reference, in float64."""
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-np.mean(log_probs[np.arange(len(labels)), labels]))


def _wrong_axis(logits, labels):
    tf = _tf()
    p = tf.exp(logits) / tf.reduce_sum(tf.exp(logits), axis=0, keepdims=True)  # softmax over the wrong axis
    return -tf.reduce_mean(tf.math.log(tf.gather(p, labels, axis=1, batch_dims=1)))


def _clipped(logits, labels):  # right on ordinary logits, finite but wrong on large ones
    tf = _tf()
    logits = tf.clip_by_value(logits, -50.0, 50.0)
    p = tf.exp(logits) / tf.reduce_sum(tf.exp(logits), axis=1, keepdims=True)
    return -tf.reduce_mean(tf.math.log(tf.gather(p, labels, axis=1, batch_dims=1)))


@pytest.mark.parametrize("wrong", [_wrong_axis, _clipped], ids=["wrong_axis", "clipped"])
def test_softmax_cross_entropy_message_names_logits_and_labels(wrong):
    tf = _tf()
    match = parse(rf"for logits = (.+?) and labels = (\[.*?\]) expected ({NUM}), got ({NUM})\.",
                  failure(checks.check_softmax_cross_entropy, wrong))
    logits = np.asarray(eval(match.group(1), {"np": np}), np.float32)  # a list, or the np.random... that makes it
    labels = np.array(ast.literal_eval(match.group(2)), np.int32)
    assert len(logits) == len(labels)
    quoted(match.group(3), _softmax_cross_entropy(logits, labels))
    quoted(match.group(4), float(wrong(tf.constant(logits), tf.constant(labels))))


def test_softmax_cross_entropy_overflow_message_names_logits_and_labels():
    tf = _tf()

    def naive(logits, labels):
        p = tf.exp(logits) / tf.reduce_sum(tf.exp(logits), axis=1, keepdims=True)
        return -tf.reduce_mean(tf.math.log(tf.gather(p, labels, axis=1, batch_dims=1)))

    match = parse(r"for logits = (\[\[.*?\]\]) and labels = (\[.*?\]) it gives (\[?.*?\]?): exp\(1000\) overflows",
                  failure(checks.check_softmax_cross_entropy, naive))
    logits = tf.constant(ast.literal_eval(match.group(1)), tf.float32)
    got = np.asarray(naive(logits, tf.constant(ast.literal_eval(match.group(2)), tf.int32)))
    assert not np.all(np.isfinite(got))
    assert match.group(3) == str(got.tolist())


def _sequential(shape, *layers):
    import keras

    return lambda: keras.Sequential([keras.Input(shape), *layers])


def _output_shape(build, batch_shape):
    return tuple(np.asarray(build()(np.zeros(batch_shape, np.float32))).shape)


def test_softmax_regression_output_message_names_the_batch():
    import keras

    wrong = _sequential((784,), keras.layers.Dense(1))
    match = parse(r"for a batch of shape (\(.*?\)) expected 10 outputs per image .*?; got (\(.*?\))\.",
                  failure(checks.check_softmax_regression, wrong))
    batch = ast.literal_eval(match.group(1))
    assert ast.literal_eval(match.group(2)) == _output_shape(wrong, batch)


def test_feature_map_messages_name_the_points():
    from sklearn.linear_model import LogisticRegression

    from lab_utils.toy import circles

    shape = parse(r"for X of shape (\(.*?\)) \((circles\(.*?\))\) expected one row of features per point, "
                  r"shape \((\d+), k\); got (\(.*?\))\.", failure(checks.check_feature_map, lambda X: X.T))
    X, y = eval(shape.group(2), {"circles": circles})
    assert ast.literal_eval(shape.group(1)) == X.shape and int(shape.group(3)) == len(X)
    assert ast.literal_eval(shape.group(4)) == X.T.shape

    def linear(X):
        return np.column_stack([X, X[:, 0] + X[:, 1]])

    score = parse(r"on your features of the points of (circles\(.*?\)) a linear classifier reaches only (\d+)% right",
                  failure(checks.check_feature_map, linear))
    X, y = eval(score.group(1), {"circles": circles})
    features = linear(X)
    features = (features - features.mean(axis=0)) / features.std(axis=0)
    accuracy = LogisticRegression(C=1e6, max_iter=10_000).fit(features, y).score(features, y)  # another fit
    assert int(score.group(2)) == pytest.approx(100 * accuracy, abs=3)


# --------------------------------------------------------------------------- 02_mlp

def _backward_reference(x, y, W1, b1, W2, b2):
    """The four gradients, written out by hand (the check compares with tf.GradientTape)."""
    h = np.tanh(x @ W1 + b1)
    e = h @ W2 + b2 - y
    delta = e * W2 * (1 - h ** 2)
    return {"dW1": np.outer(x, delta), "db1": delta, "dW2": e * h, "db2": e}


def _no_tanh_derivative(x, y, W1, b1, W2, b2):
    h = np.tanh(x @ W1 + b1)
    e = h @ W2 + b2 - y
    return np.outer(x, e * W2), e * W2, e * h, e


def _pre_activation_for_dW2(x, y, W1, b1, W2, b2):
    h = np.tanh(x @ W1 + b1)
    e = h @ W2 + b2 - y
    delta = e * W2 * (1 - h ** 2)
    return np.outer(x, delta), delta, e * (x @ W1 + b1), e


@pytest.mark.parametrize("wrong, name", [(_no_tanh_derivative, "db1"), (_pre_activation_for_dW2, "dW2")],
                         ids=["no_tanh_derivative", "pre_activation"])
def test_backward_message_names_the_example(wrong, name):
    match = parse(rf"for x = (\[.*?\]), y = ({NUM}) \(W1, b1, W2, b2 drawn after x from "
                  r"np\.random\.default_rng\((\d+)\)\) (\w+) differs from tf\.GradientTape's: "
                  r"expected (.*?), got (.*?)\. Hint", failure(checks.check_backward, wrong))
    rng = np.random.default_rng(int(match.group(3)))
    x = rng.standard_normal(2)
    np.testing.assert_allclose(ast.literal_eval(match.group(1)), x, atol=1e-4)
    params = [rng.standard_normal((2, 3)), rng.standard_normal(3), rng.standard_normal(3), float(rng.standard_normal())]
    y = float(match.group(2))
    assert match.group(4) == name
    index = ["dW1", "db1", "dW2", "db2"].index(name)
    np.testing.assert_allclose(ast.literal_eval(match.group(5)), _backward_reference(x, y, *params)[name], atol=1e-4)
    np.testing.assert_allclose(ast.literal_eval(match.group(6)), wrong(x, y, *params)[index], atol=1e-4)


def test_mlp_output_message_names_the_batch():
    import keras

    wrong = _sequential((28, 28, 1), keras.layers.Flatten(), keras.layers.Dense(256, activation="relu"),
                        keras.layers.Dense(128, activation="relu"), keras.layers.Dense(1))
    match = parse(r"for a batch of shape (\(.*?\)) expected 10 outputs per image.*?; got (\(.*?\))\.",
                  failure(checks.check_mlp, wrong))
    assert ast.literal_eval(match.group(2)) == _output_shape(wrong, ast.literal_eval(match.group(1)))


# --------------------------------------------------------------------------- 03_lenet

def _conv2d(image, kernel, stride=1, padding=0, column_stride=None, pad_value=0.0):
    """Cross-correlation written out; ``column_stride`` and ``pad_value`` make the typical slips."""
    padded = np.pad(image, padding, constant_values=pad_value)
    (kh, kw), (ph, pw) = kernel.shape, padded.shape
    column_stride = stride if column_stride is None else column_stride
    out = np.zeros(((ph - kh) // stride + 1, (pw - kw) // stride + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(padded[i * stride:i * stride + kh, j * column_stride:j * column_stride + kw] * kernel)
    return out


@pytest.mark.parametrize("slip", [{"column_stride": 1}, {"pad_value": 1.0}], ids=["column_stride", "pads_ones"])
def test_conv2d_message_names_the_case_and_the_output_position(slip):
    def wrong(image, kernel, stride=1, padding=0):
        return _conv2d(image, kernel, stride, padding, **slip)

    student = recording(wrong)
    match = parse(rf"for image \((\d+), (\d+)\), kernel \((\d+), (\d+)\), stride (\d+), padding (\d+) "
                  rf"output \((\d+), (\d+)\) differs from tf\.nn\.conv2d's: expected ({NUM}), got ({NUM})\.",
                  failure(checks.check_conv2d, student))
    image, kernel, stride, padding = student.calls[-1]  # the case that failed is the last one run
    numbers = [int(match.group(k)) for k in range(1, 9)]
    assert numbers[:6] == [*image.shape, *kernel.shape, stride, padding]
    i, j = numbers[6:]
    expected, got = _conv2d(image, kernel, stride, padding), wrong(image, kernel, stride, padding)
    quoted(match.group(9), expected[i, j])
    quoted(match.group(10), got[i, j])
    assert (i, j) == tuple(np.argwhere(~np.isclose(got, expected, atol=1e-6))[0])  # the first that differs


@pytest.mark.parametrize("check, wrong, right", [
    (checks.check_output_size, lambda W, F, P, S: (W - F + P) // S + 1, lambda W, F, P, S: (W - F + 2 * P) // S + 1),
    (checks.check_output_size, lambda W, F, P, S: (W - F + 2 * P) // S, lambda W, F, P, S: (W - F + 2 * P) // S + 1),
    (checks.check_conv_params, lambda c, f, k: f * k * k * c, lambda c, f, k: f * (k * k * c + 1)),
    (checks.check_receptive_field, lambda n, k: n * k, lambda n, k: n * (k - 1) + 1),
], ids=["output_size_padding", "output_size_plus_one", "conv_params", "receptive_field"])
def test_formula_message_names_the_call(check, wrong, right):
    match = parse(r"for (\w+)(\(.*?\)) expected (-?\d+), got (-?\d+)\.", failure(check, wrong))
    assert check.__name__ == f"check_{match.group(1)}"
    args = ast.literal_eval(match.group(2))
    assert (int(match.group(3)), int(match.group(4))) == (right(*args), wrong(*args))


def test_formula_whole_number_message_names_the_call():
    def wrong(W, F, P, S):
        return (W - F + 2 * P) / S + 1

    match = parse(rf"for output_size(\(.*?\)) expected a whole number, got ({NUM})\.",
                  failure(checks.check_output_size, wrong))
    assert float(match.group(2)) == wrong(*ast.literal_eval(match.group(1)))


def test_lenet_output_message_names_the_batch():
    import keras

    layers = keras.layers
    wrong = _sequential((28, 28, 1), layers.Conv2D(6, 5, padding="same", activation="relu"), layers.MaxPooling2D(2),
                        layers.Conv2D(16, 5, activation="relu"), layers.MaxPooling2D(2),
                        layers.Conv2D(120, 5, activation="relu"), layers.Flatten(),
                        layers.Dense(84, activation="relu"), layers.Dense(5))
    match = parse(r"for a batch of shape (\(.*?\)) expected 10 outputs per image.*?; got (\(.*?\))\.",
                  failure(checks.check_lenet, wrong))
    assert ast.literal_eval(match.group(2)) == _output_shape(wrong, ast.literal_eval(match.group(1)))


# --------------------------------------------------------------------------- 04_transfer_learning

def test_build_transfer_message_names_n_fine_tune_and_the_layer():
    from lab_utils.models import lenet
    from lab_utils.transfer import TRANSFER_LAYERS

    def never_freezes(base, n, fine_tune):
        model = lenet(num_classes=5)
        for name in TRANSFER_LAYERS[:n]:
            model.get_layer(name).set_weights(base.get_layer(name).get_weights())
        return model

    match = parse(r"for n=(\d+), fine_tune=(True|False) copied layer (\w+) has trainable=(True|False); "
                  r"expected (True|False)", failure(checks.check_build_transfer, never_freezes))
    n, fine_tune = int(match.group(1)), match.group(2) == "True"
    layer = never_freezes(lenet(num_classes=5), n, fine_tune).get_layer(match.group(3))
    assert match.group(3) in TRANSFER_LAYERS[:n]
    assert (match.group(4), match.group(5)) == (str(layer.trainable), str(fine_tune))


# --------------------------------------------------------------------------- 05_modern_cnns

def _rows(layers, side, channels, pool_params=0, dense_bias=1):
    """One (side, channels, parameters) row per layer, written out; the keywords make the typical slips."""
    rows = []
    for layer in layers:
        if layer[0] == "conv":
            _, filters, kernel, stride, padding = layer
            params = (kernel * kernel * channels + 1) * filters
            rows.append(((side + 2 * padding - kernel) // stride + 1, filters, params))
        elif layer[0] == "pool":
            _, kernel, stride = layer
            rows.append(((side - kernel) // stride + 1, channels, pool_params))
        else:
            _, units = layer
            rows.append((1, units, side * side * channels * units + dense_bias * units))
        side, channels = rows[-1][:2]
    return rows


@pytest.mark.parametrize("slip", [{"pool_params": 1}, {"dense_bias": 0}], ids=["pool_params", "dense_no_bias"])
def test_layer_arithmetic_message_names_the_layer_and_its_own_input(slip):
    def wrong(layers, side, channels):
        return _rows(layers, side, channels, **slip)

    student = recording(wrong)
    match = parse(r"for layer (\d+) of (\d+), (\(.*?\)), on a (\d+)x(\d+)x(\d+) input expected the row (\(.*?\)), "
                  r"got (\(.*?\))\.", failure(checks.check_layer_arithmetic, student))
    layers, side, channels = student.calls[-1]  # the table that failed is the last one run
    k = int(match.group(1)) - 1
    assert int(match.group(2)) == len(layers) and ast.literal_eval(match.group(3)) == layers[k]
    right = _rows(layers, side, channels)
    layer_input = (side, channels) if k == 0 else right[k - 1][:2]
    assert (int(match.group(4)), int(match.group(5)), int(match.group(6))) == (layer_input[0], *layer_input)
    assert ast.literal_eval(match.group(7)) == right[k]
    assert ast.literal_eval(match.group(8)) == wrong(layers, side, channels)[k]
    assert right[:k] == wrong(layers, side, channels)[:k]  # the first row that differs


def test_vgg_block_messages_name_the_call_and_its_input():
    import keras

    def no_padding(convs, filters):
        return keras.Sequential([keras.layers.Conv2D(filters, 3, activation="relu") for _ in range(convs)]
                                + [keras.layers.MaxPooling2D(2)])

    match = parse(r"vgg_block\((\d+), (\d+)\) on (\(.*?\)) gave (\(.*?\)); expected (\(.*?\)):",
                  failure(checks.check_vgg_block, no_padding))
    convs, filters, shape = int(match.group(1)), int(match.group(2)), ast.literal_eval(match.group(3))
    assert ast.literal_eval(match.group(4)) == np.asarray(no_padding(convs, filters)(np.zeros(shape, "float32"))).shape
    assert ast.literal_eval(match.group(5)) == (shape[0], shape[1] // 2, shape[2] // 2, filters)

    def no_bias(convs, filters):
        return keras.Sequential([keras.layers.Conv2D(filters, 3, padding="same", activation="relu", use_bias=False)
                                 for _ in range(convs)] + [keras.layers.MaxPooling2D(2)])

    match = parse(r"vgg_block\((\d+), (\d+)\) on (\d+) channels has ([\d,]+) parameters; expected ([\d,]+)\.",
                  failure(checks.check_vgg_block, no_bias))
    convs, filters, channels = (int(match.group(k)) for k in (1, 2, 3))
    block = no_bias(convs, filters)
    block(np.zeros((1, 8, 8, channels), "float32"))
    assert int(match.group(4).replace(",", "")) == sum(int(np.prod(w.shape)) for w in block.weights)
    fan_ins = [channels] + [filters] * (convs - 1)
    assert int(match.group(5).replace(",", "")) == sum((9 * c + 1) * filters for c in fan_ins)


@pytest.mark.parametrize("head", ["dense", "GAP"])
def test_head_params_message_names_the_call(head):
    def right(side, channels, hidden, classes):
        sizes = [side * side * channels, *hidden, classes]
        return sum((a + 1) * b for a, b in zip(sizes, sizes[1:])), (channels + 1) * classes

    def wrong(side, channels, hidden, classes):
        dense, gap = right(side, channels, hidden, classes)
        return (dense - classes, gap) if head == "dense" else (dense, gap - classes)  # one bias forgotten

    match = parse(rf"for head_params(\(.*\)) the {head} head has ([\d,]+) parameters, you found ([\d,]+):",
                  failure(checks.check_head_params, wrong))
    case, which = ast.literal_eval(match.group(1)), ["dense", "GAP"].index(head)
    assert int(match.group(2).replace(",", "")) == right(*case)[which]
    assert int(match.group(3).replace(",", "")) == wrong(*case)[which]


def test_inception_block_message_names_the_input_and_widths():
    import keras

    def three_branches(x, c1, c3, c5, pool_proj):
        return keras.layers.Concatenate()([keras.layers.Conv2D(c, k, padding="same")(x)
                                           for c, k in ((c1, 1), (c3, 3), (c5, 5))])

    match = parse(r"for x of shape (\(.*?\)) and widths (\(.*?\)) the block's output is (\(.*?\)); "
                  r"expected (\(.*?\)):", failure(checks.check_inception_block, three_branches))
    shape, widths = ast.literal_eval(match.group(1)), ast.literal_eval(match.group(2))
    out = three_branches(keras.Input(shape[1:]), *widths)
    assert ast.literal_eval(match.group(3)) == tuple(out.shape)
    assert ast.literal_eval(match.group(4)) == (*shape[:3], sum(widths))


def test_residual_block_message_names_the_input_filters_and_strides():
    import keras

    def concatenates(x, filters, strides=1):
        y = keras.layers.Conv2D(filters, 3, strides=strides, padding="same", activation="relu")(x)
        return keras.layers.Concatenate()([keras.layers.Conv2D(filters, 3, padding="same")(y), x])

    match = parse(r"for x of shape (\(.*?\)), filters=(\d+) and strides=(\d+) the output is (\(.*?\)); "
                  r"expected (\(.*?\))\.", failure(checks.check_residual_block, concatenates))
    shape, filters, strides = ast.literal_eval(match.group(1)), int(match.group(2)), int(match.group(3))
    out = concatenates(keras.Input(shape[1:]), filters, strides)
    assert ast.literal_eval(match.group(4)) == tuple(out.shape)
    side = -(-shape[1] // strides)
    assert ast.literal_eval(match.group(5)) == (None, side, side, filters)
