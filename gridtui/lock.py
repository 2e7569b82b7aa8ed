"""One writer per store: an OS file lock, which the OS drops when a process dies.

Because the lock is held by the OS rather than by a file's existence, a crashed run never leaves a
stale lock behind. The owner's pid and host go to a side file so the second copy can say who
holds the data.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path


class StoreInUse(Exception):
    def __init__(self, pid: int | None, host: str | None) -> None:
        super().__init__(f"store in use by pid {pid} on {host}")
        self.pid = pid
        self.host = host


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


WAIT_SECONDS = 5.0  # another gridtui saving or merging is usually done well within this


class StoreLock:
    def __init__(self, folder: Path, wait: float | None = None) -> None:
        self.path = Path(folder) / "lock"
        self.owner_path = Path(folder) / "lock.owner"
        self.wait = WAIT_SECONDS if wait is None else wait
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, waiting a few seconds for another gridtui to finish before giving up: eight
        `visit add` started together all save, one after the other."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.wait
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise StoreInUse(*self._read_owner())
            time.sleep(0.05)
        self._fd = fd
        owner = json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode("utf-8")
        out = os.open(self.owner_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(out, 0o600)  # made before, or under a lax umask: owner only all the same
            os.write(out, owner)
        finally:
            os.close(out)

    def _read_owner(self) -> tuple[int | None, str | None]:
        try:
            owner = json.loads(self.owner_path.read_text(encoding="utf-8"))
            return owner.get("pid"), owner.get("host")
        except (OSError, ValueError, AttributeError):
            return None, None

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            _unlock(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "StoreLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
