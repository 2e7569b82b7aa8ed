"""The local store: an event log in TinyDB files, one writer at a time, folded into state.

Layout of a store folder::

    meta.json            TinyDB: this store's identity (device id, worker, grid, training flag) and
                         its manifest: how many events each segment holds, the newest stamp
    events-00001.log     TinyDB segments of the event log, at most SEGMENT_SIZE events each, each
                         an append-only log (gridtui.storage.LogStorage): a save appends a record
    events-00001.json    a segment written by an older gridtui (rewritten whole): read, never written
    lock, lock.owner     the single-writer lock (see gridtui.lock)

The manifest (meta.json is sealed like the rest) is written when a segment is started, when the
store is closed and when a sync or merge asks (:meth:`Store.flush`), not on every save: a save
costs one durable append. A segment deleted or put back from an older copy is noticed when the
store is opened: the store opens with what is left, says what is gone, and remembers it
(``meta["loss"]``) until a sync or merge has fetched back what the shared folder still holds.
A segment longer than the manifest says was written after it, which is fine.

Every event in a store has passed :func:`gridtui.rules.problem`. A store written by an older
version is checked once when opened; events that break today's rules are set aside (quarantined:
kept on disk, listed by ``gridtui quarantine``, left out of the fold), never crashing anything.

TinyDB hands its storage the whole table on every write, so a save still costs O(SEGMENT_SIZE) in
memory (no more on disk); segments keep that small however long the history grows, and older
segments are never written again.

Callers get copies, never TinyDB's cached documents or the store's own state objects to mutate.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import gc
import itertools
import json
import os
import secrets
from pathlib import Path
from typing import Callable, Iterable

from tinydb import TinyDB

from . import crypto, i18n, jsonbytes, model, privacy, rules, snapshot, vault
from .atomic import ensure_private_dir
from .errors import UserError
from .events import (MAX_AHEAD_MS, Clock, Folding, State, fold, fold_more, make_event, share_strings, snapshot_of,
                     state_from_snapshot)
from .lock import StoreLock
from .storage import AtomicJSONStorage, DamagedFile, LogStorage, LogTable

SEGMENT_SIZE = 2000
_META_ID = 1
RULES_VERSION = 2  # bump when gridtui.rules refuses something it took before: old stores are re-checked


class BadRecord(UserError):
    """An event that breaks the rules of what a store may hold (a roster value, a bug)."""


class NotAStore(Exception):
    """The folder holds no store (not set up yet)."""


class UnknownRecord(Exception):
    def __init__(self, kind: str, eid: str) -> None:
        super().__init__(f"unknown {kind} {eid}")
        self.kind = kind
        self.eid = eid


@contextlib.contextmanager
def gc_paused():
    """Run a block with the cyclic garbage collector off, and back on after it.

    Loading a store builds hundreds of thousands of small acyclic dicts; the collector scanning
    them again and again while they are built costs more than the parsing (measured: 1.4 s of
    3 s on a 200k-event store). Nothing built here makes cycles, so nothing is left to collect.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if _SETTLE:
                gc.freeze()  # see settle_loads
            gc.enable()


_SETTLE = False


def settle_loads(on: bool = True) -> None:
    """From now on, what a paused block built stays out of the collector's sight (``gc.freeze``).

    For a process that runs one command and exits (the console script): the first collection after
    a pause would otherwise scan everything the pause built (a merge's 200,000 events and their
    records, measured 0.15–0.4 s of 5.5 s; more at a street office's year). Nothing built there makes cycles,
    so nothing is lost; a test process running hundreds of stores does not call it. The app turns it off: it settles its own memory once it is up."""
    global _SETTLE
    _SETTLE = on


def local_now() -> dt.datetime:
    return dt.datetime.now().astimezone()


class Store:
    # Told once per opened store when part of it is found lost (the CLI prints it, the app shows it).
    on_loss: Callable[["Store"], None] | None = None
    # Told of anything else found wrong on opening (an i18n key): the wrong-PIN record tampered with.
    on_warning: Callable[["Store", str], None] | None = None
    # Whether opening to write takes the state from the snapshot when it matches the log (the
    # office's, which its every write leaves): a decision then folds in its one event, not the log.
    writes_from_snapshot = False

    def __init__(
        self,
        folder: Path,
        *,
        cipher: crypto.Cipher | None = None,
        now: Callable[[], dt.datetime] = local_now,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.cipher = cipher  # None: a plain store (training data)
        self._now = now
        self._clock_ms = clock_ms
        self._lock = StoreLock(self.folder)
        self._events: list[dict] = []
        self._segments: list[TinyDB] = []
        self._segment_names: list[str] = []
        self._counts: list[int] = []  # events per segment, as on disk
        self._sizes: list[int] = []  # bytes per segment file, as on disk
        self._tail_count = 0  # events in the newest segment
        self._manifest_due = False  # appended since the manifest was last written
        self._meta_handle: TinyDB | None = None
        self.readonly = False
        self.lasting = True
        self.leave_snapshot = True
        self._unsynced_key: tuple | None = None  # what unsynced_visits last counted over
        self._unsynced = 0
        self._quarantined: list[dict] = []  # events set aside on open (see gridtui.rules)
        self._lazy = False  # the events are not in memory: read from the log when asked for
        self.hold_events = True  # False: the events are let go once folded (see open)
        self._state_current = False  # lazy, and the state is the fold of the log (a writer's own)
        self._my_visits: list[list] | None = None  # stamps of this device's visits, while known
        self._snapshot_due = False
        self._snapshot_marks: list[list] | None = None  # what the snapshot the state came from was folded from
        self.loss: dict | None = None  # what the manifest says is gone since the last open
        self._loss_told = False
        self.meta: dict = {}
        self.state = State()
        self.clock = Clock(clock_ms)

    # --- opening and closing ------------------------------------------------------------------

    @classmethod
    def exists(cls, folder: Path) -> bool:
        return (Path(folder) / "meta.json").exists()

    @classmethod
    def create(cls, folder: Path, meta: dict, events: Iterable[dict] = (), *, pin: str | None = None,
               hold_events: bool = True, **kw) -> "Store":
        """Make a new store with its identity and initial events, and return it open.

        With ``pin`` every file is encrypted under a new key kept in ``key.json`` (see gridtui.vault);
        without, the store is plain — for training data only.
        """
        ensure_private_dir(folder)
        if pin is not None:
            kw["cipher"] = vault.create(folder, pin)
        events = list(events)
        for e in events:
            _check(e)
        store = cls(folder, **kw)
        store.hold_events = hold_events
        store._lock.acquire()
        try:
            store.meta = {"device": secrets.token_hex(4), "rules": RULES_VERSION, **meta}
            store._meta_db().table("meta").insert(store.meta)
            store.load()
            store.append(events)
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def open(cls, folder: Path, *, load: bool = True, unlock: vault.Unlock | None = None,
             new_pin: Callable[[], str] | None = None, readonly: bool = False, lasting: bool | None = None,
             leave_snapshot: bool = True, hold_events: bool | None = None, **kw) -> "Store":
        """Open and lock a store; with ``load=False`` the events are read only on :meth:`load`.

        An encrypted store needs ``unlock``, which asks for the PIN (once the lock is held, so a
        second copy of the app is told at once rather than after typing the PIN). Given
        ``new_pin``, a plain store written before encryption existed is encrypted first.

        ``readonly`` (reports, lists): no lock is taken, so they run while another gridtui saves or
        merges; every file is replaced whole or appended to, so what is read is whole. The state comes
        from the snapshot when it matches the log (see :mod:`gridtui.snapshot`), and a reader that
        had to fold leaves one for the next. Nothing else is written, not even the store's own
        bookkeeping, and a mismatch with the manifest is left to the next writer.
        A store that still has to be encrypted or finished encrypting is opened for writing instead.

        ``lasting``: the store stays open long (the app, a merge), so its repeated strings are shared
        to save memory; a command that reads, writes a little and exits is faster without. Default:
        lasting unless read-only. ``leave_snapshot=False``: a reader that folded leaves no snapshot
        (it has every core busy right after, and writing one would slow that by as much).

        ``hold_events=False`` (the app): the events are not kept once folded, and are read from
        the log again when something asks for them (a sync, an undo) until :meth:`release_events`.
        The records are then made of the events' own parsed data rather than copies of it, so a
        5,000-household grid opens in some 20 MB less than with the log and the records both in memory.
        Default: held by a writer (a merge needs them), not by a reader (a report needs the state).
        """
        if not cls.exists(folder):
            raise NotAStore(str(folder))
        protected = vault.is_protected(folder)
        if readonly and ((protected and vault.is_migrating(folder)) or (not protected and new_pin is not None)):
            readonly = False
        store = cls(folder, **kw)
        store.readonly = readonly
        store.lasting = not readonly if lasting is None else lasting
        store.leave_snapshot = leave_snapshot
        store.hold_events = not readonly if hold_events is None else hold_events
        if not readonly:
            store._lock.acquire()
        try:
            if store.cipher is None and vault.is_protected(folder):
                if unlock is None:
                    raise vault.Locked()
                store.cipher = unlock(Path(folder))
                if vault.is_migrating(folder):  # a run that was encrypting this store was cut short
                    vault.finish_protecting(folder, store.cipher, _legacy_transform(folder, store.cipher))
            elif store.cipher is None and new_pin is not None:
                store.cipher = vault.protect(folder, new_pin(), _legacy_transform(folder, None))
            store.meta = dict(store._meta_db().table("meta").get(doc_id=_META_ID) or {})
            if store.cipher is not None and not readonly:
                store._check_pin_record()
            if load:
                store.load()
            else:
                store._check_manifest(counted=False)
        except BaseException:
            store.close()
            raise
        return store

    def _check_pin_record(self) -> None:
        """The wrong-PIN record still the one this store last saw? If it went missing or was swapped
        (which resets the waits between guesses), say so once, and start a new one."""
        seen, now = self.meta.get("unlock_epoch"), vault.epoch(self.folder)
        if now is not None and now == seen:
            return
        if seen is not None and Store.on_warning is not None:
            Store.on_warning(self, "pin.record_tampered")
        self.update_meta(unlock_epoch=vault.new_epoch(self.folder))

    def update_meta(self, **changes: object) -> None:
        meta = {**self.meta, **changes}
        current = self._manifest_due and "manifest" not in changes
        if current:  # meta.json is written anyway: bring the manifest up to date with it
            meta["manifest"] = self._manifest()
        if not self.readonly:
            self._meta_db().table("meta").update(meta, doc_ids=[_META_ID])
            if current:
                self._manifest_due = False
        self.meta = meta

    def _meta_db(self) -> TinyDB:
        # One handle for the store's life: its storage keeps what it last wrote, so an update costs
        # one write, not a read, a decryption and a write.
        if self._meta_handle is None:
            self._meta_handle = self.db("meta.json")
        return self._meta_handle

    def flush(self) -> None:
        """Record in the manifest what the segments hold now (saves do not, to cost one write)."""
        if self._manifest_due and not self.readonly:
            self._write_manifest()

    def close(self) -> None:
        try:
            self.flush()
        except OSError:
            pass  # a full disk: the manifest stays behind the log, which is only ever read as fine
        if self._snapshot_due:
            self._snapshot_due = False
            self._events = []  # not needed once closed: a merge's 200k beside the snapshot's bytes would not fit
            with gc_paused():
                self._write_snapshot()
        for db in self._segments:
            db.close()
        self._segments = []
        if self._meta_handle is not None:
            self._meta_handle.close()
            self._meta_handle = None
        self._lock.release()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def encrypted(self) -> bool:
        return self.cipher is not None

    def db(self, name: str, counted: bool = False) -> TinyDB:
        """A TinyDB file in this store's folder, sealed like the rest of the store."""
        if name.endswith(".log"):
            db = TinyDB(self.folder / name, storage=LogStorage, cipher=self.cipher)
            db.table_class = LogTable
            return db
        return TinyDB(self.folder / name, storage=AtomicJSONStorage, cipher=self.cipher, counted=counted)

    def load(self) -> None:
        with gc_paused():
            self._load_events()

    def _load_events(self) -> None:
        paths = segment_paths(self.folder)
        self._segment_names = [p.name for p in paths]
        self._segments = [self.db(p.name) for p in paths]
        if (self.readonly or self.writes_from_snapshot) and self._from_snapshot(paths):
            return
        self._fold_log()
        self._snapshot_due = self.readonly and self.leave_snapshot  # on close: after what the reader came for

    def _fold_log(self) -> None:
        # A writer that let its events go reads them again, and its state stands: it has folded in
        # everything it wrote, and no other writer can have written (it holds the lock).
        reread = self._lazy and self._state_current
        from_snapshot = self._lazy and not self._state_current
        let_go = not self.hold_events and not self._lazy  # the first read only: later ones are for the events
        # Folded a segment at a time, so the log is never in memory whole: unless the store is
        # still to be checked by today's rules, which needs every event first (once per version).
        folding = Folding(consume=True) if let_go and self.meta.get("rules") == RULES_VERSION else None
        events: list[dict] = []
        self._counts, self._quarantined = [], []
        if not reread:
            self._my_visits = []
        latest = self._latest_stamp([])
        for i in range(len(self._segments)):
            docs = self._segment_events(i, copied=folding is not None)
            self._counts.append(len(docs))
            self._tail_count = len(docs)
            if folding is not None:
                docs = self._set_aside(docs)
                latest = max(latest, self._note_read(docs))
                folding.add(docs, i)
            else:
                events.extend(docs)
        self._sizes = [os.stat(self.folder / name).st_size for name in self._segment_names]
        self._check_manifest(counted=True)
        if folding is None:
            events = self._set_aside(events)
            if not reread:
                latest = self._note_read(events)
        if not reread:
            self._unsynced_key = None
            self.clock = Clock(self._clock_ms, last=latest)
        self._lazy = False
        if folding is not None:
            self.state = folding.finish(lambda i: self._set_aside(self._segment_events(i), note=False))
        else:
            self._events = events
            # Events asked for after a state from the snapshot: if the log read is still the one it
            # was folded from, that state stands (a writer may have appended since: then fold).
            if not reread and not (from_snapshot and self._read_marks() == self._snapshot_marks):
                self.state = fold(events)
        if not let_go:
            return
        if self.readonly:
            # A reader holds no lock: if it needs the events later, the log may have grown since,
            # so it folds again unless the log is still the one this state was folded from.
            self._snapshot_marks = self._read_marks()
            self._events, self._lazy = [], True
        else:
            self.release_events()

    def _segment_events(self, i: int, copied: bool = False) -> list[dict]:
        """Segment ``i``'s events as parsed. ``copied``: the fold may make records of their data, so
        those the storage keeps for the next append (a segment not yet full) are copies."""
        db = self._segments[i]
        # Straight from the storage's parsed data: Document wrappers are not needed to fold.
        table = (db.storage.read() or {}).get("_default", {})
        full = len(table) >= SEGMENT_SIZE
        if full:
            db.storage.close()  # full segments are never written again: don't keep a second copy
        docs = [{**e, "data": dict(e["data"])} for e in table.values()] if copied and not full else list(table.values())
        if self.lasting:
            # One string object per repeated code saves a tenth of the memory of a long-lived store
            # (the app, a merge); a report that reads and exits is a quarter faster without it.
            share_strings(docs)
        return docs

    def _note_read(self, events: list[dict]) -> tuple[int, int]:
        """Keep what the store needs of events read for the first time; the latest stamp among them."""
        self._note_mine(events)
        return self._latest_stamp(events)

    def _note_mine(self, events: list[dict]) -> None:
        """The stamps of this device's own visits, for the unsynced count (not the visits: see open)."""
        if self._my_visits is not None:
            me = self.device
            self._my_visits.extend(e["t"] for e in events if e["kind"] == "visit" and e["op"] == "create"
                                   and e["dev"] == me)

    def release_events(self) -> None:
        """Let the events go again, once what asked for them is done (a store opened with
        ``hold_events=False``; otherwise nothing happens)."""
        if not self.hold_events and not self._lazy and not self.readonly:
            self._events, self._lazy, self._state_current = [], True, True

    # --- the snapshot: what only reads need not fold the log again (see gridtui.snapshot) ---------

    def _snapshot_basis(self, marks: list[list]) -> dict | None:
        if self.cipher is None or self.meta.get("rules") != RULES_VERSION:
            return None
        return {"segments": marks, "rules": RULES_VERSION,
                "quarantine": snapshot.quarantine_mark(list(self.meta.get("quarantine", ())))}

    def log_basis(self) -> dict | None:
        """What the log on disk is now, as a snapshot records what it was folded from: a cache of
        anything derived from the log is good while this stays the same. None: keep no cache
        (a plain store, or one still to be checked by today's rules)."""
        try:
            return self._snapshot_basis([snapshot.segment_mark(p) for p in segment_paths(self.folder)])
        except OSError:
            return None

    def _from_snapshot(self, paths: list[Path]) -> bool:
        """Take the state from the snapshot if it was folded from exactly the log on disk."""
        try:
            basis = self._snapshot_basis([snapshot.segment_mark(p) for p in paths])
        except OSError:
            return False
        got = snapshot.read(self.folder, self.cipher, basis) if basis is not None else None
        if got is None:
            return False
        head, pieces = got
        try:
            state = state_from_snapshot(pieces)
            counts = [int(n) for n in head["counts"]]
            latest = tuple(int(x) for x in head["latest"])
        except (KeyError, TypeError, ValueError):
            return False
        if len(counts) != len(paths) or len(latest) != 2:
            return False
        self._counts, self._tail_count = counts, counts[-1] if counts else 0
        self._sizes = [size for _, size, _ in basis["segments"]]
        self._check_manifest(counted=True)
        self.state, self._events, self._lazy = state, [], True
        # A writer holds the lock: no one else writes, and it folds in what it writes itself.
        self._state_current = not self.readonly
        self._snapshot_marks = basis["segments"]
        self.clock = Clock(self._clock_ms, last=latest)
        return True

    def _read_marks(self) -> list[list] | None:
        """[name, size, digest of the last bytes] of each segment as it was read (None: one was not)."""
        seen = [db.storage.seen for db in self._segments]
        if any(s is None for s in seen):
            return None
        return [[name, size, snapshot.tail_mark(tail)] for name, (size, tail) in zip(self._segment_names, seen)]

    def leave_snapshot_on_close(self) -> None:
        """A writer that appended (the office's, see OfficeStore): leave on close the snapshot that
        the next reader would otherwise fold the whole log to write."""
        self._snapshot_due = not self.readonly and self.cipher is not None

    def _write_snapshot(self) -> None:
        """Keep the state for the next reader: after a reader's fold (the log was read whole, just
        now), or at a writer's close (it holds the lock: the log on disk is what it folded)."""
        if self.readonly:
            marks = self._read_marks()
            basis = self._snapshot_basis(marks) if marks is not None else None
        else:
            basis = self.log_basis()
        if basis is not None:
            snapshot.write(self.folder, self.cipher, basis, {"counts": self._counts, "latest": list(self.clock.last)},
                           snapshot_of(self.state))

    def _need_events(self) -> None:
        """The events themselves, for what needs more than the state (a state from a snapshot has none)."""
        if self._lazy:
            with gc_paused():
                self._fold_log()

    def _check_manifest(self, counted: bool) -> None:
        """Compare the segments on disk with what the last append recorded; remember what is gone.

        Sizes are checked on every open (a stat each, so even a merge that finds nothing new
        notices); event counts too once the segments are read (``counted``). A segment only ever
        grows, so one that is missing or smaller than recorded has lost events; one that is larger
        was written by an append that was cut short before the manifest, which is fine.
        """
        manifest = self.meta.get("manifest")
        if manifest is None:
            return  # a store from before manifests: the first append records one
        have_sizes = {}
        for name in manifest.get("names", ()):
            try:
                have_sizes[name] = os.stat(self.folder / name).st_size
            except OSError:
                pass
        have_counts = dict(zip(self._segment_names, self._counts)) if counted else {}
        gone: dict[str, int | None] = {}
        for name, n, size in zip(manifest.get("names", ()), manifest.get("counts", ()), manifest.get("sizes", ())):
            if name not in have_sizes:
                gone[name] = n
            elif counted and have_counts.get(name, 0) < n:
                gone[name] = n - have_counts.get(name, 0)
            elif have_sizes[name] < size:
                gone[name] = None  # fewer events, how many is known once it is read
        if gone:
            known = [n for n in gone.values() if n is not None]
            loss = {"files": sorted(gone), "events": sum(known) if len(known) == len(gone) else None,
                    "at": self.now_iso()}
            self.loss = loss
            self.update_meta(loss=loss)
            if counted:
                self._write_manifest()  # what is left is the new baseline; the loss stays noted
        elif self.meta.get("loss"):
            self.loss = self.meta["loss"]  # noticed before, not yet fetched back
        if self.loss and not self._loss_told and Store.on_loss is not None:
            self._loss_told = True
            Store.on_loss(self)

    def _manifest(self, **changes: object) -> dict:
        old = self.meta.get("manifest") or {}
        last = max(tuple(self.clock.last), tuple(old.get("last", (0, 0))))
        return {"names": list(self._segment_names), "counts": list(self._counts), "sizes": list(self._sizes),
                "last": list(last), "ledger": old.get("ledger", 0), **changes}

    def _write_manifest(self, **changes: object) -> None:
        self.update_meta(manifest=self._manifest(**changes))
        self._manifest_due = False

    def clear_loss(self) -> None:
        """What was lost has been fetched back (or cannot be): stop saying so."""
        if self.meta.get("loss") is not None:
            self.update_meta(loss=None)
        self.loss = None

    def note_ledger(self, generation: int) -> None:
        """The office ledger was written: remember its generation, so an older copy is refused."""
        old = self.meta.get("manifest") or {}
        if old.get("ledger", 0) < generation:
            self._write_manifest(ledger=generation)

    def _set_aside(self, events: list[dict], note: bool = True) -> list[dict]:
        """Leave out what breaks today's rules: checked once per rules version, then by id.
        ``note``: keep what is left out, to list (not when the same events are read again)."""
        ids = set(self.meta.get("quarantine", ()))
        if self.meta.get("rules") != RULES_VERSION:
            ids |= {e["id"] if isinstance(e.get("id"), str) else "" for e in events if rules.problem(e) is not None}
            self.update_meta(rules=RULES_VERSION, quarantine=sorted(ids))
        if not ids:
            return events
        kept = []
        for e in events:
            if e.get("id") not in ids and isinstance(e.get("id"), str):
                kept.append(e)
            elif note:
                self._quarantined.append(e)
        return kept

    def _latest_stamp(self, events: list[dict]) -> tuple[int, int]:
        # Our new events must sort after everything this device has seen, so that an edit made
        # after seeing another wins over it; stamps from far-future clocks are not trusted. Our
        # own stamps bind us however far ahead they are (a clock that ran fast and was fixed):
        # going below them could repeat an event id — the manifest remembers them even if a
        # segment holding them was lost.
        horizon = self.clock.now_ms() + MAX_AHEAD_MS
        me = self.meta.get("device")
        seen = max((tuple(e["t"]) for e in events if e["t"][0] <= horizon or e["dev"] == me), default=(0, 0))
        return max(seen, tuple(self.meta.get("manifest", {}).get("last", (0, 0))))

    # --- the log ------------------------------------------------------------------------------

    @property
    def device(self) -> str:
        return self.meta["device"]

    @property
    def training(self) -> bool:
        return bool(self.meta.get("training"))

    @property
    def author(self) -> str:
        return self.meta.get("worker") or "office"

    def events(self) -> list[dict]:
        self._need_events()
        return copy.deepcopy(self._events)

    def iter_events(self):
        """The store's own event dicts, for bulk reading (publish, export): read them, never change them."""
        self._need_events()
        return iter(self._events)

    @property
    def event_count(self) -> int:
        self._need_events()
        return len(self._events)

    @property
    def quarantined(self) -> list[dict]:
        """Events set aside on open because they break today's rules (see gridtui.rules)."""
        self._need_events()
        return self._quarantined

    def append(self, events: list[dict], encoded: jsonbytes.Many | None = None, let_go: bool = False) -> None:
        """Write events durably, then fold them in. Nothing changes in memory if the write fails.

        Callers hand in events that passed :func:`gridtui.rules.problem` (new_event, the merge, the
        sync and create check them). ``encoded``: the events' JSON, when the caller needed it too
        (the office's outbox); it is emptied once written, so that the fold after does not run beside it.
        ``let_go``: the caller reads no more of these events than their ids, stamps and authors (the
        merge): the records they create are made of their own ``data`` rather than copies, and the
        store lets go of the events it holds, reading them from the log again if asked (a merge's
        200,000 events would otherwise be in memory twice, as events and as records).
        """
        if not events:
            return
        if self.readonly:
            raise RuntimeError("a store opened read-only is never written")
        with gc_paused():  # a merge appends 100k events: the collector rescanning the state costs more
            started = self._append(events, encoded, let_go)
        if started:
            # After the segments: a crash in between leaves more on disk than the manifest says,
            # which is fine; only less is a loss. A new segment's name must be in it at once.
            self._write_manifest()

    def _append(self, events: list[dict], encoded: jsonbytes.Many | None, let_go: bool = False) -> bool:
        """Write and fold in; whether a new segment was started."""
        start, started = 0, False
        while start < len(events):
            db, new = self._writable_segment()
            started |= new
            end = start + SEGMENT_SIZE - self._tail_count
            batch = events[start:end]
            if encoded is not None and isinstance(db.storage, LogStorage):
                db.table(db.default_table_name).insert_encoded(batch, encoded.span(start, end))
            else:
                db.insert_multiple(batch)
            self._tail_count += len(batch)
            self._counts[-1] = self._tail_count
            self._sizes[-1] = db.storage.end
            if self._tail_count >= SEGMENT_SIZE or let_go:  # (the storage would keep what becomes records)
                db.storage.close()
            start += len(batch)
        if encoded is not None:
            encoded.clear()
        lazy = self._lazy
        if not lazy:
            self._events.extend(events)  # (else they are in the log, read with the rest when asked for)
        self.state = fold_more(self.state, events, self._all_events, consume=let_go)
        if let_go and not self._lazy:
            self._events, self._lazy, self._state_current = [], True, True  # their data are records now
        elif lazy:
            self.release_events()  # read to fold in a late change (a stamp from a clock far ahead)
        self._note_mine(events)
        self._manifest_due = True
        return started

    def _all_events(self) -> list[dict]:
        self._need_events()
        return self._events

    def _writable_segment(self) -> tuple[TinyDB, bool]:
        """The segment to append to, and whether it is a new one. A segment an older gridtui wrote
        is left as it is: new events go to a log after it."""
        if not self._segments or self._tail_count >= SEGMENT_SIZE or not self._segment_names[-1].endswith(".log"):
            last = int(self._segment_names[-1][7:12]) if self._segment_names else 0
            name = f"events-{last + 1:05d}.log"
            self._segments.append(self.db(name))
            self._segment_names.append(name)
            self._counts.append(0)
            self._sizes.append(0)
            self._tail_count = 0
            return self._segments[-1], True
        return self._segments[-1], False

    def new_event(self, kind: str, eid: str, op: str, data: dict) -> dict:
        """A new event of this device's, checked by the same rules the office merge applies."""
        prev = self.state.writer_ids(kind, eid, data) if op == "set" else None
        return _check(make_event(
            self.clock.tick(), self.device, self.author, kind, eid, op, data, prev=prev, training=self.training
        ))

    def new_id(self, prefix: str) -> str:
        """A new record id in this device's namespace (the office's projects, say)."""
        return self._new_id(prefix)

    def _new_id(self, prefix: str) -> str:
        # Unique by construction: this device's id and its own never-repeating clock.
        ms, c = self.clock.tick()
        return f"{prefix}{self.device}-{ms:x}{c:x}"

    def now_iso(self) -> str:
        return self._now().isoformat(timespec="seconds")

    def today(self) -> dt.date:
        return self._now().date()

    # --- changes ------------------------------------------------------------------------------

    def require(self, kind: str, eid: str) -> dict:
        ent = self.state.entities.get(kind, {}).get(eid)
        if ent is None:
            raise UnknownRecord(kind, eid)
        return ent

    def record_visit(self, visit: dict) -> str:
        """Validate and save one door-knock with its findings; returns the visit id."""
        return self.record_visits([visit])[0]

    def record_visits(self, visits: list[dict]) -> list[str]:
        """Several door-knocks saved at once (a whole stairwell given the same notice): all or none,
        in one durable write; returns the visit ids in order."""
        now = self._now()
        today, at_now = now.date(), now.isoformat(timespec="seconds")
        events, vids = [], []
        for visit in visits:
            clean = model.validate_visit(visit, today)
            self.require("household", clean["household"])
            at = visit.get("at") or at_now
            vid = self._new_id("V")
            vids.append(vid)
            findings = clean.pop("findings")
            events.append(self.new_event("visit", vid, "create", {**clean, "at": at, "worker": self.author}))
            for f in findings:
                fid = self._new_id("F")
                data = {**f, "visit": vid, "household": clean["household"], "at": at, "status": "open"}
                events.append(self.new_event("finding", fid, "create", data))
                if (f["role"], f["category"]) == model.WISH_CATEGORY:
                    wish = {"household": clean["household"], "finding": fid, "title": f["asked"], "state": "wish"}
                    events.append(self.new_event("wish", self._new_id("M"), "create", {**wish, "at": at}))
        self.append(events)
        return vids

    def undo(self, events: list[dict]) -> list[dict]:
        """Put back what ``events`` (changes this device just made) replaced, as new changes: nothing
        is overwritten, and the history shows both. Fields nothing had written before are left."""
        wanted = {w for e in events for w in (e.get("prev") or {}).values()}
        self._need_events()
        by_id = {e["id"]: e for e in self._events if e["id"] in wanted}
        self.release_events()
        now, out = self.now_iso(), []
        for e in reversed(events):
            if e["op"] != "set":
                continue
            before = {f: by_id[w]["data"][f] for f, w in (e.get("prev") or {}).items()
                      if f != "changed" and w in by_id and f in by_id[w]["data"]}
            data = model.restorable(e["kind"], before)
            if data:
                out.append(self.new_event(e["kind"], e["eid"], "set", {**data, "changed": now}))
        self.append(out)
        return out

    def set_finding_status(
        self, fid: str, status: str, note: str = "", satisfaction: str | None = None, to: str | None = None
    ) -> list[dict]:
        """Move a finding on; a micro-wish's finding resolved fulfils the wish with it."""
        self.require("finding", fid)
        data = model.validate_status_change(status, note, satisfaction, to)
        now = self.now_iso()
        events = [self.new_event("finding", fid, "set", {**data, "changed": now})]
        if status == "resolved":
            for wid, w in self.state.entities["wish"].items():
                if w.get("finding") == fid and w.get("state") != "fulfilled":
                    events.append(self.new_event("wish", wid, "set",
                                                 {**model.validate_wish_change("fulfilled", None, note), "changed": now}))
        self.append(events)
        return events

    def set_wish_state(self, wid: str, state: str, claimed_by: str | None = None, note: str = "") -> list[dict]:
        """Move a micro-wish on; fulfilling it resolves the service finding it came from, in one save."""
        wish = self.require("wish", wid)
        data = model.validate_wish_change(state, claimed_by, note)
        now = self.now_iso()
        events = [self.new_event("wish", wid, "set", {**data, "changed": now})]
        finding = self.state.entities["finding"].get(wish.get("finding") or "")
        if state == "fulfilled" and finding is not None and finding.get("status") in model.OPEN_STATUSES:
            events.append(self.new_event("finding", finding["id"], "set",
                                         {**model.validate_status_change("resolved", note, None, None), "changed": now}))
        self.append(events)
        return events

    def correct_visit(self, vid: str, changes: dict) -> list[dict]:
        """Correct what a saved visit says (mode, outcome, note): a new event naming what it replaces,
        so the history keeps the original beside the correction and its author."""
        visit = self.require("visit", vid)
        has_findings = any(f.get("visit") == vid for f in self.state.entities["finding"].values())
        data = model.validate_visit_correction(visit, changes, has_findings)
        events = [self.new_event("visit", vid, "set", {**data, "corrected": True, "changed": self.now_iso()})]
        self.append(events)
        return events

    def void_visit(self, vid: str) -> list[dict]:
        """A visit recorded by mistake (wrong door, pressed twice): it then counts nowhere, with its
        findings; the record and its history stay."""
        visit = self.require("visit", vid)
        if visit.get("void"):
            raise model.ValidationError("err.void_already")
        events = [self.new_event("visit", vid, "set", {"void": True, "changed": self.now_iso()})]
        self.append(events)
        return events

    def correct_finding(self, fid: str, changes: dict) -> list[dict]:
        """Correct what a saved finding says (category, 诉求, 措施, triage, follow-up date); its role,
        household and visit stay."""
        finding = self.require("finding", fid)
        data = model.validate_finding_correction(finding, changes, self.today())
        events = [self.new_event("finding", fid, "set", {**data, "corrected": True, "changed": self.now_iso()})]
        self.append(events)
        return events

    def propose_household(self, building: str, fields: dict, asked: str = "") -> str:
        """A door the roster lacks, found on the round: a household proposed to the office (it shows
        as waiting until the office accepts it), met there, with the 数据员 finding that says so."""
        self.require("building", building)
        clean = model.validate_new_household(fields)
        hid, at = self._new_id("H"), self.now_iso()
        vid, fid = self._new_id("V"), self._new_id("F")
        finding = model.validate_finding({"role": "data", "category": "moved_in",
                                          "asked": asked or i18n.t("proposal.asked_new")})
        self.append([
            self.new_event("household", hid, "create", {**clean, "building": building, "proposed": True}),
            self.new_event("visit", vid, "create", {"household": hid, "mode": "door", "outcome": "met", "note": "",
                                                    "at": at, "worker": self.author}),
            self.new_event("finding", fid, "create", {**finding, "proposed": {"new": True}, "visit": vid,
                                                      "household": hid, "at": at, "status": "open"}),
        ])
        return hid

    def propose_moved_out(self, hid: str, asked: str = "") -> str:
        """Neighbours say a household has gone: not a door-knock, so recorded as "other" and vacant,
        with the 数据员 finding proposing it moved out; returns the finding's id."""
        self.require("household", hid)
        at = self.now_iso()
        vid, fid = self._new_id("V"), self._new_id("F")
        finding = model.validate_finding({"role": "data", "category": "moved_out",
                                          "asked": asked or i18n.t("proposal.asked_moved_out"),
                                          "proposed": {"moved_out": True}})
        self.append([
            self.new_event("visit", vid, "create", {"household": hid, "mode": "other", "outcome": "vacant",
                                                    "note": "", "at": at, "worker": self.author}),
            self.new_event("finding", fid, "create", {**finding, "visit": vid, "household": hid, "at": at,
                                                      "status": "open"}),
        ])
        return fid

    def unsynced_visits(self) -> int:
        """Visits recorded on this device that the office has not acknowledged yet (the header asks
        on every screen switch: counted again only when the log or the acknowledgement changed)."""
        if self._my_visits is None:
            self._need_events()
        mine = self._my_visits or []
        acked = self.meta.get("acked_through") or [-1, -1]
        n, seen = len(mine), self._unsynced_key
        if seen is None or seen[1] != tuple(acked) or seen[0] > n:
            seen, self._unsynced = (0, tuple(acked)), 0
        if seen[0] < n:  # only the visits recorded since the last count
            self._unsynced += sum(1 for t in itertools.islice(mine, seen[0], None) if t > acked)
        self._unsynced_key = (n, tuple(acked))
        return self._unsynced

    def unsynced_count(self) -> int:
        """Events this device authored that the office has not acknowledged yet."""
        self._need_events()
        acked = self.meta.get("acked_through")  # [ms, c] of this device's last event the office holds
        mine = (e for e in self._events if e["dev"] == self.device)
        if not acked:
            return sum(1 for _ in mine)
        return sum(1 for e in mine if e["t"] > acked)


def segment_paths(folder: Path) -> list[Path]:
    """The event log's segment files in order: old whole-file ones (.json) and logs (.log)."""
    return sorted([*Path(folder).glob("events-*.json"), *Path(folder).glob("events-*.log")], key=lambda p: p.name)


def _check(e: dict) -> dict:
    why = rules.problem(e)
    if why is not None:
        field = why.partition(":")[2] or why
        kind = e.get("kind")
        raise BadRecord("err.bad_record", kind=i18n.name("kind", kind) if isinstance(kind, str) else "?",
                        id=e.get("eid"), why=i18n.name("ui.f", field))
    return e


def _legacy_transform(folder: Path, cipher: crypto.Cipher | None) -> vault.Transform | None:
    """What encrypting an old store must also change: a worker's store drops the full ID numbers
    the office used to send, since only the office keeps them now (see gridtui.privacy)."""
    raw = (Path(folder) / "meta.json").read_bytes()
    if crypto.is_sealed(raw) and cipher is not None:  # a migration cut short after sealing meta.json
        raw = cipher.open(raw, b"meta.json")
    try:
        meta = json.loads(raw.decode("utf-8"))["meta"][str(_META_ID)]
    except (ValueError, KeyError, TypeError):
        raise DamagedFile(Path(folder) / "meta.json", "no store identity") from None
    return None if meta.get("office") else privacy.redact_segment_file
