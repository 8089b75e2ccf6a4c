"""One call that every notebook makes first: versions, devices, seeds, and the strategy that fits."""

from __future__ import annotations

import os
import platform

# Compute capability from which float16 matrix units (Tensor Cores) make mixed precision pay off.
MIXED_PRECISION_MIN_CAPABILITY = (7, 0)
# The kit's distribution name (pyproject.toml, [project] name): its metadata says which Pythons it supports.
DISTRIBUTION = "lab-utils"


def python_requirement():
    """The Pythons the kit supports, as one specifier string: ``requires-python`` of pyproject.toml. Read from the
    installed package's metadata (``Requires-Python``); from the pyproject.toml beside the package only where the
    package is not installed (run from a clone without ``pip install``).

    Example:
        >>> python_requirement()   # requires-python in pyproject.toml
        '<3.14,>=3.11'
    """
    from importlib import metadata

    try:
        requires = metadata.metadata(DISTRIBUTION)["Requires-Python"]
    except metadata.PackageNotFoundError:
        requires = None
    if not requires:
        import tomllib
        from pathlib import Path

        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        with open(pyproject, "rb") as f:
            requires = tomllib.load(f)["project"]["requires-python"]
    return requires


def python_supported(version=None, requires=None):
    """Whether Python ``version`` (``"3.13.1"``, ``"3.13"`` or ``(3, 13)``; default: the Python running now) is one the
    kit supports: ``requires`` (default: ``python_requirement()``) read as a PEP 440 specifier set by ``packaging``,
    which comes with TensorFlow. A pre-release such as ``"3.13.0rc2"`` is compared like any other version.

    Example:
        >>> python_supported((3, 13), requires=">=3.11,<3.14")
        True
        >>> python_supported("3.14.0", requires=">=3.11,<3.14")
        False
    """
    from packaging.specifiers import SpecifierSet

    if version is None:
        version = platform.python_version()
    elif not isinstance(version, str):
        version = ".".join(str(part) for part in version)
    return SpecifierSet(requires or python_requirement()).contains(version, prereleases=True)


def python_range(requires=None):
    """``requires`` (default: ``python_requirement()``) in words, as minor versions of Python 3.

    Example:
        >>> python_range(">=3.11,<3.14")
        '3.11 to 3.13'
        >>> python_range(">=3.11")
        '3.11 or newer'
    """
    requires = requires or python_requirement()
    minors = [m for m in range(100) if python_supported((3, m), requires)]
    if not minors or minors != list(range(minors[0], minors[-1] + 1)):
        return f"Python {requires}"
    if minors[-1] == 99:
        return f"3.{minors[0]} or newer"
    return f"3.{minors[0]}" if len(minors) == 1 else f"3.{minors[0]} to 3.{minors[-1]}"


def output_path(name):
    """Where a notebook writes ``name`` (its saved model, its TensorBoard logs): inside the folder that the
    environment variable ``LAB_OUTPUT_DIR`` names, as an absolute path, when it is set (the tests set it, so that a
    test run writes nothing beside the notebooks and later tests find what the run saved; the folders are made);
    else ``name`` as it is, beside the notebook. Applied twice, it gives the same path.

    Example:
        >>> output_path("lenet.keras")   # LAB_OUTPUT_DIR unset: beside the notebook
        'lenet.keras'
    """
    folder = os.environ.get("LAB_OUTPUT_DIR")
    if not folder:
        return name
    path = os.path.join(os.path.abspath(folder), name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


class RuntimeNotSupported(RuntimeError):
    """A runtime the labs cannot run on; in a notebook, its message alone shows (no traceback) and Run All stops."""

    def _render_traceback_(self):  # IPython shows these lines instead of a traceback
        return [f"\033[1;31m{self}\033[0m"]


def installed():
    """One line saying which ``lab-utils`` is installed and where it came from (pip's record of a direct install,
    PEP 610: the repository and the tag or commit), for the first cell on Colab.

    Example:
        >>> installed()   # after %pip install "lab-utils @ git+https://github.com/alice/labs@v1"
        'lab_utils 0.1.0 installed from https://github.com/alice/labs at v1 (commit 0a1b2c3).'
    """
    import json
    from importlib import metadata

    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "lab_utils is not installed as a package (it is imported from a folder)."
    line = f"lab_utils {dist.version} installed"
    try:
        origin = json.loads(dist.read_text("direct_url.json") or "{}")
    except ValueError:
        origin = {}
    if origin.get("url"):
        vcs = origin.get("vcs_info", {})
        line += f" from {origin['url']}"
        if vcs.get("requested_revision"):
            line += f" at {vcs['requested_revision']}"
        if vcs.get("commit_id"):
            line += f" (commit {vcs['commit_id'][:7]})"
    return line + "."


def on_colab():
    """What the first cell does on Colab once it has installed the kit: print ``installed()``, and on a runtime
    without TensorFlow (Colab's TPU runtimes have JAX only) stop Run All with one line saying which runtime to choose,
    instead of a traceback at ``import tensorflow``. Colab's own packages are left as they are: installing newer
    ones in a running kernel needs a restart and can break NumPy's binary interface (colabtools#5238).

    Example:
        >>> on_colab()
        lab_utils 0.1.0 installed from https://github.com/alice/labs at v1 (commit 0a1b2c3).
    """
    from importlib.util import find_spec

    print(installed())
    if find_spec("tensorflow") is None:
        raise RuntimeNotSupported("This runtime has no TensorFlow (Colab's TPU runtimes have JAX only). Choose "
                                  "Runtime → Change runtime type → CPU or T4 GPU, then run this notebook again.")


def _gpu_capability(gpu):
    import tensorflow as tf

    try:
        return tuple(tf.config.experimental.get_device_details(gpu).get("compute_capability") or ())
    except (ValueError, RuntimeError):
        return ()


def _tpu_strategy():
    """A TPUStrategy when the machine advertises a TPU (Colab or Cloud TPU), else None."""
    if not any(os.environ.get(v) for v in ("COLAB_TPU_ADDR", "TPU_NAME", "TPU_ACCELERATOR_TYPE")):
        return None
    import tensorflow as tf

    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as e:
        print(f"A TPU was advertised but could not be started ({e}); carrying on without it.")
        return None


def setup(seed=42, deterministic=False, mixed_precision=False, verbose=True):
    """Prepare TensorFlow for a lab and return the distribution strategy that fits the machine.

    - prints Python, TensorFlow and Keras versions and the devices found;
    - turns on memory growth for every GPU (so one notebook does not take all GPU memory);
    - seeds Python, NumPy and TensorFlow with ``keras.utils.set_random_seed(seed)``;
    - with ``deterministic=True``, asks TensorFlow for deterministic ops (slower, same numbers every run);
    - with ``mixed_precision=True``, uses float16 compute on GPUs that have Tensor Cores
      (compute capability 7.0 or newer) and says so; elsewhere it stays float32 and says why;
    - returns a ``TPUStrategy`` on a TPU, a ``MirroredStrategy`` across several GPUs, and the
      default strategy otherwise. Build models inside ``with strategy.scope():``.

    Example:
        >>> strategy = setup(seed=0)
        Python 3.11.7 | TensorFlow 2.21.0 | Keras 3.15.1
        Devices: CPU only (no GPU found); training runs on the CPU.
        >>> with strategy.scope():
        ...     model = keras.Sequential([...])
    """
    import keras
    import tensorflow as tf

    def say(line):
        if verbose:
            print(line)

    from lab_utils.quiet import start_up_notices_filtered

    with start_up_notices_filtered():  # the first look for GPUs prints "failed call to cuInit" on CPU machines
        gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            pass  # already initialised (setup called twice in one kernel): growth was set the first time

    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()

    say(f"Python {platform.python_version()} | TensorFlow {tf.__version__} | Keras {keras.__version__}")
    if gpus:
        names = []
        for gpu in gpus:
            cap = _gpu_capability(gpu)
            names.append(f"{gpu.name}" + (f" (compute capability {cap[0]}.{cap[1]})" if len(cap) == 2 else ""))
        say(f"Devices: {len(gpus)} GPU(s): {', '.join(names)}; memory growth on.")
    else:
        say("Devices: CPU only (no GPU found); training runs on the CPU.")

    if mixed_precision:
        capable = gpus and all(_gpu_capability(g) >= MIXED_PRECISION_MIN_CAPABILITY for g in gpus)
        if capable:
            keras.mixed_precision.set_global_policy("mixed_float16")
            say("Mixed precision: on (float16 compute, float32 weights); keep the last layer float32.")
        else:
            keras.mixed_precision.set_global_policy("float32")
            say("Mixed precision: off, it only pays on GPUs with compute capability 7.0 or newer.")
    elif gpus and all(_gpu_capability(g) >= MIXED_PRECISION_MIN_CAPABILITY for g in gpus):
        say("Mixed precision: available on this GPU; call setup(mixed_precision=True) to use it.")

    strategy = _tpu_strategy()
    if strategy is not None:
        say(f"Strategy: TPUStrategy with {strategy.num_replicas_in_sync} cores.")
    elif len(gpus) > 1:
        strategy = tf.distribute.MirroredStrategy()
        say(f"Strategy: MirroredStrategy over {strategy.num_replicas_in_sync} GPUs.")
    else:
        strategy = tf.distribute.get_strategy()
        say("Strategy: default (one device).")
    say(f"Seed: {seed}" + (", deterministic ops on." if deterministic else "."))
    return strategy


def estimate_seconds(model, dataset, epochs=1, runs=1, steps=5, verbose=True):
    """Train a copy of ``model`` on a few batches of ``dataset`` and print about how long ``runs`` trainings of
    ``epochs`` epochs will take on this machine; returns the seconds. ``model`` itself is left untouched.

    The first short fit pays what every new model pays once (building its graph); the second gives the time per
    batch, input pipeline included; a third, of two one-batch epochs, what each epoch costs beyond its batches
    (Keras starts the pipeline and the callbacks anew each epoch: it counts when epochs are short). The estimate is
    ``runs * (once + epochs * (per epoch + batches * per batch))``.

    Example:
        >>> estimate_seconds(model, train, epochs=12)
        About 9 s of training on this machine (12 epochs of 16 batches; measured on 5 batches).
    """
    import time

    import keras

    from lab_utils.models import compile_classifier

    steps = max(1, min(steps, len(dataset)))
    sample = dataset.take(steps)
    copy = keras.models.clone_model(model)
    one_hot = len(dataset.element_spec[1].shape) > 1  # labels as vectors (make_dataset(..., one_hot=10))
    compile_classifier(copy, one_hot=one_hot)
    timings = []
    for data, epochs_here in [(sample, 1), (sample, 1), (sample.take(1), 2)]:
        start = time.perf_counter()
        copy.fit(data, epochs=epochs_here, verbose=0)
        timings.append(time.perf_counter() - start)
    # second fit: per_epoch + steps * per_batch; third: 2 * (per_epoch + per_batch)
    per_epoch = max((steps * timings[2] / 2 - timings[1]) / (steps - 1), 0.0) if steps > 1 else 0.0
    per_batch = max(timings[1] - per_epoch, 0.0) / steps
    once = max(timings[0] - timings[1], 0.0)
    seconds = runs * (once + epochs * (per_epoch + len(dataset) * per_batch))
    if verbose:
        what = f"{epochs} epochs of {len(dataset)} batches" + (f", {runs} runs" if runs > 1 else "")
        print(f"About {seconds:.0f} s of training on this machine ({what}; measured on {steps} batches).")
    return seconds
