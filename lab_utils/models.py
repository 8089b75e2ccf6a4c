"""The labs' reference models and the way the kit trains them.

The notebooks build these models themselves (that is the exercise); the benchmark and the accuracy
tests use the builders here, so that a number in README comes from the same recipe a test checks.
"""

from __future__ import annotations

import math

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


def compile_classifier(model, learning_rate=1e-3, decay_steps=None):
    """Compile for integer labels and logit outputs: Adam (cosine-decayed over ``decay_steps`` if given),
    sparse categorical cross-entropy ``from_logits=True``, accuracy.

    Example:
        >>> compile_classifier(model, learning_rate=3e-3, decay_steps=15 * 157)
    """
    import keras

    rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps) if decay_steps else learning_rate
    model.compile(optimizer=keras.optimizers.Adam(rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


# name -> (builder, epochs, batch size, peak learning rate): the kit's training recipe per lab.
RECIPES = {
    "softmax_regression": (softmax_regression, 15, 32, 3e-3),
}


def train_reference(name, images, labels, seed=0, verbose=0):
    """Train a reference model with the kit's recipe on uint8 images; returns the trained model.

    Example:
        >>> data = load_mnist()
        >>> model = train_reference("softmax_regression", data.x_train, data.y_train)
    """
    import keras

    from lab_utils.data import make_dataset

    if name not in RECIPES:
        raise ValueError(f"no reference model called {name!r}; choose one of {', '.join(RECIPES)}.")
    builder, epochs, batch_size, learning_rate = RECIPES[name]
    keras.utils.set_random_seed(seed)
    model = compile_classifier(builder(), learning_rate, decay_steps=epochs * math.ceil(len(images) / batch_size))
    model.fit(make_dataset(images, labels, batch_size=batch_size, seed=seed), epochs=epochs, verbose=verbose)
    return model


def accuracy(model, images, labels, batch_size=1000):
    """Fraction of ``images`` (uint8) that ``model`` classifies as ``labels``.

    Example:
        >>> accuracy(model, data.x_test, data.y_test)
        0.91
    """
    from lab_utils.data import make_dataset

    logits = model.predict(make_dataset(images, labels, batch_size=batch_size, shuffle=False, cache=False), verbose=0)
    return float(np.mean(np.argmax(logits, axis=1) == np.asarray(labels)))
