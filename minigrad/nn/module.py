"""`Module`: parameters in layer order, gradients, state dicts and checkpoints."""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minigrad.errors import CheckpointError
from minigrad.value import Value


class Module:
    """Base class of layers and models.

    Values (or object arrays of scalar Values) and Modules assigned as attributes are
    registered in assignment order, so `parameters()` lists them in layer order
    with each layer's weight before its bias, like PyTorch.
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_params", {})
        object.__setattr__(self, "_children", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_params" not in self.__dict__:
            raise AttributeError(f"call Module.__init__() before assigning {name!r}")
        self._params.pop(name, None)
        self._children.pop(name, None)
        if isinstance(value, Value) or _is_scalar_parameter_grid(value):
            self._params[name] = value
        elif isinstance(value, Module):
            self._children[name] = value
        object.__setattr__(self, name, value)

    _params: dict[str, Any]
    _children: dict[str, Module]

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any) -> Any:
        return self.forward(*args)

    # -- parameters -------------------------------------------------------------------------

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """(dotted name, parameter) pairs in layer order; scalar grids yield one per weight."""
        for name, param in self._params.items():
            if isinstance(param, Value):
                yield prefix + name, param
            else:
                for index, value in np.ndenumerate(param):
                    yield f"{prefix}{name}.{'.'.join(map(str, index))}", value
        for name, child in self._children.items():
            yield from child.named_parameters(f"{prefix}{name}.")

    def parameters(self) -> list[Value]:
        """Every trainable Value, in layer order, weight before bias."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Clear the accumulated gradient of every parameter."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Module:
        """Set training mode (recursively); returns self."""
        object.__setattr__(self, "training", mode)
        for child in self._children.values():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode (recursively); returns self."""
        return self.train(False)

    # -- state ------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, NDArray[Any]]:
        """A copy of every parameter as an array, keyed by dotted name ("0.weight", ...)."""
        state: dict[str, NDArray[Any]] = {}
        for name, param in self._params.items():
            if isinstance(param, Value):
                state[name] = np.array(param.data, copy=True)
            else:
                state[name] = np.array([v.data for v in param.flat]).reshape(param.shape)
        for child_name, child in self._children.items():
            for key, array in child.state_dict().items():
                state[f"{child_name}.{key}"] = array
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Copy arrays into the parameters; all-or-nothing.

        Raises:
            KeyError: a key is missing or unexpected (named in the message).
            ValueError: an array has the wrong shape (name and both shapes in the message).
        """
        own = self.state_dict()
        missing = [k for k in own if k not in state]
        extra = [k for k in state if k not in own]
        if missing or extra:
            raise KeyError(
                f"state dict does not match the model: missing {missing}, unexpected {extra}"
            )
        arrays = {}
        for key, current in own.items():
            array = np.asarray(state[key])
            if array.shape != current.shape:
                raise ValueError(
                    f"state dict entry {key!r} has shape {array.shape}, the model expects "
                    f"{current.shape}"
                )
            if array.dtype.kind not in "fiu":
                raise ValueError(f"state dict entry {key!r} has non-numeric dtype {array.dtype}")
            arrays[key] = array
        self._assign(arrays, "")

    def _assign(self, arrays: dict[str, NDArray[Any]], prefix: str) -> None:
        for name, param in self._params.items():
            array = arrays[prefix + name]
            if isinstance(param, Value):
                if isinstance(param.data, float):
                    param.data = float(array)
                else:
                    param.data = array.astype(param.data.dtype, copy=True)
            else:
                for v, x in zip(param.flat, array.flat, strict=True):
                    v.data = float(x)
        for child_name, child in self._children.items():
            child._assign(arrays, f"{prefix}{child_name}.")

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the parameters to an `.npz` file (no pickle), atomically."""
        save(self, path)

    def load(self, path: str | os.PathLike[str]) -> None:
        """Read parameters written by `save`; the model is unchanged if anything is wrong."""
        load(self, path)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._children.items())
        return f"{type(self).__name__}({inner})"


def _is_scalar_parameter_grid(value: Any) -> bool:
    """An object array of scalar Values: the weights of a scalar-mode layer."""
    return isinstance(value, np.ndarray) and value.dtype == object


def save(model: Module, path: str | os.PathLike[str]) -> None:
    """Write `model.state_dict()` to `path` (.npz); a temporary file is renamed into place."""
    target = os.fspath(path)
    if not target.endswith(".npz"):
        target += ".npz"
    temporary = target + ".tmp.npz"
    try:
        arrays: dict[str, Any] = dict(model.state_dict())
        np.savez(temporary, **arrays)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def load(model: Module, path: str | os.PathLike[str]) -> None:
    """Load parameters saved by `save` into `model`; never unpickles, all-or-nothing.

    Like `save`, a path without the `.npz` suffix means the file with it (when there is no file
    at the path as given), so `save(model, "m")` and `load(model, "m")` name the same file.

    Raises:
        FileNotFoundError: no such file (other errors opening it, such as a permission error,
            are raised as they are).
        CheckpointError: a `ValueError` naming the file: it is not a minigrad checkpoint or is
            corrupted (empty, truncated, damaged, a foreign or pickled file, a zip of other
            files, an object array, a single `.npy` array).
        ValueError: an array has the wrong shape or is not numeric.
        KeyError: a parameter is missing or unexpected.
    """
    name = os.fspath(path)
    if not name.endswith(".npz") and not os.path.exists(name) and os.path.exists(name + ".npz"):
        name += ".npz"
    model.load_state_dict(_read_checkpoint(name))


_NPY_MAGIC = b"\x93NUMPY"
_REASON_LENGTH = 160


def _read_checkpoint(path: str | os.PathLike[str]) -> dict[str, NDArray[Any]]:
    """The arrays of a checkpoint written by `save`, by name; nothing is ever unpickled.

    Raises:
        FileNotFoundError: no such file.
        CheckpointError: the file is not a readable .npz archive of numeric arrays.
    """
    name = os.fspath(path)
    with open(name, "rb") as file:
        head = file.read(len(_NPY_MAGIC))
    if not head:
        raise CheckpointError(name, "the file is empty")
    if head == _NPY_MAGIC:
        raise CheckpointError(name, "it holds a single .npy array, not an .npz archive")
    if not head.startswith(b"PK"):
        raise CheckpointError(name, "it is not an .npz (zip) archive")
    state: dict[str, NDArray[Any]] = {}
    try:
        with zipfile.ZipFile(name) as archive:
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    raise CheckpointError(
                        name, f"it holds {_shorten(info.filename)!r}, which is not a .npy array"
                    )
                key = info.filename[: -len(".npy")]
                if key in state:
                    raise CheckpointError(name, f"it holds {_shorten(key)!r} twice")
                state[key] = _read_member(archive, info, name, key)
    except CheckpointError:
        raise
    except _DAMAGE as error:
        raise CheckpointError(
            name, f"the archive is truncated or damaged ({_describe(error)})"
        ) from None
    return state


# What zipfile and numpy raise on damaged data.
_DAMAGE = (
    OSError,
    ValueError,
    EOFError,
    KeyError,
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,  # zipfile, on a damaged header: "compression method not supported"
    RuntimeError,  # zipfile, on a damaged flag: "file is encrypted, password required"
)


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, key: str
) -> NDArray[Any]:
    """One array of the archive; its header is read first, so an object array is refused
    before numpy sees it (numpy's refusal would suggest allow_pickle)."""
    try:
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                _, _, dtype = np.lib.format.read_array_header_1_0(member)
            elif version == (2, 0):
                _, _, dtype = np.lib.format.read_array_header_2_0(member)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
        if dtype.hasobject:
            raise CheckpointError(
                name,
                f"{_shorten(key)!r} is an array of Python objects (pickled data), "
                "which minigrad never loads",
            )
        with archive.open(info) as member:
            array: NDArray[Any] = np.lib.format.read_array(member, allow_pickle=False)
    except CheckpointError:
        raise
    except _DAMAGE as error:
        raise CheckpointError(
            name, f"array {_shorten(key)!r} is damaged ({_describe(error)})"
        ) from None
    return array


def _shorten(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(error: BaseException) -> str:
    """The gist of a zipfile/numpy error: one line, bounded length."""
    text = " ".join(str(error).split()) or type(error).__name__
    if len(text) > _REASON_LENGTH:
        text = text[: _REASON_LENGTH - 3] + "..."
    return text
