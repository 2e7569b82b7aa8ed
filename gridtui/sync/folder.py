"""The shared folder: its layout, and reading and writing it without trusting what is in it.

    SHARED/
      to-office/<worker>/<device>.json   written by one worker device: every event it authored
      to-worker/<worker>.json            written by the office: that worker's grid

Writes go through :func:`gridtui.atomic.write_atomic` and refuse a folder on the way that is a link
(a planted ``to-worker`` → the office's own store would otherwise receive the office's files).
Reads go through :func:`gridtui.safefs.read_regular`: regular files of bounded size only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import safefs
from ..atomic import TEMP_SUFFIX, private, write_atomic
from ..errors import UserError
from . import envelope

TO_OFFICE = "to-office"
TO_WORKER = "to-worker"

# Sync tools write a file under a temporary name, then rename it: such a file is still arriving.
_TEMP_PATTERNS = (
    re.compile(r"^\.syncthing\..*\.tmp$"),
    re.compile(r"^~syncthing~.*\.tmp$"),
    re.compile(r"^\..*" + re.escape(TEMP_SUFFIX) + r"$"),
)


def is_temp_name(name: str) -> bool:
    return any(p.match(name) for p in _TEMP_PATTERNS)


class SharedFolderError(UserError):
    """The shared folder cannot be used as it is."""


def require(shared: Path) -> Path:
    shared = Path(shared)
    if not shared.is_dir():
        raise SharedFolderError("sync.no_shared", path=shared)
    return shared


def to_office(shared: Path, worker: str, device: str) -> Path:
    return Path(shared) / TO_OFFICE / worker / f"{device}.json"


def to_worker(shared: Path, worker: str) -> Path:
    return Path(shared) / TO_WORKER / f"{worker}.json"


def key_notice(shared: Path, worker: str, key: str) -> Path:
    """Where the office tells a laptop still holding ``key`` (replaced by rekey) that it was replaced:
    named by a hash of the key, so each old key finds its own notice and the name gives nothing away."""
    import hashlib

    return Path(shared) / TO_WORKER / f"{worker}.{hashlib.sha256(key.encode()).hexdigest()[:12]}.json"


def write(shared: Path, path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` below ``shared``, creating folders, never through a link."""
    shared = Path(shared)
    rel = path.parent.relative_to(shared)
    folder = shared
    for part in rel.parts:
        folder = folder / part
        if not folder.exists() and not folder.is_symlink():
            folder.mkdir(mode=0o700)
            private(folder, 0o700)
        if not safefs.real_folder(folder):
            raise SharedFolderError("sync.link_in_shared", path=folder)
    write_atomic(path, data)


def read(path: Path) -> bytes:
    """A sync file's bytes; raises :class:`safefs.Unreadable` for anything but a regular file of
    bounded size (and FileNotFoundError if there is none)."""
    if not path.exists() and not path.is_symlink():
        raise FileNotFoundError(path)
    return safefs.read_regular(path, envelope.MAX_FILE_BYTES)


@dataclass
class Found:
    name: str  # path below to-office/, e.g. "W01/a1b2c3d4.json"
    worker: str  # the <worker> folder it was found in
    path: Path


@dataclass
class Scan:
    files: list[Found] = field(default_factory=list)
    skipped: list[tuple[str, str, bool]] = field(default_factory=list)  # (name, reason, retry)


def scan(shared: Path) -> Scan:
    """What lies below to-office/<worker>/: candidate files, and what is skipped by its name or
    kind alone. Litter is left out silently; links are never followed."""
    out = Scan()
    root = Path(shared) / TO_OFFICE
    if not safefs.real_folder(root):
        if root.is_symlink():
            out.skipped.append((TO_OFFICE, "sync.not_regular", False))
        return out
    for worker, is_dir, _ in safefs.entries(root):
        if not is_dir:
            out.skipped.append((worker, "sync.not_regular" if not worker.endswith(".json") else
                                "sync.not_in_folder", False))
            continue
        for name, sub_dir, is_file in safefs.entries(root / worker):
            rel = f"{worker}/{name}"
            if is_temp_name(name):
                out.skipped.append((rel, "sync.temp_file", True))
            elif not is_file:
                out.skipped.append((rel, "sync.not_regular", False))
            elif not name.endswith(".json"):
                out.skipped.append((rel, "sync.not_sync_file", False))
            else:
                out.files.append(Found(rel, worker, root / worker / name))
    return out
