"""A sealed snapshot of a store's folded state, so that what only reads a big store (a report, a
ledger, a list) need not parse and fold its whole log again.

    gridtui-snap/3\\n  <u32 length> <header JSON>  then per piece: <u32 length> <12-byte nonce> <AES-GCM ciphertext>

The header says what the state was folded from: each segment's name, size and a digest of its
last bytes, the rules version and the set-aside events; and how the body is encoded. The body (the
state in pieces, see :func:`gridtui.events.snapshot_of`, each in :mod:`marshal`'s format) is sealed
with the store's key, piece by piece, under the file's name, the header and the piece's place, so
nothing can be swapped, moved, cut or edited without the key. A snapshot is used only when the
header matches the log on disk exactly; the log only grows, so any save since makes it stale, and
the next reader that folds (or the office's next write) writes a new one. It is a cache: a missing, stale, damaged
or unwritable snapshot costs a fold, never data. Only encrypted stores keep one (a plain store is
training data, and small; a plain snapshot would stay behind unsealed when the store is encrypted).
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import struct
import sys
from pathlib import Path
from typing import Iterable, Iterator

from . import crypto, jsonbytes
from .atomic import write_atomic
from .safefs import Unreadable, open_regular
from .storage import TAIL

FILE = "state.snap"
_MAGIC = b"gridtui-snap/3\n"
# marshal, not JSON: a street office's year reads back in half the time and is written in a fifth
# (it keeps shared strings shared, and builds no text). Its format may change with Python's version,
# so the header names both, and a snapshot written by another is stale. marshal is not meant for
# data made to harm: it reads only what the store's key sealed (the tag is checked first), so a
# torn or altered file never reaches it, and whoever could seal one holds the store already.
CODEC = f"marshal-{marshal.version}-py{sys.version_info[0]}.{sys.version_info[1]}"
_LEN = struct.Struct("<I")
MAX_HEADER = 1 << 20
_END = object()


def tail_mark(tail: bytes) -> str:
    return hashlib.sha256(tail).hexdigest()[:32]


def segment_mark(path: Path) -> list:
    """[name, size, digest of the last bytes] of a segment as it is on disk now."""
    with open(path, "rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - TAIL))
        return [path.name, size, tail_mark(f.read(TAIL))]


def quarantine_mark(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()[:32]


def _aad(header: bytes, i: int, last: bool) -> bytes:
    # Each piece is sealed under its place and whether it ends the file: none can be moved, and
    # a file cut short after a whole piece does not authenticate either.
    return FILE.encode("ascii") + b"#" + header + b"#%d%s" % (i, b"$" if last else b"")


def write(folder: Path, cipher: crypto.Cipher, basis: dict, extra: dict, pieces: Iterable[object]) -> bool:
    """Write a snapshot of ``pieces`` (each encoded, sealed and written before the next is, so a
    street office's year is never in memory twice); False, and nothing changed, if the disk would not
    take it or a piece is not plain data."""
    header = jsonbytes.dumps({"basis": basis, "codec": CODEC, **extra})

    def parts() -> Iterator[bytes]:
        yield _MAGIC + _LEN.pack(len(header)) + header
        pending, i = iter(pieces), 0
        piece = next(pending, _END)
        while piece is not _END:
            payload = marshal.dumps(piece, marshal.version)
            piece = next(pending, _END)
            nonce, sealed = cipher.seal_raw(payload, _aad(header, i, piece is _END))
            del payload
            yield _LEN.pack(len(sealed)) + nonce
            yield sealed
            i += 1

    try:
        write_atomic(Path(folder) / FILE, parts())
    except (OSError, TypeError, ValueError):
        return False
    return True


def read(folder: Path, cipher: crypto.Cipher, basis: dict) -> tuple[dict, list] | None:
    """(header, pieces) of the folder's snapshot if it was folded from exactly ``basis``; else None."""
    try:
        with open_regular(Path(folder) / FILE) as f:  # never a link or a FIFO planted there
            end = os.fstat(f.fileno()).st_size
            if f.read(len(_MAGIC)) != _MAGIC:
                return None
            size = f.read(_LEN.size)
            if len(size) != _LEN.size or _LEN.unpack(size)[0] > MAX_HEADER:
                return None
            raw_header = f.read(_LEN.unpack(size)[0])
            header = json.loads(raw_header.decode("utf-8"))
            if not isinstance(header, dict) or header.get("basis") != basis or header.get("codec") != CODEC:
                return None  # stale: the body is not even read
            # The header is plain, so a copy of it can front anything: read no more than a state
            # folded from this log could take (it is about the size of the log).
            if end - f.tell() > 4 * sum(size for _, size, _ in basis["segments"]) + MAX_HEADER:
                return None
            pieces: list = []
            while True:
                size = f.read(_LEN.size)
                nonce = f.read(crypto.NONCE_BYTES)
                if len(size) != _LEN.size or len(nonce) != crypto.NONCE_BYTES:
                    return None
                sealed = f.read(_LEN.unpack(size)[0])
                last = f.tell() >= end
                plain = cipher.open_raw(nonce, sealed, _aad(raw_header, len(pieces), last))
                del sealed
                pieces.append(marshal.loads(plain))
                del plain
                if last:
                    return header, pieces
    except (OSError, Unreadable, crypto.Tampered, ValueError, EOFError, TypeError):
        return None
