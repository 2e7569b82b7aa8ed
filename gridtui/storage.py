"""TinyDB storages that cannot be left half-written, and that can keep their files encrypted.

:class:`AtomicJSONStorage` is for small files rewritten whole (a store's identity, configs);
:class:`LogStorage` for the event log, which only ever grows: a save appends its new documents
and costs one durable append, however long the log.

TinyDB's own ``JSONStorage`` rewrites its file in place (seek 0, write, truncate): a crash in the
middle leaves a truncated file, and an empty file silently opens as an empty database. This storage
writes through :func:`gridtui.atomic.write_atomic` instead, always as UTF-8, and refuses to
treat a damaged file as empty.

Given a :class:`gridtui.crypto.Cipher`, the file is sealed with AES-GCM, bound to its own file name
so that files cannot be swapped within a store; a file that does not authenticate is damaged.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

from collections.abc import Iterable, Mapping

from tinydb.storages import Storage
from tinydb.table import Table

from . import crypto, jsonbytes
from .atomic import append_durable, write_atomic


class DamagedFile(Exception):
    """A store file exists but cannot be read as JSON (or does not authenticate)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


GENERATION = "_generation"  # the pseudo-table a counted file keeps its write count in
TAIL = 32  # bytes of a file's end kept when it is read, to tell later whether it is still the same


def _seen(raw: bytes) -> tuple[int, bytes]:
    """What a read file was: its size and its last bytes (see gridtui.snapshot)."""
    return len(raw), raw[-TAIL:]


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
        self.seen: tuple[int, bytes] | None = None  # the file as last read
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
        self.seen = _seen(raw)
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
        payload = jsonbytes.dumps(data)
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


# --- the append-only log ------------------------------------------------------------------------

# Sealed logs begin like every sealed file (crypto.is_sealed tells them from plain ones).
_PLAIN_HEAD = b"gridtui-log/1\n"
_SEALED_HEAD = crypto.MAGIC + b"log\n"
_FRAME = struct.Struct("<II")  # the payload's length and its CRC-32, before every record
_ZERO_FRAME = bytes(_FRAME.size)
MAX_RECORD = 64 * 1024 * 1024  # a batch of events is a few MB at most; more is not a length


class LogStorage(Storage):
    """A TinyDB storage that appends: each write adds one record holding the documents that are new
    since the last one. A file of such records is a log::

        gridtui-enc/1\nlog\n                header (gridtui-log/1\n: plain, for training data)
        <u32 length> <u32 crc32> payload    one record per write; payload = JSON of
        ...                                 {table: {doc_id: document}}, sealed with AES-GCM under
                                            the file's name and the record's number

    A write cut short (kill -9, power cut, full disk) leaves a torn last record: too short for its
    length, or failing its checksum. It is dropped when the file is read and cut off by the next
    write; any other record that does not check out means the file is damaged, and no record
    after a bad one is ever taken. The number in each record's seal means records cannot be
    reordered or repeated, the name that they cannot be moved to another file. Dropping whole
    records from the end can only be seen from outside: the store's manifest counts them.

    Documents are never changed or removed once written: the store's log only grows. A write that
    drops a document is refused; ``TinyDB.update`` would not be saved, and is not used on a log.
    """

    def __init__(self, path: str | Path, cipher: crypto.Cipher | None = None, **_ignored: object) -> None:
        self.path = Path(path)
        self.cipher = cipher
        self._name = self.path.name.encode("utf-8")
        self._data: dict | None = None
        self._written: dict[str, dict] = {}  # per table: the documents on disk (TinyDB's old dict)
        self._head = _SEALED_HEAD if cipher is not None else _PLAIN_HEAD
        self._end = 0  # where the last good record ends: the next one goes there
        self._records = 0
        self.torn = 0  # bytes of a torn last record dropped when read
        self.seen: tuple[int, bytes] | None = None  # the file as last read

    @property
    def end(self) -> int:
        self.read()
        return self._end

    def read(self) -> dict | None:
        if self._data is None:
            self._data = self._load()
            self._written = dict(self._data or {})
        return self._data

    def _aad(self, index: int) -> bytes:
        return self._name + b"#" + str(index).encode("ascii")

    def _load(self) -> dict | None:
        self._end, self._records, self.torn = 0, 0, 0
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        self.seen = _seen(raw)
        if len(raw) < len(self._head) and self._head.startswith(raw):
            self.torn = len(raw)  # created, and cut short before its header was whole
            return None
        if not raw.startswith(self._head):
            if raw.startswith(_SEALED_HEAD):
                raise DamagedFile(self.path, "encrypted, and no key was given")
            raise DamagedFile(self.path, "not encrypted" if raw.startswith(_PLAIN_HEAD) else "not a gridtui log")
        data: dict = {}
        pos, size = len(self._head), len(raw)
        while pos < size:
            if pos + _FRAME.size > size:
                break  # torn: not even the frame was written whole
            if raw.startswith(_ZERO_FRAME, pos) and raw.count(0, pos) == size - pos:
                break  # torn: the file was made longer, its bytes never came (zeros after a power cut)
            length, crc = _FRAME.unpack_from(raw, pos)
            body_end = pos + _FRAME.size + length
            if body_end > size:
                break  # torn: the record was cut short
            if length > MAX_RECORD:
                raise DamagedFile(self.path, f"a damaged record at byte {pos}")
            payload = raw[pos + _FRAME.size : body_end]
            if zlib.crc32(payload) != crc:
                if body_end == size:
                    break  # torn: the last record, written but not whole
                raise DamagedFile(self.path, f"a damaged record at byte {pos}")
            self._merge_record(data, self._open_record(payload, self._records), pos)
            self._records += 1
            pos = body_end
        self._end = pos
        self.torn = size - pos
        return data

    def _open_record(self, payload: bytes, index: int) -> dict:
        if self.cipher is not None:
            try:
                payload = self.cipher.open(payload, self._aad(index))
            except crypto.Tampered as exc:
                raise DamagedFile(self.path, str(exc)) from None
        try:
            docs = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise DamagedFile(self.path, str(exc)) from None
        if not isinstance(docs, dict) or not all(isinstance(v, dict) for v in docs.values()):
            raise DamagedFile(self.path, "a record that is not tables of documents")
        return docs

    def _merge_record(self, data: dict, docs: dict, pos: int) -> None:
        for table, new in docs.items():
            have = data.setdefault(table, {})
            if not have:
                have.update(new)
                continue
            if any(k in have for k in new):
                raise DamagedFile(self.path, f"a record at byte {pos} repeats a document")
            have.update(new)

    def write(self, data: dict) -> None:
        self.read()
        delta: dict[str, dict] = {}
        for table, docs in data.items():
            old = self._written.get(table, {})
            added = {k: v for k, v in docs.items() if k not in old} if len(docs) != len(old) else {}
            if len(docs) != len(old) + len(added):
                raise ValueError(f"{self.path.name}: an event log only grows; documents cannot be removed")
            if added:
                delta[table] = added
        if not delta:
            self._data = data
            return
        self._write_record(jsonbytes.dumps(delta))
        self._data = data
        self._written = dict(data)

    def append(self, table: str, docs: dict[str, dict], encoded: list | None = None) -> None:
        """Write these new documents of ``table`` as one record (see :class:`LogTable`); ``encoded``:
        their JSON, in order, as :func:`gridtui.jsonbytes.dumps` makes it."""
        data = self.read()
        if data is None:
            data = self._data = {}
        have = data.setdefault(table, {})
        if any(k in have for k in docs):
            raise ValueError(f"{self.path.name}: a document id already written")
        if encoded is None:
            self._write_record(jsonbytes.dumps({table: docs}))
        else:  # the same bytes, from the documents' own
            members = b",".join(b'"%s":%s' % (k.encode("ascii"), doc) for k, doc in zip(docs, encoded))  # doc: bytes-like
            self._write_record(b"{" + jsonbytes.dumps(table) + b":{" + members + b"}}")
        have.update(docs)
        self._written[table] = have

    def _write_record(self, payload: bytes) -> None:
        if self.cipher is not None:
            payload = self.cipher.seal(payload, self._aad(self._records))
        record = _FRAME.pack(len(payload), zlib.crc32(payload)) + payload
        if self._end == 0:
            record = self._head + record
        try:
            self._end = append_durable(self.path, record, self._end)
        except BaseException:
            self._data = None  # what we handed out may have been changed; the disk has the old content
            raise
        self._records += 1

    def close(self) -> None:
        self._data = None
        self._written = {}


class LogTable(Table):
    """TinyDB's ``Table`` for a :class:`LogStorage` (``TinyDB.table_class``): ``insert_multiple``
    hands the storage only the new documents. TinyDB's own rebuilds the whole table twice on every
    insert, which was most of the cost of a save. Other operations are TinyDB's."""

    def insert_multiple(self, documents: Iterable[Mapping]) -> list[int]:
        storage = self._storage.storage if hasattr(self._storage, "storage") else self._storage
        if not isinstance(storage, LogStorage):
            return super().insert_multiple(documents)
        ids, new = [], {}
        for doc in documents:
            if type(doc) is not dict and not isinstance(doc, Mapping):
                raise ValueError("Document is not a Mapping")
            doc_id = self._get_next_id()
            ids.append(doc_id)
            new[str(doc_id)] = doc  # not copied, unlike TinyDB: the store's events are never changed
        if new:
            storage.append(self.name, new)
        self.clear_cache()
        return ids

    def insert_encoded(self, documents: list[dict], encoded: list) -> list[int]:
        """:meth:`insert_multiple` of documents whose JSON the caller already made (the same bytes
        :func:`gridtui.jsonbytes.dumps` gives): written as they are, not encoded again."""
        if len(documents) != len(encoded):
            raise ValueError("one encoding per document")
        ids = [self._get_next_id() for _ in documents]
        if ids:
            self._storage.append(self.name, {str(i): doc for i, doc in zip(ids, documents)}, encoded)
        self.clear_cache()
        return ids


def rewrite_log(path: Path, data: dict, cipher: crypto.Cipher | None) -> None:
    """A log's documents as a new log of one record, replacing the file atomically (encrypting a
    plain store, masking what an old one held)."""
    payload = jsonbytes.dumps(data)
    if cipher is not None:
        payload = cipher.seal(payload, Path(path).name.encode("utf-8") + b"#0")
    head = _SEALED_HEAD if cipher is not None else _PLAIN_HEAD
    write_atomic(path, head + _FRAME.pack(len(payload), zlib.crc32(payload)) + payload)


def log_is_plain(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(len(_PLAIN_HEAD)) == _PLAIN_HEAD
