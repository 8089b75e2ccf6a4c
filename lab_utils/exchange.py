"""Plain data between the grader and a student's kernel: how the grader calls a student's function from afar.

When ``python -m lab_utils.grade`` grades a notebook, the checks of ``lab_utils.checks`` run in the grader's own
process, which never executes student code. What they are given in place of the student's function is a
``RemoteFunction``: calling it writes the arguments as data (JSON, NumPy's ``.npz`` without pickles, Keras's
``.keras`` files) into a folder, asks the student's kernel to run ``serve`` on it, and reads the reply back as data:
the return value, what the call did to its arguments (a ``tf.Variable`` updated, a model's weights), or the
exception it raised. Keras models cross as ``.keras`` files, loaded in safe mode after every class they name has
been checked to be Keras's own. Nothing the kernel writes is trusted: a reply that is too large, malformed or names
something else is refused with ``BadReply``.

The same checks run unchanged in the student's notebook, on the real function, so what a student sees in a check
cell is what the grader decides.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import zipfile
from pathlib import Path

import numpy as np

from lab_utils.files import write_atomic

MAX_REPLY_BYTES = 64 * 2**20  # everything one call may send back
MAX_NODES = 100_000
MAX_DEPTH = 40
KERAS_MODULES = re.compile(r"^keras(\.|$)")
REFUSED_CLASSES = {"Lambda", "TFSMLayer"}


class BadReply(Exception):
    """What came back from the kernel is not a reply ``serve`` writes: too large, malformed, or naming code."""


class NotRebuildable(BadReply):
    """What the student's function returned cannot be rebuilt from Keras's own classes (a layer class of their own)."""


class StudentRaised(Exception):
    """Raised by a RemoteFunction in the grader: the student's function raised ``kind`` (its name) with ``text``."""


class Opaque:
    """A value of the student's that is not data (a function, a custom object): only its type and repr cross."""

    def __init__(self, kind, text):
        self.kind, self.text = kind, text

    def __repr__(self):
        return self.text


class BlockOutput:
    """A functional-API block's output, from the student's kernel: the block as a model from the given input."""

    def __init__(self, model):
        self.model = model


def _opaque(kind, text):
    """An Opaque whose ``type(...).__name__`` is the student's type name (the checks' messages print it)."""
    name = kind if re.fullmatch(r"[A-Za-z_]\w{0,60}", str(kind)) else "object"
    return type(name, (Opaque,), {})(name, str(text)[:200])


def _raised(kind, text):
    """The exception to raise in the grader for the student's: NotImplementedError as itself, others by name."""
    if kind == "NotImplementedError":
        return NotImplementedError(text)
    if kind == "KeyboardInterrupt":
        return KeyboardInterrupt()
    name = kind if re.fullmatch(r"[A-Za-z_]\w{0,60}", str(kind)) else "Exception"
    return type(name, (StudentRaised,), {})(str(text)[:300])


# --------------------------------------------------------------------------- encoding (both sides)

def encode(value, folder, store, arguments=()):
    """``value`` as a JSON node; arrays go into ``store`` (a dict saved as .npz), models into files in ``folder``.
    ``arguments``: the call's decoded arguments, so that a returned model can say which layers it shares with them."""
    import sys

    if value is None or isinstance(value, (bool, str)):
        return {"t": "none"} if value is None else {"t": type(value).__name__, "v": value}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"t": type(value).__name__ if type(value) in (int, float) else "float", "v": value}
    if isinstance(value, (list, tuple)):
        return {"t": "list" if isinstance(value, list) else "tuple",
                "items": [encode(v, folder, store, arguments) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"t": "dict", "items": [[k, encode(v, folder, store, arguments)] for k, v in value.items()]}
    if isinstance(value, np.generic) or isinstance(value, np.ndarray):
        return _array(np.asarray(value), store, scalar=isinstance(value, np.generic))
    if "keras" in sys.modules or "tensorflow" in sys.modules:
        node = _encode_keras(value, folder, store, arguments)
        if node is not None:
            return node
    try:
        array = np.asarray(value)
        if array.dtype.kind in "biuf" and array.dtype != object:
            return _array(array, store)
    except Exception:
        pass
    return {"t": "opaque", "kind": type(value).__name__, "repr": repr(value)[:200] if _safe_repr(value) else ""}


def _safe_repr(value):
    return type(value).__repr__ is object.__repr__ or type(value).__module__ in ("builtins", "numpy")


def _array(array, store, scalar=False, **flags):
    if array.dtype.kind not in "biuf":
        return {"t": "opaque", "kind": "ndarray", "repr": f"array of dtype {array.dtype}"}
    key = f"a{len(store)}"
    store[key] = array
    return {"t": "array", "key": key, "scalar": scalar, **flags}


def _encode_keras(value, folder, store, arguments):
    import keras
    import tensorflow as tf

    if isinstance(value, tf.Variable):
        return _array(value.numpy(), store, variable=True)
    if isinstance(value, tf.Tensor) and not keras.backend.is_keras_tensor(value):
        return _array(value.numpy(), store, tensor=True)
    if keras.backend.is_keras_tensor(value):
        inputs = [a for a in arguments if keras.backend.is_keras_tensor(a)]
        if not inputs:  # the grader's side: an Input to make in the kernel
            return {"t": "keras_input", "shape": list(value.shape[1:]), "dtype": str(value.dtype)}
        model = keras.Model(inputs[0], value)
        return {"t": "block", "file": _save_model(model, folder)}
    if isinstance(value, keras.Model):
        shared = sorted({layer.name for layer in value.layers for a in arguments if isinstance(a, keras.Model)
                         for other in a.layers if layer is other})
        return {"t": "model", "file": _save_model(value, folder), "shared": shared}
    if isinstance(value, keras.layers.Layer):
        if not value.built:
            return {"t": "opaque", "kind": type(value).__name__, "repr": "an unbuilt Keras layer"}
        return {"t": "layer", "config": keras.saving.serialize_keras_object(value),
                "weights": [_array(np.asarray(w), store) for w in value.get_weights()]}
    return None


def _save_model(model, folder):
    name = f"m{len(list(Path(folder).glob('m*.keras')))}.keras"
    model.save(Path(folder) / name)
    return name


def decode(node, folder, arrays, remote=False, depth=0):
    """The value a JSON ``node`` stands for. ``remote=True`` on the grader's side: everything is checked and models
    are loaded in safe mode; ``remote=False`` in the kernel, which rebuilds the grader's arguments."""
    if depth > MAX_DEPTH or not isinstance(node, dict):
        raise BadReply("the reply is nested too deeply or malformed")
    kind = node.get("t")
    if kind == "none":
        return None
    if kind in ("bool", "int", "float", "str"):
        value = node.get("v")
        expected = {"bool": bool, "int": int, "float": (int, float), "str": str}[kind]
        if not isinstance(value, expected) or (kind == "str" and len(value) > 100_000):
            raise BadReply(f"a {kind} that is not one")
        return float(value) if kind == "float" else value
    if kind in ("list", "tuple"):
        items = [decode(n, folder, arrays, remote, depth + 1) for n in _items(node)]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        pairs = _items(node)
        if not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in pairs):
            raise BadReply("a malformed dict")
        return {k: decode(v, folder, arrays, remote, depth + 1) for k, v in pairs}
    if kind == "array":
        if node.get("key") not in arrays:
            raise BadReply("an array that is not in the reply")
        array = arrays[node["key"]]
        if node.get("scalar"):
            return array[()]
        if node.get("tensor") or (node.get("variable") and not remote):  # a tensor stays a tensor both ways
            import tensorflow as tf

            return tf.Variable(array) if node.get("variable") else tf.constant(array)
        return array
    if kind == "opaque":
        return _opaque(node.get("kind", "object"), node.get("repr", ""))
    if kind == "keras_input" and not remote:
        import keras

        return keras.Input(tuple(node["shape"]), dtype=node.get("dtype"))
    if kind in ("model", "block"):
        model = load_model(Path(folder) / str(node.get("file", "")), remote)
        if kind == "block":
            return BlockOutput(model)
        shared = node.get("shared", [])
        if not (isinstance(shared, list) and all(isinstance(s, str) for s in shared)):
            raise BadReply("a malformed list of shared layers")
        model.lab_shared_layers = tuple(shared)
        return model
    if kind == "layer":
        return _load_layer(node, arrays, remote)
    raise BadReply(f"an unknown kind of value {str(kind)[:40]!r}")


def _items(node):
    items = node.get("items")
    if not isinstance(items, list) or len(items) > MAX_NODES:
        raise BadReply("a malformed or too long list")
    return items


def _check_config(config, where):
    """Refuse any config that names a class outside Keras (or one of Keras's that runs code: Lambda)."""
    stack, seen = [config], 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise BadReply(f"{where}: a model config too large to read")
        if isinstance(item, dict):
            module = item.get("module")
            if module is not None and (not isinstance(module, str) or not KERAS_MODULES.match(module)):
                name = item.get("class_name", "?")
                raise NotRebuildable(f"{where}: the model uses {name} from {module}, a class of the notebook's own; "
                                     "the grader rebuilds only Keras's own layers (make it from keras.layers)")
            if item.get("class_name") in REFUSED_CLASSES:
                raise NotRebuildable(f"{where}: the model uses a {item['class_name']} layer, which runs code the "
                                     "grader will not run: use Keras's own layers")
            if item.get("registered_name") not in (None, item.get("class_name")) and not str(
                    item.get("registered_name")).startswith("keras"):
                raise NotRebuildable(f"{where}: the model uses a registered class of its own, "
                                     f"{str(item.get('registered_name'))[:60]}")
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def load_model(path, remote=True):
    """A ``.keras`` file as a model; with ``remote``, a private copy of it, only after its size and every class it
    names are checked."""
    import shutil
    import tempfile

    import keras

    path = Path(path)
    if not remote:
        return keras.saving.load_model(path, compile=False)
    if Path(path.name).name != path.name or not path.name.endswith(".keras"):
        raise BadReply("a model file that is not in the reply")
    private = Path(tempfile.mkdtemp(prefix="lab-grade-model-"))
    try:
        copy = private / "model.keras"
        copy.write_bytes(_read_bytes(path, MAX_REPLY_BYTES))
        try:
            with zipfile.ZipFile(copy) as archive:
                if sum(i.file_size for i in archive.infolist()) > MAX_REPLY_BYTES:
                    raise BadReply("a model file too large to unpack")
                config = json.loads(archive.read("config.json"))
        except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, OSError) as e:
            raise BadReply(f"a model file that is not a Keras archive ({type(e).__name__})") from None
        _check_config(config, "the returned model")
        try:
            return keras.saving.load_model(copy, compile=False, safe_mode=True)
        except Exception as e:
            raise BadReply(f"the returned model could not be rebuilt ({type(e).__name__}: {str(e)[:150]})") from None
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _load_layer(node, arrays, remote):
    import keras

    config = node.get("config")
    if remote:
        _check_config(config, "the returned layer")
    try:
        layer = keras.saving.deserialize_keras_object(config, safe_mode=True)
        weights = [decode(w, None, arrays, remote) for w in node.get("weights", [])]
        if weights:
            layer.build_from_config(config.get("build_config", {})) if config.get("build_config") else None
            layer.set_weights(weights)
        return layer
    except BadReply:
        raise
    except Exception as e:
        raise BadReply(f"the returned layer could not be rebuilt ({type(e).__name__}: {str(e)[:150]})") from None


# --------------------------------------------------------------------------- writing and reading a message

def write(folder, name, payload, values):
    """Write ``payload`` (a dict) with ``values`` (name: value) encoded, as ``folder/name.json`` and ``.npz``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    store = {}
    encoded = {key: encode(value, folder, store, payload.pop("_arguments", ())) for key, value in values.items()}
    np.savez(folder / f"{name}.npz", **store)
    write_atomic(folder / f"{name}.json", json.dumps({**payload, "values": encoded}))


def _read_bytes(path, limit):
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        raise BadReply(f"no readable {Path(path).name} ({e.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise BadReply(f"{Path(path).name} is larger than the grader reads ({limit // 2**20} MB)")
    return data


def read(folder, name, remote=True):
    """The payload ``write`` wrote: ``(payload dict, decoded values dict)``; ``BadReply`` when it is not one."""
    folder = Path(folder)
    if remote:
        total = sum(p.stat().st_size for p in folder.iterdir() if p.is_file() and not p.is_symlink())
        if total > MAX_REPLY_BYTES:
            raise BadReply(f"the reply is larger than the grader reads ({MAX_REPLY_BYTES // 2**20} MB)")
    try:
        payload = json.loads(_read_bytes(folder / f"{name}.json", MAX_REPLY_BYTES))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise BadReply(f"{name}.json is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("values"), dict):
        raise BadReply(f"{name}.json is not a reply")
    import io

    try:
        with np.load(io.BytesIO(_read_bytes(folder / f"{name}.npz", MAX_REPLY_BYTES)), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except BadReply:
        raise
    except Exception as e:  # not an npz, or one with pickled objects
        raise BadReply(f"{name}.npz is not plain arrays ({type(e).__name__})") from None
    values = {key: decode(node, folder, arrays, remote) for key, node in payload["values"].items()}
    return payload, values


# --------------------------------------------------------------------------- the kernel's side

@contextlib.contextmanager
def names_replaced(namespace, replacements):
    """Within the block, each name of ``replacements`` in ``namespace`` (a function's globals) means the function its
    dotted path names (``{"sigmoid": "tensorflow.math.sigmoid"}``); afterwards every name is as it was, and a name
    that was missing is missing again. ``namespace=None`` (not a Python function): nothing is replaced."""
    import importlib

    if namespace is None:
        yield
        return
    missing = object()
    saved = {name: namespace.get(name, missing) for name in replacements}
    try:
        for name, dotted in replacements.items():
            module, _, attribute = dotted.rpartition(".")
            namespace[name] = getattr(importlib.import_module(module), attribute)
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


@contextlib.contextmanager
def calls_watched(dotted_names):
    """Within the block, the list it yields collects which of the named library functions (dotted paths, such as
    ``"tensorflow.nn.conv2d"``) are called, under whatever name the caller holds them (a profile hook watches their
    code, not their names). A module's name (``"lab_utils.models"``) watches every function and method defined in
    it, each reported by its own dotted name. Names that do not import are left out.

    Example:
        >>> with calls_watched(["numpy.convolve"]) as seen:
        ...     from numpy import convolve as c; _ = c([1, 2], [1])
        >>> seen
        ['numpy.convolve']
    """
    import importlib
    import inspect
    import sys

    codes, builtins = {}, {}
    for dotted in dotted_names:
        path, target = dotted.split("."), None
        for cut in range(len(path) - 1, 0, -1):  # the longest importable prefix, then attributes
            try:
                target = importlib.import_module(".".join(path[:cut]))
            except ImportError:
                continue
            try:
                for attribute in path[cut:]:
                    target = getattr(target, attribute)
            except AttributeError:
                target = None
            break
        if target is None:
            continue
        for name, function in (_functions_of(target) if inspect.ismodule(target) else [(dotted, target)]):
            inner = inspect.unwrap(getattr(function, "__func__", function))
            if getattr(inner, "__code__", None) is not None:
                codes[inner.__code__] = name
            else:
                builtins[id(function)] = name
    seen = []

    def profile(frame, event, arg):
        name = codes.get(frame.f_code) if event == "call" else builtins.get(id(arg)) if event == "c_call" else None
        if name and name not in seen:
            seen.append(name)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield seen
    finally:
        sys.setprofile(previous)


def _functions_of(module):
    """``(dotted name, function)`` for every function and method written in ``module``'s own file (not, say, the
    methods a NamedTuple class gets from the collections module)."""
    import inspect

    def own(function):
        code = getattr(inspect.unwrap(getattr(function, "__func__", function)), "__code__", None)
        return code is not None and code.co_filename == getattr(module, "__file__", None)

    found = []
    for name, value in vars(module).items():
        if inspect.isfunction(value) and own(value):
            found.append((f"{module.__name__}.{name}", value))
        elif inspect.isclass(value) and value.__module__ == module.__name__:
            found += [(f"{module.__name__}.{name}.{attribute}", member) for attribute, member in vars(value).items()
                      if own(member)]
    return found


def serve(namespace, folder):
    """In the student's kernel: answer the request in ``folder`` about the function it names, then return.

    ``request.json`` asks ``describe`` (does the name exist, is it callable) or ``call`` (call it on the arguments,
    with some notebook names meaning the kit's own functions meanwhile, reporting which watched library functions it
    used); the answer goes to ``reply``.
    """
    folder = Path(folder)
    try:
        request, values = read(folder, "request", remote=False)
    except Exception as e:
        write(folder, "reply", {"error": f"could not read the request ({type(e).__name__})"}, {})
        return
    name = request.get("name", "")
    fn = namespace.get(name)
    if request.get("op") == "describe":
        write(folder, "reply", {"exists": name in namespace, "callable": callable(fn), "_arguments": ()},
              {"value": fn if name in namespace and not callable(fn) else None})
        return
    args = values.get("args", [])
    seen = []
    try:
        with names_replaced(getattr(fn, "__globals__", None), request.get("names") or {}), \
                calls_watched(request.get("watch") or []) as seen:
            result, raised = fn(*args), None
    except BaseException as e:  # the student's error (or the grader's interrupt), reported as data
        result, raised = None, {"kind": type(e).__name__, "text": (str(e).strip().splitlines() or [""])[0][:300]}
    after = [a if _mutable(a) else None for a in args]
    write(folder, "reply", {"raised": raised, "called": seen, "_arguments": args}, {"result": result, "after": after})


def _mutable(value):
    import sys

    if "tensorflow" not in sys.modules:
        return False
    import keras
    import tensorflow as tf

    return isinstance(value, (tf.Variable, keras.Model))


# --------------------------------------------------------------------------- the grader's side

class RemoteFunction:
    """The student's function ``name`` as the grader's checks see it: each call goes to the student's kernel as data.

    ``run(code)`` executes one line of code in that kernel and returns when it is done (the grader's per-cell
    timeout applies); ``folder`` is a folder the kernel can write, where each call makes a new folder of its own.
    ``names``: notebook names that mean the kit's own functions while the student's runs
    (``{"sigmoid": "tensorflow.math.sigmoid"}``), and ``watch``: library functions whose use the kernel reports
    into ``called``, both set by the checks.

    Example (inside the grader):
        >>> fn = RemoteFunction("sigmoid", run, "/tmp/lab-grade-x/student")
        >>> fn.describe()["exists"]
        True
    """

    def __init__(self, name, run, folder):
        self.__name__ = name
        self._run, self._folder = run, Path(folder)
        self.names, self.watch, self.called = {}, [], []

    def _ask(self, payload, values):
        import uuid

        folder = self._folder / f".grader-{uuid.uuid4().hex}"  # a new name: nothing can be waiting there
        folder.mkdir()
        write(folder, "request", {"name": self.__name__, **payload}, values)
        self._run(f"__import__('lab_utils.exchange', fromlist=['serve']).serve(globals(), {str(folder)!r})")
        return read(folder, "reply", remote=True)

    def describe(self):
        """``{"exists": bool, "callable": bool, "value": the value when it is not callable}``."""
        payload, values = self._ask({"op": "describe"}, {})
        return {"exists": payload.get("exists") is True, "callable": payload.get("callable") is True,
                "value": values.get("value")}

    def __call__(self, *args):
        payload, values = self._ask({"op": "call", "names": dict(self.names), "watch": list(self.watch)},
                                    {"args": list(args)})
        called = payload.get("called") or []
        if not (isinstance(called, list) and all(isinstance(c, str) for c in called)):
            raise BadReply("a malformed list of the functions the call used")
        watched = [c for c in called if any(c == w or c.startswith(w + ".") for w in self.watch)]  # a module's own
        self.called.extend(c for c in watched if c not in self.called)
        raised = payload.get("raised")
        if raised is not None:
            if not isinstance(raised, dict):
                raise BadReply("a malformed exception")
            raise _raised(str(raised.get("kind")), str(raised.get("text", "")))
        after = values.get("after")
        if not isinstance(after, list) or len(after) != len(args):
            raise BadReply("a reply without the arguments' state after the call")
        _restore(args, after)
        return values.get("result")


def _restore(args, after):
    """Give the grader's arguments what the call did to them in the kernel (variables assigned, weights set)."""
    import sys

    if "tensorflow" not in sys.modules:
        return
    import keras
    import tensorflow as tf

    for arg, state in zip(args, after):
        try:
            if isinstance(arg, tf.Variable) and isinstance(state, np.ndarray):
                arg.assign(state.astype(arg.dtype.as_numpy_dtype).reshape(arg.shape))
            elif isinstance(arg, keras.Model) and isinstance(state, keras.Model):
                arg.set_weights(state.get_weights())
        except Exception as e:
            raise BadReply(f"the arguments' state after the call does not fit them ({type(e).__name__})") from None
