"""lab_utils.plot: each picture returns a Figure whose content a test can read."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lab_utils import plot as P  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def titles(fig):
    return [ax.get_title() for ax in fig.axes if ax.get_title()]


def test_show_images_titles_each_image_with_its_label():
    images = np.zeros((12, 28, 28), np.uint8)
    fig = P.show_images(images, np.arange(12) % 10, n=12, ncols=6)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert titles(fig) == [str(i % 10) for i in range(12)]
    assert len(fig.axes) == 12


def test_show_images_marks_wrong_predictions_in_red():
    fig = P.show_images(np.zeros((3, 28, 28)), [1, 2, 3], predictions=[1, 7, 3], class_names=list("abcdefghij"))
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in axes] == ["b", "c → h", "d"]
    assert [ax.title.get_color() for ax in axes] == ["black", "red", "black"]


def test_show_images_accepts_channel_and_flat_images():
    assert len(P.show_images(np.zeros((4, 28, 28, 1)), n=4).axes) == 4
    assert len(P.show_images(np.zeros((4, 784)), n=4).axes) == 4


def test_show_images_refuses_a_shape_it_cannot_draw():
    with pytest.raises(ValueError, match=r"got \(4, 3, 28, 28\)"):
        P.show_images(np.zeros((4, 3, 28, 28)))


def test_plot_history_draws_train_and_validation_curves_per_metric():
    history = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.5, 0.8, 0.9]}
    fig = P.plot_history(history)
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["train", "validation"]
    assert list(loss_ax.lines[1].get_ydata()) == [1.1, 0.7, 0.6]
    assert [line.get_label() for line in acc_ax.lines] == ["train"]


def test_plot_history_draws_several_runs_one_colour_each_validation_dashed():
    runs = {"x": {"loss": [1, 0.5], "val_loss": [1.2, 0.9]}, "y": {"loss": [2, 1]}}
    ax = P.plot_history(runs, metrics=("loss",)).axes[0]
    assert [line.get_label() for line in ax.lines] == ["x (train)", "x (validation)", "y"]
    assert [line.get_linestyle() for line in ax.lines] == ["-", "--", "-"]
    assert [line.get_color() for line in ax.lines] == ["C0", "C0", "C1"]
    assert ax.get_yscale() == "log"


def test_plot_history_refuses_something_that_is_not_a_history():
    with pytest.raises(ValueError, match="needs a Keras History"):
        P.plot_history([0.1, 0.2])


def test_confusion_matrix_counts_true_against_predicted():
    matrix = P.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], num_classes=3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_plot_confusion_matrix_writes_counts_and_accuracy():
    fig = P.plot_confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1], num_classes=2)
    ax = fig.axes[0]
    assert "accuracy 75.0%" in ax.get_title()
    assert sorted(t.get_text() for t in ax.texts) == ["1", "1", "2"]


def test_most_confident_mistakes_come_most_confident_first_and_skip_right_answers():
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.05, 0.95]])
    assert P.most_confident_mistakes([0, 0, 1, 0], probabilities).tolist() == [3, 1, 2]


def test_show_confident_mistakes_titles_true_predicted_and_probability():
    probabilities = np.array([[0.9, 0.1], [0.3, 0.7]])
    fig = P.show_confident_mistakes(np.zeros((2, 28, 28)), [1, 0], probabilities, n=5)
    assert titles(fig) == ["1 → 0\n(90%)", "0 → 1\n(70%)"]


def test_show_confident_mistakes_says_when_there_are_none():
    fig = P.show_confident_mistakes(np.zeros((1, 28, 28)), [0], np.array([[1.0, 0.0]]))
    assert "No mistakes" in fig.axes[0].texts[0].get_text()


def test_plot_decision_boundary_reports_the_accuracy_of_the_rule_drawn():
    X = np.array([[-1.0, 0.0], [1.0, 0.0], [2.0, 0.0]], np.float32)
    fig = P.plot_decision_boundary(lambda pts: (pts[:, 0] > 0).astype(float), X, [0, 1, 0], "x > 0")
    assert fig.axes[0].get_title() == "x > 0: accuracy 67%"


def test_draw_unit_lines_draws_one_line_per_hidden_unit():
    fig, ax = plt.subplots()
    ax.set_xlim(-2, 2)
    ax.set_ylim(-2, 2)
    kernel, bias = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]), np.array([0.0, 0.5, -1.0])
    P.draw_unit_lines(ax, kernel, bias)  # x + y = 0, then y = -0.5, then the vertical x = 1
    assert len(ax.lines) == 3
    for line, (w1, w2), b in zip(ax.lines, kernel.T, bias):  # every point drawn lies on its unit's w . x + b = 0
        x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        np.testing.assert_allclose(w1 * x + w2 * y + b, 0, atol=1e-12)


def test_show_templates_draws_one_image_per_class():
    fig = P.show_templates(np.random.default_rng(0).normal(size=(784, 10)))
    assert titles(fig) == [str(i) for i in range(10)]
    with pytest.raises(ValueError, match=r"\(784, classes\)"):
        P.show_templates(np.zeros((10, 784)))
