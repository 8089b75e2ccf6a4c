"""Each lab's reference model, trained on the embedded sample only, reaches its accuracy target on the
official MNIST test set (used for evaluation only). benchmarks/accuracy.py reports the same over several seeds."""

import numpy as np
import pytest

from lab_utils.data import read_embedded_mnist
from lab_utils.models import ACCURACY_TARGETS, accuracy, softmax_regression, train_reference

from notebooks import OFFICIAL_TEST_DIR, has_official_test_set, official_test_set


@pytest.fixture(scope="module")
def sample_and_official_test():
    """The 5,000-digit sample to train on and the official test set; the tests that need it skip without it."""
    if not has_official_test_set():
        pytest.skip(f"official MNIST test set not found at {OFFICIAL_TEST_DIR}")
    x_train, y_train, x_rest, _ = read_embedded_mnist(test_per_class=0)
    assert len(x_train) == 5000 and len(x_rest) == 0
    return (x_train, y_train, *official_test_set())


def test_softmax_regression_has_7850_parameters():
    assert softmax_regression().count_params() == 7850


def test_accuracy_is_the_fraction_of_images_classified_as_their_labels():
    model = softmax_regression()  # flat inputs: accuracy flattens the 28x28 images for it
    kernel = model.layers[-1].get_weights()[0]
    model.layers[-1].set_weights([np.zeros_like(kernel), np.eye(10)[3]])  # answers 3 whatever the image
    labels = np.array([3, 3, 1, 3, 0])
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    assert accuracy(model, images, labels, batch_size=2) == 3 / 5  # over batches of 2, 2 and 1


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ACCURACY_TARGETS))
def test_reference_model_trained_on_the_sample_reaches_its_target_on_official_mnist(name, sample_and_official_test):
    x_train, y_train, x_test, y_test = sample_and_official_test
    model = train_reference(name, x_train, y_train, seed=0)
    assert accuracy(model, x_test, y_test) >= ACCURACY_TARGETS[name]
