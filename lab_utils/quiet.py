"""TensorFlow's start-up notices, kept off the student's screen.

On every machine without a GPU, loading TensorFlow prints lines such as ``cudart_stub.cc ... Could not find cuda
drivers``, ``oneDNN custom operations are on`` and ``E0000 ... failed call to cuInit``. They are not errors, but
a student reads an "E" line under the first cell as theirs. Importing ``lab_utils`` before TensorFlow (the first
cell of every lab does) filters exactly these known notices while TensorFlow loads and while ``setup()`` looks
for GPUs; any other line TensorFlow writes still shows. ``TF_CPP_MIN_LOG_LEVEL`` is set to 2 (C++ info and
warnings off, errors on) unless you set it yourself.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import os
import re
import sys
import tempfile

# The start-up notices of TensorFlow's C++ runtime on machines without a (working) GPU.
NOTICES = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called"
    r"|cudart_stub\.cc.*Could not find cuda drivers"
    r"|oneDNN custom operations are on"
    r"|cpu_feature_guard\.cc|To enable the following instructions:.*rebuild TensorFlow"
    r"|failed call to cuInit"
    r"|Unable to register cu(DNN|FFT|BLAS) factory|computation placer already registered"
)


@contextlib.contextmanager
def start_up_notices_filtered(notices=NOTICES):
    """Run a block with the process's standard error (file descriptor 2, where C++ logs go) captured, then
    write back every captured line except TensorFlow's known start-up ``notices``.

    Example:
        >>> with start_up_notices_filtered():
        ...     import tensorflow as tf
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real file descriptor 2 (some embedded interpreters): filter nothing
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            lines = capture.read().decode("utf-8", errors="replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not notices.search(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


class _FilterTensorFlowImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: when ``tensorflow`` is first imported, wraps its loading in the filter above."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once is enough, and the look-up below must not come back here
        import importlib.util

        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            load = spec.loader.exec_module

            def exec_module(module):
                with start_up_notices_filtered():
                    load(module)

            spec.loader.exec_module = exec_module
        return spec


def quiet_tensorflow_start_up():
    """Filter TensorFlow's start-up notices, if TensorFlow is not loaded yet (called by ``import lab_utils``).

    Example:
        >>> import lab_utils   # before TensorFlow or Keras
        >>> import keras       # no oneDNN or CUDA notices
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" not in sys.modules and not any(isinstance(f, _FilterTensorFlowImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _FilterTensorFlowImport())
