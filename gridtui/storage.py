"""A TinyDB storage that cannot be left half-written, and that can keep its file encrypted.

TinyDB's own ``JSONStorage`` rewrites its file in place (seek 0, write, truncate): a crash in the
middle leaves a truncated file, and an empty file silently opens as an empty database. This storage
writes through :func:`gridtui.atomic.write_atomic` instead, always as UTF-8, and refuses to
treat a damaged file as empty.

Given a :class:`gridtui.crypto.Cipher`, the file is sealed with AES-GCM, bound to its own file name
so that files cannot be swapped within a store; a file that does not authenticate is damaged.
"""

from __future__ import annotations

import json
from pathlib import Path

from tinydb.storages import Storage

from . import crypto
from .atomic import write_atomic


class DamagedFile(Exception):
    """A store file exists but cannot be read as JSON (or does not authenticate)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


GENERATION = "_generation"  # the pseudo-table a counted file keeps its write count in


class AtomicJSONStorage(Storage):
    """``counted``: every write also bumps a generation number kept in the same file (so it cannot
    be written without it) and reports it to ``on_write``; an older copy of the file put back has a
    smaller number, which whoever recorded the last one can notice."""

    def __init__(self, path: str | Path, cipher: crypto.Cipher | None = None, counted: bool = False,
                 **_ignored: object) -> None:
        self.path = Path(path)
        self.cipher = cipher
        self.counted = counted
        self.on_write = None  # callable(generation) for a counted file
        self._aad = self.path.name.encode("utf-8")
        # TinyDB reads the whole file before every write; keeping the last good data in memory
        # makes a save cost one write instead of a read, a parse and a write.
        self._cache: dict | None = None

    def read(self) -> dict | None:
        if self._cache is None:
            self._cache = self._load()
        return self._cache

    def _load(self) -> dict | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        raw = self._plain(raw)
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DamagedFile(self.path, str(exc)) from None
        if not isinstance(data, dict):
            raise DamagedFile(self.path, "not a JSON object")
        return data

    def _plain(self, raw: bytes) -> bytes:
        if self.cipher is None:
            if crypto.is_sealed(raw):
                raise DamagedFile(self.path, "encrypted, and no key was given")
            return raw
        try:
            return self.cipher.open(raw, self._aad)
        except crypto.Tampered as exc:
            raise DamagedFile(self.path, str(exc)) from None

    @property
    def generation(self) -> int:
        n = ((self.read() or {}).get(GENERATION) or {}).get("1", {}).get("n", 0)
        return n if type(n) is int else 0

    def write(self, data: dict) -> None:
        if self.counted:
            data[GENERATION] = {"1": {"n": self.generation + 1}}
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if self.cipher is not None:
            payload = self.cipher.seal(payload, self._aad)
        try:
            write_atomic(self.path, payload)
        except BaseException:
            # TinyDB mutated the dict we handed out before calling write; the disk still has the
            # old content, so forget the mutated copy and read the disk next time.
            self._cache = None
            raise
        self._cache = data
        if self.counted and self.on_write is not None:
            self.on_write(self.generation)

    def close(self) -> None:
        self._cache = None
