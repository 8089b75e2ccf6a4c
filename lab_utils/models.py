"""The labs' reference models and the way the kit trains them.

The notebooks build these models themselves (that is the exercise); the benchmark and the accuracy
tests use the builders here, so that a number in README comes from the same recipe a test checks.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np


def softmax_regression(num_classes=10, input_shape=(28, 28, 1)):
    """Softmax regression: flatten the image, one Dense layer of ``num_classes`` logits (7,850 parameters).

    Example:
        >>> model = softmax_regression()
        >>> model.count_params()
        7850
    """
    import keras

    return keras.Sequential([
        keras.Input(shape=input_shape),
        keras.layers.Flatten(),
        keras.layers.Dense(num_classes, name="logits"),
    ], name="softmax_regression")


def augmentation(shift=0.08, rotation=0.0, zoom=0.0):
    """Layers that move each training image a little (active in ``fit`` only, not in ``predict``).

    ``shift`` is a fraction of the image size (0.08 of 28 pixels is about 2 pixels); ``rotation`` a fraction
    of a full turn (0.04 is about 15 degrees); ``zoom`` a fraction of the size.

    Example:
        >>> model = keras.Sequential([keras.Input((28, 28, 1)), augmentation(), keras.layers.Flatten(), ...])
    """
    import keras

    layers = [keras.layers.RandomTranslation(shift, shift, fill_mode="constant")]
    if rotation:
        layers.append(keras.layers.RandomRotation(rotation, fill_mode="constant"))
    if zoom:
        layers.append(keras.layers.RandomZoom(zoom, fill_mode="constant"))
    return keras.Sequential(layers, name="augmentation")


def mlp(hidden=(256, 128), activation="relu", dropout=0.0, augment=False, kernel_initializer="glorot_uniform",
        weight_decay=0.0, num_classes=10, input_shape=(28, 28, 1)):
    """A multilayer perceptron: flatten, Dense hidden layers (each followed by dropout if asked), 10 logits.

    With the defaults it has 784·256+256 + 256·128+128 + 128·10+10 = 235,146 parameters.

    Example:
        >>> mlp(activation="tanh", dropout=0.2).count_params()
        235146
    """
    import keras

    regularizer = keras.regularizers.l2(weight_decay) if weight_decay else None
    layers = [keras.Input(shape=input_shape)]
    if augment:
        layers.append(augmentation())
    layers.append(keras.layers.Flatten())
    for units in hidden:
        layers.append(keras.layers.Dense(units, activation=activation, kernel_initializer=kernel_initializer,
                                         kernel_regularizer=regularizer))
        if dropout:
            layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(num_classes, kernel_initializer=kernel_initializer, name="logits"))
    return keras.Sequential(layers, name="mlp")


def lenet(form="modern", augment=False, num_classes=10, input_shape=(28, 28, 1)):
    """LeNet-5 with LeCun's layer names: C1 (6 filters 5x5, padded), S2 (pooling), C3 (16 filters 5x5), S4,
    F5 (120), F6 (84), and 10 logits: 61,706 parameters.

    ``form="1998"``: tanh and average pooling, as in LeCun et al. 1998 (whose C3 connected only some maps,
    hence their 60,000); ``form="modern"``: ReLU and max pooling, which train faster.
    ``augment=True`` puts small random shifts, rotations and zooms in front (active in training only).

    Example:
        >>> lenet().count_params()
        61706
    """
    import keras

    if form not in ("modern", "1998"):
        raise ValueError(f"form={form!r}: choose 'modern' or '1998'.")
    act = "relu" if form == "modern" else "tanh"
    pool = keras.layers.MaxPooling2D if form == "modern" else keras.layers.AveragePooling2D
    layers = [keras.Input(shape=input_shape)]
    if augment:
        layers.append(augmentation(shift=0.1, rotation=0.04, zoom=0.1))
    layers += [
        keras.layers.Conv2D(6, 5, padding="same", activation=act, name="C1"),
        pool(2, name="S2"),
        keras.layers.Conv2D(16, 5, activation=act, name="C3"),
        pool(2, name="S4"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(120, activation=act, name="F5"),
        keras.layers.Dense(84, activation=act, name="F6"),
        keras.layers.Dense(num_classes, name="logits"),
    ]
    return keras.Sequential(layers, name=f"lenet5_{form}")


def compile_classifier(model, learning_rate=1e-3, decay_steps=None, optimizer=None):
    """Compile for integer labels and logit outputs: Adam (cosine-decayed over ``decay_steps`` if given)
    unless another ``optimizer`` is given, sparse categorical cross-entropy ``from_logits=True``, accuracy.

    Example:
        >>> compile_classifier(model, learning_rate=3e-3, decay_steps=15 * 157)
        >>> compile_classifier(model, optimizer=keras.optimizers.SGD(0.1, momentum=0.9))
    """
    import keras

    rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps) if decay_steps else learning_rate
    model.compile(optimizer=optimizer or keras.optimizers.Adam(rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


class Recipe(NamedTuple):
    """How the kit trains one reference model: Adam with a cosine-decayed learning rate from ``learning_rate``
    over ``epochs`` epochs of ``batch_size`` images, each shifted by up to ``shift`` pixels (0: no augmentation)."""

    build: Callable
    epochs: int
    batch_size: int
    learning_rate: float
    shift: int = 0


# The kit's training recipe per lab. Large batches with a higher learning rate and augmentation in the input
# pipeline (make_dataset(shift=...)) reach each target in a fraction of the time of the quickstart's defaults
# on a CPU; benchmarks/performance.py measures both ways.
RECIPES = {
    "softmax_regression": Recipe(softmax_regression, epochs=15, batch_size=256, learning_rate=1e-2),
    "mlp": Recipe(lambda: mlp(dropout=0.2), epochs=20, batch_size=256, learning_rate=3e-3, shift=2),
    "lenet": Recipe(lenet, epochs=12, batch_size=256, learning_rate=8e-3, shift=2),
}

# What each reference model must score on the official MNIST test set when trained on the 5,000-digit
# sample (the labs' targets); benchmarks/accuracy.py reports against them and tests/test_accuracy.py checks them.
ACCURACY_TARGETS = {"softmax_regression": 0.90, "mlp": 0.95, "lenet": 0.975}


def train_reference(name, images, labels, seed=0, verbose=0, callbacks=None):
    """Train a reference model with the kit's recipe (``RECIPES[name]``) on uint8 images; returns the model.

    Example:
        >>> data = load_mnist()
        >>> model = train_reference("lenet", data.x_train, data.y_train)
    """
    import keras

    from lab_utils.data import make_dataset

    if name not in RECIPES:
        raise ValueError(f"no reference model called {name!r}; choose one of {', '.join(RECIPES)}.")
    recipe = RECIPES[name]
    keras.utils.set_random_seed(seed)
    steps = recipe.epochs * math.ceil(len(images) / recipe.batch_size)
    model = compile_classifier(recipe.build(), recipe.learning_rate, decay_steps=steps)
    train = make_dataset(images, labels, batch_size=recipe.batch_size, seed=seed, shift=recipe.shift)
    model.fit(train, epochs=recipe.epochs, verbose=verbose, callbacks=callbacks or [])
    return model


def accuracy(model, images, labels, batch_size=1000):
    """Fraction of ``images`` (uint8) that ``model`` classifies as ``labels``.

    Example:
        >>> accuracy(model, data.x_test, data.y_test)
        0.91
    """
    from lab_utils.data import make_dataset

    # Calling the model directly (not model.predict) avoids building a predict function per model, which
    # TensorFlow warns about when a notebook scores many models in a loop.
    dataset = make_dataset(images, labels, batch_size=batch_size, shuffle=False, cache=False)
    right = sum(int(np.sum(np.argmax(model(x, training=False), axis=1) == y.numpy())) for x, y in dataset)
    return right / len(labels)


def layer_table(model):
    """Rows of (layer type, output shape, parameters, receptive field) for every layer of a Keras model.

    The receptive field is the side of the input patch that one output unit of the layer sees; it grows
    with each convolution or pooling by ``(kernel - 1) * jump`` (``jump``: the product of the strides so far).
    It is ``None`` after a layer that mixes all positions (Flatten, Dense).

    Example:
        >>> layer_table(mlp())[1]
        ('Dense', (None, 256), 200960, None)
    """
    import keras

    rows, field, jump = [], 1, 1
    for layer in model.layers:
        kernel = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
        strides = getattr(layer, "strides", None)
        if field is not None and kernel is not None:
            field += (kernel[0] - 1) * jump
            jump *= (strides or kernel)[0]
        elif isinstance(layer, (keras.layers.Flatten, keras.layers.Dense, keras.layers.GlobalAveragePooling2D)):
            field = None
        shape = tuple(layer.output.shape)
        rows.append((type(layer).__name__, shape, layer.count_params(), field))
    return rows


def describe(model):
    """Print every layer's type, output shape, parameters and receptive field, and the total; same text on
    every machine (unlike ``model.summary()``, whose layer names depend on what was built before).

    Example:
        >>> describe(mlp())
        layer                output shape          parameters  receptive field
        Flatten              (None, 784)                    0  -
        ...
    """
    rows = layer_table(model)
    print(f"{'layer':<20} {'output shape':<20} {'parameters':>11}  receptive field")
    for name, shape, params, field in rows:
        print(f"{name:<20} {str(shape):<20} {params:>11,}  {f'{field} x {field}' if field else '-'}")
    print(f"{'total':<20} {'':<20} {model.count_params():>11,}")
