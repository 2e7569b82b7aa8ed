"""Writing files so that a crash, power cut or full disk never leaves one half-written.

Every file gridtui writes — the store's segments, its config, sync files — goes through
:func:`write_atomic`: a temp file in the same folder (``os.replace`` cannot cross file systems),
flushed and fsynced, renamed over the target, then the folder fsynced so the rename itself survives
a power cut. Files are created readable by their owner only, since they hold residents' data.

The temp file gets a random name and is created exclusively (``mkstemp``: ``O_EXCL``, which never
follows a symlink), so a link planted in a shared folder under a name we would use cannot make us
write anywhere else; ``os.replace`` then replaces the name itself, never what a link there points to.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

TEMP_SUFFIX = ".gridtui-tmp"
_REPLACE_RETRIES = 20


def write_atomic(path: Path, data: bytes | list[bytes]) -> None:
    """``data``: the bytes, or a list of parts written one after another (a big file need not be
    joined into one more copy of itself in memory first)."""
    path = Path(path)
    parts = [data] if isinstance(data, (bytes, bytearray, memoryview)) else data
    # Dot-prefixed and with our own suffix, so sync tools and the merge can recognise it; mode 0600.
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            for part in parts:
                f.write(part)
            f.flush()
            os.fsync(f.fileno())
        _replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    fsync_dir(path.parent)


def _replace(src: Path, dst: Path) -> None:
    # Windows refuses to replace a file another process (antivirus, indexer, sync client) has open;
    # that passes within moments, so retry briefly before giving up.
    for attempt in range(_REPLACE_RETRIES):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if sys.platform != "win32" or attempt == _REPLACE_RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def fsync_dir(folder: Path) -> None:
    if sys.platform == "win32":
        return  # directories cannot be opened for fsync on Windows; NTFS journals the rename
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_private_dir(folder: Path) -> Path:
    """A folder readable by its owner only, whatever the umask (mkdir's mode is cut by it, never widened)."""
    folder = Path(folder)
    missing = []
    at = folder
    while not at.is_dir() and at != at.parent:
        missing.append(at)
        at = at.parent
    for path in reversed(missing):  # every folder gridtui makes, not only the last: the home too
        path.mkdir(mode=0o700, exist_ok=True)
        private(path, 0o700)
    return folder


def private(path: Path, mode: int = 0o600) -> None:
    """Owner-only permissions on something gridtui made (a no-op where the OS has no such modes)."""
    if sys.platform != "win32":
        os.chmod(path, mode)


def append_durable(path: Path, data: bytes, at: int) -> int:
    """Write ``data`` at byte ``at`` of the file (creating it), durably; returns the new end.

    Whatever lies past ``at`` — the torn tail of a write that was cut short — is cut off first, so a
    record is never written behind garbage. If the write fails (a full disk), the file is cut back
    to ``at``: what was there stays, nothing half-written is left for a reader to trip over.
    """
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    created = False
    try:
        try:
            size = os.fstat(fd).st_size
            created = size == 0  # new (or empty): its name is made durable too, below
            if size != at:
                os.ftruncate(fd, at)
            os.lseek(fd, at, os.SEEK_SET)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except BaseException:
            try:
                os.ftruncate(fd, at)
            except OSError:
                pass  # the reader drops a torn tail anyway
            raise
    finally:
        os.close(fd)
    if created:
        fsync_dir(Path(path).parent)  # the new name itself must survive a power cut
    return at + len(data)
