"""lab_utils.models and lab_utils.experiments: the reference models, the layer table, side-by-side runs."""

import keras
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from lab_utils import models  # noqa: E402
from lab_utils.experiments import activation_spread, compare, plot_runs  # noqa: E402


def test_mlp_has_the_parameter_count_the_lab_derives():
    assert models.mlp().count_params() == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10


def test_mlp_augmentation_moves_images_in_training_only():
    model = keras.Sequential([keras.Input((28, 28, 1)), models.augmentation(shift=0.2)])
    x = np.zeros((2, 28, 28, 1), np.float32)
    x[:, 10:18, 10:18] = 1
    assert np.array_equal(np.asarray(model(x, training=False)), x)
    keras.utils.set_random_seed(0)
    assert not np.array_equal(np.asarray(model(x, training=True)), x)


def test_layer_table_gives_shapes_parameters_and_receptive_fields():
    model = keras.Sequential([keras.Input((28, 28, 1)),
                              keras.layers.Conv2D(4, 3), keras.layers.Conv2D(4, 3),
                              keras.layers.MaxPooling2D(2), keras.layers.Conv2D(4, 3),
                              keras.layers.Flatten(), keras.layers.Dense(10)])
    rows = models.layer_table(model)
    assert [r[0] for r in rows] == ["Conv2D", "Conv2D", "MaxPooling2D", "Conv2D", "Flatten", "Dense"]
    assert [r[1] for r in rows][:4] == [(None, 26, 26, 4), (None, 24, 24, 4), (None, 12, 12, 4), (None, 10, 10, 4)]
    assert [r[2] for r in rows] == [40, 148, 0, 148, 0, 4010]
    # 3x3 -> 5x5 -> pooling adds 1 at jump 1 (6x6), then jump 2: a 3x3 conv adds 2*2 -> 10x10
    assert [r[3] for r in rows] == [3, 5, 6, 10, None, None]


def test_describe_prints_the_same_table_every_time(capsys):
    models.describe(models.mlp())
    first = capsys.readouterr().out
    models.describe(models.mlp())
    assert capsys.readouterr().out == first
    assert "total" in first and "235,146" in first and "sequential" not in first


def test_train_reference_refuses_an_unknown_model():
    with pytest.raises(ValueError, match="no reference model called 'resnet'"):
        models.train_reference("resnet", np.zeros((2, 28, 28), np.uint8), np.zeros(2))


def test_compare_trains_each_run_from_the_same_seed_and_draws_a_curve_per_run():
    x = np.random.default_rng(0).integers(0, 256, (64, 28, 28), dtype=np.uint8)
    train = (x, np.arange(64) % 10)
    runs = {"a": lambda: models.compile_classifier(models.softmax_regression()),
            "a again": lambda: models.compile_classifier(models.softmax_regression())}
    histories, fig = compare(runs, train, epochs=2, batch_size=32)
    assert histories["a"]["loss"] == pytest.approx(histories["a again"]["loss"])
    assert [line.get_label() for line in fig.axes[0].lines] == ["a", "a again"]


def test_plot_runs_draws_validation_dashed():
    fig = plot_runs({"x": {"loss": [1, 0.5], "val_loss": [1.2, 0.9]}})
    assert [line.get_linestyle() for line in fig.axes[0].lines] == ["-", "--"]


def test_activation_spread_shrinks_with_tiny_weights_and_holds_with_glorot():
    images = np.random.default_rng(1).uniform(0, 1, (64, 28, 28, 1)).astype(np.float32)
    tiny = keras.initializers.RandomNormal(stddev=0.01, seed=0)
    shrinking = activation_spread(models.mlp(hidden=[256] * 4, activation="tanh", kernel_initializer=tiny), images)
    steady = activation_spread(models.mlp(hidden=[256] * 4, activation="tanh",
                                          kernel_initializer=keras.initializers.GlorotUniform(seed=0)), images)
    assert shrinking[3] < shrinking[0] / 100
    assert steady[3] > steady[0] / 3
