"""Output files of the command line: checked before any work starts, written whole or not at all.

A command that writes a file (`graph --out/--html`, `blowup --plot`, `train --plot`) checks the
path first, so that a typo costs nothing: `OutputPathError` (a `ValueError`: a usage error)
for a name the command cannot write (an unknown suffix, an existing folder where a file is
wanted), `OSError` for a place it cannot write to (a missing or read-only folder).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Sequence
from pathlib import Path


class OutputPathError(ValueError):
    """An output name the command cannot write: a suffix it does not know, or a folder."""


def check_output_file(path: str | Path, suffixes: Sequence[str]) -> str:
    """The lower-case suffix of `path` if it is one of `suffixes` and `path` is not a folder.

    Raises:
        OutputPathError: The suffix is not one of `suffixes`, or `path` is an existing folder.
    """
    target = Path(path)
    choices = ", ".join(suffixes)
    suffix = target.suffix.lower()
    if target.is_dir():
        raise OutputPathError(f"{str(path)!r} is a folder: give a file name ending in {choices}")
    if suffix not in suffixes:
        raise OutputPathError(f"unsupported output {str(path)!r}: use a name ending in {choices}")
    return suffix


def check_writable_file(path: str | Path) -> None:
    """Raise OSError now if `path` could not be written later (by a rename in its folder).

    Raises:
        FileNotFoundError: Its folder does not exist.
        OSError: Its folder or the file itself cannot be written (say, a read-only file system).
    """
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {str(folder)!r} to write {target.name!r} in")
    _probe(folder)
    if target.exists() and not os.access(target, os.W_OK):
        raise PermissionError(f"{str(target)!r} exists and is not writable")


def check_output_folder(path: str | Path) -> None:
    """Raise now if the folder `path` could not be created or written into later.

    Raises:
        OutputPathError: `path`, or the nearest part of it that exists, is not a folder.
        OSError: That folder cannot be written.
    """
    target = Path(path)
    existing = target
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        what = "" if existing == target else f" (in {str(path)!r})"
        raise OutputPathError(f"{str(existing)!r}{what} exists and is not a folder")
    _probe(existing)


def _probe(folder: Path) -> None:
    """Create and remove a file in `folder`: the only portable test that it can be written."""
    try:
        handle, name = tempfile.mkstemp(prefix=".minigrad-probe-", dir=folder)
    except OSError as error:
        raise type(error)(
            error.errno, f"cannot write in {str(folder)!r}: {error.strerror}"
        ) from None
    os.close(handle)
    os.unlink(name)


def temporary_sibling(path: Path) -> Path:
    """A fresh name in the folder of `path`, so that a rename onto `path` is atomic."""
    if not path.parent.is_dir():
        raise FileNotFoundError(f"no folder {str(path.parent)!r} to write {path.name!r} in")
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename: never half-written."""
    target = Path(path)
    temporary = temporary_sibling(target)
    try:
        with open(temporary, "x", encoding="utf-8") as f:
            f.write(text)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
