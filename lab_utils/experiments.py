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

    histories = {}
    for name, build in runs.items():
        keras.utils.set_random_seed(seed)
        model = build()
        train_ds = make_dataset(*train, batch_size=batch_size, seed=seed)
        val_ds = make_dataset(*validation, batch_size=1000, shuffle=False) if validation is not None else None
        history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=0,
                            callbacks=(callbacks or {}).get(name, []))
        histories[name] = history.history
    return histories, plot_runs(histories, metrics, title)


def plot_runs(histories, metrics=("loss",), title=None):
    """One panel per metric, one colour per run: training solid, validation dashed.

    Example:
        >>> fig = plot_runs({"adam": history.history}, metrics=("loss", "accuracy"))
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 3.6), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        for i, (name, logs) in enumerate(histories.items()):
            color = f"C{i}"
            epochs = np.arange(1, len(logs[metric]) + 1)
            ax.plot(epochs, logs[metric], "-", color=color, label=f"{name} (train)" if f"val_{metric}" in logs else name)
            if f"val_{metric}" in logs:
                ax.plot(epochs, logs[f"val_{metric}"], "--", color=color, label=f"{name} (validation)")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        if metric == "loss":
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


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
