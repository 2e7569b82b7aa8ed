"""A sealed snapshot of a store's folded state, so that what only reads a big store (a report, a
ledger, a list) need not parse and fold its whole log again.

    gridtui-snap/1\\n  <u32 length> <header JSON>  <12-byte nonce> <AES-GCM ciphertext of the body>

The header says what the state was folded from: each segment's name, size and a digest of its
last bytes, the rules version and the set-aside events. The body (the state, see
:func:`gridtui.events.snapshot_of`) is sealed with the store's key under the file's name and the
header, so neither can be swapped or edited without the key. A snapshot is used only when the
header matches the log on disk exactly; the log only grows, so any save since makes it stale, and
the next reader that folds writes a new one. It is a cache: a missing, stale, damaged or
unwritable snapshot costs a fold, never data. Only encrypted stores keep one (a plain store is
training data, and small; a plain snapshot would stay behind unsealed when the store is encrypted).
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

from . import crypto, jsonbytes
from .atomic import write_atomic
from .safefs import Unreadable, open_regular
from .storage import TAIL

FILE = "state.snap"
_MAGIC = b"gridtui-snap/1\n"
_LEN = struct.Struct("<I")
MAX_HEADER = 1 << 20


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


def _aad(header: bytes) -> bytes:
    return FILE.encode("ascii") + b"#" + header


def write(folder: Path, cipher: crypto.Cipher, basis: dict, extra: dict, body: dict) -> bool:
    """Write a snapshot; False (and nothing changed) if the disk would not take it."""
    try:
        header = jsonbytes.dumps({"basis": basis, **extra})
        payload = jsonbytes.dumps(body)
    except (TypeError, ValueError):
        return False
    nonce, sealed = cipher.seal_raw(payload, _aad(header))
    del payload  # a street office's year is hundreds of MB: no more copies than needed at once
    try:
        write_atomic(Path(folder) / FILE, [_MAGIC + _LEN.pack(len(header)) + header, nonce, sealed])
    except OSError:
        return False
    return True


def read(folder: Path, cipher: crypto.Cipher, basis: dict) -> tuple[dict, object] | None:
    """(header, body) of the folder's snapshot if it was folded from exactly ``basis``; else None."""
    try:
        with open_regular(Path(folder) / FILE) as f:  # never a link or a FIFO planted there
            if f.read(len(_MAGIC)) != _MAGIC:
                return None
            size = f.read(_LEN.size)
            if len(size) != _LEN.size or _LEN.unpack(size)[0] > MAX_HEADER:
                return None
            raw_header = f.read(_LEN.unpack(size)[0])
            header = json.loads(raw_header.decode("utf-8"))
            if not isinstance(header, dict) or header.get("basis") != basis:
                return None  # stale: the body is not even read
            # The header is plain, so a copy of it can front anything: read no more than a state
            # folded from this log could take (its JSON is about the size of the log's).
            limit = 4 * sum(size for _, size, _ in basis["segments"]) + MAX_HEADER
            sealed = f.read(limit + 1)
            if len(sealed) > limit:
                return None
    except (OSError, ValueError, Unreadable):
        return None
    body = memoryview(sealed)  # nonce, then ciphertext: sliced without copying
    try:
        plain = cipher.open_raw(body[:crypto.NONCE_BYTES], body[crypto.NONCE_BYTES:], _aad(raw_header))
        del body, sealed
        text = plain.decode("utf-8")
        del plain  # a street office's year is a 300 MB snapshot: not its bytes beside its text and its objects
        return header, json.loads(text)
    except (crypto.Tampered, ValueError, RecursionError):
        return None
