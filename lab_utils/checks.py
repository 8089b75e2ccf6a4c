"""Exercise checks: one per exercise, called in the cell right after it.

A check runs the student's function on small inputs and compares what comes back with what the solutions
return on them, kept as data in ``lab_utils/expected.json`` (so that no answer is a function a student could
call). It prints one success line, or stops the cell with a short message (what was expected, what was found,
how to fix it) instead of a TensorFlow traceback. While the student's function runs, it may not call the kit's
own code, nor the library functions that an exercise asks to write by hand (``_call``).

Adding a check: write ``check_<what>(fn)`` here that calls ``_call`` to run the student's code and
``_expect`` for each comparison, ends with ``_passed``; give its inputs an entry in ``INPUTS`` and regenerate
the expected values (``python -m lab_utils.expected``); add its tests in ``tests/test_checks.py`` (it must pass on
the solution and fail on the placeholder and on a typical wrong answer) and its shortcuts in
``tests/test_shortcuts.py``.

Grading: ``python -m lab_utils.grade`` runs these same checks in its own process, which runs no student code,
on a ``lab_utils.exchange.RemoteFunction`` in place of the student's function: each call goes to the student's
kernel as data and comes back as data. A check passes when it returns and fails when it raises ExerciseFailed
(its ``status`` says "failed" or "not attempted"); it writes nothing anywhere. So a check may only use what a
RemoteFunction offers: calling it, its ``__name__``, ``_names_replaced`` and ``_watched``.
"""

from __future__ import annotations

import contextlib

import numpy as np

from lab_utils.exchange import BadReply, BlockOutput, calls_watched, names_replaced


class ExerciseFailed(AssertionError):
    """A check that did not pass. In Jupyter it shows as its message alone, without a traceback."""

    def __init__(self, exercise, message, status="failed"):
        super().__init__(f"{exercise}: {message}")
        self.exercise, self.status, self.message = exercise, status, message

    def _render_traceback_(self):  # IPython shows these lines instead of a traceback
        return [f"\u274c {self}"]


# The kit's own code. No exercise may call it while it runs, except what its text says to use (Lab 4 builds on the
# kit's lenet()): the builders are the answers of earlier exercises, and the helpers compute things students write.
KIT_MODULES = ["lab_utils.models", "lab_utils.data", "lab_utils.preprocess", "lab_utils.transfer", "lab_utils.toy",
               "lab_utils.experiments", "lab_utils.plot", "lab_utils.draw"]


def _call(exercise, fn, *args, by_hand=(), instead="", allowed=()):
    """Run the student's ``fn``; turn a placeholder, a crash or a missing ``return`` into a short ExerciseFailed.

    While it runs, the kit's own code (KIT_MODULES, except ``allowed``) and the library functions ``by_hand`` (dotted
    names of what the exercise asks to write by hand) are watched: a call to any of them fails, saying ``instead``.
    """
    if not callable(fn):
        raise ExerciseFailed(exercise, f"expected a function, got {type(fn).__name__}. "
                                       "Pass the function itself, without calling it.")
    with _watched(fn, [*KIT_MODULES, *by_hand]) as seen:
        try:
            result, error = fn(*args), None
        except BadReply:  # the grader could not read what the student's kernel sent back: not the student's bug
            raise
        except Exception as e:
            result, error = None, e
    used = [name for name in seen if name not in allowed]
    kit = [name for name in used if name.startswith("lab_utils.")]
    _expect(exercise, not kit, f"your function calls {kit[0] if kit else ''}, the kit's own code: the exercise is to "
                               "write it yourself" + (f" ({instead})." if instead else "."))
    _expect(exercise, not used, f"your function calls {used[0] if used else ''}, which does what the exercise asks "
                                f"you to write by hand. {instead}".strip())
    if isinstance(error, NotImplementedError):
        raise ExerciseFailed(exercise, "not done yet: replace the `raise NotImplementedError` line "
                                       "with your code, run that cell, then this one.", "not attempted")
    if error is not None:  # the student's bug: name it in one line, no traceback
        first_line = (str(error).strip().splitlines() or [""])[0][:300]
        raise ExerciseFailed(exercise, f"your code raised {type(error).__name__}: {first_line}")
    if result is None:  # no exercise asks for None: the function computes its answer but forgets to return it
        raise ExerciseFailed(exercise, "expected your function to return its result, got None. "
                                       "End it with a `return ...` line.")
    return result


def _expected(name):
    """What the solution's function ``name`` returns on the check's inputs (INPUTS), from lab_utils/expected.json."""
    from lab_utils import expected

    return expected.load(name)


def _expect(exercise, condition, message):
    if not condition:
        raise ExerciseFailed(exercise, message)


def _passed(exercise, what):
    print(f"\u2705 {exercise} passed: {what}")


def _as_array(exercise, value):
    """The student's result as a NumPy array of numbers (bool, int or float); anything else fails."""
    try:
        array = np.asarray(value)
    except Exception:  # e.g. a ragged list
        raise ExerciseFailed(exercise, f"expected an array, got {type(value).__name__}.") from None
    if array.dtype.kind not in "biuf":  # a string, None inside a list, complex numbers...
        raise ExerciseFailed(exercise, f"expected numbers (an array or a tensor), got {type(value).__name__} "
                                       f"{value!r:.80}.")
    return array


def _one_number(exercise, value, expected):
    """The student's result as a float; fails with ``expected`` (what the exercise returns) unless it is one number."""
    array = _as_array(exercise, value)
    _expect(exercise, array.size == 1, f"expected {expected}, got shape {array.shape}.")
    return float(array.reshape(-1)[0])

def _build_and_run(ex, build, batch_shape, seed, hint):
    """Build the student's Keras model and run it on a random batch; returns ``(model, outputs)``."""
    import keras

    instead = "build it layer by layer with keras layers"
    model = _call(ex, build, instead=instead)
    _expect(ex, isinstance(model, keras.Model), f"expected a Keras model, got {type(model).__name__}.")
    _not_the_kits(ex, model)
    x = np.random.default_rng(seed).uniform(0, 1, batch_shape).astype(np.float32)
    try:
        return model, np.asarray(model(x, training=False))
    except Exception as e:  # most often the wrong input shape
        raise ExerciseFailed(ex, f"the model cannot take a batch of shape {batch_shape} ({type(e).__name__}: "
                                 f"{(str(e).splitlines() or [''])[0][:200]}). {hint}") from None


# The names lab_utils.models gives its reference models. An exercise that asks a student to build one of them
# must not pass by returning the kit's own builder.
KIT_MODEL_NAMES = {"softmax_regression": "softmax_regression()", "mlp": "mlp()", "lenet5_": "lenet()",
                   "vgg_block_": "vgg_block()"}


def _built_anew(ex, build, model):
    """Fail when a second call of the student's builder returns ``model``'s layers again (other than inputs): a
    builder that hands out a model made once, outside it (from the kit's builder, say), builds nothing."""
    import keras

    again = _call(ex, build, instead="build it layer by layer with keras layers")
    mine = {id(layer) for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)}
    _expect(ex, again is not model and not mine & {id(layer) for layer in getattr(again, "layers", [])},
            f"{getattr(build, '__name__', 'your function')}() returned the same layers on two calls: each call must "
            "build a new model, with new layers made inside the function.")


def _not_the_kits(ex, model):
    for prefix, builder in KIT_MODEL_NAMES.items():
        if model.name.startswith(prefix):
            raise ExerciseFailed(ex, f"this is the kit's own reference model (lab_utils.models.{builder}), not yours. "
                                     "The exercise is to build it yourself, layer by layer, with keras layers.")


def _shares_layer(model, other, name):
    """Whether ``model``'s layer ``name`` is ``other``'s very layer object (in the grader, as the student's kernel
    reported it: a model rebuilt from a file shares nothing)."""
    return model.get_layer(name) is other.get_layer(name) or name in getattr(model, "lab_shared_layers", ())


@contextlib.contextmanager
def _watched(fn, names):
    """Within the block, the list it yields collects which of the library functions ``names`` (dotted paths) the
    student's ``fn`` calls while it runs, under any name; the grader's RemoteFunction has the kernel report them."""
    if hasattr(fn, "watch") and not hasattr(fn, "__globals__"):  # lab_utils.exchange.RemoteFunction
        fn.watch, fn.called = list(names), []
        try:
            yield fn.called
        finally:
            fn.watch = []
        return
    with calls_watched(names) as seen:
        yield seen


# --------------------------------------------------------------------------- 00_setup

def _class_counts_inputs():
    return [(np.array([3, 1, 3, 0, 9, 3], np.uint8),), (np.array([0, 1, 2, 2, 4], np.uint8),),
            (np.repeat(np.arange(10, dtype=np.uint8), 7),)]


def check_class_counts(class_counts):
    """Exercise 1 of 00_setup: ``class_counts(labels)`` returns how many times each digit 0-9 occurs.

    Example (in Jupyter a failure shows as its last line alone, after ❌):
        >>> check_class_counts(lambda labels: np.bincount(labels))   # a typical first try
        Traceback (most recent call last):
            ...
        lab_utils.checks.ExerciseFailed: Exercise 1 (class_counts): for labels [0, 1, 2, 2, 4] expected 10 counts ...
    """
    ex = "Exercise 1 (class_counts)"
    for (labels,), expected in zip(_class_counts_inputs(), _expected("class_counts")):
        expected = np.array(expected)
        got = _as_array(ex, _call(ex, class_counts, labels.copy()))
        repeats = labels.size // 10  # the long case is written as the expression that makes it, not cut short
        shown = (f"np.repeat(np.arange(10), {repeats})" if labels.size > 12 and
                 np.array_equal(labels, np.repeat(np.arange(10), repeats)) else str(labels.tolist()))
        _expect(ex, got.shape == (10,),
                f"for labels {shown} expected 10 counts (one per digit 0-9), got shape {got.shape}. "
                "Digits that never occur still need a count of 0: look at np.bincount's minlength.")
        _expect(ex, np.issubdtype(got.dtype, np.integer),
                f"expected whole-number counts, got dtype {got.dtype}.")
        _expect(ex, np.array_equal(got, expected),
                f"for labels {shown} expected {expected.tolist()}, got {got.tolist()}.")
    _passed(ex, "class_counts counts every digit, absent ones too.")


def _scale_images_inputs():
    images = np.random.default_rng(0).integers(0, 256, size=(2, 6, 6), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255  # the darkest and the brightest pixel
    return [(images,)]


def check_scale_images(scale_images):
    """Exercise 2 of 00_setup: ``scale_images(images)`` turns uint8 pixels 0-255 into float32 in [0, 1].

    Example (in Jupyter a failure shows as its last line alone, after ❌):
        >>> check_scale_images(lambda images: images / 255)   # a typical first try
        Traceback (most recent call last):
            ...
        lab_utils.checks.ExerciseFailed: Exercise 2 (scale_images): expected dtype float32 ... got float64. ...
    """
    ex = "Exercise 2 (scale_images)"
    [(images,)] = _scale_images_inputs()
    got = _as_array(ex, _call(ex, scale_images, images.copy()))
    _expect(ex, got.shape == images.shape,
            f"expected the shape to stay {images.shape}, got {got.shape}.")
    _expect(ex, got.dtype == np.float32,
            f"expected dtype float32 (what Keras layers compute in), got {got.dtype}. "
            "Dividing uint8 pixels by a number gives float64 in NumPy: look up how an array changes its dtype.")
    [scaled] = np.array(_expected("scale_images"), np.float32)
    wrong = np.argwhere(~np.isclose(got, scaled, atol=1e-6))  # the message quotes the first pixel that differs
    at = tuple(int(i) for i in wrong[0]) if len(wrong) else (0, 0, 0)
    _expect(ex, np.allclose(got, scaled, atol=1e-6),
            f"pixel images[{at[0]}, {at[1]}, {at[2]}] = {images[at]} should become {scaled[at]:.6g}, "
            f"got {got[at]:.6g}. Pixels run from 0 to 255: the largest must become 1.")
    _passed(ex, "scale_images gives float32 pixels in [0, 1] with the same shape.")


# --------------------------------------------------------------------------- 01_linear_model

def _finite(ex, value, what):
    _expect(ex, np.all(np.isfinite(value)), f"expected {what} to be finite, got "
                                            f"{value.tolist() if value.size < 8 else 'inf/nan'}.")


# What Lab 1 Exercise 1 asks to write: the libraries' own sigmoids (tf.nn.sigmoid is tf.math.sigmoid).
LIBRARY_SIGMOIDS = ["tensorflow.math.sigmoid", "keras.activations.sigmoid", "keras.ops.sigmoid"]


def _sigmoid_inputs():
    import tensorflow as tf

    return [(tf.reshape(tf.linspace(-6.0, 6.0, 12), (3, 4)),), (tf.constant([-100.0, 100.0]),)]


def check_sigmoid(sigmoid):
    """Exercise 1 of 01_linear_model: ``sigmoid(z)``, the logistic sigmoid, elementwise, on tensors.

    Example:
        >>> check_sigmoid(sigmoid)   # your function, defined in the exercise cell
        ✅ Exercise 1 (sigmoid) passed: ...
    """
    import tensorflow as tf

    ex = "Exercise 1 (sigmoid)"
    instead = "Write it with tf.exp and arithmetic, as the text says."
    [(z,), (large,)] = _sigmoid_inputs()
    expected, expected_large = (np.array(e) for e in _expected("sigmoid"))
    returned = _call(ex, sigmoid, z, by_hand=LIBRARY_SIGMOIDS, instead=instead)
    got = _as_array(ex, returned)
    _expect(ex, got.shape == (3, 4), f"expected the output to keep the input's shape (3, 4), got {got.shape}.")
    if not np.allclose(got, expected, atol=1e-5):
        at = int(np.argmin(np.isclose(got, expected, atol=1e-5)))  # the first grid point where they differ
        z_at, expected_at, got_at = float(z.numpy().flat[at]), float(expected.flat[at]), float(got.flat[at])
        raise ExerciseFailed(ex, f"sigmoid({z_at:.6g}) should be {expected_at:.4g}, got {got_at:.4g}. "
                                 "Compare your code with the sigmoid's definition, sign by sign.")
    _expect(ex, tf.is_tensor(returned),
            f"for a tensor z your sigmoid returns a {type(returned).__name__}, not a tensor: the training loop further "
            "down takes gradients through it with tf.GradientTape, which sees only TensorFlow operations. Compute it "
            "with TensorFlow's (tf.exp), not NumPy's.")
    got_large = _as_array(ex, _call(ex, sigmoid, large, by_hand=LIBRARY_SIGMOIDS, instead=instead))
    _finite(ex, got_large, "sigmoid([-100, 100])")
    _expect(ex, np.allclose(got_large, expected_large, atol=1e-5),
            f"sigmoid([-100, 100]) should be {expected_large.tolist()}, got {got_large.tolist()}.")
    _passed(ex, "sigmoid matches the definition on a grid of z, keeps shapes and stays finite for large |z|.")


# What Lab 1 Exercise 2 asks to write: the libraries' binary cross-entropies.
LIBRARY_BINARY_LOSSES = ["keras.losses.binary_crossentropy", "keras.ops.binary_crossentropy",
                         "tensorflow.nn.sigmoid_cross_entropy_with_logits"]


def _binary_cross_entropy_inputs():
    import tensorflow as tf

    return [(tf.constant([1, 0, 1, 1, 0], tf.float32), tf.constant([0.9, 0.2, 0.6, 0.99, 0.3], tf.float32))]


def check_binary_cross_entropy(binary_cross_entropy):
    """Exercise 2 of 01_linear_model: ``binary_cross_entropy(y, p)``, the mean of -[y log p + (1-y) log(1-p)].

    Example:
        >>> check_binary_cross_entropy(binary_cross_entropy)   # your function, defined in the exercise cell
        ✅ Exercise 2 (binary_cross_entropy) passed: ...
    """
    ex = "Exercise 2 (binary_cross_entropy)"
    [(y, p)] = _binary_cross_entropy_inputs()
    [mean] = _expected("binary_cross_entropy")
    total = mean * int(y.shape[0])  # what summing instead of averaging gives
    value = _one_number(ex, _call(ex, binary_cross_entropy, y, p, by_hand=LIBRARY_BINARY_LOSSES,
                                  instead="Write it with tf.math.log and tf.reduce_mean, as the text says."),
                        "one number (the mean over the examples; average with tf.reduce_mean)")
    case = f"y={np.asarray(y).astype(int).tolist()} and p={[round(float(v), 4) for v in np.asarray(p)]}"
    _finite(ex, np.array(value), f"binary_cross_entropy(y, p) for {case}")
    _expect(ex, value >= 0, f"for {case} got {value:.4f}: cross-entropy is never negative. Mind the minus sign "
                            "in front.")
    _expect(ex, not np.isclose(value, total, rtol=1e-4),
            f"for {case} got {value:.4f}, the sum over the examples; expected the mean {mean:.4f}.")
    _expect(ex, np.isclose(value, mean, rtol=1e-4),
            f"for {case} expected {mean:.4f}, got {value:.4f}.")
    _passed(ex, f"binary_cross_entropy gives {mean:.4f} on the test case, as expected.")


@contextlib.contextmanager
def _names_replaced(fn, replacements):
    """Within the block, the names of ``replacements`` in ``fn``'s globals (the notebook's names) mean the functions
    their dotted paths name (``{"sigmoid": "tensorflow.math.sigmoid"}``); afterwards every name is as it was, and a
    name that was missing is missing again. The grader's RemoteFunction does the same in the student's kernel."""
    if hasattr(fn, "names") and not hasattr(fn, "__globals__"):  # lab_utils.exchange.RemoteFunction
        fn.names = dict(replacements)
        try:
            yield
        finally:
            fn.names = {}
        return
    with names_replaced(getattr(fn, "__globals__", None), replacements):
        yield


def _gradient_step_inputs():
    """``(w0, b0, x, y, learning_rate)``: the step starts from variables holding w0 and b0."""
    x = np.random.default_rng(3).standard_normal((8, 2)).astype(np.float32)
    y = np.array([1, 0, 1, 1, 0, 0, 1, 0], np.float32)
    return [(np.array([0.5, -0.3], np.float32), np.float32(0.1), x, y, 0.5)]


def _gradient_step_run(gradient_step, w0, b0, x, y, learning_rate):
    """What lab_utils.expected records of one step: w and b after it, and the loss it returns."""
    import tensorflow as tf

    w, b = tf.Variable(w0), tf.Variable(b0)
    loss = gradient_step(w, b, tf.constant(x), tf.constant(y), learning_rate)
    return {"w": w.numpy(), "b": b.numpy(), "loss": loss}


def check_gradient_step(gradient_step):
    """Exercise 3 of 01_linear_model: ``gradient_step(w, b, x, y, learning_rate)`` does one step of gradient
    descent on the binary cross-entropy of ``sigmoid(x @ w + b)``, updating the variables in place, and
    returns the loss before the step.

    The step is checked on its own: while it runs, the names ``sigmoid`` and ``binary_cross_entropy`` in your
    notebook mean the correct ones, so a mistake in Exercise 1 or 2 is marked there, not here as well.

    Example:
        >>> check_gradient_step(gradient_step)
        ✅ Exercise 3 (gradient_step) passed: ...
    """
    import tensorflow as tf

    ex = "Exercise 3 (gradient_step)"
    [(w0, b0, x, y, lr)] = _gradient_step_inputs()
    [after] = _expected("gradient_step")
    w1, b1, loss = np.array(after["w"]), after["b"], after["loss"]
    w, b = tf.Variable(w0), tf.Variable(b0)

    reference = {"sigmoid": "tensorflow.math.sigmoid", "binary_cross_entropy": "keras.losses.binary_crossentropy"}
    with _names_replaced(gradient_step, reference):
        returned = _call(ex, gradient_step, w, b, tf.constant(x), tf.constant(y), lr)
    new_w, new_b = w.numpy(), float(b.numpy())
    _expect(ex, not (np.allclose(new_w, w0) and np.isclose(new_b, b0)),
            "expected w and b to change, but they did not. Update the variables in place with "
            "w.assign_sub(...) and b.assign_sub(...); `w = w - ...` only makes a new local name.")
    _expect(ex, not np.allclose(new_w, w0 - (w1 - w0), atol=1e-4),  # the same step, the other way
            "the step went uphill: it added the gradient. Subtract learning_rate * gradient.")
    start = (f"w = {[round(float(v), 4) for v in w0]}, b = {float(b0):.4g}, learning_rate = {lr}, "
             f"x = np.random.default_rng(3).standard_normal((8, 2)), y = {y.astype(int).tolist()}")
    _expect(ex, np.allclose(new_w, w1, atol=1e-4) and np.isclose(new_b, b1, atol=1e-4),
            f"after one step from {start} expected w = {np.round(w1, 4).tolist()}, b = {b1:.4f}; "
            f"got w = {np.round(new_w, 4).tolist()}, b = {new_b:.4f}. Take the gradient of the loss with "
            "tf.GradientTape with respect to [w, b] and scale it by learning_rate.")
    got_loss = _as_array(ex, returned)
    _expect(ex, got_loss.size == 1 and np.isclose(float(got_loss.reshape(-1)[0]), loss, rtol=1e-4),
            f"for {start} expected the function to return the loss before the step, {loss:.4f}; "
            f"got {got_loss.tolist()}.")
    _passed(ex, "one step of gradient descent moves w and b exactly as the calculus says.")


# What Lab 1 Exercise 4 asks to write by hand: the libraries' softmax, log-softmax, log-sum-exp and cross-entropies.
LIBRARY_LOSSES = ["tensorflow.nn.softmax_cross_entropy_with_logits",
                  "tensorflow.nn.sparse_softmax_cross_entropy_with_logits", "tensorflow.nn.softmax",
                  "tensorflow.nn.log_softmax", "tensorflow.math.reduce_logsumexp",
                  "keras.ops.softmax", "keras.ops.log_softmax", "keras.ops.logsumexp",
                  "keras.losses.sparse_categorical_crossentropy", "keras.losses.categorical_crossentropy"]


def _softmax_cross_entropy_inputs():
    import tensorflow as tf

    logits = np.random.default_rng(4).normal(0, 2, (6, 10)).astype(np.float32)
    big = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 990.0]], np.float32)
    return [(tf.constant(logits), tf.constant([3, 0, 9, 3, 5, 1], tf.int32)),
            (tf.constant(big), tf.constant([1, 2], tf.int32))]


def check_softmax_cross_entropy(softmax_cross_entropy):
    """Exercise 4 of 01_linear_model: ``softmax_cross_entropy(logits, labels)``, the mean cross-entropy
    of integer ``labels`` under ``softmax(logits)``, stable for large logits.

    Example:
        >>> check_softmax_cross_entropy(softmax_cross_entropy)   # your function, defined in the exercise cell
        ✅ Exercise 4 (softmax_cross_entropy) passed: ...
    """
    ex = "Exercise 4 (softmax_cross_entropy)"
    instead = "Compute it from tf.reduce_max, tf.exp, tf.reduce_sum, tf.math.log and tf.gather, as the text says."
    [(logits, labels), (big, big_labels)] = _softmax_cross_entropy_inputs()
    expected, expected_big = _expected("softmax_cross_entropy")
    returned = _call(ex, softmax_cross_entropy, logits, labels, by_hand=LIBRARY_LOSSES, instead=instead)
    got = _one_number(ex, returned, "one number (the mean over the batch)")
    _expect(ex, np.isclose(got, expected, rtol=1e-4),
            f"for logits = np.random.default_rng(4).normal(0, 2, {tuple(logits.shape)}) and labels = "
            f"{np.asarray(labels).tolist()} expected {expected:.4f}, got {got:.4f}. Follow the loss of one example "
            "as the text writes it, with the sum over the classes (axis=1), then average over the examples.")
    got = _as_array(ex, _call(ex, softmax_cross_entropy, big, big_labels, by_hand=LIBRARY_LOSSES, instead=instead))
    big_case = f"logits = {np.asarray(big).astype(int).tolist()} and labels = {np.asarray(big_labels).tolist()}"
    _expect(ex, np.all(np.isfinite(got)),
            f"for {big_case} it gives {got.tolist()}: exp(1000) overflows. Shift each row's logits before exp, "
            "as the log-sum-exp trick above does; the loss does not change.")
    got = _one_number(ex, got, "one number (the mean over the batch)")
    _expect(ex, np.isclose(got, expected_big, rtol=1e-4),
            f"for {big_case} expected {expected_big:.4f}, got {got:.4f}.")
    _passed(ex, "softmax_cross_entropy matches the expected losses and stays finite for logits of 1000.")


def check_softmax_regression(build_model):
    """Exercise 5 of 01_linear_model: ``build_model()`` returns a Keras softmax regression on 784 pixels:
    one Dense layer of 10 logits (no softmax), 7,850 parameters.

    Example:
        >>> check_softmax_regression(build_softmax_regression)   # your function, defined in the exercise cell
        ✅ Exercise 5 (softmax regression in Keras) passed: ...
    """

    ex = "Exercise 5 (softmax regression in Keras)"
    model, out = _build_and_run(ex, build_model, (4, 784), 5, "Start with keras.Input(shape=(784,)).")
    _expect(ex, out.shape == (4, 10), f"for a batch of shape (4, 784) expected 10 outputs per image (one per digit), "
                                      f"output shape (4, 10); got {out.shape}.")
    params = model.count_params()
    _expect(ex, params == 784 * 10 + 10, f"expected 784 x 10 weights + 10 biases = 7,850 parameters, "
                                         f"got {params:,}. Softmax regression has no hidden layer.")
    looks_like_probabilities = np.all(out >= 0) and np.allclose(out.sum(axis=1), 1, atol=1e-4)
    _expect(ex, not looks_like_probabilities,
            "the outputs are probabilities (each row sums to 1): the model ends in a softmax. Return logits "
            "(no activation) and let the loss apply softmax with from_logits=True.")
    _built_anew(ex, build_model, model)
    _passed(ex, "one Dense layer, 10 logits, 7,850 parameters.")


def _linear_fit_accuracy(features, y, steps=2000, learning_rate=0.5):
    """Accuracy of a logistic regression fitted by full-batch gradient descent (NumPy, standardised features)."""
    from scipy.special import expit  # the logistic function

    f = (features - features.mean(axis=0)) / (features.std(axis=0) + 1e-8)
    w, b = np.zeros(f.shape[1]), 0.0
    for _ in range(steps):
        p = expit(f @ w + b)
        w -= learning_rate * f.T @ (p - y) / len(y)
        b -= learning_rate * np.mean(p - y)
    return float(np.mean((f @ w + b > 0) == y))


def check_feature_map(feature_map):
    """Exercise 6 of 01_linear_model: ``feature_map(X)`` turns 2-D points into features on which a *linear*
    classifier separates the two circles.

    Example:
        >>> check_feature_map(feature_map)   # your function, defined in the exercise cell
        ✅ Exercise 6 (feature_map) passed: ...
    """
    from lab_utils.toy import circles

    ex = "Exercise 6 (feature_map)"
    X, y = circles(n=400, seed=1)
    features = _as_array(ex, _call(ex, feature_map, X.copy()))
    if features.ndim == 1:
        features = features[:, None]
    _expect(ex, features.ndim == 2 and len(features) == len(X),
            f"for X of shape {X.shape} (circles(n=400, seed=1)) expected one row of features per point, "
            f"shape ({len(X)}, k); got {features.shape}.")
    _expect(ex, np.issubdtype(features.dtype, np.number) and np.all(np.isfinite(features)),
            "the features must be finite numbers.")
    score = _linear_fit_accuracy(features.astype(np.float64), y)
    _expect(ex, score >= 0.95,
            f"on your features of the points of circles(n=400, seed=1) a linear classifier reaches only {score:.0%} "
            "right (95% needed). Add a feature that is small on the inner circle and large on the outer ring.")
    _passed(ex, f"on your features a linear classifier separates the circles ({score:.0%} right).")


# --------------------------------------------------------------------------- 02_mlp

# What Lab 2 Exercise 1 asks to compute by hand: gradients (TensorFlow's automatic differentiation).
LIBRARY_GRADIENTS = ["tensorflow.GradientTape.gradient", "tensorflow.GradientTape.jacobian", "tensorflow.gradients"]


def _backward_inputs():
    """``(x, y, W1, b1, W2, b2)``: one example and the tiny network's parameters."""
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal(2), 0.7
    return [(x, y, rng.standard_normal((2, 3)), rng.standard_normal(3), rng.standard_normal(3),
             float(rng.standard_normal()))]


def check_backward(backward):
    """Exercise 1 of 02_mlp: ``backward(x, y, W1, b1, W2, b2)`` returns ``(dW1, db1, dW2, db2)``, the gradients of
    ``0.5 * (y_hat - y)**2`` for ``h = tanh(x @ W1 + b1)``, ``y_hat = h @ W2 + b2``, one example, in NumPy.

    Example:
        >>> check_backward(backward)
        ✅ Exercise 1 (backward) passed: ...
    """
    ex = "Exercise 1 (backward)"
    [(x, y, *params)] = _backward_inputs()
    [expected] = _expected("backward")  # the solution's; tests/test_expected.py holds them to tf.GradientTape's
    expected = [np.array(e) for e in expected]
    got = _call(ex, backward, x.copy(), y, *[np.array(p) if np.ndim(p) else p for p in params],
                by_hand=LIBRARY_GRADIENTS, instead="Compute them in NumPy, one layer at a time, as the text says.")
    _expect(ex, isinstance(got, (tuple, list)) and len(got) == 4,
            f"expected a tuple of four gradients (dW1, db1, dW2, db2), got {type(got).__name__}"
            + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else "") + ".")
    names = ("dW1", "db1", "dW2", "db2")
    for name, g, e in zip(names, got, expected):
        g = _as_array(ex, g)
        _expect(ex, g.shape == np.shape(e), f"{name} should have the shape of its parameter, {np.shape(e)}; "
                                            f"got {g.shape}. Check where a transpose or an outer product is needed.")
    for name, g, e in reversed(list(zip(names, got, expected))):  # output layer first: that is where errors start
        if not np.allclose(_as_array(ex, g), e, atol=1e-6):
            hint = ("start from the output's error signal, y_hat - y (the loss is half the squared error), and "
                    "ask how y_hat changes with each output parameter."
                    if name in ("dW2", "db2") else
                    "going back through tanh multiplies by its derivative, 1 - h**2, at the hidden units; then ask "
                    "how each hidden pre-activation changes with W1 and b1.")
            example = (f"x = {np.round(x, 4).tolist()}, y = {y} (W1, b1, W2, b2 drawn after x from "
                       "np.random.default_rng(6))")
            raise ExerciseFailed(ex, f"for {example} {name} differs from tf.GradientTape's: "
                                     f"expected {np.round(e, 4).tolist()}, "
                                     f"got {np.round(_as_array(ex, g), 4).tolist()}. Hint: {hint}")
    _passed(ex, "your four gradients match tf.GradientTape's to 6 decimals.")


def check_mlp(build_mlp):
    """Exercise 2 of 02_mlp: ``build_mlp()`` returns a Keras MLP from (28, 28, 1) images through Dense 256 ReLU and
    Dense 128 ReLU to 10 logits (235,146 parameters; dropout layers allowed).

    Example:
        >>> check_mlp(build_mlp)   # your function, defined in the exercise cell
        ✅ Exercise 2 (build_mlp) passed: ...
    """
    import keras

    ex = "Exercise 2 (build_mlp)"
    model, out = _build_and_run(ex, build_mlp, (4, 28, 28, 1), 7,
                                "Start with keras.Input(shape=(28, 28, 1)) and Flatten.")
    _expect(ex, out.shape == (4, 10), f"for a batch of shape (4, 28, 28, 1) expected 10 outputs per image, output "
                                      f"shape (4, 10); got {out.shape}.")
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    hidden = dense[:-1]
    _expect(ex, [layer.units for layer in hidden] == [256, 128],
            f"expected hidden Dense layers of 256 and 128 units, found {[layer.units for layer in hidden]}.")
    linear = [layer.name for layer in hidden if layer.activation in (keras.activations.linear, None)]
    _expect(ex, not linear,
            f"hidden layer(s) {linear} have no activation: linear layers stacked are still one linear layer. "
            "Give each hidden Dense activation=\"relu\".")
    acts = {layer.activation.__name__ for layer in hidden}
    _expect(ex, acts == {"relu"}, f"expected ReLU in the hidden layers, found {sorted(acts)}.")
    _expect(ex, dense[-1].activation in (keras.activations.linear, None),
            f"the last layer has activation {dense[-1].activation.__name__}: it must output logits "
            "(no activation); the loss applies softmax with from_logits=True.")
    params = model.count_params()
    _expect(ex, params == 235_146, f"expected 235,146 parameters, got {params:,}.")
    layers = list(model.layers)
    for layer in hidden:  # the exercise asks for dropout 0.2 right after each hidden layer
        after = layers[layers.index(layer) + 1] if layers.index(layer) + 1 < len(layers) else None
        _expect(ex, isinstance(after, keras.layers.Dropout) and abs(after.rate - 0.2) < 1e-9,
                f"after the hidden Dense({layer.units}) layer expected a Dropout layer of rate 0.2, found "
                f"{type(after).__name__ if after is not None else 'nothing'}"
                + (f"({after.rate:g})" if isinstance(after, keras.layers.Dropout) else "") + ".")
    _built_anew(ex, build_mlp, model)
    _passed(ex, "784 → 256 ReLU → 128 ReLU → 10 logits with dropout 0.2, 235,146 parameters.")


# --------------------------------------------------------------------------- 03_lenet

# What Lab 3 Exercise 1 asks to write by hand: the libraries' convolutions and cross-correlations.
LIBRARY_CONVOLUTIONS = ["tensorflow.nn.conv2d", "tensorflow.nn.convolution", "tensorflow.nn.depthwise_conv2d",
                        "keras.ops.conv", "scipy.signal.correlate2d", "scipy.signal.convolve2d",
                        "scipy.signal.correlate", "scipy.signal.convolve", "scipy.signal.fftconvolve",
                        "scipy.ndimage.correlate", "scipy.ndimage.convolve", "numpy.convolve", "numpy.correlate"]


def _conv2d_inputs():
    """``(image, kernel, stride, padding)`` for five shapes, strides and paddings."""
    rng = np.random.default_rng(8)
    cases = [((5, 5), (3, 3), 1, 0), ((7, 7), (3, 3), 2, 1), ((6, 8), (2, 2), 2, 0), ((28, 28), (5, 5), 1, 2),
             ((9, 6), (4, 3), 3, 1)]
    return [(rng.standard_normal(image), rng.standard_normal(kernel), stride, padding)
            for image, kernel, stride, padding in cases]


def _conv2d_run(conv2d, image, kernel, stride, padding):
    """What lab_utils.expected records: the output, and the output with the kernel flipped (the mathematicians'
    convolution, a common slip)."""
    return {"output": conv2d(image, kernel, stride, padding),
            "flipped": conv2d(image, kernel[::-1, ::-1].copy(), stride, padding)}


def check_conv2d(conv2d):
    """Exercise 1 of 03_lenet: ``conv2d(image, kernel, stride=1, padding=0)`` on 2-D NumPy arrays, as deep learning
    defines it (no kernel flip, like ``tf.nn.conv2d``), with zero padding on every side.

    Example:
        >>> check_conv2d(conv2d)
        ✅ Exercise 1 (conv2d) passed: ...
    """
    ex = "Exercise 1 (conv2d)"
    cases = _conv2d_inputs()
    for (image, kernel, stride, padding), expected in zip(cases, _expected("conv2d")):
        expected, flipped = np.array(expected["output"]), np.array(expected["flipped"])
        where = f"image {image.shape}, kernel {kernel.shape}, stride {stride}, padding {padding}"
        got = _as_array(ex, _call(ex, conv2d, image.copy(), kernel.copy(), stride, padding,
                                  by_hand=LIBRARY_CONVOLUTIONS,
                                  instead="Write it with two loops over the output positions, as the text says."))
        _expect(ex, got.shape == expected.shape,
                f"for {where} expected output shape {expected.shape}, got {got.shape}. "
                "Count the positions the kernel can take along each side of the padded image, S pixels apart.")
        if not np.allclose(got, expected, atol=1e-6):
            if np.allclose(got, flipped, atol=1e-6):
                raise ExerciseFailed(ex, "your result is the kernel flipped: that is the mathematicians' convolution. "
                                         "Deep learning's conv2d slides the kernel as it is (cross-correlation).")
            i, j = (int(k) for k in np.argwhere(~np.isclose(got, expected, atol=1e-6))[0])  # the first that differs
            raise ExerciseFailed(ex, f"for {where} output ({i}, {j}) differs from tf.nn.conv2d's: expected "
                                     f"{expected[i, j]:.4f}, got {got[i, j]:.4f}. Output (i, j) is the sum of "
                                     "kernel * the patch of the padded image starting at (i * stride, j * stride).")
    _passed(ex, f"your conv2d matches tf.nn.conv2d on {len(cases)} shapes, strides and paddings.")


# What the arithmetic exercises (Lab 3 Exercises 2-4, Lab 5 Exercises 1 and 3) ask to work out: building Keras layers
# (or running a convolution) and reading their shapes or parameter counts would skip the arithmetic.
LIBRARY_MEASURES = ["keras.layers.Layer.__init__", "keras.Operation.__init__", *LIBRARY_CONVOLUTIONS]
MEASURE_INSTEAD = "Work it out with arithmetic, as the text says, without building layers to measure them."


def _check_formula(ex, fn, cases, done):
    """Run ``fn`` on each ``(args, expected, slips)``; compare with the expected whole number; on failure, name the
    slip (a ``{value: hint}`` of what typical slips give for these arguments) that gives what came back."""
    for args, expected, slips in cases:
        got = _call(ex, fn, *args, by_hand=LIBRARY_MEASURES, instead=MEASURE_INSTEAD)
        call = f"{ex[ex.index('(') + 1:-1]}{args}"  # the call as the student writes it: output_size(28, 5, 0, 1)
        _expect(ex, isinstance(got, (int, np.integer)) or (isinstance(got, float) and got.is_integer()),
                f"for {call} expected a whole number, got {got!r}. Use // for division.")
        if int(got) != expected:
            hint = next((h for value, h in slips if value == int(got) != expected), "")
            raise ExerciseFailed(ex, f"for {call} expected {expected}, got {int(got)}. {hint}".strip())
    _passed(ex, done)


def _output_size_inputs():
    return [(28, 5, 0, 1), (28, 5, 2, 1), (32, 3, 1, 2), (7, 3, 0, 2), (224, 7, 3, 2)]


def _output_size_run(output_size, W, F, P, S):
    """What lab_utils.expected records: the size, and what two slips give (padding on one side only is the right
    size of a side P shorter; a kernel that moves 1 pixel at a time is stride 1)."""
    return {"size": output_size(W, F, P, S), "one side": output_size(W - P, F, P, S),
            "stride 1": output_size(W, F, P, 1)}


def check_output_size(output_size):
    """Exercise 2 of 03_lenet: ``output_size(W, F, P, S)``, the side of a convolution's output for input side W,
    kernel F, padding P and stride S.

    Example:
        >>> check_output_size(output_size)   # your function, defined in the exercise cell
        ✅ Exercise 2 (output_size) passed: ...
    """
    cases = [(args, e["size"], [(e["one side"], "Padding adds P pixels on *both* sides."),
                                (e["size"] - 1, "Count the kernel's first position too."),
                                (e["stride 1"], "The kernel moves S pixels at each step, not 1.")])
             for args, e in zip(_output_size_inputs(), _expected("output_size"))]
    _check_formula("Exercise 2 (output_size)", output_size, cases,
                   "output sizes right on five layers, with and without padding and stride.")


def _conv_params_inputs():
    return [(1, 6, 5), (6, 16, 5), (3, 64, 3), (64, 64, 3)]


def _conv_params_run(conv_params, in_channels, filters, kernel_size):
    """What lab_utils.expected records: the count, and what two slips give (a kernel on one input channel only; a
    kernel of kernel_size x 1 is a 1x1 kernel on kernel_size times as many channels)."""
    return {"count": conv_params(in_channels, filters, kernel_size),
            "one channel": conv_params(1, filters, kernel_size),
            "not squared": conv_params(in_channels * kernel_size, filters, 1)}


def check_conv_params(conv_params):
    """Exercise 3 of 03_lenet: ``conv_params(in_channels, filters, kernel_size)``, the weights and biases of a
    Conv2D layer.

    Example:
        >>> check_conv_params(conv_params)   # your function, defined in the exercise cell
        ✅ Exercise 3 (conv_params) passed: ...
    """
    cases = [(args, e["count"], [(e["count"] - args[1], "Each filter also has a bias."),
                                 (e["one channel"], "Each filter spans every input channel."),
                                 (e["not squared"], "A kernel of size k is k x k, in each input channel.")])
             for args, e in zip(_conv_params_inputs(), _expected("conv_params"))]
    _check_formula("Exercise 3 (conv_params)", conv_params, cases,
                   "parameter counts right for every layer, biases included.")


def _receptive_field_inputs():
    return [(1, 3), (2, 3), (3, 3), (2, 5), (4, 1)]


def check_receptive_field(receptive_field):
    """Exercise 4 of 03_lenet: ``receptive_field(layers, kernel_size)``, the side of the input patch that one
    output of ``layers`` stacked stride-1 convolutions sees.

    Example:
        >>> check_receptive_field(receptive_field)   # your function, defined in the exercise cell
        ✅ Exercise 4 (receptive_field) passed: ...
    """
    cases = [((n, k), e, [(n * k, "Stacked layers overlap: each adds fewer than k pixels to what one output sees."),
                          (k ** n, "The field grows by addition, not multiplication, when the stride is 1.")])
             for (n, k), e in zip(_receptive_field_inputs(), _expected("receptive_field"))]
    two, three = _expected("receptive_field")[1:3]  # receptive_field(2, 3) and receptive_field(3, 3)
    _check_formula("Exercise 4 (receptive_field)", receptive_field, cases,
                   f"two 3x3 layers see {two}x{two}, three see {three}x{three}.")


def check_lenet(build_lenet):
    """Exercise 5 of 03_lenet: ``build_lenet()`` returns modern LeNet-5: Conv2D 6@5x5 (padding "same") and
    max pooling, Conv2D 16@5x5 and max pooling, C5 = Conv2D 120@5x5, Flatten, Dense 84, all ReLU, then 10 logits
    (61,706 parameters).

    Example:
        >>> check_lenet(build_lenet)   # your function, defined in the exercise cell
        ✅ Exercise 5 (build_lenet) passed: ...
    """
    import keras

    ex = "Exercise 5 (build_lenet)"
    try:
        model, out = _build_and_run(ex, build_lenet, (2, 28, 28, 1), 9, "Start with keras.Input(shape=(28, 28, 1)).")
    except ExerciseFailed as failed:
        if "output size would be zero or negative" not in str(failed):
            raise
        raise ExerciseFailed(ex, "a layer's input became smaller than its 5x5 kernel. C5 needs S4's maps to be 5x5: "
                                 "the first convolution needs padding=\"same\" (LeNet's 32x32 input is MNIST's 28x28 "
                                 "plus a border), and the others none.") from None
    _expect(ex, out.shape == (2, 10), f"for a batch of shape (2, 28, 28, 1) expected 10 outputs per image, output "
                                      f"shape (2, 10); got {out.shape}.")
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    pools = [layer for layer in model.layers if isinstance(layer, keras.layers.MaxPooling2D)]
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if [c.filters for c in convs] == [6, 16] and [d.units for d in dense] == [120, 84, 10]:
        raise ExerciseFailed(ex, "you built C5 as Dense(120) after Flatten. LeCun's C5 is a convolution: "
                                 "Conv2D(120, 5) on S4's 5x5 maps, then Flatten; the parameter count is the same.")
    _expect(ex, [c.filters for c in convs] == [6, 16, 120] and all(c.kernel_size == (5, 5) for c in convs),
            f"expected three Conv2D layers (C1, C3, C5) of 6, 16 and 120 filters of 5x5, found "
            f"{[(c.filters, c.kernel_size) for c in convs]}.")
    _expect(ex, len(pools) == 2, f"expected two MaxPooling2D layers (after C1 and after C3), found {len(pools)}.")
    padded = [layer for layer in model.layers[:model.layers.index(convs[0])]
              if isinstance(layer, keras.layers.ZeroPadding2D) and tuple(map(tuple, layer.padding)) == ((2, 2), (2, 2))]
    _expect(ex, convs[0].padding == "same" or padded,
            "the first convolution needs zero padding that keeps the size (padding=\"same\", or ZeroPadding2D(2) "
            "before it): LeNet's 32x32 input is MNIST's 28x28 plus a border.")
    _expect(ex, [d.units for d in dense] == [84, 10],
            f"expected Dense layers of 84 and 10 units after C5, found {[d.units for d in dense]}.")
    hidden = convs + dense[:-1]
    not_relu = [layer.name for layer in hidden if layer.activation.__name__ != "relu"]
    _expect(ex, not not_relu, f"layers {not_relu} need activation=\"relu\" (the modern form).")
    _expect(ex, dense[-1].activation.__name__ == "linear",
            f"the last layer has activation {dense[-1].activation.__name__}: output logits, with no activation.")
    params = model.count_params()
    _expect(ex, params == 61_706, f"expected 61,706 parameters, got {params:,}.")
    _built_anew(ex, build_lenet, model)
    _passed(ex, "modern LeNet-5: C1, S2, C3, S4, C5 convolutions and max pooling, F6 and 10 logits, 61,706 parameters.")


# --------------------------------------------------------------------------- 04_transfer_learning

def check_build_transfer(build_transfer):
    """Exercise 1 of 04_transfer_learning: ``build_transfer(base, n, fine_tune)`` returns a fresh 5-class LeNet whose
    first ``n`` weight layers (C1, C3, C5, F6) hold copies of ``base``'s weights, frozen unless ``fine_tune``,
    with freshly initialised layers above.

    Example:
        >>> check_build_transfer(build_transfer)
        ✅ Exercise 1 (build_transfer) passed: ...
    """
    import keras

    from lab_utils.models import lenet
    from lab_utils.transfer import TRANSFER_LAYERS

    ex = "Exercise 1 (build_transfer)"
    keras.utils.set_random_seed(11)
    base = lenet(num_classes=5)
    base_weights = {name: [w.copy() for w in base.get_layer(name).get_weights()] for name in TRANSFER_LAYERS}
    for n in range(len(TRANSFER_LAYERS) + 1):
        for fine_tune in (False, True):
            case = f"for n={n}, fine_tune={fine_tune}"
            model = _call(ex, build_transfer, base, n, fine_tune, allowed=["lab_utils.models.lenet"])
            _expect(ex, isinstance(model, keras.Model), f"{case} expected a Keras model, got {type(model).__name__}.")
            _expect(ex, model is not base, f"{case} the function returned the base itself; build a new network.")
            for i, name in enumerate(TRANSFER_LAYERS):
                try:
                    layer = model.get_layer(name)
                except ValueError:
                    raise ExerciseFailed(ex, f"{case} the model has no layer {name!r}: build it with "
                                             "lenet(num_classes=5), which names its layers C1, C3, C5, F6.") from None
                _expect(ex, not _shares_layer(model, base, name),
                        f"{case} layer {name} is the base's own layer object, shared: training the new network would "
                        "change the base too. Build a fresh lenet() and copy weights with set_weights().")
                same = all(np.array_equal(a, b) for a, b in zip(layer.get_weights(), base_weights[name]))
                if i < n:
                    _expect(ex, same, f"{case} layer {name} should hold a copy of the base's weights, but they differ.")
                    _expect(ex, layer.trainable == fine_tune,
                            f"{case} copied layer {name} has trainable={layer.trainable}; expected {fine_tune} "
                            "(frozen for AnB/BnB, trainable for fine-tuning AnB+/BnB+).")
                else:
                    _expect(ex, not same, f"{case} layer {name} is above the first {n} and should be freshly "
                                          "initialised, not copied.")
                    _expect(ex, layer.trainable, f"{case} fresh layer {name} must stay trainable.")
            _expect(ex, model.get_layer("logits").trainable and model.output_shape[-1] == 5,
                    f"{case} expected a fresh, trainable head of 5 logits.")
            for name, weights in base_weights.items():
                _expect(ex, all(np.array_equal(a, b) for a, b in zip(base.get_layer(name).get_weights(), weights)),
                        f"{case} the base's layer {name} changed: copy its weights, do not modify the base.")
    _passed(ex, "for every n, the first n layers are copies (frozen or trainable as asked) and the rest are fresh.")


# --------------------------------------------------------------------------- 05_modern_cnns

ALEXNET = [("conv", 96, 11, 4, 0), ("pool", 3, 2), ("conv", 256, 5, 1, 2), ("pool", 3, 2), ("conv", 384, 3, 1, 1),
           ("conv", 384, 3, 1, 1), ("conv", 256, 3, 1, 1), ("pool", 3, 2), ("dense", 4096), ("dense", 4096),
           ("dense", 1000)]


def _layer_arithmetic_inputs():
    return [([("conv", 96, 11, 4, 0)], 227, 3),
            ([("conv", 6, 5, 1, 2), ("pool", 2, 2), ("conv", 16, 5, 1, 0), ("pool", 2, 2), ("dense", 120)], 28, 1),
            (ALEXNET, 227, 3)]


def check_layer_arithmetic(layer_arithmetic):
    """Exercise 1 of 05_modern_cnns: ``layer_arithmetic(layers, side, channels)`` walks a table of layers
    (``("conv", filters, kernel, stride, padding)``, ``("pool", kernel, stride)``, ``("dense", units)``) from a
    ``side`` x ``side`` x ``channels`` input and returns one ``(side, channels, parameters)`` row per layer.

    Example:
        >>> check_layer_arithmetic(layer_arithmetic)   # your function, defined in the exercise cell
        ✅ Exercise 1 (layer_arithmetic) passed: ...
    """
    ex = "Exercise 1 (layer_arithmetic)"
    for (layers, side, channels), expected in zip(_layer_arithmetic_inputs(), _expected("layer_arithmetic")):
        got = _call(ex, layer_arithmetic, list(layers), side, channels, by_hand=LIBRARY_MEASURES,
                    instead=MEASURE_INSTEAD)
        expected = [tuple(row) for row in expected]
        try:
            got = [tuple(int(v) for v in row) for row in got]
        except (TypeError, ValueError):
            raise ExerciseFailed(ex, f"expected a list of (side, channels, parameters) rows, got {got!r:.200}.") \
                from None
        _expect(ex, len(got) == len(layers), f"for {len(layers)} layers on a {side}x{side}x{channels} input expected "
                                             f"one row per layer ({len(layers)}), got {len(got)}.")
        inputs = [(side, channels)] + [row[:2] for row in expected]  # what each layer sees: the row before it
        for k, (layer, g, e) in enumerate(zip(layers, got, expected)):
            if g == e:
                continue
            s, c = inputs[k]
            what = {"conv": "a convolution's side and parameters follow Lab 3's arithmetic (padding on both sides)",
                    "pool": "pooling changes the side like a convolution without padding, keeps the channels and has "
                            "no parameters",
                    "dense": "a dense layer sees every number of its input map, and each unit has a bias"}[layer[0]]
            raise ExerciseFailed(ex, f"for layer {k + 1} of {len(layers)}, {layer}, on a {s}x{s}x{c} input expected "
                                     f"the row {e}, got {g}. Remember: {what}; each row's output is the next layer's "
                                     "input.")
    side, channels, params = expected[0]  # AlexNet's conv1, the last case's first row
    _passed(ex, f"every row of AlexNet's table is right: conv1 gives {side} x {side} x {channels} with {params:,} "
                "parameters.")


def _vgg_block_inputs():
    """``(convs, filters, channels)``: the block ``vgg_block(convs, filters)`` on maps of ``channels`` channels."""
    return [(1, 8, 3), (2, 16, 8), (3, 4, 4)]


def _weights_count(block):
    return sum(int(np.prod(w.shape)) for w in block.weights)


def _vgg_block_run(vgg_block, convs, filters, channels):
    """What lab_utils.expected records: the block's parameters on maps of ``channels`` channels."""
    block = vgg_block(convs, filters)
    block(np.zeros((1, 12, 12, channels), np.float32))
    return _weights_count(block)


def check_vgg_block(vgg_block):
    """Exercise 2 of 05_modern_cnns: ``vgg_block(convs, filters)`` returns a Keras layer or model: ``convs`` 3x3
    convolutions of ``filters`` channels with ReLU that keep the side, then a 2x2 max pooling that halves it.

    Example:
        >>> check_vgg_block(vgg_block)   # your function, defined in the exercise cell
        ✅ Exercise 2 (vgg_block) passed: ...
    """
    import keras

    ex = "Exercise 2 (vgg_block)"
    for (convs, filters, channels), expected in zip(_vgg_block_inputs(), _expected("vgg_block")):
        block = _call(ex, vgg_block, convs, filters, instead="build it with keras layers")
        _expect(ex, callable(block), f"expected a Keras layer or model, got {type(block).__name__}.")
        x = np.random.default_rng(convs).uniform(0, 1, (2, 12, 12, channels)).astype(np.float32)
        try:
            out = np.asarray(block(x))
        except Exception as e:
            raise ExerciseFailed(ex, f"vgg_block({convs}, {filters}) cannot take a batch of shape {x.shape} "
                                     f"({type(e).__name__}: {(str(e).splitlines() or [''])[0][:150]}).") from None
        _expect(ex, out.shape == (2, 6, 6, filters),
                f"vgg_block({convs}, {filters}) on {x.shape} gave {out.shape}; expected (2, 6, 6, {filters}): the "
                "convolutions keep the side (padding=\"same\") and one 2x2 max pooling halves it.")
        if isinstance(block, keras.Model):
            _not_the_kits(ex, block)
        convs_found = [l for l in getattr(block, "layers", [block]) if isinstance(l, keras.layers.Conv2D)]
        _expect(ex, len(convs_found) == convs and all(c.kernel_size == (3, 3) for c in convs_found),
                f"vgg_block({convs}, {filters}) has {[c.kernel_size for c in convs_found]} convolutions; expected "
                f"{convs} of 3x3.")
        _expect(ex, all(c.activation.__name__ == "relu" for c in convs_found), "each convolution needs ReLU.")
        params = _weights_count(block)
        _expect(ex, params == expected, f"vgg_block({convs}, {filters}) on {channels} channels has {params:,} "
                                        f"parameters; expected {expected:,}.")
    _passed(ex, "3x3 convolutions that keep the side, then 2x2 max pooling; shapes and parameters right.")


def _head_params_inputs():
    return [(5, 16, (120, 84), 10), (7, 64, (), 10), (4, 8, (32,), 5)]


def check_head_params(head_params):
    """Exercise 3 of 05_modern_cnns: ``head_params(side, channels, hidden, classes)`` returns the parameters of two
    classifier heads on a ``side`` x ``side`` x ``channels`` map: flatten and dense layers of ``hidden`` units then
    ``classes`` logits; and Network in Network's, a 1x1 convolution to ``classes`` channels then global average
    pooling.

    Example:
        >>> check_head_params(head_params)   # your function, defined in the exercise cell
        ✅ Exercise 3 (head_params) passed: ...
    """
    ex = "Exercise 3 (head_params)"
    for case, expected in zip(_head_params_inputs(), _expected("head_params")):
        got = _call(ex, head_params, *case, by_hand=LIBRARY_MEASURES, instead=MEASURE_INSTEAD)
        try:
            got = tuple(int(v) for v in got)
        except (TypeError, ValueError):
            raise ExerciseFailed(ex, f"expected two numbers (dense head, GAP head), got {got!r:.100}.") from None
        _expect(ex, len(got) == 2, f"expected two numbers (dense head, GAP head), got {len(got)}.")
        _expect(ex, got[0] == expected[0], f"for head_params{case} the dense head has {expected[0]:,} parameters, "
                                           f"you found {got[0]:,}: count every number of the map the first dense layer "
                                           "sees, and the biases of every layer.")
        _expect(ex, got[1] == expected[1], f"for head_params{case} the GAP head has {expected[1]:,} parameters, "
                                           f"you found {got[1]:,}: count what a 1x1 convolution to `classes` maps "
                                           "holds, its biases included; pooling holds nothing.")
    dense_head, gap_head = _expected("head_params")[0]  # the first case: LeNet's 5x5x16 map, 120 and 84, 10 logits
    _passed(ex, f"on LeNet's 5x5x16 map: {dense_head:,} parameters for the dense head, {gap_head:,} for the GAP head.")


def _block_model(ex, block, shape, *args):
    """Apply the student's functional-API ``block`` to a ``keras.Input(shape)`` and wrap the result in a model;
    refuse the kit's own reference block (its layers are named ``kit_...``)."""
    import keras

    inputs = keras.Input(shape)
    out = _call(ex, block, inputs, *args, instead="build it with keras layers")
    try:  # from the grader's RemoteFunction, the block comes back already made into a model
        model = out.model if isinstance(out, BlockOutput) else keras.Model(inputs, out)
    except Exception as e:
        raise ExerciseFailed(ex, f"expected the block's output tensor, built from x; got {type(out).__name__}, from "
                                 f"which no model can be made ({type(e).__name__}).") from None
    if any(layer.name.startswith("kit_") for layer in model.layers):
        raise ExerciseFailed(ex, f"this is the kit's own reference block (lab_utils.models.{block.__name__}), not "
                                 "yours. The exercise is to build it yourself with keras layers.")
    return model


def check_inception_block(inception_block):
    """Exercise 4 of 05_modern_cnns: ``inception_block(x, c1, c3, c5, pool_proj)`` takes a tensor ``x`` (functional
    API) and returns the concatenation of four branches that keep the side: a 1x1 convolution (``c1`` channels),
    1x1 then 3x3 (``c3``), 1x1 then 5x5 (``c5``), 3x3 max pooling then 1x1 (``pool_proj``).

    Example:
        >>> check_inception_block(inception_block)   # your function, defined in the exercise cell
        ✅ Exercise 4 (inception_block) passed: ...
    """
    import keras

    ex = "Exercise 4 (inception_block)"
    for channels, widths in [(8, (4, 8, 2, 2)), (32, (16, 32, 8, 8))]:
        model = _block_model(ex, inception_block, (14, 14, channels), *widths)
        out = model.output
        _expect(ex, tuple(out.shape) == (None, 14, 14, sum(widths)),
                f"for x of shape (None, 14, 14, {channels}) and widths {widths} the block's output is "
                f"{tuple(out.shape)}; expected (None, 14, 14, {sum(widths)}): every branch keeps the side "
                "(padding=\"same\", pooling with strides=1) and the branches are concatenated along the channels.")
        sizes = sorted(l.kernel_size for l in model.layers if isinstance(l, keras.layers.Conv2D))
        _expect(ex, (3, 3) in sizes and (5, 5) in sizes and sizes.count((1, 1)) >= 4,
                f"expected 1x1 convolutions in every branch and a 3x3 and a 5x5 one; found {sizes}.")
        _expect(ex, any(isinstance(l, keras.layers.MaxPooling2D) for l in model.layers),
                "the fourth branch starts with 3x3 max pooling.")
        _expect(ex, any(isinstance(l, keras.layers.Concatenate) for l in model.layers),
                "join the four branches with keras.layers.Concatenate().")
        convs = [l for l in model.layers if isinstance(l, keras.layers.Conv2D)]
        linear = [l.name for l in convs if getattr(l.activation, "__name__", "") != "relu"]
        _expect(ex, not linear, f"for widths {widths} the convolutions {linear} have no ReLU; every layer uses ReLU.")
        for big in (l for l in convs if l.kernel_size in ((3, 3), (5, 5))):
            source = getattr(getattr(big.input, "_keras_history", None), "operation", None)
            half = max(big.filters // 2, 1)
            _expect(ex, isinstance(source, keras.layers.Conv2D) and source.kernel_size == (1, 1)
                    and source.filters == half,
                    f"for widths {widths} the {big.kernel_size[0]}x{big.kernel_size[0]} convolution of {big.filters} "
                    f"channels should read a 1x1 reduction of {half} channels (half its output), found "
                    + (f"{source.filters} channels of {source.kernel_size[0]}x{source.kernel_size[1]}."
                       if isinstance(source, keras.layers.Conv2D) else f"{type(source).__name__}."))
    _passed(ex, "four branches that keep the side, concatenated: the output has c1 + c3 + c5 + pool_proj channels.")


def check_residual_block(residual_block):
    """Exercise 5 of 05_modern_cnns: ``residual_block(x, filters, strides=1)`` (functional API): two 3x3 convolutions
    with batch normalisation, added to the block's input, then ReLU; where the shape changes, a 1x1 convolution
    with those strides on the shortcut.

    Example:
        >>> check_residual_block(residual_block)   # your function, defined in the exercise cell
        ✅ Exercise 5 (residual_block) passed: ...
    """
    import keras

    ex = "Exercise 5 (residual_block)"

    def build(shape, filters, strides):
        return _block_model(ex, residual_block, shape, filters, strides)

    same = build((7, 7, 8), 8, 1)
    _expect(ex, tuple(same.output.shape) == (None, 7, 7, 8),
            f"for x of shape (None, 7, 7, 8), filters=8 and strides=1 the output is {tuple(same.output.shape)}; "
            "expected (None, 7, 7, 8).")
    _expect(ex, any(isinstance(l, keras.layers.Add) for l in same.layers),
            "no Add layer: the block's output is F(x) + x (keras.layers.Add()).")
    norms = [l for l in same.layers if isinstance(l, keras.layers.BatchNormalization)]
    _expect(ex, len(norms) >= 2, f"expected batch normalisation after each 3x3 convolution, found {len(norms)}.")
    slow = [round(l.momentum, 3) for l in norms if l.momentum > 0.95]
    _expect(ex, not slow, f"BatchNormalization(momentum={slow[0] if slow else ''}) is Keras's default; this lab's "
                          "short runs need momentum=0.9 (section 6 shows why).")
    _expect(ex, not [l for l in same.layers if isinstance(l, keras.layers.Conv2D) and l.kernel_size == (1, 1)],
            "when the shape does not change, the shortcut is the input itself: no 1x1 convolution.")
    same.set_weights([np.zeros_like(w) for w in same.get_weights()])
    x = np.random.default_rng(5).uniform(0, 1, (2, 7, 7, 8)).astype(np.float32)
    _expect(ex, np.allclose(np.asarray(same(x, training=False)), x, atol=1e-5),
            "with every weight zero, the block should pass its (non-negative) input through unchanged: "
            "ReLU(0 + x) = x. Add the input itself, then apply ReLU after the addition.")
    down = build((14, 14, 8), 16, 2)
    _expect(ex, tuple(down.output.shape) == (None, 7, 7, 16),
            f"for x of shape (None, 14, 14, 8), filters=16 and strides=2 the output is {tuple(down.output.shape)}; "
            "expected (None, 7, 7, 16).")
    projections = [l for l in down.layers if isinstance(l, keras.layers.Conv2D) and l.kernel_size == (1, 1)]
    _expect(ex, len(projections) == 1 and projections[0].strides == (2, 2),
            "when the shape changes, the shortcut needs one 1x1 convolution with the block's strides (a projection).")
    _passed(ex, "F(x) + x with batch normalisation; the shortcut projects only when the shape changes.")


# --------------------------------------------------------------------------- the expected values

# The inputs each check gives the student's function, by the name of the function the exercise defines, and how
# ``python -m lab_utils.expected`` runs the solution's function on each of them (None: it calls the function on the
# input's arguments and records what it returns) to write lab_utils/expected.json.
INPUTS = {
    "class_counts": (_class_counts_inputs, None),
    "scale_images": (_scale_images_inputs, None),
    "sigmoid": (_sigmoid_inputs, None),
    "binary_cross_entropy": (_binary_cross_entropy_inputs, None),
    "gradient_step": (_gradient_step_inputs, _gradient_step_run),
    "softmax_cross_entropy": (_softmax_cross_entropy_inputs, None),
    "backward": (_backward_inputs, None),
    "conv2d": (_conv2d_inputs, _conv2d_run),
    "output_size": (_output_size_inputs, _output_size_run),
    "conv_params": (_conv_params_inputs, _conv_params_run),
    "receptive_field": (_receptive_field_inputs, None),
    "layer_arithmetic": (_layer_arithmetic_inputs, None),
    "vgg_block": (_vgg_block_inputs, _vgg_block_run),
    "head_params": (_head_params_inputs, None),
}
