"""Atomic file writes (a kill never leaves half a cache, checkpoint, history or table) and run-directory locks."""

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "acquire_lock", "release_lock", "wait_for_lock", "Locked", "NotALock"]


def atomic_write(path, data):
    """Writes ``data`` (bytes) to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; caches and results may be shared
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError) and e.filename is None:  # a full disk fails write(), which names no file
            e.filename = str(path)
        raise


class NotALock(OSError):
    """The lock's path is a symbolic link, a directory or another file that is not a plain file."""

    def __init__(self, path, what):
        super().__init__(f"{path} is {what}, not a lock file; remove it (it holds nothing of the run) and run again")
        self.path = path


def _open_lock(path):
    """Opens the plain file ``path`` (created if needed) without following a symbolic link, so a
    lock planted as a link cannot make us write to the file it points to."""
    import stat

    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
    except OSError:
        if os.path.islink(path):
            raise NotALock(path, "a symbolic link") from None
        if os.path.isdir(path):
            raise NotALock(path, "a directory") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotALock(path, "a special file (a FIFO, socket or device)")
    return fd


class Locked(OSError):
    """Another process holds the lock; ``holder`` is its process id as it wrote it, or None."""

    def __init__(self, path, holder):
        super().__init__(f"{path} is held by process {holder or '(unknown)'}")
        self.path, self.holder = path, holder


def _holder(fd):
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 64).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else None
    except OSError:
        return None


def acquire_lock(path):
    """An exclusive OS lock (``fcntl.flock``) on ``path``, created if needed; returns its descriptor.

    The lock is the kernel's, tied to the open file: it is released when the descriptor is closed
    (:func:`release_lock`) or the process dies in any way (``kill -9`` included), so it is never
    stale. The holder's process id is written into the file for the error message of whoever
    comes next. Raises :class:`Locked` at once if another process holds it.
    """
    import fcntl

    fd = _open_lock(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise Locked(path, holder) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def release_lock(fd):
    if fd is not None:
        os.close(fd)


def wait_for_lock(path):
    """Blocks until no process holds the lock on ``path`` (then holds none itself)."""
    import fcntl

    fd = _open_lock(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
    finally:
        os.close(fd)
