"""lab_utils.device.setup: versions, seeds, memory growth, mixed precision and the strategy (GPUs mocked)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from lab_utils import device, setup


@pytest.fixture(autouse=True)
def restore_policy():
    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.fixture
def fake_gpus(monkeypatch):
    """Pretend the machine has GPUs of a given compute capability; record memory-growth calls."""
    growth = {}

    def install(count, capability=(8, 0)):
        gpus = [tf.config.PhysicalDevice(name=f"/physical_device:GPU:{i}", device_type="GPU") for i in range(count)]
        real_list = tf.config.list_physical_devices
        monkeypatch.setattr(tf.config, "list_physical_devices",
                            lambda kind=None: gpus if kind == "GPU" else real_list(kind))
        monkeypatch.setattr(tf.config.experimental, "set_memory_growth",
                            lambda gpu, on: growth.__setitem__(gpu.name, on))
        monkeypatch.setattr(tf.config.experimental, "get_device_details",
                            lambda gpu: {"compute_capability": capability, "device_name": "Fake GPU"})
        return growth

    return install


def test_setup_on_a_cpu_machine_says_so_in_one_line_and_returns_the_default_strategy(capsys):
    strategy = setup(seed=1)
    out = capsys.readouterr().out
    assert f"TensorFlow {tf.__version__} | Keras {keras.__version__}" in out
    assert "Devices: CPU only (no GPU found); training runs on the CPU." in out
    assert strategy is tf.distribute.get_strategy()
    assert strategy.num_replicas_in_sync == 1


def test_setup_seeds_numpy_and_tensorflow_so_runs_repeat():
    def draws():  # NumPy, TensorFlow, and a Keras layer's initial weights
        layer = keras.layers.Dense(2)
        layer.build((None, 3))
        return np.random.rand(3), tf.random.uniform([3]).numpy(), layer.kernel.numpy()

    setup(seed=7, verbose=False)
    first = draws()
    setup(seed=7, verbose=False)
    for again, before in zip(draws(), first):
        np.testing.assert_array_equal(again, before)


def test_setup_can_ask_for_deterministic_ops(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(tf.config.experimental, "enable_op_determinism", lambda: calls.append(True))
    setup(seed=3, deterministic=True)
    assert calls == [True]
    assert "deterministic ops on" in capsys.readouterr().out


def test_setup_turns_on_memory_growth_for_every_gpu_and_mirrors_across_several(fake_gpus, monkeypatch, capsys):
    growth = fake_gpus(2)

    class FakeMirrored:
        num_replicas_in_sync = 2

    monkeypatch.setattr(tf.distribute, "MirroredStrategy", FakeMirrored)
    strategy = setup()
    assert growth == {"/physical_device:GPU:0": True, "/physical_device:GPU:1": True}
    assert isinstance(strategy, FakeMirrored)
    out = capsys.readouterr().out
    assert "2 GPU(s)" in out and "compute capability 8.0" in out and "MirroredStrategy over 2 GPUs" in out


def test_one_gpu_gets_the_default_strategy_and_an_offer_of_mixed_precision(fake_gpus, capsys):
    fake_gpus(1, capability=(9, 0))
    assert setup() is tf.distribute.get_strategy()
    assert "call setup(mixed_precision=True)" in capsys.readouterr().out
    assert keras.mixed_precision.global_policy().name == "float32"


def test_mixed_precision_is_used_on_a_gpu_with_tensor_cores(fake_gpus, capsys):
    fake_gpus(1, capability=(8, 0))
    setup(mixed_precision=True)
    assert keras.mixed_precision.global_policy().name == "mixed_float16"
    assert "Mixed precision: on" in capsys.readouterr().out


def test_mixed_precision_stays_off_on_an_old_gpu_and_says_why(fake_gpus, capsys):
    fake_gpus(1, capability=(6, 1))
    setup(mixed_precision=True)
    assert keras.mixed_precision.global_policy().name == "float32"
    assert "only pays on GPUs with compute capability 7.0" in capsys.readouterr().out


def test_mixed_precision_stays_off_on_a_cpu():
    setup(mixed_precision=True, verbose=False)
    assert keras.mixed_precision.global_policy().name == "float32"


def test_no_tpu_is_tried_unless_the_machine_advertises_one(monkeypatch):
    for var in ("COLAB_TPU_ADDR", "TPU_NAME", "TPU_ACCELERATOR_TYPE"):
        monkeypatch.delenv(var, raising=False)

    def fail(*args, **kwargs):
        raise AssertionError("TPU resolver called")

    monkeypatch.setattr(tf.distribute.cluster_resolver, "TPUClusterResolver", fail)
    assert device._tpu_strategy() is None


def test_an_advertised_tpu_that_cannot_start_is_reported_and_skipped(monkeypatch, capsys):
    monkeypatch.setenv("TPU_NAME", "local")

    def unavailable(*args, **kwargs):
        raise ValueError("no TPU found")

    monkeypatch.setattr(tf.distribute.cluster_resolver, "TPUClusterResolver", unavailable)
    assert device._tpu_strategy() is None
    assert "could not be started (no TPU found)" in capsys.readouterr().out


def test_estimate_seconds_times_a_copy_and_leaves_the_model_untouched(capsys):
    from lab_utils.data import make_dataset
    from lab_utils.models import compile_classifier, softmax_regression

    model = compile_classifier(softmax_regression())
    before = [w.copy() for w in model.get_weights()]
    images = np.random.default_rng(0).integers(0, 256, (300, 28, 28), dtype=np.uint8)
    train = make_dataset(images, np.arange(300) % 10, batch_size=100)
    seconds = device.estimate_seconds(model, train, epochs=4, runs=2)
    assert seconds > 0
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    out = capsys.readouterr().out
    assert "of training on this machine (4 epochs of 3 batches, 2 runs; measured on 3 batches)" in out


def test_estimate_seconds_takes_one_hot_labels_for_a_model_trained_with_label_smoothing():
    from lab_utils.data import make_dataset
    from lab_utils.models import compile_classifier, softmax_regression

    model = compile_classifier(softmax_regression(), label_smoothing=0.1)
    train = make_dataset(np.zeros((200, 28, 28), np.uint8), np.arange(200) % 10, batch_size=100, one_hot=10)
    assert device.estimate_seconds(model, train, epochs=1, verbose=False) > 0


def test_output_path_is_the_name_itself_where_no_output_folder_is_set(monkeypatch):
    monkeypatch.delenv("LAB_OUTPUT_DIR", raising=False)
    assert device.output_path("lenet.keras") == "lenet.keras"


def test_output_path_is_inside_the_output_folder_made_on_demand_and_stable_when_applied_twice(monkeypatch, tmp_path):
    monkeypatch.setenv("LAB_OUTPUT_DIR", str(tmp_path / "runs"))
    path = device.output_path("logs/02_mlp")
    assert path == str(tmp_path / "runs" / "logs" / "02_mlp") and (tmp_path / "runs" / "logs").is_dir()
    assert device.output_path(path) == path


class FakeDistribution:
    """What importlib.metadata knows of an installed package: its version and pip's direct_url.json (PEP 610)."""

    def __init__(self, version, direct_url=None):
        self.version = version
        self.direct_url = direct_url

    def read_text(self, name):
        return self.direct_url if name == "direct_url.json" else None


def installed_as(monkeypatch, dist):
    from importlib import metadata

    def distribution(name):
        assert name == device.DISTRIBUTION
        if dist is None:
            raise metadata.PackageNotFoundError(name)
        return dist

    monkeypatch.setattr(metadata, "distribution", distribution)


def test_installed_names_the_repository_tag_and_commit_pip_recorded_for_a_git_install(monkeypatch):
    record = ('{"url": "https://github.com/alice/labs", "vcs_info": {"vcs": "git", "requested_revision": "v2027.1",'
              ' "commit_id": "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"}}')
    installed_as(monkeypatch, FakeDistribution("0.1.0", record))
    assert device.installed() == ("lab_utils 0.1.0 installed from https://github.com/alice/labs at v2027.1 "
                                  "(commit 0a1b2c3).")


def test_installed_says_only_the_version_for_an_install_from_an_index_or_a_damaged_record(monkeypatch):
    installed_as(monkeypatch, FakeDistribution("0.1.0", None))
    assert device.installed() == "lab_utils 0.1.0 installed."
    installed_as(monkeypatch, FakeDistribution("0.1.0", "{not json"))
    assert device.installed() == "lab_utils 0.1.0 installed."


def test_installed_says_so_when_lab_utils_is_imported_from_a_folder(monkeypatch):
    installed_as(monkeypatch, None)
    assert "not installed as a package" in device.installed()


def test_on_colab_prints_what_was_installed_and_goes_on_where_tensorflow_is_there(monkeypatch, capsys):
    installed_as(monkeypatch, FakeDistribution("0.1.0", None))
    device.on_colab()
    assert capsys.readouterr().out == "lab_utils 0.1.0 installed.\n"


def test_on_colab_without_tensorflow_stops_with_one_line_naming_the_runtime_to_choose(monkeypatch, capsys):
    """Colab's TPU runtimes have JAX but no TensorFlow: the first cell says what to do, and IPython shows that line
    in place of a traceback (_render_traceback_)."""
    import importlib.util

    installed_as(monkeypatch, FakeDistribution("0.1.0", None))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "tensorflow" else real_find_spec(name, *args))
    with pytest.raises(device.RuntimeNotSupported) as stopped:
        device.on_colab()
    assert "Change runtime type" in str(stopped.value) and "CPU or T4 GPU" in str(stopped.value)
    shown = stopped.value._render_traceback_()
    assert len(shown) == 1 and "Change runtime type" in shown[0]
    assert capsys.readouterr().out == "lab_utils 0.1.0 installed.\n"
