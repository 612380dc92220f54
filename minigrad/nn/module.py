"""`Module`: parameters in layer order, gradients, state dicts and checkpoints."""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

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

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a readable .npz archive (truncated, corrupted, foreign), or
            an array has the wrong shape.
        KeyError: a parameter is missing or unexpected.
    """
    name = os.fspath(path)
    try:
        loaded = np.load(name, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not an .npz archive of parameters")
        with loaded as archive:
            state = {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise
    except (
        OSError,
        ValueError,
        EOFError,
        KeyError,
        zipfile.BadZipFile,
        zlib.error,
        NotImplementedError,  # zipfile, on a damaged header: "compression method not supported"
        RuntimeError,  # zipfile, on a damaged flag: "file is encrypted, password required"
    ) as error:
        raise ValueError(f"{name!r} is not a readable minigrad checkpoint: {error}") from None
    model.load_state_dict(state)
