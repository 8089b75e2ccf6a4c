"""Transfer learning helpers: class splits, few-label subsets, training with a smaller learning rate for copied
layers, and an ImageNet backbone that is fetched only when it can be."""

from __future__ import annotations

import math

import numpy as np

# LeNet's layers that carry weights, from the bottom up, below the classification head (see models.lenet).
TRANSFER_LAYERS = ("C1", "C3", "F5", "F6")


def split_classes(images, labels, classes):
    """Keep the images of ``classes`` and renumber their labels 0, 1, ... in that order.

    Example:
        >>> x_b, y_b = split_classes(data.x_train, data.y_train, [5, 6, 7, 8, 9])
        >>> sorted(set(y_b))
        [0, 1, 2, 3, 4]
    """
    classes = list(classes)
    labels = np.asarray(labels)
    keep = np.isin(labels, classes)
    lookup = np.full(max(int(labels.max()), max(classes)) + 1, -1)
    lookup[classes] = np.arange(len(classes))
    return np.asarray(images)[keep], lookup[labels[keep]].astype(np.uint8)


def per_class_subset(labels, per_class, seed=0):
    """Indices of ``per_class`` examples of every class (all of them with ``per_class=None``), chosen by ``seed``.

    Example:
        >>> idx = per_class_subset(y_b, 10, seed=1)
        >>> np.bincount(y_b[idx]).tolist()
        [10, 10, 10, 10, 10]
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        if per_class is not None and per_class > len(members):
            raise ValueError(f"asked for {per_class} examples of class {c}, only {len(members)} exist.")
        chosen.append(rng.permutation(members)[:per_class])
    return rng.permutation(np.concatenate(chosen))


def train(model, images, labels, epochs=5, batch_size=64, learning_rate=1e-3, copied_layers=(),
          copied_learning_rate=None, seed=0, min_steps=0, shift=0):
    """Train ``model`` (logits out) on uint8 images with Adam; the layers named in ``copied_layers`` that are
    trainable learn at ``copied_learning_rate`` instead (fine-tuning: copied features move slowly).

    ``min_steps`` raises the number of epochs for tiny datasets, so a run with 5 images still takes enough steps.
    ``shift`` moves the training images by up to that many pixels (augmentation, see ``make_dataset``).
    Returns the per-epoch mean losses.

    Example:
        >>> train(model, x_b, y_b, epochs=5, copied_layers=["C1", "C3"], copied_learning_rate=1e-4)
    """
    import keras
    import tensorflow as tf

    from lab_utils.data import make_dataset

    keras.utils.set_random_seed(seed)
    slow_ids = {id(v) for name in copied_layers for v in model.get_layer(name).trainable_variables}
    slow = [v for v in model.trainable_variables if id(v) in slow_ids] if copied_learning_rate else []
    fast = [v for v in model.trainable_variables if id(v) not in {id(s) for s in slow}]
    optimizers = [(keras.optimizers.Adam(learning_rate), fast)]
    if slow:
        optimizers.append((keras.optimizers.Adam(copied_learning_rate), slow))
    for optimizer, variables in optimizers:
        optimizer.build(variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    variables = [v for _, vs in optimizers for v in vs]

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, variables)
        start = 0
        for optimizer, vs in optimizers:
            optimizer.apply_gradients(zip(grads[start:start + len(vs)], vs))
            start += len(vs)
        return loss

    dataset = make_dataset(images, labels, batch_size=batch_size, seed=seed, shift=shift)
    steps_per_epoch = math.ceil(len(images) / batch_size)
    epochs = max(epochs, math.ceil(min_steps / steps_per_epoch))
    return [float(np.mean([step(x, y) for x, y in dataset])) for _ in range(epochs)]


def imagenet_backbone(name="MobileNetV2", input_shape=(160, 160, 3)):
    """An ImageNet-pretrained Keras backbone without its classifier, or ``None`` (with a one-line reason) when
    the weights cannot be had: offline, or the download failed. Keras fetches and caches the weights itself.

    Example:
        >>> backbone = imagenet_backbone()
        ImageNet weights unavailable: offline (...); this section is skipped.
    """
    import keras

    from lab_utils.data import network_available

    if not network_available():
        print("ImageNet weights unavailable: offline (no answer within 3 s, or LAB_OFFLINE is set); "
              "this section is skipped. Run it online, on Colab for instance.")
        return None
    try:
        return getattr(keras.applications, name)(weights="imagenet", include_top=False, input_shape=input_shape)
    except Exception as error:  # a download that failed half-way, a proxy, a full disk: skip, never crash
        print(f"ImageNet weights unavailable: {type(error).__name__}: {str(error)[:200]}; this section is skipped.")
        return None


def fit_backbone(backbone, train, validation, num_classes, epochs=2, fine_tune_layers=20, fine_tune_rate=1e-5):
    """Feature extraction, then fine-tuning, of a pretrained ``backbone`` on a small image dataset.

    First the backbone is frozen and only a new head (pooling, dropout, ``num_classes`` logits) trains; then its
    top ``fine_tune_layers`` layers are unfrozen and everything trains on at a small learning rate. Batch
    normalisation stays in inference mode throughout. Returns ``(frozen_accuracy, fine_tuned_accuracy)``
    on ``validation``.

    Example:
        >>> fit_backbone(imagenet_backbone(), flowers_train, flowers_val, num_classes=5)
        (0.86, 0.89)
    """
    import keras

    backbone.trainable = False
    inputs = keras.Input(shape=backbone.input_shape[1:])
    features = keras.layers.GlobalAveragePooling2D()(backbone(inputs, training=False))
    outputs = keras.layers.Dense(num_classes)(keras.layers.Dropout(0.2)(features))
    model = keras.Model(inputs, outputs)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, metrics=["accuracy"])
    model.fit(train, epochs=epochs, verbose=0)
    frozen = float(model.evaluate(validation, verbose=0)[1])
    backbone.trainable = True
    for layer in backbone.layers[:-fine_tune_layers]:
        layer.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(fine_tune_rate), loss=loss, metrics=["accuracy"])
    model.fit(train, epochs=epochs, verbose=0)
    return frozen, float(model.evaluate(validation, verbose=0)[1])
