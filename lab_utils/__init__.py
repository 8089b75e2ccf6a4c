"""Helpers for the handwritten-character labs: data, device set-up, plots and exercise checks.

Importing this package is cheap: TensorFlow and matplotlib are imported inside the functions
that need them. Import it before TensorFlow or Keras: it keeps TensorFlow's start-up notices (oneDNN, CUDA
stubs on machines without a GPU) off the screen (see ``lab_utils.quiet``).

Example:
    >>> from lab_utils import setup, load_mnist, make_dataset, show_images
    >>> strategy = setup(seed=0)
    >>> data = load_mnist()
    >>> fig = show_images(data.x_train, data.y_train)
"""

from lab_utils.quiet import quiet_tensorflow_start_up

quiet_tensorflow_start_up()  # before anything imports TensorFlow: its start-up notices are not the student's errors

from lab_utils.data import DataError, load_fashion_mnist, load_mnist, make_dataset
from lab_utils.device import setup
from lab_utils.plot import plot_confusion_matrix, plot_history, show_confident_mistakes, show_images

__version__ = "0.1.0"
__all__ = ["DataError", "load_fashion_mnist", "load_mnist", "make_dataset", "setup",
           "plot_confusion_matrix", "plot_history", "show_confident_mistakes", "show_images"]
