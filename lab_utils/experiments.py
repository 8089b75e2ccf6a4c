"""Short training runs side by side, so that a notebook cell states a comparison instead of a training loop."""

from __future__ import annotations

import numpy as np


def compare(runs, train, validation=None, epochs=5, batch_size=64, seed=0, metrics=("loss",), callbacks=None,
            title=None):
    """Train one model per entry of ``runs`` (name -> function returning a *compiled* model) on the same images,
    in the same order, from the same seed, and draw one curve per run. Returns ``(histories, figure)``.

    ``train`` and ``validation`` are ``(images, labels)`` pairs of uint8 images; each run gets a fresh pipeline
    from ``make_dataset`` with ``seed``, so every run sees the same batches. ``callbacks`` maps a run's name to
    its Keras callbacks (early stopping, say).

    Example:
        >>> runs = {a: lambda a=a: compile_classifier(mlp(activation=a)) for a in ("sigmoid", "tanh", "relu")}
        >>> histories, fig = compare(runs, (data.x_train[:2000], data.y_train[:2000]), epochs=5)
    """
    import keras

    from lab_utils.data import make_dataset
    from lab_utils.plot import plot_history

    histories = {}
    for name, build in runs.items():
        keras.utils.set_random_seed(seed)
        model = build()
        train_ds = make_dataset(*train, batch_size=batch_size, seed=seed)
        val_ds = make_dataset(*validation, batch_size=1000, shuffle=False) if validation is not None else None
        history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=0,
                            callbacks=(callbacks or {}).get(name, []))
        histories[name] = history.history
    return histories, plot_history(histories, metrics, title)


def activation_spread(model, images):
    """Standard deviation of each Dense layer's output for a batch of ``images``: how signals grow or
    vanish with depth (the picture behind initialisation schemes).

    Example:
        >>> activation_spread(mlp(hidden=[256] * 6, activation="tanh"), x_batch)
        [0.63, 0.49, ...]
    """
    import keras

    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    probe = keras.Model(model.inputs[0], [layer.output for layer in dense])
    return [float(np.std(out)) for out in probe(images, training=False)]
