"""The pictures every lab draws: image grids, learning curves, confusion matrices, confident mistakes.

Each function returns the matplotlib Figure: a notebook shows it, a test inspects it.
"""

from __future__ import annotations

import numpy as np


def _plt():
    import matplotlib.pyplot as plt  # imported here so that `import lab_utils` stays cheap

    return plt


def _squeeze_images(images):
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim == 2 and images.shape[1] == 28 * 28:
        images = images.reshape(-1, 28, 28)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W), (N, H, W, 1) or (N, 784); got {images.shape}.")
    return images


def _name(label, class_names):
    return class_names[int(label)] if class_names is not None else str(int(label))


def show_images(images, labels=None, predictions=None, class_names=None, n=20, ncols=10, title=None):
    """A grid of the first ``n`` images with their labels; with ``predictions``, wrong ones are marked red.

    Example:
        >>> data = load_mnist()
        >>> fig = show_images(data.x_train, data.y_train, n=20)
    """
    plt = _plt()
    images = _squeeze_images(images)[:n]
    n = len(images)
    if n == 0:
        raise ValueError("show_images got no images to show.")
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.2 * ncols, 1.45 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap="gray_r")
        if labels is None:
            continue
        text = _name(labels[i], class_names)
        color = "black"
        if predictions is not None:
            wrong = int(predictions[i]) != int(labels[i])
            text = f"{text} → {_name(predictions[i], class_names)}" if wrong else text
            color = "red" if wrong else "black"
        ax.set_title(text, fontsize=9, color=color)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_history(history, metrics=("loss", "accuracy"), title=None):
    """Learning curves from a Keras ``History`` (or its ``.history`` dict): train and validation per metric.
    Given several runs (a dict of name -> history), one colour per run: training solid, validation dashed,
    and the loss on a log scale so that the runs can be told apart.

    Example:
        >>> history = model.fit(train, validation_data=test, epochs=5)
        >>> fig = plot_history(history)
        >>> fig = plot_history({"sgd": sgd_history, "adam": adam_history}, metrics=("loss",))
    """
    plt = _plt()
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError("plot_history needs a Keras History (what model.fit returns), its .history dict, "
                         "or a dict of run name -> history.")
    several = all(isinstance(getattr(v, "history", v), dict) for v in logs.values())
    runs = {name: getattr(h, "history", h) for name, h in logs.items()} if several else {"": logs}
    metrics = [m for m in metrics if any(m in run for run in runs.values())]
    if not metrics:
        raise ValueError(f"none of the metrics to plot are in the history; it has {sorted(next(iter(runs.values())))}.")
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 3.6), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        for i, (name, run) in enumerate(runs.items()):
            if metric not in run:
                continue
            epochs = np.arange(1, len(run[metric]) + 1)
            validated = f"val_{metric}" in run
            train_label = "train" if not several else f"{name} (train)" if validated else name
            ax.plot(epochs, run[metric], "-" if several else "o-", color=f"C{i}", label=train_label)
            if validated:
                ax.plot(epochs, run[f"val_{metric}"], "--" if several else "o-", color=f"C{i + (not several)}",
                        label=f"{name} (validation)" if several else "validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        if several and metric == "loss":
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8 if several else None)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_matrix(y_true, y_pred, num_classes=10):
    """Counts ``[true, predicted]`` of a classifier's answers.

    Example:
        >>> confusion_matrix([0, 1, 1], [0, 1, 0], num_classes=2)
        array([[1, 0],
               [1, 1]])
    """
    y_true, y_pred = np.asarray(y_true, int).ravel(), np.asarray(y_pred, int).ravel()
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred differ in length: {len(y_true)} vs {len(y_pred)}.")
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def plot_confusion_matrix(y_true, y_pred, class_names=None, num_classes=10, title="Confusion matrix"):
    """A confusion matrix with the counts written in each cell.

    Example:
        >>> predictions = model.predict(x_test).argmax(axis=1)
        >>> fig = plot_confusion_matrix(y_test, predictions)
    """
    plt = _plt()
    matrix = confusion_matrix(y_true, y_pred, num_classes)
    names = class_names if class_names is not None else [str(i) for i in range(num_classes)]
    fig, ax = plt.subplots(figsize=(6, 5.5))
    im = ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(num_classes), names, rotation=45 if max(map(len, names)) > 2 else 0)
    ax.set_yticks(range(num_classes), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = matrix.max() / 2
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            ax.text(j, i, count, ha="center", va="center", fontsize=8,
                    color="white" if count > threshold else "black")
    accuracy = np.trace(matrix) / max(1, matrix.sum())
    ax.set_title(f"{title} (accuracy {accuracy:.1%})")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def most_confident_mistakes(y_true, probabilities, n=10):
    """Indices of the ``n`` wrong predictions made with the highest probability, most confident first.

    Example:
        >>> most_confident_mistakes([0, 1], [[0.9, 0.1], [0.8, 0.2]], n=1)
        array([1])
    """
    y_true, probabilities = np.asarray(y_true, int), np.asarray(probabilities)
    if probabilities.ndim != 2 or len(probabilities) != len(y_true):
        raise ValueError(f"probabilities must have shape (N, classes) with N = {len(y_true)}, "
                         f"got {probabilities.shape}.")
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y_true)
    return wrong[np.argsort(-probabilities[wrong, predicted[wrong]], kind="stable")][:n]


def show_confident_mistakes(images, y_true, probabilities, class_names=None, n=10):
    """The ``n`` most confidently misclassified images, titled ``true → predicted (probability)``.

    ``probabilities`` are the model's softmax outputs, shape ``(N, classes)``.

    Example:
        >>> probabilities = keras.activations.softmax(model.predict(x_test))
        >>> fig = show_confident_mistakes(x_test, y_test, probabilities)
    """
    plt = _plt()
    probabilities = np.asarray(probabilities)
    worst = most_confident_mistakes(y_true, probabilities, n)
    if len(worst) == 0:
        fig, ax = plt.subplots(figsize=(4, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "No mistakes: every prediction is right.", ha="center", va="center")
        return fig
    images = _squeeze_images(images)
    fig, axes = plt.subplots(1, len(worst), figsize=(1.5 * len(worst), 1.9), squeeze=False)
    for ax, i in zip(axes.flat, worst):
        p = probabilities[i]
        ax.imshow(images[i], cmap="gray_r")
        ax.set_title(f"{_name(y_true[i], class_names)} → {_name(p.argmax(), class_names)}\n({p.max():.0%})",
                     fontsize=8, color="red")
        ax.axis("off")
    fig.suptitle("Most confident mistakes (true → predicted)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_decision_boundary(predict, X, y, title=None, resolution=200, ax=None):
    """Shade the plane by a 2-D classifier's probability of class 1 and draw its 50% line over the points.

    ``predict`` maps float32 points of shape (n, 2) to probabilities of class 1, shape (n,) or (n, 1).

    Example:
        >>> X, y = toy.two_blobs()
        >>> fig = plot_decision_boundary(lambda P: model.predict(P, verbose=0), X, y)
    """
    plt = _plt()
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary draws 2-D points; X has shape {X.shape}.")
    pad = 0.25 * (X.max(axis=0) - X.min(axis=0))
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)
    p = np.asarray(predict(grid), dtype=float).reshape(xx.shape)
    fig = ax.figure if ax is not None else plt.subplots(figsize=(4.5, 4))[0]
    ax = ax if ax is not None else fig.axes[0]
    ax.contourf(xx, yy, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    if p.min() < 0.5 < p.max():
        ax.contour(xx, yy, p, levels=[0.5], colors="black", linewidths=1.5)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolors="white", linewidths=0.5, s=18)
    accuracy = np.mean((np.asarray(predict(X.astype(np.float32)), float).reshape(-1) > 0.5) == y)
    ax.set_title(f"{title + ': ' if title else ''}accuracy {accuracy:.0%}", fontsize=10)
    ax.set_aspect("equal")
    return fig


def show_templates(weights, class_names=None, title="What each class's weights look for"):
    """Show the weights of a linear classifier as one 28x28 image per class (red: ink counts for the class).

    ``weights`` has shape (784, classes), as in ``Dense(10)`` on flattened MNIST.

    Example:
        >>> fig = show_templates(model.layers[-1].kernel.numpy())
    """
    plt = _plt()
    weights = np.asarray(weights)
    if weights.ndim != 2 or weights.shape[0] != 28 * 28:
        raise ValueError(f"weights must have shape (784, classes), got {weights.shape}.")
    classes = weights.shape[1]
    fig, axes = plt.subplots(1, classes, figsize=(1.3 * classes, 1.7), squeeze=False)
    for c, ax in enumerate(axes.flat):
        w = weights[:, c].reshape(28, 28)
        limit = np.abs(w).max() or 1.0
        ax.imshow(w, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(_name(c, class_names), fontsize=9)
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def draw_unit_lines(ax, kernel, bias, color="0.3"):
    """Draw each hidden unit's line ``w · x + b = 0`` on a 2-D plot: where that unit switches on.

    ``kernel`` has shape (2, units) and ``bias`` (units,), as in the first ``Dense`` layer on 2-D points.

    Example:
        >>> fig = plot_decision_boundary(predict, X, y)
        >>> draw_unit_lines(fig.axes[0], *model.layers[0].get_weights())
    """
    kernel, bias = np.asarray(kernel), np.asarray(bias)
    if kernel.ndim != 2 or kernel.shape[0] != 2 or bias.shape != (kernel.shape[1],):
        raise ValueError(f"expected a kernel of shape (2, units) and a bias of shape (units,), "
                         f"got {kernel.shape} and {bias.shape}.")
    x_lo, x_hi = ax.get_xlim()
    y_lo, y_hi = ax.get_ylim()
    xs = np.linspace(x_lo, x_hi, 2)
    for (w1, w2), b in zip(kernel.T, bias):
        if abs(w2) > 1e-9:
            ax.plot(xs, -(w1 * xs + b) / w2, "--", color=color, linewidth=1)
        elif abs(w1) > 1e-9:
            ax.axvline(-b / w1, linestyle="--", color=color, linewidth=1)
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    return ax
