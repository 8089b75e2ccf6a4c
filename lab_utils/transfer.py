"""Transfer learning helpers: class splits, few-label subsets, transfer networks and runs, training with a
learning rate of its own for copied layers, comparisons that respect the seed-to-seed spread, and an ImageNet
backbone that is fetched only when it can be."""

from __future__ import annotations

import itertools
import math

import numpy as np

# LeNet's layers that carry weights, from the bottom up, below the classification head (see models.lenet).
TRANSFER_LAYERS = ("C1", "C3", "C5", "F6")


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


def transfer_run(build, base, n, fine_tune, train_data, test_data, seed=0, epochs=6, batch_size=64,
                 learning_rate=1e-3, fine_tune_factor=1.0, min_steps=0, shift=0, cosine=False):
    """One run of Lab 4's experiments; returns its test accuracy.

    Seeds everything with ``seed``, builds ``build(base, n, fine_tune)`` (the lab's exercise), trains it on
    ``train_data = (images, labels)`` with ``train`` (copied layers, when fine-tuned, at
    ``learning_rate * fine_tune_factor``), and scores it on ``test_data``.

    Example:
        >>> transfer_run(build_transfer, base_a, 2, True, (x_b, y_b), (x_b_test, y_b_test), seed=42)
        0.968
    """
    import keras

    from lab_utils.models import accuracy

    keras.utils.set_random_seed(seed)
    model = build(base, n, fine_tune)
    train(model, *train_data, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, seed=seed,
          min_steps=min_steps, copied_layers=TRANSFER_LAYERS[:n], copied_learning_rate=learning_rate * fine_tune_factor,
          shift=shift, cosine=cosine)
    return accuracy(model, *test_data)


def compare(runs, reference, min_spread=0.005, paired=False):
    """Compare accuracies over seeds (``runs``) with a reference (accuracies over seeds, or one number), with the
    seed-to-seed spread in mind.

    Returns ``(difference, spread, verdict)``: the difference of the means; the spread, at least ``min_spread``:
    the larger range (max - min) of the two sets of runs or, with ``paired=True`` (run i of both used the same
    seed and data, so that they pair up), the range of the per-seed differences; and ``"above"`` or ``"below"``
    when the difference is larger than the spread, ``"level"`` when it is not: a difference that seeds alone
    produce is no result.

    Example:
        >>> compare([0.97, 0.96], 0.95)[2], compare([0.97, 0.95], 0.955)[2]
        ('above', 'level')
        >>> compare([0.60, 0.70], [0.52, 0.61], paired=True)[2]  # each seed gains 8 or 9 points
        'above'
    """
    runs, reference = np.atleast_1d(runs).astype(float), np.atleast_1d(reference).astype(float)
    difference = float(runs.mean() - reference.mean())
    if paired:
        if runs.shape != reference.shape:
            raise ValueError(f"paired=True needs as many runs as reference runs, got {len(runs)} and {len(reference)}.")
        spread = float(max(np.ptp(runs - reference), min_spread))
    else:
        spread = float(max(np.ptp(runs), np.ptp(reference), min_spread))
    verdict = "level" if abs(difference) <= spread else ("above" if difference > 0 else "below")
    return difference, spread, verdict


def mean_range(runs):
    """Accuracies over seeds as text: their mean and, for several runs, their range.

    Example:
        >>> mean_range([0.964, 0.972]), mean_range([0.9])
        ('96.8% (96.4-97.2)', '90.0%')
    """
    runs = np.atleast_1d(runs).astype(float) * 100
    text = f"{runs.mean():.1f}%"
    return text + f" ({runs.min():.1f}-{runs.max():.1f})" if len(runs) > 1 else text


def train(model, images, labels, epochs=5, batch_size=64, learning_rate=1e-3, copied_layers=(),
          copied_learning_rate=None, seed=0, min_steps=0, shift=0, cosine=False):
    """Train ``model`` (logits out) on uint8 images with Adam; the layers named in ``copied_layers`` that are
    trainable learn at ``copied_learning_rate`` instead (fine-tuning: copied features move slowly), and layers
    with ``trainable = False`` do not move at all.

    ``min_steps`` raises the number of epochs for tiny datasets, so a run with 5 images still takes enough steps.
    ``shift`` moves the training images by up to that many pixels (augmentation, see ``make_dataset``).
    ``cosine=True`` lowers every learning rate along a cosine, from its value at the first step to 0 after the last.
    Returns the per-epoch mean losses.

    The labs train dozens of networks of one architecture, each for a few seconds; compiling a new TensorFlow
    graph for each would take as long as the training. So the graph is built once per architecture and
    pattern of frozen layers, on a private copy of the model: ``train`` loads ``model``'s weights into it,
    trains the copy and writes the weights back. Adam is written out in the graph (Keras's update rule and
    defaults), with one learning rate per variable, so that new runs only change numbers, not the graph.

    Example:
        >>> train(model, x_b, y_b, epochs=5, copied_layers=["C1", "C3"], copied_learning_rate=1e-4)
    """
    import keras

    from lab_utils.data import make_dataset

    keras.utils.set_random_seed(seed)
    trainer = _trainer_for(model)
    copied = {id(v) for name in copied_layers for v in model.get_layer(name).trainable_variables}
    rates = [copied_learning_rate if copied_learning_rate and id(v) in copied else learning_rate
             for v in model.trainable_variables]
    dataset = make_dataset(images, labels, batch_size=batch_size, seed=seed, shift=shift)
    steps_per_epoch = math.ceil(len(images) / batch_size)
    epochs = max(epochs, math.ceil(min_steps / steps_per_epoch))
    trainer.load(model, rates, decay_steps=epochs * steps_per_epoch if cosine else 0)
    # One iterator over all the epochs (the same batches as one per epoch): with 5 images an epoch is a single
    # step, and starting an iterator costs more than the step.
    batches = iter(dataset.repeat(epochs))
    losses = [float(np.mean([trainer.step(x, y) for x, y in itertools.islice(batches, steps_per_epoch)]))
              for _ in range(epochs)]
    trainer.store(model)
    return losses


# Compiled trainers, one per architecture and pattern of frozen variables (see train).
_TRAINERS = {}


def _architecture_key(model):
    import json

    def strip(config):  # the architecture without the trainable flags and the names Keras numbers afresh
        if isinstance(config, dict):
            return {k: strip(v) for k, v in config.items() if k not in ("trainable", "name")}
        if isinstance(config, list):
            return [strip(v) for v in config]
        return config

    trainable = {id(v) for v in model.trainable_variables}
    return (json.dumps(strip(model.get_config()), sort_keys=True, default=str),
            tuple((tuple(w.shape), id(w) in trainable) for w in model.weights))


def _trainer_for(model):
    key = _architecture_key(model)
    if key not in _TRAINERS:
        _TRAINERS[key] = _Trainer(model)
    return _TRAINERS[key]


class _Trainer:
    """A private copy of a model and one compiled training step for it: Adam with a learning rate per variable."""

    BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7  # Keras's Adam defaults

    def __init__(self, model):
        import keras
        import tensorflow as tf

        self.twin = keras.models.clone_model(model)
        trainable = {id(v) for v in model.trainable_variables}
        self.mask = [id(w) in trainable for w in model.weights]
        twin_trainable = {id(v) for v in self.twin.trainable_variables}
        self.variables = [w for w, t in zip(self.twin.weights, self.mask) if t]
        if not all(id(v) in twin_trainable for v in self.variables):  # clone_model kept the trainable flags
            raise RuntimeError("the copy of the model does not train the variables the model trains.")
        self.rates = [tf.Variable(0.0, trainable=False) for _ in self.variables]
        self.m = [tf.Variable(tf.zeros_like(v), trainable=False) for v in self.variables]
        self.v = [tf.Variable(tf.zeros_like(v), trainable=False) for v in self.variables]
        self.t = tf.Variable(0.0, trainable=False)
        self.decay_steps = tf.Variable(0.0, trainable=False)  # 0: constant learning rates
        self.loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        # One graph for every batch size (the last batch of an epoch is usually smaller).
        images = tf.TensorSpec([None, *model.input_shape[1:]], tf.float32)
        self.step = tf.function(self._step, input_signature=[images, tf.TensorSpec([None], tf.int32)])

    def load(self, model, rates, decay_steps=0):
        """Start a run: ``model``'s weights, one learning rate per trainable variable (lowered along a cosine over
        ``decay_steps`` steps, unless 0), Adam's state reset."""
        import tensorflow as tf

        for twin_w, w in zip(self.twin.weights, model.weights):
            twin_w.assign(w)
        for variable, rate in zip(self.rates, rates):
            variable.assign(rate)
        for slot in self.m + self.v:
            slot.assign(tf.zeros_like(slot))
        self.t.assign(0.0)
        self.decay_steps.assign(decay_steps)

    def store(self, model):
        """End a run: write the trained weights back into ``model``."""
        for twin_w, w in zip(self.twin.weights, model.weights):
            w.assign(twin_w)

    def _step(self, x, y):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = self.loss(y, self.twin(x, training=True))
        grads = tape.gradient(loss, self.variables)
        self.t.assign_add(1.0)
        correction = tf.sqrt(1 - self.BETA_2 ** self.t) / (1 - self.BETA_1 ** self.t)
        done = tf.minimum(self.t - 1, self.decay_steps) / tf.maximum(self.decay_steps, 1.0)
        correction *= tf.where(self.decay_steps > 0, 0.5 * (1 + tf.cos(np.pi * done)), 1.0)
        for var, g, m, v, rate in zip(self.variables, grads, self.m, self.v, self.rates):
            m.assign_add((g - m) * (1 - self.BETA_1))
            v.assign_add((tf.square(g) - v) * (1 - self.BETA_2))
            var.assign_sub(rate * correction * m / (tf.sqrt(v) + self.EPSILON))
        return loss


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

    from lab_utils.models import compile_classifier

    backbone.trainable = False
    inputs = keras.Input(shape=backbone.input_shape[1:])
    features = keras.layers.GlobalAveragePooling2D()(backbone(inputs, training=False))
    outputs = keras.layers.Dense(num_classes)(keras.layers.Dropout(0.2)(features))
    model = keras.Model(inputs, outputs)
    compile_classifier(model, 1e-3)
    model.fit(train, epochs=epochs, verbose=0)
    frozen = float(model.evaluate(validation, verbose=0)[1])
    backbone.trainable = True
    for layer in backbone.layers[:-fine_tune_layers]:
        layer.trainable = False
    compile_classifier(model, fine_tune_rate)
    model.fit(train, epochs=epochs, verbose=0)
    return frozen, float(model.evaluate(validation, verbose=0)[1])
