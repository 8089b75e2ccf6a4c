"""lab_utils.models and lab_utils.experiments: the reference models, the layer table, side-by-side runs."""

import keras
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from lab_utils import models  # noqa: E402
from lab_utils.experiments import activation_spread, compare  # noqa: E402


def test_mlp_has_the_parameter_count_the_lab_derives():
    assert models.mlp().count_params() == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10


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


def test_activation_spread_shrinks_with_tiny_weights_and_holds_with_glorot():
    images = np.random.default_rng(1).uniform(0, 1, (64, 28, 28, 1)).astype(np.float32)
    tiny = keras.initializers.RandomNormal(stddev=0.01, seed=0)
    shrinking = activation_spread(models.mlp(hidden=[256] * 4, activation="tanh", kernel_initializer=tiny), images)
    steady = activation_spread(models.mlp(hidden=[256] * 4, activation="tanh",
                                          kernel_initializer=keras.initializers.GlorotUniform(seed=0)), images)
    assert shrinking[3] < shrinking[0] / 100
    assert steady[3] > steady[0] / 3


def test_lenet_c5_is_a_convolution_with_the_weights_of_a_dense_layer_on_a_5x5_map():
    c5 = models.lenet().get_layer("C5")
    assert isinstance(c5, keras.layers.Conv2D) and c5.kernel_size == (5, 5)
    assert tuple(c5.output.shape) == (None, 1, 1, 120)
    assert c5.count_params() == 120 * (5 * 5 * 16 + 1) == 48_120
    assert models.lenet().count_params() == 61_706


def test_lenet_forms_differ_only_in_activation_and_pooling():
    old = models.lenet("tanh", "average")
    assert old.name == "lenet5_1998" and old.count_params() == 61_706
    assert isinstance(old.get_layer("S2"), keras.layers.AveragePooling2D)
    with pytest.raises(ValueError, match="pooling='min'"):
        models.lenet(pooling="min")


def test_vgg_block_halves_the_map_and_has_9_c_squared_weights_per_convolution():
    block = models.vgg_block(3, 8)
    assert tuple(block(np.zeros((1, 28, 28, 8), np.float32)).shape) == (1, 14, 14, 8)
    assert block.count_params() == 3 * (9 * 8 * 8 + 8)


def test_inception_block_concatenates_its_four_branches():
    x = keras.Input((14, 14, 32))
    assert tuple(models.inception_block(x, 16, 32, 8, 8).shape) == (None, 14, 14, 64)


def test_residual_block_projects_the_shortcut_only_when_the_shape_changes():
    same = keras.Model(inp := keras.Input((7, 7, 16)), models.residual_block(inp, 16))
    assert not [l for l in same.layers if isinstance(l, keras.layers.Conv2D) and l.kernel_size == (1, 1)]
    down = keras.Model(inp := keras.Input((14, 14, 16)), models.residual_block(inp, 32, strides=2))
    assert tuple(down.output.shape) == (None, 7, 7, 32)
    assert [l.kernel_size for l in down.layers if isinstance(l, keras.layers.Conv2D)].count((1, 1)) == 1


def test_a_residual_block_with_zero_weights_passes_its_input_through():
    inp = keras.Input((7, 7, 4))
    block = keras.Model(inp, models.residual_block(inp, 4, batch_norm=False))
    block.set_weights([np.zeros_like(w) for w in block.get_weights()])
    x = np.random.default_rng(0).uniform(0, 1, (2, 7, 7, 4)).astype(np.float32)
    assert np.allclose(block(x), x)


def test_deep_net_counts_its_weight_layers_and_plain_differs_from_residual_only_by_the_shortcuts():
    for depth in (8, 20):
        net = models.deep_net(depth, residual=False)
        assert len([l for l in net.layers if isinstance(l, (keras.layers.Conv2D, keras.layers.Dense))]) == depth
        assert net.count_params() == models.deep_net(depth, residual=True).count_params()
    with pytest.raises(ValueError, match="even number"):
        models.deep_net(7)


def test_dense_block_grows_by_its_growth_rate_and_se_block_keeps_the_shape():
    assert tuple(models.dense_block(keras.Input((7, 7, 16)), layers=3, growth=12).shape) == (None, 7, 7, 52)
    assert tuple(models.se_block(keras.Input((7, 7, 64)), ratio=4).shape) == (None, 7, 7, 64)


def test_label_smoothing_trains_on_one_hot_labels_towards_softened_targets():
    model = models.compile_classifier(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)]),
                                      label_smoothing=0.3)
    logits, one_hot = np.array([[2.0, 0.0, 0.0]], np.float32), np.array([[1.0, 0.0, 0.0]], np.float32)
    log_softmax = logits - np.log(np.sum(np.exp(logits)))
    # 0.3 of the label spread over the 3 classes: the target is (0.8, 0.1, 0.1), not (1, 0, 0)
    expected = -np.sum(np.array([0.8, 0.1, 0.1]) * log_softmax)
    assert float(model.loss(one_hot, logits)) == pytest.approx(expected, rel=1e-5)


def test_small_resnet_has_the_78426_parameters_lab_5_and_the_readme_report():
    def conv(k, c_in, c_out):  # without a bias: batch normalisation follows
        return k * k * c_in * c_out

    def norm(c):  # scale and offset learnt, mean and variance tracked: Keras counts all four
        return 4 * c

    stem = conv(3, 1, 16) + norm(16)
    stage_16 = 2 * (conv(3, 16, 16) + norm(16))  # same shape: the shortcut is the input itself
    stage_32 = conv(3, 16, 32) + conv(3, 32, 32) + 2 * norm(32) + conv(1, 16, 32) + norm(32)  # 1x1 projection
    stage_64 = conv(3, 32, 64) + conv(3, 64, 64) + 2 * norm(64) + conv(1, 32, 64) + norm(64)
    logits = 64 * 10 + 10  # after global average pooling
    assert stem + stage_16 + stage_32 + stage_64 + logits == 78_426
    assert models.small_resnet().count_params() == 78_426


def test_train_reference_passes_the_recipes_augmentation_to_the_pipeline_and_lets_arguments_override_it(monkeypatch):
    import lab_utils.data

    seen = {}

    def fake_make_dataset(images, labels, **kwargs):
        seen.update(kwargs)
        raise StopIteration  # enough: the pipeline's arguments are what this test checks

    monkeypatch.setattr(lab_utils.data, "make_dataset", fake_make_dataset)
    recipe = models.RECIPES["lenet"]
    with pytest.raises(StopIteration):
        models.train_reference("lenet", np.zeros((2, 28, 28), np.uint8), np.zeros(2))
    assert (seen["shift"], seen["rotation"], seen["zoom"], seen["thicken"]) == \
        (recipe.shift, recipe.rotation, recipe.zoom, recipe.thicken)
    with pytest.raises(StopIteration):
        models.train_reference("lenet", np.zeros((2, 28, 28), np.uint8), np.zeros(2), rotation=0, zoom=0, thicken=0)
    assert (seen["rotation"], seen["zoom"], seen["thicken"]) == (0, 0, 0)

