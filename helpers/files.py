"""Write a file whole or not at all: into a temporary file beside it, then rename.

A reader (the files endpoint, another kernel, a lesson) never sees a half-written file, and a
crash or an error leaves only the old file (or none), never a torn one. `folder_lock` lets
writers that share a folder (two download loops, in two kernels or two threads) take turns.
A ground-floor module: it imports nothing from the rest of helpers.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; the lock below then holds within one process only
    fcntl = None

__all__ = ["atomic_write", "folder_lock", "remove_leftovers"]

_local_locks: dict[str, threading.Lock] = {}
_local_locks_guard = threading.Lock()


def atomic_write(path: str | Path, data: bytes | str | Callable[[Path], object], *,
                 mode: int = 0o644, fsync: bool = False, suffix: str = ".part") -> Path:
    """Put `data` at `path` in one step; return the path.

    `data` is bytes, text (written as UTF-8), or a callable that writes the temporary file
    whose path it is given (e.g. an audio encoder). The file gets permissions `mode`; with
    `fsync` its bytes reach the disk before the rename. On any error the temporary file is
    removed and the error raised; `path` is untouched.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    tmp = Path(name)
    try:
        if callable(data):
            os.close(fd)
            data(tmp)
            if fsync:
                _fsync_file(tmp)
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data.encode("utf-8") if isinstance(data, str) else data)
                if fsync:
                    handle.flush()
                    os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def remove_leftovers(directory: str | Path, suffix: str = ".part") -> int:
    """Delete temporary files `atomic_write` left in `directory` (a crash or a kill mid-write
    skips its clean-up); return how many. Call it when nothing writes there yet, e.g. at start.
    """
    removed = 0
    for leftover in Path(directory).glob(f".*{suffix}"):
        try:
            leftover.unlink()
            removed += 1
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            continue
    return removed


@contextmanager
def folder_lock(directory: str | Path) -> Iterator[None]:
    """Hold `directory` exclusively until the block ends: another holder, in this process (a
    thread) or another one (a second kernel), waits. The lock is `flock` on the folder itself,
    so it leaves no lock file behind and ends with its holder, even when that is killed.

    Where the file system has no `flock` (Windows, some network shares) it holds only within
    this process.
    """
    directory = Path(directory)
    fd = os.open(directory, os.O_RDONLY) if fcntl is not None else None
    try:
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:  # no flock on this file system
                os.close(fd)
                fd = None
        if fd is not None:
            yield  # closing the descriptor below releases the lock
            return
        with _local_locks_guard:
            local = _local_locks.setdefault(str(directory.resolve()), threading.Lock())
        with local:
            yield
    finally:
        if fd is not None:
            os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
