"""lab_utils.transfer: class splits, few-label subsets, two learning rates, and the ImageNet backbone's fallbacks."""

import keras
import numpy as np
import pytest

from lab_utils import transfer as T
from lab_utils.models import lenet


def test_split_classes_keeps_the_chosen_digits_and_renumbers_them():
    x = np.arange(10)[:, None, None] * np.ones((10, 28, 28), np.uint8)
    xb, yb = T.split_classes(x, np.arange(10), [5, 6, 7, 8, 9])
    assert yb.tolist() == [0, 1, 2, 3, 4]
    assert xb[:, 0, 0].tolist() == [5, 6, 7, 8, 9]


def test_per_class_subset_takes_the_same_number_of_each_class_reproducibly():
    labels = np.repeat(np.arange(5), 20)
    idx = T.per_class_subset(labels, 3, seed=1)
    assert np.bincount(labels[idx]).tolist() == [3] * 5
    assert idx.tolist() == T.per_class_subset(labels, 3, seed=1).tolist()
    assert len(T.per_class_subset(labels, None)) == 100
    with pytest.raises(ValueError, match="asked for 30 examples of class 0, only 20 exist"):
        T.per_class_subset(labels, 30)


def tiny_digits():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (40, 28, 28), dtype=np.uint8), np.arange(40) % 5


def test_frozen_layers_do_not_move_and_copied_layers_move_slower_when_fine_tuned():
    x, y = tiny_digits()
    keras.utils.set_random_seed(0)
    model = lenet(num_classes=5)
    model.get_layer("C1").trainable = False
    before = {name: model.get_layer(name).get_weights()[0].copy() for name in ("C1", "C3", "C5")}
    T.train(model, x, y, epochs=2, batch_size=20, learning_rate=1e-2, copied_layers=["C3"], copied_learning_rate=1e-5)
    moved = {name: np.abs(model.get_layer(name).get_weights()[0] - w).max() for name, w in before.items()}
    assert moved["C1"] == 0                  # frozen
    assert 0 < moved["C3"] < moved["C5"] / 50  # copied, fine-tuned at a thousand times smaller rate


def test_train_takes_at_least_min_steps_on_a_tiny_dataset():
    x, y = tiny_digits()
    losses = T.train(lenet(num_classes=5), x[:5], y[:5], epochs=1, batch_size=64, min_steps=7)
    assert len(losses) == 7


def test_no_imagenet_backbone_offline_and_keras_is_not_asked(monkeypatch, capsys):
    monkeypatch.setenv("LAB_OFFLINE", "1")
    monkeypatch.setattr(keras.applications, "MobileNetV2", lambda **kw: pytest.fail("download attempted"))
    assert T.imagenet_backbone() is None
    assert "offline" in capsys.readouterr().out


def test_a_failed_weights_download_is_reported_in_one_line_and_skipped(monkeypatch, capsys):
    import lab_utils.data

    monkeypatch.setattr(lab_utils.data, "network_available", lambda *host: True)

    def fails(**kwargs):
        raise OSError("Connection reset by peer")

    monkeypatch.setattr(keras.applications, "MobileNetV2", fails)
    assert T.imagenet_backbone() is None
    assert "OSError: Connection reset by peer; this section is skipped" in capsys.readouterr().out


@pytest.fixture(scope="module")
def backbone_fitted():
    """A small backbone shaped like MobileNetV2 (convolutions, batch normalisation, ReLU), before and after
    fit_backbone: the bottom's batch-normalisation statistics must stay as they are, as in inference mode."""
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    layers = [keras.Input((16, 16, 3))]
    for _ in range(3):
        layers += [keras.layers.Conv2D(4, 3, padding="same"), keras.layers.BatchNormalization(), keras.layers.ReLU()]
    backbone = keras.Sequential(layers)
    images = tf.random.uniform((16, 16, 16, 3), -1, 1)
    train = tf.data.Dataset.from_tensor_slices((images, np.arange(16) % 3)).batch(8)
    before = [w.copy() for w in backbone.get_weights()]
    T.fit_backbone(backbone, train, train, num_classes=3, epochs=1, fine_tune_layers=5)
    return backbone, before


def test_fit_backbone_trains_a_head_then_fine_tunes_the_top_layers(backbone_fitted):
    backbone, before = backbone_fitted
    bottom = sum(len(layer.weights) for layer in backbone.layers[:-5])
    assert [layer.trainable for layer in backbone.layers[-5:]] == [True] * 5
    assert not any(layer.trainable for layer in backbone.layers[:-5])
    after = backbone.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before[:bottom], after[:bottom]))  # frozen throughout
    assert any(not np.array_equal(a, b) for a, b in zip(before[bottom:], after[bottom:]))  # the top was fine-tuned


def test_fit_backbone_returns_the_validation_accuracy_after_feature_extraction_then_after_fine_tuning(monkeypatch):
    # Each phase's training is replaced by a head that always answers one class: 0 after feature extraction, 2
    # after fine-tuning. On validation labels that are half 0s and one sixth 2s, the two accuracies must then be
    # 1/2 and 1/6, in that order; the training labels (all 1s) would give 0 and 0, and a loss is at least log(3).
    import tensorflow as tf

    answers = []

    def fit(model, *args, **kwargs):
        answers.append([0, 2][len(answers)])
        kernel, bias = model.layers[-1].get_weights()  # the new head's logits
        model.layers[-1].set_weights([np.zeros_like(kernel), 10 * np.eye(len(bias), dtype=bias.dtype)[answers[-1]]])

    monkeypatch.setattr(keras.Model, "fit", fit)
    backbone = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3), keras.layers.Conv2D(4, 3)])
    images = np.random.default_rng(0).uniform(-1, 1, (6, 8, 8, 3)).astype(np.float32)
    train = tf.data.Dataset.from_tensor_slices((images, np.ones(6, np.int64))).batch(4)
    validation = tf.data.Dataset.from_tensor_slices((images, np.array([0, 0, 0, 1, 1, 2]))).batch(4)
    scores = T.fit_backbone(backbone, train, validation, num_classes=3, epochs=1, fine_tune_layers=1)
    assert answers == [0, 2]
    assert scores == (pytest.approx(1 / 2), pytest.approx(1 / 6))


@pytest.mark.parametrize("cosine", [False, True])
def test_train_is_keras_adam_with_or_without_a_cosine_decay(cosine):
    import tensorflow as tf

    from lab_utils.data import make_dataset

    x, y = tiny_digits()
    keras.utils.set_random_seed(1)
    model = lenet(num_classes=5)
    reference = keras.models.clone_model(model)
    reference.set_weights(model.get_weights())
    T.train(model, x, y, epochs=2, batch_size=16, learning_rate=3e-3, seed=4, cosine=cosine)
    rate = keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=6) if cosine else 3e-3  # 2 epochs of 3 batches
    optimizer = keras.optimizers.Adam(rate)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    keras.utils.set_random_seed(4)  # as train does: the shuffling follows the global seed too
    dataset = make_dataset(x, y, batch_size=16, seed=4)
    for _ in range(2):
        for xb, yb in dataset:
            with tf.GradientTape() as tape:
                loss = loss_fn(yb, reference(xb, training=True))
            optimizer.apply_gradients(zip(tape.gradient(loss, reference.trainable_variables),
                                          reference.trainable_variables))
    for ours, keras_adam in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(ours, keras_adam, rtol=1e-4, atol=1e-6)


def test_train_builds_one_graph_per_architecture_and_frozen_pattern():
    x, y = tiny_digits()
    T._TRAINERS.clear()
    for frozen in (False, False, False, True):  # three runs of one architecture, then one with C1 frozen
        model = lenet(num_classes=5)
        model.get_layer("C1").trainable = not frozen
        T.train(model, x, y, epochs=1, batch_size=16, cosine=frozen)
    assert len(T._TRAINERS) == 2
    assert all(t.step.experimental_get_tracing_count() == 1 for t in T._TRAINERS.values())


def test_transfer_run_trains_what_build_returns_and_scores_it():
    x, y = tiny_digits()
    keras.utils.set_random_seed(0)
    base = lenet(num_classes=5)
    built = []

    def build(base, n, fine_tune):
        built.append(lenet(num_classes=5))
        for name in T.TRANSFER_LAYERS[:n]:
            built[-1].get_layer(name).set_weights(base.get_layer(name).get_weights())
            built[-1].get_layer(name).trainable = fine_tune
        return built[-1]

    before = base.get_layer("C1").get_weights()[0].copy()
    acc = T.transfer_run(build, base, 1, False, (x, y), (x, y), seed=3, epochs=30, batch_size=40,
                         learning_rate=3e-3)
    model = built[0]
    assert np.array_equal(model.get_layer("C1").get_weights()[0], before)  # copied and frozen
    from lab_utils.models import accuracy

    assert acc == accuracy(model, x, y) > 0.5  # 40 random images, memorised: far above chance (0.2)


def test_compare_calls_a_difference_within_the_seed_spread_level():
    diff, spread, verdict = T.compare([0.97, 0.96], 0.95)
    assert (round(diff, 4), round(spread, 4), verdict) == (0.015, 0.01, "above")
    assert T.compare([0.90, 0.92], [0.93, 0.94])[2] == "below"
    assert T.compare([0.90, 0.95], [0.93, 0.94])[2] == "level"      # 0.01 apart, with a 0.05 spread
    assert T.compare([0.951], 0.950)[2] == "level"                   # one seed: min_spread decides
    assert T.compare([0.951], 0.950, min_spread=0)[2] == "above"


def test_a_paired_compare_judges_the_per_seed_differences():
    scratch, transfer = [0.52, 0.61], [0.60, 0.70]     # the seeds disagree by 9 points, the gains by 1
    assert T.compare(transfer, scratch)[2] == "level"
    diff, spread, verdict = T.compare(transfer, scratch, paired=True)
    assert (round(diff, 4), round(spread, 4), verdict) == (0.085, 0.01, "above")
    assert T.compare([0.60, 0.62], [0.61, 0.60], paired=True)[2] == "level"  # -1 and +2 points
    with pytest.raises(ValueError, match="paired=True needs as many runs"):
        T.compare([0.6, 0.7], [0.5], paired=True)


def test_mean_range_gives_the_mean_and_the_range_over_seeds():
    assert T.mean_range([0.964, 0.972]) == "96.8% (96.4-97.2)"
    assert T.mean_range([0.9]) == "90.0%"
    assert T.mean_range(0.5) == "50.0%"


def test_the_few_label_benchmark_reads_its_recipe_and_answer_from_the_notebook():
    import importlib.util
    from pathlib import Path

    from notebooks import parameters, run_exercise

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "transfer.py"
    spec = importlib.util.spec_from_file_location("transfer_benchmark", path)
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    assert benchmark.NOTEBOOK.name == "04_transfer_learning.ipynb"
    assert callable(run_exercise(benchmark.NOTEBOOK, "Exercise 1")["build_transfer"])
    params = parameters(benchmark.NOTEBOOK)
    needed = {"SEED", "BATCH_SIZE", "LEARNING_RATE", "COSINE_DECAY", "BASE_EPOCHS", "COPIED_FOR_FEW_LABELS",
              "FEW_LABEL_STEPS", "FEW_LABEL_FINE_TUNE_FACTOR"}
    assert needed <= set(params), f"the notebook lost {needed - set(params)}"
    assert 1 <= params["COPIED_FOR_FEW_LABELS"] <= len(T.TRANSFER_LAYERS)
