"""Reading from a folder that strangers can write to: a USB stick, a network share, a sync folder.

Anybody who can reach the shared folder can plant things in it. So a file is read only if it is a
regular file — never a symlink (whose target may be ``/dev/zero`` or the office's own key file), a
FIFO (opening one blocks forever), a device or a folder — and only up to a size limit checked
before reading. Folders are walked without following links. What operating systems and sync tools
leave behind (``.DS_Store``, ``Thumbs.db``, ``._*``) is litter, not a file anybody sent.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import BinaryIO


class Unreadable(Exception):
    """Why a file was not read: an i18n key (``sync.not_regular``, ``sync.too_large``, ``sync.truncated``) + args."""

    def __init__(self, reason: str, **args: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.args_ = args


_LITTER_NAMES = frozenset(name.casefold() for name in (
    ".DS_Store", ".localized", ".Spotlight-V100", ".Trashes", ".fseventsd", ".TemporaryItems",
    ".apdisk", ".VolumeIcon.icns", "Icon\r",  # macOS
    "Thumbs.db", "ehthumbs.db", "desktop.ini", "$RECYCLE.BIN", "System Volume Information",  # Windows
    ".directory", ".nomedia", ".hidden",  # Linux desktops, Android
    ".stfolder", ".stignore", ".stversions",  # Syncthing
    ".sync", ".dropbox", ".dropbox.attr", ".dropbox.cache",  # Resilio, Dropbox
))
_LITTER_PREFIXES = ("._", "~$", ".~lock.")  # AppleDouble, Office and LibreOffice lock files


def is_litter(name: str) -> bool:
    return name.casefold() in _LITTER_NAMES or name.startswith(_LITTER_PREFIXES)


def is_link(st: os.stat_result) -> bool:
    """A symlink, or on Windows any reparse point (junctions too)."""
    if stat.S_ISLNK(st.st_mode):
        return True
    return bool(getattr(st, "st_file_attributes", 0) & getattr(stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0))


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def open_regular(path: Path, limit: int | None = None) -> BinaryIO:
    """A regular file opened for reading (of at most ``limit`` bytes); raises :class:`Unreadable`
    for anything else.

    The checks are made on the path (lstat) and again on what was opened (fstat), so a file swapped
    for a link or a FIFO in between is still refused; ``O_NONBLOCK`` keeps even that open from hanging.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise Unreadable("sync.truncated") from None  # vanished mid-scan: retry next time
    if is_link(st) or not stat.S_ISREG(st.st_mode):
        raise Unreadable("sync.not_regular")
    if limit is not None and st.st_size > limit:
        raise Unreadable("sync.too_large", mb=st.st_size // 1_000_000)
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:
        raise Unreadable("sync.truncated") from None  # locked, vanished or swapped for a link: retry
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode) or (sys.platform != "win32" and opened.st_ino != st.st_ino):
            raise Unreadable("sync.not_regular")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; raises :class:`Unreadable` otherwise
    (see :func:`open_regular`)."""
    with open_regular(path, limit) as f:
        try:
            data = f.read(limit + 1)
        except OSError:
            raise Unreadable("sync.truncated") from None
    if len(data) > limit:
        raise Unreadable("sync.too_large", mb=len(data) // 1_000_000)
    return data


def entries(folder: Path) -> list[tuple[str, bool, bool]]:
    """(name, is a real folder, is a regular file) of what ``folder`` holds, links not followed,
    litter left out, sorted by name."""
    out = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if is_litter(entry.name):
                    continue
                try:
                    is_dir = entry.is_dir(follow_symlinks=False) and not entry.is_junction() \
                        if hasattr(entry, "is_junction") else entry.is_dir(follow_symlinks=False)
                    is_file = entry.is_file(follow_symlinks=False)
                except OSError:
                    is_dir = is_file = False
                out.append((entry.name, is_dir, is_file))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(out)


def real_folder(folder: Path) -> bool:
    """Whether ``folder`` is a folder of its own, not a link to one elsewhere."""
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and not is_link(st)
