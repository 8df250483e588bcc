"""One writer lock for every output abm writes: ``.NAME.lock`` beside it, held by ``flock``.

Every writer of a path (``abm run``/``compare``/``trace`` through
:func:`abm.cube.write_cube`, ``abm sweep`` and the Prefect flow through
:class:`abm.sweep.SweepLock`, ``--netcdf``, ``--csv``, ``abm report``) holds the same lock
while it writes: the file ``.NAME.lock`` in the directory of ``NAME``, the output. It lives
beside the output, not inside it, so a cube's atomic rename (a hidden sibling renamed into
place) and a sweep's writes into its store honour the same file.

Protocol. A writer opens (or creates) the lock file and takes an exclusive, non-blocking
``fcntl.flock`` on it; the operating system grants it to one open file at a time and
releases it when its holder closes it or dies (``kill -9`` included), so a lock is never
stale and a takeover is never racy. The holder then checks that the file it locked is
still the one at the path (a releasing holder unlinks it: a writer that opened the old
file retries), and writes its pid and host into it for the messages of the writers it
refuses. The file's content is only information: an empty or garbage file (a writer killed
between creating and writing it) blocks nothing. On release the holder unlinks the file,
then closes it.

On a network file system, ``flock`` is as good as its client's lock support (NFSv4 maps it
to byte-range locks); writers on several hosts should share a local disk or such a mount.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from abm.errors import InputError

log = logging.getLogger(__name__)

#: The lock file of output ``NAME`` is ``.NAME`` + this, in the same directory.
LOCK_SUFFIX = ".lock"
#: Seconds a writer retries a held lock before refusing (a :func:`check_unlocked` or a
#: release in passing holds it for microseconds).
GRACE_S = 0.2


class LockedError(InputError):
    """The output is being written by another process (the message names it)."""


def lock_path(target: str | os.PathLike[str]) -> Path:
    """The lock file of ``target``: ``.NAME.lock`` in the same directory (absolute).

    Raises:
        InputError: if ``target`` is a file system root (no name to lock).
    """
    path = Path(os.path.abspath(target))
    if not path.name:
        raise InputError(f"{target}: cannot write an output at a file system root")
    return path.parent / f".{path.name}{LOCK_SUFFIX}"


def _read_info(fd: int) -> dict[str, Any]:
    """The holder information in an open lock file, or ``{}`` if empty or garbage."""
    try:
        raw = os.pread(fd, 4096, 0)
        data = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _holder_text(info: dict[str, Any]) -> str:
    pid, host = info.get("pid"), info.get("host")
    if isinstance(pid, int) and isinstance(host, str):
        return f"pid {pid} on host {host}"
    return "a process that has not yet written its pid"


class StoreLock:
    """The writer lock of an output path (a context manager).

    Args:
        target: the output (a store directory or a file); its directory is created if
            missing.
        what: what the holder is, for the messages (``"sweep"``: "being written by
            another sweep").

    Attributes:
        target: the output, absolute.
        path: the lock file.
    """

    #: The exception raised when another process holds the lock.
    error: type[InputError] = LockedError

    def __init__(self, target: str | os.PathLike[str], what: str = "abm writer") -> None:
        self.path = lock_path(target)
        self.target = self.path.parent / Path(os.path.abspath(target)).name
        self.what = what
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def _refuse(self, info: dict[str, Any]) -> InputError:
        what = info.get("what") if isinstance(info.get("what"), str) else "abm writer"
        return self.error(
            f"{self.target} is being written by another {what} ({_holder_text(info)}, lock "
            f"file {self.path}); wait for it to finish (the lock goes with its process)"
        )

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise InputError(
                f"{self.target}: cannot create its lock file {self.path}: {exc.strerror or exc}"
            ) from exc

    def acquire(self) -> None:
        """Take the lock, or raise :attr:`error` naming its holder.

        Retries for at most :data:`GRACE_S` (a check or a release in passing), then refuses.

        Raises:
            LockedError: (or :attr:`error`) if another process holds it.
            InputError: if the lock file cannot be created (a read-only directory).
        """
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this object")
        deadline = time.monotonic() + GRACE_S
        while True:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                info = _read_info(fd)
                os.close(fd)
                if time.monotonic() < deadline:  # a check or a release in passing
                    time.sleep(0.01)
                    continue
                raise self._refuse(info) from None
            try:  # the file a releasing holder unlinked, or one replaced since: retry
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        old = _read_info(fd)
        if old:
            log.warning(
                "taking over the stale lock %s of %s (its holder is gone)",
                self.path,
                _holder_text(old),
            )
        info = {"pid": os.getpid(), "host": socket.gethostname(), "what": self.what}
        info["since"] = time.time()
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        self._fd = fd

    def holder(self) -> dict[str, Any]:
        """The lock file's content (pid, host, what), or ``{}`` if missing or unreadable."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return {}
        try:
            return _read_info(fd)
        finally:
            os.close(fd)

    def release(self) -> None:
        """Unlink the lock file and let go of it, if this object holds it."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(fd)

    def __enter__(self) -> StoreLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def check_unlocked(target: str | os.PathLike[str]) -> None:
    """Refuse ``target`` now if another process holds its lock (a check, nothing taken).

    Used before a long simulation, so that a live sweep's store is refused before the
    work, not after it. Creates nothing.

    Raises:
        LockedError: naming the holder.
    """
    lock = StoreLock(target)
    try:
        fd = os.open(lock.path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:  # no lock file: nobody holds it
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise lock._refuse(_read_info(fd)) from None
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


__all__ = ["LOCK_SUFFIX", "LockedError", "StoreLock", "check_unlocked", "lock_path"]
