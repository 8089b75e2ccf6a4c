"""lab_utils.data: offline-first sources, honest reporting, refusal of bad files, the tf.data pipeline."""

import gzip
import http.server
import socket
import struct
import threading
import time

import numpy as np
import pytest

from lab_utils import data as D

from notebooks import OFFICIAL_TEST_DIR as MNIST_TEST_DIR
from notebooks import has_official_test_set, official_test_set

needs_mnist_test = pytest.mark.skipif(not has_official_test_set(),
                                      reason=f"official MNIST test set not found at {MNIST_TEST_DIR}")
needs_debian_fashion = pytest.mark.skipif(not D.DEBIAN_FASHION_DIR.is_dir(),
                                          reason="Debian's dataset-fashion-mnist is not installed")


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Every test starts offline, with empty caches and no pinned source or data folder."""
    for var in ("LAB_DATA_SOURCE", "LAB_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LAB_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))


def write_idx(path, array):
    array = np.asarray(array, np.uint8)
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def make_idx_folder(folder, n_train=30, n_test=10):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    write_idx(folder / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (n_train, 28, 28)))
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.arange(n_train) % 10)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (n_test, 28, 28)))
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.arange(n_test) % 10)
    return folder


def save_mnist_npz(path, n_train=20, n_test=10):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2)
    np.savez(path, x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
             y_train=(np.arange(n_train) % 10).astype(np.uint8),
             x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
             y_test=(np.arange(n_test) % 10).astype(np.uint8))
    return path


# --------------------------------------------------------------------------- the embedded sample

def test_embedded_sample_is_5000_real_digits_split_4000_train_1000_test_stratified():
    x_train, y_train, x_test, y_test = D.read_embedded_mnist()
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [400] * 10
    assert np.bincount(y_test).tolist() == [100] * 10
    # real handwriting: ink in the middle, blank corners, full 0-255 range
    assert x_train[:, 10:18, 10:18].mean() > 5 * x_train[:, :4, :4].mean()
    assert x_train.max() == 255


def test_embedded_split_is_the_same_every_time_and_train_and_test_do_not_overlap():
    first, second = D.read_embedded_mnist(), D.read_embedded_mnist()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    train_rows = {row.tobytes() for row in first[0]}
    assert not any(row.tobytes() in train_rows for row in first[2])


@needs_mnist_test
def test_embedded_sample_shares_no_digit_with_the_official_test_set():
    official, _ = official_test_set()
    official_rows = {row.tobytes() for row in official}
    x_train, _, x_test, _ = D.read_embedded_mnist()
    assert not any(row.tobytes() in official_rows for row in np.concatenate([x_train, x_test]))


def test_offline_load_mnist_falls_back_to_the_embedded_sample_and_says_it_is_a_sample(capsys):
    data = D.load_mnist()
    line = capsys.readouterr().out.strip()
    assert data.source == "embedded"
    assert line == data.description
    assert "4,000 train / 1,000 test" in line and "5,000-digit sample" in line and "not the full" in line
    assert data.class_names == tuple("0123456789")


def test_hanging_network_is_given_up_within_3_seconds(monkeypatch):
    monkeypatch.delenv("LAB_OFFLINE")

    def hang(*args, **kwargs):
        time.sleep(8)  # a name lookup that hangs far past the timeout
        raise OSError("timed out")

    monkeypatch.setattr(socket, "create_connection", hang)
    start = time.monotonic()
    assert D.network_available(timeout=3.0) is False
    assert time.monotonic() - start < 5  # the probe is abandoned, not waited for


def test_lab_offline_means_the_network_is_never_touched(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("network touched")

    monkeypatch.setattr(socket, "create_connection", fail)
    assert D.network_available() is False


def test_network_available_when_the_host_answers(monkeypatch):
    monkeypatch.delenv("LAB_OFFLINE")
    server = socket.create_server(("127.0.0.1", 0))
    try:
        assert D.network_available("127.0.0.1", server.getsockname()[1], timeout=3) is True
    finally:
        server.close()


# --------------------------------------------------------------------------- local folders and caches

@needs_mnist_test
def test_read_idx_reads_the_official_test_set():
    images = D.read_idx(MNIST_TEST_DIR / "t10k-images-idx3-ubyte.gz", expected_shape=(28, 28))
    labels = D.read_idx(MNIST_TEST_DIR / "t10k-labels-idx1-ubyte.gz", expected_shape=())
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@needs_mnist_test
def test_local_folder_named_by_LAB_DATA_DIR_comes_first(tmp_path, monkeypatch, capsys):
    # A loader test only: the official test files stand in for both splits; nothing is trained here.
    folder = tmp_path / "mnist"
    folder.mkdir()
    for split in ("train", "t10k"):
        for kind in ("images-idx3", "labels-idx1"):
            (folder / f"{split}-{kind}-ubyte.gz").symlink_to(MNIST_TEST_DIR / f"t10k-{kind}-ubyte.gz")
    save_mnist_npz(D.keras_cache_dir() / "mnist.npz")  # a later source that must not win
    monkeypatch.setenv("LAB_DATA_DIR", str(folder))
    data = D.load_mnist()
    assert data.source == "local"
    assert data.x_train.shape == (10000, 28, 28) and data.y_test.shape == (10000,)
    assert f"from local (IDX files in {folder})" in capsys.readouterr().out


def test_local_folder_given_as_argument_reads_uncompressed_files_too(tmp_path):
    folder = make_idx_folder(tmp_path / "data")
    for gz in folder.glob("*.gz"):
        gz.with_suffix("").write_bytes(gzip.decompress(gz.read_bytes()))
        gz.unlink()
    data = D.load_mnist(path=folder, verbose=False)
    assert data.source == "local" and data.x_train.shape == (30, 28, 28)


def test_local_folder_with_a_missing_file_names_it(tmp_path):
    folder = make_idx_folder(tmp_path / "data")
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(D.DataError, match="missing t10k-labels-idx1-ubyte.gz"):
        D.load_mnist(path=folder)


def test_a_path_that_is_not_a_folder_is_refused(tmp_path):
    with pytest.raises(D.DataError, match="not a folder"):
        D.load_mnist(path=tmp_path / "nowhere")


def test_keras_cache_is_used_before_the_embedded_sample(capsys):
    npz = save_mnist_npz(D.keras_cache_dir() / "mnist.npz")
    data = D.load_mnist()
    assert data.source == "keras-cache" and data.x_train.shape == (20, 28, 28)
    assert str(npz) in capsys.readouterr().out


def test_corrupt_keras_cache_is_refused_naming_the_file():
    npz = D.keras_cache_dir() / "mnist.npz"
    npz.parent.mkdir(parents=True)
    npz.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(D.DataError, match="mnist.npz: not a readable MNIST .npz"):
        D.load_mnist()


def test_tfds_is_tried_only_where_a_prepared_copy_exists(tmp_path):
    name, available, _ = D._tfds_candidate("mnist")
    assert "nothing prepared" in available()
    info = tmp_path / "tfds" / "mnist" / "3.0.1" / "dataset_info.json"
    info.parent.mkdir(parents=True)
    info.write_text("{}")
    assert available() is True


def test_pinning_a_source_that_cannot_serve_lists_why(monkeypatch):
    monkeypatch.setenv("LAB_DATA_SOURCE", "keras-cache")
    with pytest.raises(D.DataError, match=r"source='keras-cache'.*\n  keras-cache: no .*mnist.npz"):
        D.load_mnist()


def test_an_unknown_source_is_refused_naming_the_argument():
    with pytest.raises(ValueError, match="source='mnist.npz' is not one of auto, local"):
        D.load_mnist(source="mnist.npz")


# --------------------------------------------------------------------------- bad files

def test_truncated_gzip_is_refused_naming_the_file(tmp_path):
    folder = make_idx_folder(tmp_path / "data")
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(D.DataError, match=r"train-images-idx3-ubyte.gz: not a readable gzip file"):
        D.load_mnist(path=folder)


def test_wrong_magic_number_is_refused(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"<html>404 Not Found</html>")
    with pytest.raises(D.DataError, match=r"train-images-idx3-ubyte.gz: wrong IDX magic number 3c68746d"):
        D.read_idx(path)


def test_data_shorter_than_the_header_promises_is_refused(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(struct.pack(">BBBBI", 0, 0, 8, 1, 100) + bytes(60))
    with pytest.raises(D.DataError, match="promises 100 bytes .* holds 60"):
        D.read_idx(path)


def test_image_and_label_counts_that_differ_are_refused(tmp_path):
    folder = make_idx_folder(tmp_path / "data")
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(29))
    with pytest.raises(D.DataError, match="30 images but 29 labels"):
        D.load_mnist(path=folder)


def test_images_of_an_unexpected_shape_are_refused(tmp_path):
    folder = make_idx_folder(tmp_path / "data")
    write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((10, 32, 32)))
    expected = r"t10k-images-idx3-ubyte.gz: items have shape \(32, 32\), expected \(28, 28\)"
    with pytest.raises(D.DataError, match=expected):
        D.load_mnist(path=folder)


# --------------------------------------------------------------------------- downloads (a local server)

class _Handler(http.server.BaseHTTPRequestHandler):
    files = {}
    cut_after = None  # send only this many bytes of the body, then hang up

    def do_GET(self):
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body if self.cut_after is None else body[: self.cut_after])

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Handler.files, _Handler.cut_after = {}, None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield _Handler, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_keeps_a_file_whose_checksum_matches(server, tmp_path):
    handler, url = server
    handler.files["/f.bin"] = b"digits" * 1000
    import hashlib

    dest = D.download(url + "/f.bin", tmp_path / "cache" / "f.bin", hashlib.sha256(b"digits" * 1000).hexdigest())
    assert dest.read_bytes() == b"digits" * 1000
    assert [p.name for p in dest.parent.iterdir()] == ["f.bin"]


def test_download_with_a_wrong_checksum_leaves_no_file(server, tmp_path):
    handler, url = server
    handler.files["/f.bin"] = b"tampered"
    with pytest.raises(D.DataError, match="f.bin: downloaded file has sha256 .* it was not saved"):
        D.download(url + "/f.bin", tmp_path / "f.bin", "0" * 64)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_download_leaves_no_file_a_later_call_would_trust(server, tmp_path):
    handler, url = server
    handler.files["/f.bin"] = bytes(100_000)
    handler.cut_after = 10_000
    with pytest.raises(D.DataError, match="download of .*f.bin failed"):
        D.download(url + "/f.bin", tmp_path / "f.bin", "0" * 64)
    assert list(tmp_path.iterdir()) == []


def test_online_load_mnist_downloads_into_the_keras_cache_and_reuses_it(server, tmp_path, monkeypatch, capsys):
    handler, url = server
    npz = save_mnist_npz(tmp_path / "served" / "mnist.npz")
    handler.files["/mnist.npz"] = npz.read_bytes()
    import hashlib

    monkeypatch.setattr(D, "MNIST_URL", url + "/mnist.npz")
    monkeypatch.setattr(D, "MNIST_SHA256", hashlib.sha256(npz.read_bytes()).hexdigest())
    asked = []
    monkeypatch.setattr(D, "network_available", lambda host: asked.append(host) or True)  # the network, mocked on
    assert D.load_mnist().source == "download"
    assert asked == ["127.0.0.1"]  # the probe asks the host the file comes from
    assert (D.keras_cache_dir() / "mnist.npz").is_file()
    assert D.load_mnist().source == "keras-cache"
    assert "downloaded to" in capsys.readouterr().out


# --------------------------------------------------------------------------- Fashion-MNIST

@needs_debian_fashion
def test_fashion_mnist_comes_from_debians_package_when_installed(capsys):
    data = D.load_fashion_mnist()
    assert data.source == "system"
    assert data.x_train.shape == (60000, 28, 28) and data.x_test.shape == (10000, 28, 28)
    assert np.bincount(data.y_test).tolist() == [1000] * 10
    assert data.class_names[9] == "Ankle boot"
    assert "Fashion-MNIST: 60,000 train / 10,000 test images from system" in capsys.readouterr().out


def test_fashion_mnist_with_nothing_available_says_what_was_tried(monkeypatch, tmp_path):
    monkeypatch.setattr(D, "DEBIAN_FASHION_DIR", tmp_path / "none")
    with pytest.raises(D.DataError) as error:
        D.load_fashion_mnist()
    message = str(error.value)
    assert "No source could load Fashion-MNIST" in message
    assert "apt install dataset-fashion-mnist" in message
    assert "download: offline (raw.githubusercontent.com did not answer" in message  # where the files come from


# --------------------------------------------------------------------------- make_dataset

def test_make_dataset_scales_to_unit_range_adds_a_channel_and_batches():
    x = np.full((10, 28, 28), 255, np.uint8)
    x[:, 0, 0] = 0
    batches = list(D.make_dataset(x, np.arange(10) % 10, batch_size=4, shuffle=False))
    assert [tuple(b[0].shape) for b in batches] == [(4, 28, 28, 1), (4, 28, 28, 1), (2, 28, 28, 1)]
    images, labels = batches[0]
    assert images.dtype.name == "float32" and labels.dtype.name == "int32"
    assert float(images.numpy().min()) == 0.0 and float(images.numpy().max()) == 1.0


def test_make_dataset_can_flatten_images_for_dense_models():
    images, _ = next(iter(D.make_dataset(np.zeros((5, 28, 28), np.uint8), np.zeros(5), flatten=True)))
    assert tuple(images.shape) == (5, 784)


def test_make_dataset_shuffles_reproducibly_with_its_seed_and_anew_each_epoch():
    labels = np.arange(100)
    x = np.zeros((100, 28, 28), np.uint8)

    def two_epochs(seed):
        ds = D.make_dataset(x, labels, batch_size=100, seed=seed)
        return [next(iter(ds))[1].numpy().tolist() for _ in range(2)]

    a, b, c = two_epochs(0), two_epochs(0), two_epochs(1)
    assert a == b                      # same seed, same order
    assert a[0] != a[1]                # a new order each epoch
    assert a[0] != c[0]                # another seed, another order
    assert sorted(a[0]) == labels.tolist()


def _one_dot_images(n):
    """n images, each black but for one white pixel in the middle (row 14, column 14)."""
    x = np.zeros((n, 28, 28), np.uint8)
    x[:, 14, 14] = 255
    return x


def _dot_positions(images):
    flat = images.numpy().reshape(len(images), -1).argmax(axis=1)
    return [divmod(int(i), 28) for i in flat]


def test_make_dataset_shift_moves_each_image_by_at_most_shift_pixels_and_keeps_it_whole():
    images, _ = next(iter(D.make_dataset(_one_dot_images(64), np.zeros(64), batch_size=64, shift=2)))
    positions = _dot_positions(images)
    assert all(abs(r - 14) <= 2 and abs(c - 14) <= 2 for r, c in positions)
    assert len(set(positions)) > 10                      # images move independently of each other
    assert np.allclose(images.numpy().sum(axis=(1, 2, 3)), 1.0)  # nothing lost, nothing added


def test_make_dataset_shift_is_new_each_epoch_and_reproducible_with_its_seed():
    def two_epochs(seed):
        ds = D.make_dataset(_one_dot_images(32), np.zeros(32), batch_size=32, shuffle=False, seed=seed, shift=2)
        return [_dot_positions(next(iter(ds))[0]) for _ in range(2)]

    a, b, c = two_epochs(0), two_epochs(0), two_epochs(1)
    assert a == b and a[0] != a[1] and a[0] != c[0]


def test_make_dataset_shift_works_with_flattened_images():
    images, _ = next(iter(D.make_dataset(_one_dot_images(8), np.zeros(8), flatten=True, shift=1)))
    assert tuple(images.shape) == (8, 784) and np.allclose(images.numpy().sum(axis=1), 1.0)


@pytest.mark.parametrize("shift", [-1, 1.5, 28])
def test_make_dataset_refuses_a_shift_that_is_not_a_whole_number_of_pixels_inside_the_image(shift):
    with pytest.raises(ValueError, match=f"shift must be a whole number of pixels from 0 to 27, got {shift}"):
        D.make_dataset(np.zeros((5, 28, 28), np.uint8), np.zeros(5), shift=shift)


def _bar_images(n):
    """n images, each black but for a white horizontal bar 12 pixels long and 2 thick in the middle."""
    x = np.zeros((n, 28, 28), np.uint8)
    x[:, 13:15, 8:20] = 255
    return x


def _first_batch(images, **augmentation):
    ds = D.make_dataset(images, np.zeros(len(images)), batch_size=len(images), shuffle=False, **augmentation)
    return next(iter(ds))[0].numpy()[..., 0]


def test_make_dataset_augments_nothing_beyond_scaling_by_default():
    assert np.array_equal(_first_batch(_bar_images(4)), _bar_images(4) / 255)


def test_make_dataset_rotation_turns_each_image_differently_and_keeps_its_ink():
    images = _first_batch(_bar_images(32), rotation=30)
    ink = images.sum(axis=(1, 2))
    assert np.allclose(ink, 24, rtol=0.1)                          # about the same ink, turned
    rows_touched = (images > 0.1).any(axis=2).sum(axis=1)
    assert rows_touched.max() > 4                                  # the bar slants
    assert len({image.tobytes() for image in images}) == 32        # by a different angle in each image


def test_make_dataset_zoom_scales_each_image_about_its_centre_within_the_range():
    images = _first_batch(_bar_images(32), zoom=0.3)
    widths = (images > 0.5).any(axis=1).sum(axis=1)
    assert widths.min() >= 12 * 0.7 - 1 and widths.max() <= 12 * 1.3 + 1 and len(set(widths)) > 3
    columns = np.flatnonzero((images > 0.5).any(axis=(0, 1)))
    assert abs((columns[0] + columns[-1]) / 2 - 13.5) <= 1        # centred where the bar was


def test_make_dataset_thicken_grows_strokes_by_up_to_thicken_pixels_and_never_thins_them():
    images = _first_batch(_one_dot_images(64), thicken=2)
    sizes = (images > 0).sum(axis=(1, 2))
    assert set(sizes) == {1, 4, 9}                                 # a dot stays, or grows to 2 x 2 or 3 x 3
    assert np.all(images[:, 14, 14] == 1.0)                        # the original ink stays


def test_make_dataset_rotation_zoom_and_thicken_are_new_each_epoch_and_reproducible_with_their_seed():
    def two_epochs(seed):
        ds = D.make_dataset(_bar_images(16), np.zeros(16), batch_size=16, shuffle=False, seed=seed, rotation=10,
                            zoom=0.1, thicken=1)
        return [next(iter(ds))[0].numpy() for _ in range(2)]

    a, b, c = two_epochs(0), two_epochs(0), two_epochs(1)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1]) and not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("augmentation, message", [
    (dict(rotation=-5), "rotation must be an angle in degrees from 0 to 180"),
    (dict(zoom=1.0), "zoom must be a fraction from 0 up to"),
    (dict(thicken=1.5), "thicken must be a whole number of pixels from 0 to 3"),
    (dict(thicken=4), "thicken must be a whole number of pixels from 0 to 3"),
])
def test_make_dataset_refuses_rotation_zoom_or_thicken_out_of_range(augmentation, message):
    with pytest.raises(ValueError, match=message):
        D.make_dataset(np.zeros((5, 28, 28), np.uint8), np.zeros(5), **augmentation)


def test_make_dataset_one_hot_gives_each_label_as_a_vector_of_the_classes():
    _, labels = next(iter(D.make_dataset(np.zeros((3, 28, 28), np.uint8), np.array([0, 2, 9]), shuffle=False,
                                         one_hot=10)))
    assert labels.numpy().tolist() == np.eye(10)[[0, 2, 9]].tolist()


@pytest.mark.parametrize("one_hot", [9, 2.5, True])
def test_make_dataset_refuses_one_hot_that_is_not_a_number_of_classes_above_every_label(one_hot):
    with pytest.raises(ValueError, match="one_hot must be the number of classes, larger than every label"):
        D.make_dataset(np.zeros((3, 28, 28), np.uint8), np.array([0, 2, 9]), one_hot=one_hot)


def test_make_dataset_leaves_the_tf_data_autotuner_off():
    ds = D.make_dataset(np.zeros((5, 28, 28), np.uint8), np.zeros(5), shift=1)
    assert ds.options().autotune.enabled is False


def test_make_dataset_refuses_images_and_labels_of_different_lengths():
    with pytest.raises(ValueError, match="differ in length: 5 vs 4"):
        D.make_dataset(np.zeros((5, 28, 28), np.uint8), np.zeros(4))


def test_make_dataset_refuses_flat_images_with_a_hint():
    with pytest.raises(ValueError, match=r"shape \(N, height, width\), got \(5, 784\)"):
        D.make_dataset(np.zeros((5, 784), np.uint8), np.zeros(5))


def test_a_source_pinned_in_the_environment_that_fashion_mnist_lacks_is_ignored(monkeypatch, tmp_path):
    monkeypatch.setenv("LAB_DATA_SOURCE", "embedded")  # meant for MNIST
    monkeypatch.setenv("LAB_DATA_DIR", str(make_idx_folder(tmp_path / "fashion")))
    assert D.load_fashion_mnist(verbose=False).source == "local"


def test_the_same_source_given_as_an_argument_is_refused_for_fashion_mnist():
    with pytest.raises(D.DataError, match="embedded: not a source for Fashion-MNIST"):
        D.load_fashion_mnist(source="embedded")


# --------------------------------------------------------------------------- limit_train_images

def _images(n):
    labels = (np.arange(n) % 10).astype(np.uint8)
    return D.ImageData(np.arange(n)[:, None, None] * np.ones((1, 28, 28), np.uint8), labels,
                       np.zeros((5, 28, 28), np.uint8), np.zeros(5, np.uint8), D.MNIST_CLASSES, "local", "test data")


def test_auto_keeps_at_most_the_cpu_limit_on_a_cpu_and_says_so(monkeypatch, capsys):
    monkeypatch.setattr(D, "_has_gpu", lambda: False)
    kept = D.limit_train_images(_images(1000), "auto", cpu_limit=300)
    assert len(kept.x_train) == len(kept.y_train) == 300 and len(kept.x_test) == 5
    assert "Training images: 300 of 1,000" in capsys.readouterr().out


def test_auto_keeps_every_image_on_a_gpu(monkeypatch, capsys):
    monkeypatch.setattr(D, "_has_gpu", lambda: True)
    assert len(D.limit_train_images(_images(1000), "auto", cpu_limit=300).x_train) == 1000
    assert "all 1,000 (a GPU is present)" in capsys.readouterr().out


def test_none_keeps_every_image_and_a_number_caps_it(monkeypatch):
    monkeypatch.setattr(D, "_has_gpu", lambda: False)
    assert len(D.limit_train_images(_images(1000), None, cpu_limit=300).x_train) == 1000
    assert len(D.limit_train_images(_images(1000), 450).x_train) == 450
    assert len(D.limit_train_images(_images(200), 450).x_train) == 200


def test_the_images_kept_keep_their_labels_and_the_classes_their_proportions():
    data = _images(5000)
    kept = D.limit_train_images(data, 2000, verbose=False)
    assert np.array_equal(kept.x_train[:, 0, 0] % 10, kept.y_train)  # each image still with its own label
    assert np.bincount(kept.y_train, minlength=10).min() > 150  # every class about 200
    assert np.array_equal(kept.y_train, D.limit_train_images(data, 2000, verbose=False).y_train)  # same seed, same


@pytest.mark.parametrize("limit", ["all", 0, -5, 2.5, True])
def test_a_train_images_value_that_means_nothing_is_refused_naming_the_parameter(limit):
    with pytest.raises(ValueError, match="TRAIN_IMAGES"):
        D.limit_train_images(_images(10), limit)
