"""The office's outbox: what publish sends each grid's worker, kept up to date by every office write,
so that publish neither reads the whole log nor folds it nor encodes its events again.

Two files beside the office store's log::

    outbox.dat   gridtui-outbox/1\\n, then chunks: <u32 length> <u32 grid number> <nonce> <AES-GCM>
    outbox.idx   sealed JSON: the log it matches (its basis), the data file's id, size and chunk
                 count, the grids, and per worker and device the newest event held (publish's ack)

A chunk is a run of one grid's events (their JSON, comma-separated, as the worker gets them: ID
numbers masked) sealed with the store's key under the data file's id, the chunk's number and its
grid, so chunks cannot be moved, reordered or swapped between grids. An append writes its chunks
past the end the index names, then the log, then the index: a crash anywhere leaves an index that
names only whole chunks of events that are in the log, or one whose basis no longer matches it.

It is a cache. An index whose basis is not the log on disk (a write by anything else, a loss, a
set-aside) or a data file that does not check out is not used: publish reads the log, folds it and
writes the outbox again. Events that would send what is held elsewhere (see
:func:`gridtui.routes.reroutes`) make the append drop it for the same. Only an encrypted store
keeps one.
"""

from __future__ import annotations

import json
import os
import secrets
import struct
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .. import crypto, jsonbytes, privacy
from ..atomic import write_atomic
from ..routes import Routes, reroutes
from ..safefs import Unreadable, open_regular
from ..store import Store, gc_paused

INDEX = "outbox.idx"
DATA = "outbox.dat"
_MAGIC = b"gridtui-outbox/1\n"
_FRAME = struct.Struct("<II")
MAX_INDEX = 64 * 1024 * 1024
_OVERHEAD = _FRAME.size + crypto.NONCE_BYTES + 16  # a chunk's bytes besides its events (16: the tag)


@dataclass
class Box:
    """The outbox as read: each grid's events, and what publish acknowledges to each worker."""

    runs: Callable[[str], list]  # a grid's events' JSON, in runs of one or more events
    counts: dict[str, int]
    acks: dict[str, dict[str, list[int]]]
    grids: list[str]
    chunks: int = 0

    def listed(self, grid: str | None) -> tuple[bytes, int]:
        """A grid's events as one JSON list (:func:`gridtui.sync.envelope.dump_events`' bytes) and their number."""
        if grid not in self.grids:
            return b"[]", 0
        return b"[" + b",".join(self.runs(grid)) + b"]", self.counts.get(grid, 0)


@dataclass
class _Index:
    basis: dict
    id: str
    size: int
    chunks: int
    grids: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    acks: dict[str, dict[str, list[int]]] = field(default_factory=dict)


def _aad(file_id: str, number: int, grid: str) -> bytes:
    return f"{DATA}#{file_id}#{number}#{grid}".encode("utf-8")


def _encode(e: dict) -> bytes:
    return jsonbytes.dumps(privacy.for_field(e))


def _chunk(cipher: crypto.Cipher, index: _Index, grid_no: int, body: bytes) -> bytes:
    nonce, sealed = cipher.seal_raw(body, _aad(index.id, index.chunks, index.grids[grid_no]))
    index.chunks += 1
    return _FRAME.pack(len(nonce) + len(sealed), grid_no) + nonce + sealed


def _add_acks(acks: dict[str, dict[str, list[int]]], events: Iterable[dict]) -> None:
    for e in events:
        mine = acks.setdefault(e["by"], {})
        if e["t"] > mine.get(e["dev"], [0, 0]):
            mine[e["dev"]] = e["t"]


# --- reading -------------------------------------------------------------------------------------


def _read_index(store: Store) -> _Index | None:
    """The index, if it is whole, sealed with this store's key and matches the log on disk now."""
    basis = store.log_basis()
    if basis is None or store.cipher is None:
        return None
    try:
        with open_regular(store.folder / INDEX) as f:
            blob = f.read(MAX_INDEX + 1)
        if len(blob) > MAX_INDEX:
            return None
        raw = json.loads(store.cipher.open(blob, INDEX.encode("ascii")).decode("utf-8"))
        index = _Index(**raw)
    except (OSError, Unreadable, ValueError, TypeError, RecursionError, crypto.Tampered):
        return None
    if index.basis != basis or not isinstance(index.grids, list) or not isinstance(index.size, int):
        return None
    return index


def read(store: Store) -> Box | None:
    """Every grid's events and the acks, if the outbox matches the log; None: fold the log instead."""
    index = _read_index(store)
    if index is None:
        return None
    try:
        with open_regular(store.folder / DATA) as f:
            raw = f.read(index.size)
    except (OSError, Unreadable):
        return None
    if len(raw) != index.size or not raw.startswith(_MAGIC):
        return None
    view, pos, number = memoryview(raw), len(_MAGIC), 0
    spans: dict[str, list[tuple[int, int, int]]] = {g: [] for g in index.grids}
    cipher = store.cipher
    try:
        while pos < index.size:
            length, grid_no = _FRAME.unpack_from(raw, pos)
            start, pos = pos + _FRAME.size, pos + _FRAME.size + length
            if pos > index.size or grid_no >= len(index.grids):
                return None
            grid = index.grids[grid_no]
            # Opened now to check it (AES-GCM is fast), and again when its grid is sent: a street
            # office's year need not be in memory twice.
            _open(cipher, view, start, pos, _aad(index.id, number, grid))  # type: ignore[arg-type]
            spans[grid].append((start, pos, number))
            number += 1
    except (struct.error, crypto.Tampered):
        return None
    if number != index.chunks:
        return None

    def runs(grid: str) -> list[bytes]:
        return [_open(cipher, view, a, b, _aad(index.id, n, grid)) for a, b, n in spans[grid]]  # type: ignore[arg-type]

    return Box(runs, dict(index.counts), index.acks, list(index.grids), chunks=number)


def _open(cipher: crypto.Cipher, view: memoryview, start: int, end: int, aad: bytes) -> bytes:
    return cipher.open_raw(view[start:start + crypto.NONCE_BYTES], view[start + crypto.NONCE_BYTES:end], aad)


# --- writing -------------------------------------------------------------------------------------


def forget(store: Store) -> None:
    """Drop the outbox (publish writes it again): it cannot be kept up to date with this write."""
    try:
        os.remove(store.folder / INDEX)
    except OSError:
        pass  # gone already, or cannot be removed: its basis no longer matches the log either way


def _write_index(store: Store, index: _Index) -> None:
    blob = store.cipher.seal(jsonbytes.dumps(index.__dict__), INDEX.encode("ascii"))  # type: ignore[union-attr]
    write_atomic(store.folder / INDEX, blob)


def write(store: Store, box: Box) -> None:
    """A new outbox of these grids' events, one chunk per grid."""
    basis = store.log_basis()
    if basis is None or store.cipher is None:
        return
    index = _Index(basis=basis, id=secrets.token_hex(8), size=len(_MAGIC), chunks=0, grids=sorted(box.grids),
                   counts=box.counts, acks=box.acks)
    out = [_MAGIC]
    for grid_no, grid in enumerate(index.grids):
        runs = box.runs(grid)
        if runs:
            out.append(_chunk(store.cipher, index, grid_no, b",".join(runs)))
            index.size += len(out[-1])
    write_atomic(store.folder / DATA, out)
    _write_index(store, index)


def rebuild(store: Store) -> Box:
    """Every grid's events from the loaded store, written as a new outbox (if the disk takes it)."""
    routes = Routes(store.state)
    by_grid: dict[str, list[bytes]] = {g: [] for g in routes.grids}
    encoded: dict[str, bytes] = {}  # an event goes to several grids (the community's): encoded once
    counts = dict.fromkeys(routes.grids, 0)
    acks: dict[str, dict[str, list[int]]] = {}
    for e in store.iter_events():
        grids = routes.grids_of(e)
        if grids:
            raw = _encode(e) if len(grids) == 1 else encoded.setdefault(e["id"], _encode(e))
            for g in grids:
                by_grid[g].append(raw)
                counts[g] += 1
    _add_acks(acks, store.iter_events())
    box = Box(lambda grid: by_grid.get(grid, []), counts, acks, sorted(by_grid))
    try:
        write(store, box)
    except OSError:
        forget(store)
    return box


def compact(store: Store, box: Box) -> None:
    """Write a much-appended outbox again as one chunk per grid."""
    try:
        write(store, box)
    except OSError:
        pass  # the old one still stands


class Append:
    """One append to the office store, with the outbox kept up to date beside it.

    :meth:`before` encodes the events once, unless the caller has their JSON already (the merge:
    each event's bytes as its file held them), the store writes the same bytes into its log, and it
    writes their chunks past the outbox's end; :meth:`after` names them in the index once the log
    holds the events. If the outbox is not up to date, or the events reroute, it is dropped.
    """

    def __init__(self, store: Store, events: list[dict], encoded: jsonbytes.Many | None = None) -> None:
        self.store, self.events = store, events
        self.encoded = encoded  # the events' JSON if the caller has it (the merge: as the files held it)
        self._index: _Index | None = None

    def before(self) -> None:
        store, events = self.store, self.events
        index = _read_index(store)
        routes = Routes(store.state) if index is not None else None
        if routes is None or not routes.grids <= set(index.grids) or reroutes(store.state, events):
            forget(store)
            return
        routes.take_births(store.state, events)
        if self.encoded is None:
            self.encoded = jsonbytes.Many(events)
        encoded = self.encoded
        by_grid: dict[str, list[int]] = {}  # positions, not views: 200,000 small objects cost more than the bytes
        masked: dict[int, bytes] = {}  # a household's ID number is masked for the laptop
        grids_of = routes.grids_of
        for i, e in enumerate(events):
            grids = grids_of(e)
            if grids:
                if e["kind"] == "household":
                    masked[i] = _encode(e)
                for g in grids:
                    by_grid.setdefault(g, []).append(i)
        for g, held in by_grid.items():
            index.counts[g] = index.counts.get(g, 0) + len(held)
        try:
            with open(store.folder / DATA, "r+b") as f:
                f.truncate(index.size)  # whatever a write cut short left past the end
                f.seek(index.size)
                for grid in sorted(by_grid):
                    body = b",".join(masked[i] if i in masked else encoded[i] for i in by_grid[grid])
                    chunk = _chunk(store.cipher, index, index.grids.index(grid), body)  # type: ignore[arg-type]
                    f.write(chunk)
                    index.size += len(chunk)
        except OSError:
            forget(store)
            return
        self._index = index

    def after(self) -> None:
        index = self._index
        if index is None:
            return
        index.basis = self.store.log_basis()  # type: ignore[assignment]
        _add_acks(index.acks, self.events)
        try:
            if index.basis is None:
                raise OSError
            _write_index(self.store, index)
        except OSError:
            forget(self.store)


class OfficeStore(Store):
    """The office store: every append keeps the outbox up to date (or drops it), and leaves on
    close the snapshot of the state (the store has just folded it all: an office decision is
    followed by a report, which would otherwise fold the whole log again to write the same file);
    and opening it to write takes the state from there too."""

    writes_from_snapshot = True

    def append(self, events: list[dict], encoded: jsonbytes.Many | None = None, let_go: bool = False) -> None:
        if not events or self.cipher is None:
            super().append(events, encoded, let_go)  # (a plain store keeps no snapshot)
            return
        step = Append(self, events, encoded)
        with gc_paused():  # a merge's 200,000 events: the collector rescanning the state costs more
            # A cache never fails a save: anything wrong with it drops it, and publish writes it again.
            try:
                step.before()
            except Exception:  # noqa: BLE001
                step.encoded, step._index = encoded, None
                forget(self)
            super().append(events, step.encoded, let_go)
            self.leave_snapshot_on_close()
            try:
                step.after()
            except Exception:  # noqa: BLE001
                forget(self)
