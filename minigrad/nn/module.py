"""`Module`: parameters in layer order, gradients, state dicts and checkpoints."""

from __future__ import annotations

import contextlib
import io
import math
import os
import secrets
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from minigrad.errors import CheckpointError
from minigrad.value import Value, bump_version


class Module:
    """Base class of layers and models.

    Values (or object arrays of scalar Values) and Modules assigned as attributes are
    registered in assignment order, so `parameters()` lists them in layer order
    with each layer's weight before its bias, like PyTorch. Buffers (`register_buffer`) are
    arrays that belong to the state but are not trained, such as BatchNorm's running statistics:
    `state_dict()` lists a module's parameters, then its buffers, then its children's, PyTorch's
    order.
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_params", {})
        object.__setattr__(self, "_children", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_params" not in self.__dict__:
            raise AttributeError(f"call Module.__init__() before assigning {name!r}")
        if name in self._buffers and not isinstance(value, Value | Module):
            value = np.asarray(value)  # a new array for a buffer: it stays a buffer
            self._buffers[name] = value
            object.__setattr__(self, name, value)
            return
        self._params.pop(name, None)
        self._children.pop(name, None)
        self._buffers.pop(name, None)
        if isinstance(value, Value) or _is_scalar_parameter_grid(value):
            self._params[name] = value
        elif isinstance(value, Module):
            self._children[name] = value
        object.__setattr__(self, name, value)

    _params: dict[str, Any]
    _children: dict[str, Module]
    _buffers: dict[str, NDArray[Any]]

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

    def register_buffer(self, name: str, array: Any) -> None:
        """Make `self.<name>` an array of the module's state that is not trained (PyTorch's
        `register_buffer`): in `state_dict()`, saved and loaded, never in `parameters()`."""
        if "_params" not in self.__dict__:
            raise AttributeError(f"call Module.__init__() before registering {name!r}")
        self._params.pop(name, None)
        self._children.pop(name, None)
        self._buffers[name] = np.asarray(array)
        object.__setattr__(self, name, self._buffers[name])

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, NDArray[Any]]]:
        """(dotted name, buffer) pairs: the module's own, then each child's."""
        for name, array in self._buffers.items():
            yield prefix + name, array
        for name, child in self._children.items():
            yield from child.named_buffers(f"{prefix}{name}.")

    def buffers(self) -> list[NDArray[Any]]:
        """Every buffer (arrays of state that are not trained), in the order of `state_dict()`."""
        return [b for _, b in self.named_buffers()]

    def zero_grad(self) -> None:
        """Clear the accumulated gradient of every parameter."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Module:
        """Set training mode (recursively): `.training` of this module and every module in it;
        returns self. Dropout and batch normalisation behave differently in each mode."""
        object.__setattr__(self, "training", mode)
        for child in self._children.values():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode (recursively); returns self."""
        return self.train(False)

    # -- state ------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, NDArray[Any]]:
        """A copy of every parameter and buffer as an array, keyed by dotted name ("0.weight",
        "1.running_mean", ...)."""
        state: dict[str, NDArray[Any]] = {}
        for name, param in self._params.items():
            if isinstance(param, Value):
                state[name] = np.array(param.data, copy=True)
            else:
                state[name] = np.array([v.data for v in param.flat]).reshape(param.shape)
        for name, array in self._buffers.items():
            state[name] = np.array(array, copy=True)
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
        _check_keys(own, state)
        arrays = {}
        for key, current in own.items():
            array = np.asarray(state[key])
            problem = _entry_problem(key, array.shape, array.dtype, current.shape)
            if problem is not None:
                raise ValueError(problem)
            arrays[key] = array
        self._assign(arrays, "")
        bump_version(*self.parameters())  # graphs made before the load refuse a backward pass

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
        for name, buffer in self._buffers.items():
            setattr(self, name, arrays[prefix + name].astype(buffer.dtype, copy=True))
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


def _check_keys(own: Mapping[str, Any], given: Iterable[str]) -> None:
    """KeyError naming the keys missing from `given` and those the model does not have."""
    keys = list(given)
    present = set(keys)
    missing = [k for k in own if k not in present]
    extra = [k for k in keys if k not in own]
    if missing or extra:
        raise KeyError(
            f"state dict does not match the model: missing {missing}, unexpected {extra}"
        )


def _entry_problem(
    key: str, shape: tuple[int, ...], dtype: np.dtype[Any], expected: tuple[int, ...]
) -> str | None:
    """Why an entry of this shape and dtype cannot be loaded into a parameter of shape
    `expected` (None when it can)."""
    if shape != expected:
        return f"state dict entry {key!r} has shape {shape}, the model expects {expected}"
    if dtype.kind not in "fiu":
        return f"state dict entry {key!r} has non-numeric dtype {dtype}"
    return None


def save(model: Module, path: str | os.PathLike[str]) -> None:
    """Write `model.state_dict()` to `path` (.npz): written to a temporary file of its own in
    the same folder, then renamed into place, so readers see the old file or the new one,
    never half of one, and saves running at the same time do not disturb each other (the last
    one to finish wins). On any failure, Ctrl-C included, the temporary file is removed.
    """
    target = os.fspath(path)
    if not target.endswith(".npz"):
        target += ".npz"
    arrays: dict[str, Any] = dict(model.state_dict())
    descriptor, temporary = _create_temporary(target)
    try:
        with os.fdopen(descriptor, "wb") as file:
            np.savez(file, **arrays)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def _create_temporary(target: str) -> tuple[int, str]:
    """A new, uniquely named file next to `target`, open for writing: (descriptor, name).

    Like tempfile.mkstemp, but created with the permissions an ordinary file gets (mkstemp's
    are owner-only), since it becomes the checkpoint.
    """
    folder, name = os.path.split(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temporary = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:  # 48 random bits taken: try another name
            continue
        except OSError as error:  # name the checkpoint, not the temporary file
            raise type(error)(error.errno, error.strerror, target) from None


def load(model: Module, path: str | os.PathLike[str]) -> None:
    """Load parameters saved by `save` into `model`; never unpickles, all-or-nothing.

    Like `save`, a path without the `.npz` suffix means the file with it (when there is no file
    at the path as given), so `save(model, "m")` and `load(model, "m")` name the same file.

    Nothing is read or allocated beyond what the model's parameters can hold: every array's
    header is checked against the archive before its data are read, so a header or a zip entry
    that claims a huge size is refused as damaged, and an array larger than its parameter is
    refused unread.

    Raises:
        FileNotFoundError: no such file (other errors opening it, such as a permission error,
            are raised as they are).
        CheckpointError: a `ValueError` naming the file: it is not a minigrad checkpoint or is
            corrupted (empty, truncated, damaged, a foreign or pickled file, a zip of other
            files, an object array, a single `.npy` array, a header or zip entry that claims
            more or less data than the file holds).
        ValueError: an array has the wrong shape or is not numeric.
        KeyError: a parameter is missing or unexpected.
    """
    name = os.fspath(path)
    if not name.endswith(".npz") and not os.path.exists(name) and os.path.exists(name + ".npz"):
        name += ".npz"
    shapes = {key: array.shape for key, array in model.state_dict().items()}
    model.load_state_dict(_read_checkpoint(name, shapes))


_NPY_MAGIC = b"\x93NUMPY"
_REASON_LENGTH = 160
_HEADER_LIMIT = 10_000  # bytes of an .npy header's text (numpy's own max_header_size)
_WIDEST_NUMBER = 16  # bytes per element of the widest numeric dtype a parameter takes (longdouble)
_DEFLATE_RATIO = 1032  # deflate can inflate its input at most about 1032-fold
_END_RECORD_SIZE = 22  # a zip's end-of-central-directory record, without its comment


class _Header(NamedTuple):
    """What an .npy header says about the array after it."""

    shape: tuple[int, ...]
    fortran_order: bool
    dtype: np.dtype[Any]
    size: int  # bytes of the header itself (magic, version, length, text)
    data_bytes: int  # bytes of array data the header announces


def _read_checkpoint(
    path: str | os.PathLike[str], shapes: Mapping[str, tuple[int, ...]]
) -> dict[str, NDArray[Any]]:
    """The arrays for a model whose parameters have `shapes`, from a checkpoint written by
    `save`; nothing is ever unpickled, and no more is read than those parameters can hold.

    Each member's header is checked against the archive (an array whose header announces more
    or less data than its member holds is damaged) before its data is read; a member the model
    has no parameter for is read no further, and one larger than its parameter could be is
    refused unread. Data are read to the member's end, so zipfile checks their CRC.

    Raises:
        FileNotFoundError: no such file.
        CheckpointError: the file is not a readable .npz archive of numeric arrays.
        KeyError: the archive's arrays are not the model's parameters (names missing or extra).
        ValueError: an array is larger than its parameter (shape or dtype named).
    """
    name = os.fspath(path)
    with open(name, "rb") as file:
        head = file.read(len(_NPY_MAGIC))
        archive_size = os.fstat(file.fileno()).st_size
        announced = _announced_members(file, archive_size)
    if not head:
        raise CheckpointError(name, "the file is empty")
    if head == _NPY_MAGIC:
        raise CheckpointError(name, "it holds a single .npy array, not an .npz archive")
    if not head.startswith(b"PK"):
        raise CheckpointError(name, "it is not an .npz (zip) archive")
    state: dict[str, NDArray[Any]] = {}
    keys: list[str] = []
    too_large: dict[str, str] = {}  # key -> why it does not fit, for arrays left unread
    try:
        with zipfile.ZipFile(name) as archive:
            members = archive.infolist()
            if announced is not None and announced != len(members):
                # zipfile stops reading the directory where a damaged length points past it
                raise CheckpointError(
                    name,
                    f"the archive is truncated or damaged (its directory has {len(members)} "
                    f"entries, its end record says {announced})",
                )
            for info in members:
                if not info.filename.endswith(".npy"):
                    raise CheckpointError(
                        name, f"it holds {_shorten(info.filename)!r}, which is not a .npy array"
                    )
                key = info.filename[: -len(".npy")]
                if key in keys:
                    raise CheckpointError(name, f"it holds {_shorten(key)!r} twice")
                keys.append(key)
                with _damage_named(name, key):
                    _check_member_sizes(info, archive_size)
                    with archive.open(info) as member:
                        header = _read_header(member, info, name, key)
                        expected = shapes.get(key)
                        if expected is None:  # reported below, with every other wrong name
                            continue
                        if header.data_bytes > math.prod(expected) * _WIDEST_NUMBER:
                            problem = _entry_problem(key, header.shape, header.dtype, expected)
                            too_large[key] = problem or key
                            continue
                        state[key] = _read_data(member, header)
    except CheckpointError:
        raise
    except _DAMAGE as error:
        raise CheckpointError(
            name, f"the archive is truncated or damaged ({_describe(error)})"
        ) from None
    _check_keys(shapes, keys)
    for key, expected in shapes.items():  # the first misfit in the model's order, as in memory
        array = state.get(key)
        problem = (
            too_large[key]
            if array is None
            else _entry_problem(key, array.shape, array.dtype, expected)
        )
        if problem is not None:
            raise ValueError(problem)
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


def _announced_members(file: IO[bytes], size: int) -> int | None:
    """How many members the zip's end record says the archive has (None when it cannot be
    found, or when the count is in a zip64 record: zipfile then has its own say)."""
    tail = min(size, _END_RECORD_SIZE + 0xFFFF)  # the record, then a comment of up to 64 KiB
    file.seek(size - tail)
    data = file.read(tail)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or len(data) - at < _END_RECORD_SIZE:
        return None
    count = int.from_bytes(data[at + 10 : at + 12], "little")  # entries in the whole archive
    return None if count == 0xFFFF else count


@contextlib.contextmanager
def _damage_named(name: str, key: str) -> Iterator[None]:
    """Turn what zipfile and numpy raise on damaged data into a CheckpointError naming `key`."""
    try:
        yield
    except CheckpointError:
        raise
    except _DAMAGE as error:
        raise CheckpointError(
            name, f"array {_shorten(key)!r} is damaged ({_describe(error)})"
        ) from None


def _check_member_sizes(info: zipfile.ZipInfo, archive_size: int) -> None:
    """Refuse a member whose sizes no real archive of this file's size could have."""
    if info.header_offset + info.compress_size > archive_size:
        raise ValueError(
            f"its data would end {info.header_offset + info.compress_size:,} bytes into a "
            f"file of {archive_size:,}"
        )
    if info.compress_type == zipfile.ZIP_DEFLATED and (
        info.file_size > _DEFLATE_RATIO * info.compress_size + 1024
    ):
        raise ValueError(
            f"it claims to inflate {info.compress_size:,} bytes into {info.file_size:,}, more "
            "than deflate can"
        )


def _read_header(member: IO[bytes], info: zipfile.ZipInfo, name: str, key: str) -> _Header:
    """The member's .npy header, read without trusting its length, and checked against the
    member's size, so that no claimed shape is allocated before its data are known to exist."""
    start = member.read(len(_NPY_MAGIC) + 2)
    if len(start) < len(_NPY_MAGIC) + 2 or not start.startswith(_NPY_MAGIC):
        raise ValueError("it does not start like an .npy array")
    version = (start[-2], start[-1])
    if version == (1, 0):
        width, parse = 2, np.lib.format.read_array_header_1_0
    elif version == (2, 0):
        width, parse = 4, np.lib.format.read_array_header_2_0
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    length_field = member.read(width)
    length = int.from_bytes(length_field, "little")
    if length > _HEADER_LIMIT:
        raise ValueError(f"its header claims {length:,} bytes, more than an .npy header has")
    text = member.read(length)
    if len(length_field) < width or len(text) < length:
        raise ValueError("its header is cut short")
    shape, fortran_order, dtype = parse(io.BytesIO(length_field + text))
    if dtype.hasobject:
        raise CheckpointError(
            name,
            f"{_shorten(key)!r} is an array of Python objects (pickled data), "
            "which minigrad never loads",
        )
    size = len(start) + width + length
    header = _Header(shape, fortran_order, dtype, size, math.prod(shape) * dtype.itemsize)
    if header.size + header.data_bytes != info.file_size:
        raise ValueError(
            f"its header describes {header.data_bytes:,} bytes of data "
            f"({_shorten(str(shape))}, {_shorten(str(dtype))}), "
            f"but it holds {info.file_size - header.size:,}"
        )
    return header


def _read_data(member: IO[bytes], header: _Header) -> NDArray[Any]:
    """The array after the header; reading up to the member's end makes zipfile check the
    CRC of the whole member, header included."""
    data = member.read(header.data_bytes)
    if len(data) != header.data_bytes or member.read(1):
        raise ValueError("its data are cut short")
    if not header.data_bytes:
        return np.zeros(header.shape, header.dtype)
    array = np.frombuffer(data, dtype=header.dtype, count=math.prod(header.shape))
    return array.reshape(header.shape, order="F" if header.fortran_order else "C")


def _shorten(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(error: BaseException) -> str:
    """The gist of a zipfile/numpy error: one line, bounded length."""
    text = " ".join(str(error).split()) or type(error).__name__
    if len(text) > _REASON_LENGTH:
        text = text[: _REASON_LENGTH - 3] + "..."
    return text
