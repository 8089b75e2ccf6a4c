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
    before = {name: model.get_layer(name).get_weights()[0].copy() for name in ("C1", "C3", "F5")}
    T.train(model, x, y, epochs=2, batch_size=20, learning_rate=1e-2, copied_layers=["C3"], copied_learning_rate=1e-5)
    moved = {name: np.abs(model.get_layer(name).get_weights()[0] - w).max() for name, w in before.items()}
    assert moved["C1"] == 0                  # frozen
    assert 0 < moved["C3"] < moved["F5"] / 50  # copied, fine-tuned at a thousand times smaller rate


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

    monkeypatch.setattr(lab_utils.data, "network_available", lambda: True)

    def fails(**kwargs):
        raise OSError("Connection reset by peer")

    monkeypatch.setattr(keras.applications, "MobileNetV2", fails)
    assert T.imagenet_backbone() is None
    assert "OSError: Connection reset by peer; this section is skipped" in capsys.readouterr().out


def test_fit_backbone_trains_a_head_then_fine_tunes_the_top_layers():
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    backbone = keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.35)
    images = tf.random.uniform((16, 32, 32, 3), -1, 1)
    data = tf.data.Dataset.from_tensor_slices((images, np.arange(16) % 3)).batch(8)
    frozen, tuned = T.fit_backbone(backbone, data, data, num_classes=3, epochs=1, fine_tune_layers=5)
    assert 0 <= frozen <= 1 and 0 <= tuned <= 1
    assert [layer.trainable for layer in backbone.layers[-5:]] == [True] * 5
    assert not any(layer.trainable for layer in backbone.layers[:-5])
