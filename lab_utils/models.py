"""The labs' reference models and the way the kit trains them.

The notebooks build these models themselves (that is the exercise); the benchmark and the accuracy
tests use the builders here, so that a number in README comes from the same recipe a test checks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np


def softmax_regression(num_classes=10, input_shape=(28, 28, 1)):
    """Softmax regression: flatten the image, one Dense layer of ``num_classes`` logits (7,850 parameters).

    Example:
        >>> model = softmax_regression()
        >>> model.count_params()
        7850
    """
    import keras

    layers = [keras.Input(shape=input_shape), keras.layers.Flatten(), keras.layers.Dense(num_classes, name="logits")]
    return keras.Sequential(layers, name="softmax_regression")


def mlp(hidden=(256, 128), activation="relu", dropout=0.0, kernel_initializer="glorot_uniform", l2=0.0,
        num_classes=10, input_shape=(28, 28, 1)):
    """A multilayer perceptron: flatten, Dense hidden layers (each followed by dropout if asked), 10 logits.

    ``l2`` adds ``l2 * sum(w ** 2)`` of every kernel to the loss (L2 regularisation; under Adam this is not the
    same as decoupled weight decay, which ``keras.optimizers.AdamW(weight_decay=...)`` applies).

    With the defaults it has 235,146 parameters.

    Example:
        >>> mlp(activation="tanh", dropout=0.2).count_params()
        235146
    """
    import keras

    regularizer = keras.regularizers.l2(l2) if l2 else None
    layers = [keras.Input(shape=input_shape)]
    layers.append(keras.layers.Flatten())
    for units in hidden:
        layers.append(keras.layers.Dense(units, activation=activation, kernel_initializer=kernel_initializer,
                                         kernel_regularizer=regularizer))
        if dropout:
            layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(num_classes, kernel_initializer=kernel_initializer, name="logits"))
    return keras.Sequential(layers, name="mlp")


def lenet(activation="relu", pooling="max", num_classes=10, input_shape=(28, 28, 1)):
    """LeNet-5 with LeCun's layer names: C1 (6 filters 5x5, padded), S2 (pooling), C3 (16 filters 5x5), S4,
    C5 (120 filters 5x5 over S4's 5x5 maps, so each sees the whole map), F6 (84), and 10 logits: 61,706 parameters.

    The modern form (the defaults) uses ReLU and max pooling; ``lenet("tanh", "average")`` is the 1998 form of
    LeCun et al. (whose C3 connected only some maps, hence their 60,000 parameters). On a 5x5 input a 5x5
    convolution is a dense layer: C5 has as many weights as ``Dense(120)`` would.

    Example:
        >>> lenet().count_params()
        61706
        >>> lenet("tanh", "average").name
        'lenet5_1998'
    """
    import keras

    pools = {"max": keras.layers.MaxPooling2D, "average": keras.layers.AveragePooling2D}
    if pooling not in pools:
        raise ValueError(f"pooling={pooling!r}: choose 'max' or 'average'.")
    pool = pools[pooling]
    act = activation
    name = {("relu", "max"): "lenet5_modern", ("tanh", "average"): "lenet5_1998"}.get(
        (activation, pooling), f"lenet5_{activation}_{pooling}")
    # LeCun's table, one (name, layer) per row; C1 pads the 28x28 digit to the paper's 32x32.
    table = [("C1", lambda n: keras.layers.Conv2D(6, 5, padding="same", activation=act, name=n)),
             ("S2", lambda n: pool(2, name=n)),
             ("C3", lambda n: keras.layers.Conv2D(16, 5, activation=act, name=n)),
             ("S4", lambda n: pool(2, name=n)),
             ("C5", lambda n: keras.layers.Conv2D(120, 5, activation=act, name=n)),
             ("flatten", lambda n: keras.layers.Flatten(name=n)),
             ("F6", lambda n: keras.layers.Dense(84, activation=act, name=n)),
             ("logits", lambda n: keras.layers.Dense(num_classes, name=n))]
    layers = [keras.Input(shape=input_shape)] + [make(n) for n, make in table]
    return keras.Sequential(layers, name=name)


def compile_classifier(model, learning_rate=1e-3, decay_steps=None, optimizer=None, label_smoothing=0.0,
                       one_hot=False):
    """Compile for integer labels and logit outputs: Adam (cosine-decayed over ``decay_steps`` if given)
    unless another ``optimizer`` is given, sparse categorical cross-entropy ``from_logits=True``, accuracy.

    ``label_smoothing=0.1`` trains towards 0.91 for the right class and 0.01 for each other one instead of 1 and 0
    (Szegedy et al. 2016): the labels must then be one-hot, ``make_dataset(..., one_hot=10)``. ``one_hot=True``
    takes one-hot labels without smoothing.

    Example:
        >>> compile_classifier(model, learning_rate=3e-3, decay_steps=15 * 157)
        >>> compile_classifier(model, optimizer=keras.optimizers.SGD(0.1, momentum=0.9))
    """
    import keras

    rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps) if decay_steps else learning_rate
    if label_smoothing or one_hot:
        loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=label_smoothing)
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=optimizer or keras.optimizers.Adam(rate), loss=loss, metrics=["accuracy"])
    return model


class Recipe(NamedTuple):
    """How the kit trains one reference model: Adam with a cosine-decayed learning rate from ``learning_rate``
    over ``epochs`` epochs of ``batch_size`` images, each shifted by up to ``shift`` pixels (0: no augmentation),
    turned by up to ``rotation`` degrees and scaled by up to ``zoom`` (a fraction) either way, its strokes made
    heavier by up to ``thicken`` pixels (0: none), with ``label_smoothing`` (0: none)."""

    build: Callable
    epochs: int
    batch_size: int
    learning_rate: float
    shift: int = 0
    label_smoothing: float = 0.0
    rotation: float = 0
    zoom: float = 0.0
    thicken: int = 0


# The kit's training recipe per lab. Large batches with a higher learning rate and augmentation in the input
# pipeline (make_dataset(shift=...)) reach each target in a fraction of the time of the quickstart's defaults
# on a CPU; benchmarks/performance.py measures both ways.
RECIPES = {
    "softmax_regression": Recipe(softmax_regression, epochs=15, batch_size=256, learning_rate=1e-2),
    "mlp": Recipe(lambda: mlp(dropout=0.2), epochs=20, batch_size=256, learning_rate=3e-3, shift=2),
    "lenet": Recipe(lenet, epochs=12, batch_size=256, learning_rate=8e-3, shift=2, rotation=10, zoom=0.1, thicken=2),
    "small_resnet": Recipe(lambda: small_resnet(), epochs=12, batch_size=128, learning_rate=1e-2, shift=2,
                           label_smoothing=0.1),
}

# What each reference model must score on the official MNIST test set when trained on the 5,000-digit
# sample (the labs' targets); benchmarks/accuracy.py reports against them and tests/test_accuracy.py checks them.
ACCURACY_TARGETS = {"softmax_regression": 0.90, "mlp": 0.95, "lenet": 0.975, "small_resnet": 0.983}


def train_reference(name, images, labels, seed=0, verbose=0, callbacks=None, shift=None, epochs=None,
                    rotation=None, zoom=None, thicken=None):
    """Train a reference model with the kit's recipe (``RECIPES[name]``) on uint8 images; returns the model.
    ``shift``, ``rotation``, ``zoom``, ``thicken`` and ``epochs`` override the recipe's augmentation (0: none)
    and length.

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
    epochs = epochs or recipe.epochs
    steps = epochs * math.ceil(len(images) / recipe.batch_size)
    model = compile_classifier(recipe.build(), recipe.learning_rate, decay_steps=steps,
                               label_smoothing=recipe.label_smoothing)
    train = make_dataset(images, labels, batch_size=recipe.batch_size, seed=seed,
                         shift=recipe.shift if shift is None else shift,
                         rotation=recipe.rotation if rotation is None else rotation,
                         zoom=recipe.zoom if zoom is None else zoom,
                         thicken=recipe.thicken if thicken is None else thicken,
                         one_hot=model.output_shape[-1] if recipe.label_smoothing else None)
    model.fit(train, epochs=epochs, verbose=verbose, callbacks=callbacks or [])
    return model


def accuracy(model, images, labels, batch_size=1000):
    """Fraction of ``images`` (uint8) that ``model`` classifies as ``labels`` (flattened for a model of flat inputs).

    Example:
        >>> accuracy(model, data.x_test, data.y_test)
        0.91
    """
    from lab_utils.data import make_dataset

    # Calling the model directly (not model.predict) avoids building a predict function per model, which
    # TensorFlow warns about when a notebook scores many models in a loop. A model that takes flat vectors
    # (Lab 1's softmax regression on 784 pixels) gets the images flattened.
    flat = len(model.inputs[0].shape) == 2
    dataset = make_dataset(images, labels, batch_size=batch_size, shuffle=False, cache=False, flatten=flat)
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


# --------------------------------------------------------------------------- Lab 5: the ideas of modern CNNs
# Reference builders, each a few lines of the functional API, at MNIST scale. The lab asks students to write
# vgg_block, inception_block and residual_block themselves; the tests and benchmarks use these.

# Batch normalisation's moving averages follow each batch's statistics at this rate. Keras's default, 0.99, needs
# about a thousand steps to forget its starting point: after a few hundred (a short run on 4,000 digits), inference
# uses statistics that are still mostly the initial ones, and accuracy collapses (Lab 5 shows it). 0.9 forgets
# within tens of steps.
BN_MOMENTUM = 0.9

def vgg_block(convs, filters):
    """VGG's block (Simonyan and Zisserman 2014): ``convs`` 3x3 convolutions with ReLU, padded, then 2x2 max pooling.

    Example:
        >>> block = vgg_block(2, 64)
        >>> block(keras.ops.zeros((1, 28, 28, 32))).shape
        (1, 14, 14, 64)
    """
    import keras

    block = keras.Sequential(name=f"vgg_block_{keras.backend.get_uid('vgg')}")
    for _ in range(convs):
        block.add(keras.layers.Conv2D(filters, kernel_size=3, padding="same", activation="relu"))
    block.add(keras.layers.MaxPooling2D(pool_size=2))
    return block


def inception_block(x, c1, c3, c5, pool_proj, c3_reduce=None, c5_reduce=None):
    """GoogLeNet's Inception block (Szegedy et al. 2014) on the tensor ``x``: four branches side by side, a 1x1
    convolution; 1x1 then 3x3; 1x1 then 5x5; 3x3 max pooling then 1x1; concatenated along the channels
    (``c1 + c3 + c5 + pool_proj`` of them). The 1x1 reductions default to half the branch's width.

    Example:
        >>> x = keras.Input((14, 14, 32))
        >>> inception_block(x, 16, 32, 8, 8).shape
        (None, 14, 14, 64)
    """
    import keras

    def relu_conv(width, kernel):  # a convolution that keeps the side
        return keras.layers.Conv2D(width, kernel_size=kernel, padding="same", activation="relu")

    pooled = keras.layers.MaxPooling2D(pool_size=3, strides=1, padding="same")(x)
    outputs = [relu_conv(c1, 1)(x),
               relu_conv(c3, 3)(relu_conv(c3_reduce or max(c3 // 2, 1), 1)(x)),
               relu_conv(c5, 5)(relu_conv(c5_reduce or max(c5 // 2, 1), 1)(x)),
               relu_conv(pool_proj, 1)(pooled)]
    return keras.layers.Concatenate(name=f"kit_inception_{keras.backend.get_uid('kit_inception')}")(outputs)


def residual_block(x, filters, strides=1, batch_norm=True, shortcut=True):
    """ResNet's basic block (He et al. 2015) on the tensor ``x``: two 3x3 convolutions (each followed by batch
    normalisation), added to the block's input, then ReLU. Where the shape changes (``strides`` > 1 or another
    number of channels), the shortcut is a 1x1 convolution with those strides (a projection).
    ``shortcut=False`` gives the same block without the addition: a plain network's two layers.

    Example:
        >>> x = keras.Input((14, 14, 16))
        >>> residual_block(x, 32, strides=2).shape
        (None, 7, 7, 32)
    """
    import keras

    def norm(t):
        return keras.layers.BatchNormalization(momentum=BN_MOMENTUM)(t) if batch_norm else t

    y = norm(keras.layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=not batch_norm)(x))
    y = keras.layers.ReLU()(y)
    y = norm(keras.layers.Conv2D(filters, 3, padding="same", use_bias=not batch_norm)(y))
    if shortcut:
        if (strides, x.shape[-1]) != (1, filters):  # the shape changes: project the input
            x = norm(keras.layers.Conv2D(filters, 1, strides=strides, use_bias=not batch_norm)(x))
        y = keras.layers.Add(name=f"kit_residual_{keras.backend.get_uid('kit_residual')}")([y, x])
    return keras.layers.ReLU()(y)


def small_resnet(widths=(16, 32, 64), blocks=1, num_classes=10, input_shape=(28, 28, 1), name="small_resnet"):
    """A small residual network for 28x28 digits: a 3x3 convolution with batch normalisation, 2x2 max pooling,
    then for each width ``blocks`` residual blocks (the first of each later stage halves the map), global
    average pooling (Lin et al. 2013) and the logits.

    Example:
        >>> small_resnet().count_params() < 100_000
        True
    """
    import keras

    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Conv2D(widths[0], 3, padding="same", use_bias=False)(inputs)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
    x = keras.layers.MaxPooling2D(2)(x)
    for stage, width in enumerate(widths):
        for b in range(blocks):
            x = residual_block(x, width, strides=2 if stage > 0 and b == 0 else 1)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes, name="logits")(x), name=name)


def deep_net(depth=20, width=16, residual=True, batch_norm=True, activation="relu", num_classes=10,
             input_shape=(28, 28, 1), bn_momentum=None):
    """A network of ``depth`` weight layers for the degradation and vanishing-gradient experiments: a 3x3
    convolution, 4x4 max pooling (7x7 maps keep it cheap), ``(depth - 2) // 2`` blocks of two 3x3 convolutions of
    ``width`` channels (with a shortcut around each block if ``residual``), global average pooling and the logits.
    ``activation`` applies where ``residual_block`` would put ReLU (e.g. "sigmoid" for the vanishing gradients).
    ``bn_momentum`` overrides ``BN_MOMENTUM`` (Keras's own default is 0.99).

    Example:
        >>> len([l for l in deep_net(20).layers if l.weights and "conv" in l.name]) + 1
        20
    """
    import keras

    if depth < 4 or depth % 2:
        raise ValueError(f"depth={depth}: use an even number of weight layers, at least 4.")
    def nonlinear(t):
        return keras.layers.Activation(activation)(t)

    inputs = keras.Input(shape=input_shape)
    x = nonlinear(keras.layers.Conv2D(width, 3, padding="same")(inputs))
    x = keras.layers.MaxPooling2D(4)(x)
    for _ in range((depth - 2) // 2):
        y = keras.layers.Conv2D(width, 3, padding="same", use_bias=not batch_norm)(x)
        y = nonlinear(keras.layers.BatchNormalization(momentum=bn_momentum or BN_MOMENTUM)(y) if batch_norm else y)
        y = keras.layers.Conv2D(width, 3, padding="same", use_bias=not batch_norm)(y)
        y = keras.layers.BatchNormalization(momentum=bn_momentum or BN_MOMENTUM)(y) if batch_norm else y
        x = nonlinear(keras.layers.Add()([y, x]) if residual else y)
    x = keras.layers.GlobalAveragePooling2D()(x)
    name = f"{'resnet' if residual else 'plain'}{depth}{'_bn' if batch_norm else ''}_{activation}"
    return keras.Model(inputs, keras.layers.Dense(num_classes, name="logits")(x), name=name)


def dense_block(x, layers=3, growth=12):
    """DenseNet's block (Huang et al. 2016): ``layers`` times, batch normalisation, ReLU and a 3x3 convolution of
    ``growth`` channels, whose output is concatenated to everything before it (so the block ends with the input's
    channels + ``layers * growth``).

    Example:
        >>> dense_block(keras.Input((7, 7, 16)), layers=3, growth=12).shape
        (None, 7, 7, 52)
    """
    import keras

    for _ in range(layers):
        y = keras.layers.ReLU()(keras.layers.BatchNormalization(momentum=BN_MOMENTUM)(x))
        y = keras.layers.Conv2D(growth, 3, padding="same")(y)
        x = keras.layers.Concatenate()([x, y])
    return x


def se_block(x, ratio=4):
    """Squeeze-and-excitation (Hu et al. 2017): global average pooling squeezes each channel to one number, two
    dense layers (the first ``ratio`` times narrower) turn those into one weight in (0, 1) per channel, and the
    channels of ``x`` are scaled by them.

    Example:
        >>> se_block(keras.Input((7, 7, 64))).shape
        (None, 7, 7, 64)
    """
    import keras

    channels = x.shape[-1]
    w = keras.layers.GlobalAveragePooling2D()(x)
    w = keras.layers.Dense(max(channels // ratio, 1), activation="relu")(w)
    w = keras.layers.Dense(channels, activation="sigmoid")(w)
    return keras.layers.Multiply()([x, keras.layers.Reshape((1, 1, channels))(w)])
