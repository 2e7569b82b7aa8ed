"""The event log: events, the hybrid logical clock, and folding events into state.

An event is a plain JSON-able dict::

    {"id": "d1a2b3c4.1732500000000.0",   # unique: device + clock stamp
     "t": [1732500000000, 0],             # hybrid logical clock: wall ms, counter
     "dev": "d1a2b3c4",                   # device that wrote it
     "by": "W01",                         # author: a worker id or "office"
     "kind": "finding", "eid": "F…",      # entity it touches
     "op": "create" | "set",
     "data": {...},                       # fields it sets
     "prev": {"status": "<event id>"},    # set only: the writer of each field this device had seen
     "train": true}                       # only on training (demo) events; never synced

State is the fold of the events in clock order. Because every event is immutable and has a unique
id, merging logs is set union, and folding the same set gives the same state on every device.
``prev`` lets the fold tell a change that saw the one before it from two changes that did not
see each other (a conflict), without trusting anybody's wall clock.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from itertools import islice
from typing import Callable, Iterable, Iterator, NamedTuple

KINDS = ("community", "compound", "grid", "worker", "building", "household", "visit", "finding", "wish", "project")
# Kinds whose every change is kept as history (the audit trail shown to users). A record has a
# "history" list once it has changed: most never do, and an empty list each was 11 MB of a merge.
HISTORIED = frozenset({"finding", "wish", "visit", "project"})
# What the fold adds to a record beside the fields its events wrote.
_OWN_FIELDS = frozenset({"id", "_created", "_by", "_dev", "history"})


def sort_key(e: dict) -> tuple:
    return (e["t"][0], e["t"][1], e["dev"], e["id"])


MAX_AHEAD_MS = 86_400_000  # a stamp further ahead of our wall clock than this is not adopted


class Clock:
    """Hybrid logical clock: never goes backwards, even when the wall clock does."""

    def __init__(self, now_ms: Callable[[], int] | None = None, last: tuple[int, int] = (0, 0)) -> None:
        self.now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        self.last = tuple(last)

    def tick(self) -> list[int]:
        wall = self.now_ms()
        ms, c = self.last
        self.last = (wall, 0) if wall > ms else (ms, c + 1)
        return list(self.last)

    def observe(self, stamp: Iterable[int], max_ahead_ms: int | None = MAX_AHEAD_MS) -> None:
        """Move past a stamp seen from elsewhere, unless it is implausibly far ahead.

        A device whose clock runs days fast must not drag every clock that reads its events
        into the future, so stamps beyond ``max_ahead_ms`` of our wall clock are ignored.
        """
        ms, c = stamp
        if max_ahead_ms is not None and ms - self.now_ms() > max_ahead_ms:
            return
        if (ms, c) > self.last:
            self.last = (ms, c)


def make_event(
    stamp: list[int],
    dev: str,
    by: str,
    kind: str,
    eid: str,
    op: str,
    data: dict,
    prev: dict | None = None,
    training: bool = False,
) -> dict:
    e = {
        "id": f"{dev}.{stamp[0]}.{stamp[1]}",
        "t": list(stamp),
        "dev": dev,
        "by": by,
        "kind": kind,
        "eid": eid,
        "op": op,
        "data": data,
    }
    if prev is not None:
        e["prev"] = prev
    if training:
        e["train"] = True
    return e


class Writer(NamedTuple):
    """The event that last wrote a field, as the fold keeps it: what ``prev``, conflicts and the
    order of events need, not the event itself. Holding every create event for this (the way the
    fold once did) kept each record's whole event alive beside the record: 19 MB of a
    5,000-household grid's 50. A record's creator is not kept at all: it is read off the record
    (``_created``, ``_dev``, ``_by``), which saves a table entry per record."""

    t: list
    dev: str
    by: str

    @property
    def id(self) -> str:
        # Made again when asked (every event's id is this: gridtui.rules refuses any other), which
        # saves a string per record.
        return f"{self.dev}.{self.t[0]}.{self.t[1]}"

    @property
    def sort_key(self) -> tuple:
        return (self.t[0], self.t[1], self.dev, self.id)


_writer = tuple.__new__  # Writer(...) without NamedTuple's keyword handling: a fold makes one per change


def _creator_of(ent: dict) -> Writer:
    return _writer(Writer, (ent["_created"], ent.get("_dev"), ent["_by"]))


@dataclass
class Conflict:
    kind: str
    eid: str
    field: str
    kept: dict  # the event whose value the fold keeps
    other: dict  # the concurrent change whose value lost, with that value: id, t, dev, by, data


def sorts_after(eid: str, e: dict) -> bool:
    """Whether the event with id ``eid`` (``dev.ms.counter``) comes after ``e`` in clock order."""
    dev, _, rest = eid.rpartition(".")
    dev, _, ms = dev.rpartition(".")
    try:
        return (int(ms), int(rest), dev, eid) > sort_key(e)
    except ValueError:
        return False


@dataclass
class State:
    """Current state: entities by kind and id, plus what the fold needs to go on incrementally.

    Two rules make the fold safe whatever a store holds: a record is created once (a second
    ``create`` of an existing record changes nothing), and a change that names in ``prev`` the event
    it replaced wins over that event whatever their stamps say — so a decision made after seeing a
    record from a laptop whose clock runs a year fast still stands.
    """

    entities: dict[str, dict[str, dict]] = field(default_factory=lambda: {k: {} for k in KINDS})
    # Who last wrote each field, for conflicts and ``prev``: only changed fields get an entry. A field
    # no change wrote was written by the record's create, which the record names (``_created``…).
    overrides: dict[tuple[str, str], dict[str, Writer]] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    # Changes to records whose create the fold has not reached (it is stamped later): kept out of
    # ``entities`` until it comes, so no view meets a record without its fields.
    pending: dict[tuple[str, str], dict] = field(default_factory=dict)
    # (record, field) → ids of events that a change already applied had seen and replaced, though
    # they sort later (a fast clock): they must not overwrite it when the fold reaches them.
    superseded: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)
    last_key: tuple | None = None
    count: int = 0
    changes: dict[str, int] = field(default_factory=dict)  # events applied per kind: what a cache of one kind checks

    def created(self, kind: str, eid: str) -> bool:
        """Whether the fold has met this record's create."""
        return eid in self.entities.get(kind, ())

    def creator(self, kind: str, eid: str) -> Writer | None:
        ent = self.entities.get(kind, {}).get(eid)
        return None if ent is None else _creator_of(ent)

    def writer(self, key: tuple[str, str], f: str) -> Writer | None:
        over = self.overrides.get(key)
        if over and f in over:
            return over[f]
        # Not changed since: the create wrote it if the record has it (a change the fold met
        # before the create is in ``overrides`` too).
        ent = self.entities.get(key[0], {}).get(key[1])
        if ent is None or f not in ent or f in _OWN_FIELDS:
            return None
        return _creator_of(ent)

    def writer_ids(self, kind: str, eid: str, fields: Iterable[str]) -> dict[str, str]:
        """For a new set event's ``prev``: which event last wrote each of these fields."""
        key = (kind, eid)
        return {f: w.id for f in fields if (w := self.writer(key, f)) is not None}

    def apply(self, e: dict) -> None:
        """Apply one event; the caller guarantees clock order (see :func:`fold`).

        Entities share values with the events (never copied: events are immutable), so views
        must hand out copies — they do — and nothing may change an entity's values in place.
        """
        kind, eid, data = e["kind"], e["eid"], e["data"]
        key = (kind, eid)
        table = self.entities.setdefault(kind, {})
        self.last_key = sort_key(e)
        self.count += 1
        self.changes[kind] = self.changes.get(kind, 0) + 1
        if e["op"] == "create":
            if eid in table:
                return  # created already: a second create never overwrites a record
            ent = self.pending.pop(key, None) or {}
            ent.update(id=eid, _created=e["t"], _by=e["by"], _dev=e["dev"])
            table[eid] = ent
            over = self.overrides.get(key)
            if over is None:
                ent.update(data)
            else:  # changed before the fold reached its create: those changes saw it, and win
                ent.update((f, v) for f, v in data.items() if f not in over)
            return
        ent = table.get(eid)
        if ent is None:
            ent = self.pending.setdefault(key, {})
        over = self.overrides.setdefault(key, {})
        prev = e.get("prev") or {}
        superseded = self.superseded
        me = _writer(Writer, (e["t"], e["dev"], e["by"]))
        # A correction keeps in the history what it replaced: the original stays readable.
        was = {f: ent.get(f) for f in data if f not in ("corrected", "changed")} if data.get("corrected") else None
        for f, v in data.items():
            if superseded and e["id"] in superseded.get((kind, eid, f), ()):
                continue
            before = self.writer(key, f)
            seen = prev.get(f)
            if seen is not None and seen != (before.id if before is not None else None) and sorts_after(seen, e):
                self.superseded.setdefault((kind, eid, f), set()).add(seen)
            elif before is not None and before.dev != e["dev"] and seen != before.id:
                # Neither side saw the other: the later one wins, but nobody's edit vanishes unseen.
                # What it wrote is the record's value until now (the state keeps no events).
                other = {"id": before.id, "t": before.t, "dev": before.dev, "by": before.by, "data": {f: ent.get(f)}}
                self.conflicts.append(Conflict(kind, eid, f, kept=e, other=other))
            ent[f] = v
            over[f] = me
        if kind in HISTORIED:
            entry = {"t": e["t"], "by": e["by"], **data}
            if was is not None:
                entry["was"] = was
            ent.setdefault("history", []).append(entry)


# Values that repeat across thousands of events (codes, ids of devices and households): one
# string object each instead of one per event keeps a 200k-event office store in memory budget.
_SHARED_TOP = ("dev", "by", "kind", "op")
_SHARED_DATA = ("household", "mode", "outcome", "role", "category", "triage", "status", "worker", "building")


def share_strings(events: Iterable[dict]) -> None:
    """Intern the repeating strings of freshly parsed events, in place."""
    intern = sys.intern
    for e in events:
        for k in _SHARED_TOP:
            v = e.get(k)
            if type(v) is str:
                e[k] = intern(v)
        data = e.get("data")
        if type(data) is dict:
            for k in _SHARED_DATA:
                v = data.get(k)
                if type(v) is str:
                    data[k] = intern(v)


def fold(events: Iterable[dict], state: State | None = None) -> State:
    """Fold events into state. Same set of events, same state, whatever the order given."""
    state = state or State()
    apply_in_order(state, sorted(events, key=sort_key))
    return state


def apply_in_order(state: State, ordered: list[dict], consume: bool = False) -> None:
    """:meth:`State.apply` of each event in turn (``ordered`` sorts after what the state holds).

    Most events of a log create a record nothing has touched yet; those are applied here directly
    (as ``apply`` would: a new entity from the event's fields), which halves the cost of opening a
    large store. Everything else goes through ``apply``. ``consume``: the caller lets the events go
    after this (see :class:`Folding`), so a new record may be made of its create event's own
    ``data`` dict rather than a copy, and the log and the records are not both in memory at once.
    """
    if not ordered:
        return
    overrides, entities, apply = state.overrides, state.entities, state.apply
    fast: dict[str, int] = {}
    for e in ordered:
        kind, eid = e["kind"], e["eid"]
        table = entities.get(kind)
        if table is None:
            table = entities[kind] = {}
        if e["op"] != "create" or eid in table or (kind, eid) in overrides:
            apply(e)
            continue
        if consume:
            ent = e["data"]
            ent["id"], ent["_created"], ent["_by"], ent["_dev"] = eid, e["t"], e["by"], e["dev"]
        else:
            ent = {"id": eid, "_created": e["t"], "_by": e["by"], "_dev": e["dev"]}
            ent.update(e["data"])
        table[eid] = ent
        fast[kind] = fast.get(kind, 0) + 1
    for kind, n in fast.items():
        state.count += n
        state.changes[kind] = state.changes.get(kind, 0) + n
    last = sort_key(ordered[-1])
    state.last_key = last if state.last_key is None or last > state.last_key else state.last_key


def fold_more(state: State, events: list[dict], all_events: Callable[[], Iterable[dict]],
              consume: bool = False) -> State:
    """Apply new events (``all_events`` gives every event held, these included; ``consume``: see
    :func:`apply_in_order`; the events ``all_events`` gives for records folded again are not).

    New events that sort after everything applied are applied in turn. Ones that sort earlier (a
    merge brings every worker's week at once) change only the records they name: those records
    alone are folded again from all their events, and spliced in. What a record becomes depends
    only on its own events, so this gives what a fold of everything would, at the cost of one pass
    over the log instead of a fold of it.
    """
    ordered = sorted(events, key=sort_key)
    if not ordered:
        return state
    last, top = state.last_key, sort_key(ordered[-1])
    late = _late_records(state, ordered)
    if not late:  # a save, or a merge's new visits and findings: nothing to fold again
        apply_in_order(state, ordered, consume)
    else:
        # (A record folded again was met before these events: none of them is its create, consumed.)
        apply_in_order(state, [e for e in ordered if (e["kind"], e["eid"]) not in late], consume)
        _splice(state, fold(e for e in all_events() if (e["kind"], e["eid"]) in late), late)
        _count_skipped(state, [e for e in ordered if (e["kind"], e["eid"]) in late])
    state.last_key = max(k for k in (last, state.last_key, top) if k is not None)
    return state


def _late_records(state: State, ordered: list[dict]) -> set[tuple[str, str]]:
    """The records these events (in clock order) name that the state has met, where an event here
    sorts before something already applied: only those must be folded again from all their events.
    A record the state never met has all its events here, and one whose events here all sort after
    everything applied takes them in order, as a fold would."""
    last = state.last_key
    if last is None or sort_key(ordered[0]) > last:
        return set()
    overrides, entities = state.overrides, state.entities
    late = set()
    for e in ordered:
        if sort_key(e) > last:
            break  # and so are all after it
        kind, eid = e["kind"], e["eid"]
        if eid in entities.get(kind, ()) or (overrides and (kind, eid) in overrides):
            late.add((kind, eid))
    return late


def _count_skipped(state: State, events: list[dict]) -> None:
    """Count events folded in some other way than by :func:`apply_in_order` (as a fold counts them)."""
    state.count += len(events)
    for e in events:
        state.changes[e["kind"]] = state.changes.get(e["kind"], 0) + 1


class Folding:
    """A fold fed the log a piece at a time (a store's segments, each parsed and then let go), so
    that the whole log is never in memory beside the state it folds into.

    Each piece is taken as :func:`fold_more` takes new events, but without the events before it: a
    record a piece names late (an event sorting before one already applied to it: a sync brings the
    office's changes stamped before the laptop's own) is set aside, and :meth:`finish` folds those
    records again from their events alone, read back from the pieces that hold them. The state is
    then the one :func:`fold` gives of all the pieces together.
    """

    def __init__(self, consume: bool = False) -> None:
        self.state = State()
        self.consume = consume  # see apply_in_order
        self._pieces: dict[tuple[str, str], int] = {}  # record → the pieces holding its events, as bits
        self._late: set[tuple[str, str]] = set()

    def add(self, events: list[dict], piece: int) -> None:
        ordered = sorted(events, key=sort_key)
        if not ordered:
            return
        state, pieces, late, bit = self.state, self._pieces, self._late, 1 << piece
        for e in ordered:
            key = (e["kind"], e["eid"])
            pieces[key] = pieces.get(key, 0) | bit
        last, top = state.last_key, sort_key(ordered[-1])
        late |= _late_records(state, ordered)
        if late:
            _count_skipped(state, [e for e in ordered if (e["kind"], e["eid"]) in late])
            ordered = [e for e in ordered if (e["kind"], e["eid"]) not in late]
        apply_in_order(state, ordered, self.consume)
        # (apply sets the key of what it applied, which may sort before what an earlier piece held)
        state.last_key = max(k for k in (last, state.last_key, top) if k is not None)

    def finish(self, read: Callable[[int], Iterable[dict]]) -> State:
        """The state, once every piece is added; ``read(piece)`` gives a piece's events again."""
        state, late = self.state, self._late
        if late:
            wanted = 0
            for key in late:
                wanted |= self._pieces[key]
            again = [e for piece in range(wanted.bit_length()) if wanted >> piece & 1
                     for e in read(piece) if (e["kind"], e["eid"]) in late]
            _splice(state, fold(again), late)
        self._pieces, self._late = {}, set()
        return state


def _splice(state: State, part: State, keys: set[tuple[str, str]]) -> None:
    """Put ``part``'s version of these records into ``state``, with everything the fold keeps of them."""
    for kind, eid in keys:
        table = state.entities.setdefault(kind, {})
        ent = part.entities.get(kind, {}).get(eid)
        if ent is None:
            table.pop(eid, None)
        else:
            table[eid] = ent
        for mine, theirs in ((state.overrides, part.overrides),
                             (state.pending, part.pending)):
            if (kind, eid) in theirs:
                mine[(kind, eid)] = theirs[(kind, eid)]
            else:
                mine.pop((kind, eid), None)
    if state.superseded or part.superseded:
        state.superseded = {k: v for k, v in state.superseded.items() if k[:2] not in keys}
        state.superseded.update(part.superseded)
    state.conflicts = [c for c in state.conflicts if (c.kind, c.eid) not in keys] + part.conflicts


# --- what a snapshot keeps of a state (gridtui.snapshot writes it, sealed, beside the log) -------

SNAPSHOT_PIECE = 20_000  # records per piece: what a snapshot's writer or reader holds twice at once
_DICT_ONLY = frozenset({dict})


def snapshot_of(state: State) -> Iterator[object]:
    """The state as plain data, in pieces: first the counters the views' caches check and the
    conflicts, then each kind's records (in the fold's order) a few thousand at a time, as
    ``[kind, {id: record}]``, then what the fold needs to go on: who last wrote each changed field,
    the changes waiting for their create, the ones already superseded. A state read back from this
    answers questions, and the office folds its next changes into it (see Store.open)."""
    yield {"kinds": list(state.entities), "count": state.count, "changes": state.changes,
           "last_key": list(state.last_key) if state.last_key is not None else None,
           "conflicts": [[c.kind, c.eid, c.field, c.kept, c.other] for c in state.conflicts]}
    for kind, table in state.entities.items():
        records = iter(table.items())
        while piece := dict(islice(records, SNAPSHOT_PIECE)):
            yield [kind, piece]
    yield {"overrides": {key: {f: tuple(w) for f, w in over.items()} for key, over in state.overrides.items()},
           "pending": state.pending, "superseded": state.superseded}


def state_from_snapshot(pieces: list) -> State:
    """:func:`snapshot_of`'s pieces back as a :class:`State` (each piece is let go once taken in);
    ValueError if they are not that shape."""
    head = pieces[0] if isinstance(pieces, list) and pieces else None
    if not isinstance(head, dict) or type(head.get("count")) is not int or not isinstance(head.get("changes"), dict) \
            or not isinstance(head.get("kinds"), list) or not all(type(k) is str for k in head["kinds"]):
        raise ValueError("not a snapshot")
    entities: dict[str, dict] = {kind: {} for kind in head["kinds"]}
    folding = pieces.pop() if len(pieces) > 1 and type(pieces[-1]) is dict else {}
    for i in range(1, len(pieces)):
        piece = pieces[i]
        if (type(piece) is not list or len(piece) != 2 or piece[0] not in entities or type(piece[1]) is not dict
                or not _DICT_ONLY.issuperset(map(type, piece[1].values()))):
            raise ValueError("not a snapshot")
        table = entities[piece[0]]
        if table:
            table.update(piece[1])
        else:  # a kind's first piece becomes its table: a year's million records are not copied
            entities[piece[0]] = piece[1]
        pieces[i] = None
    for kind in KINDS:
        entities.setdefault(kind, {})
    last = head.get("last_key")
    try:
        conflicts = [Conflict(k, e, f, kept, other) for k, e, f, kept, other in head.get("conflicts") or ()]
        overrides = {(kind, eid): {f: _writer(Writer, (list(t), dev, by)) for f, (t, dev, by) in over.items()}
                     for (kind, eid), over in folding.get("overrides", {}).items()}
        pending, superseded = dict(folding.get("pending", {})), dict(folding.get("superseded", {}))
    except (TypeError, ValueError, AttributeError):
        raise ValueError("not a snapshot") from None
    return State(entities=entities, count=head["count"], changes=head["changes"], conflicts=conflicts,
                 last_key=tuple(last) if isinstance(last, list) else None,
                 overrides=overrides, pending=pending, superseded=superseded)
