"""The office merge: a pure function from (what the office holds, files read) to what to add.

There is no server, so the merge is the server: a file sealed with a worker's key proves who wrote
it, not that what it says is allowed. Every file is judged whole, and refused whole with one reason:

1. its envelope and key (:mod:`gridtui.sync.envelope`): the worker's own folder, enrolled, enabled,
   a device of theirs (a device belongs to the first worker whose events the office took from it);
2. every event on its own (:func:`gridtui.rules.problem`): shape, types, vocabulary, dates, lengths —
   the same check the app runs on what it writes — then its author, device and kind;
3. every event the office does not hold yet, against the ledger: a worker creates records only in
   their device's own id namespace, never one that exists, only in their grid's households, linked
   to a visit or finding of the same household; changes only records of their grid; and names in
   ``prev`` only changes of the same record, never one that sorts later and is not held (the fold
   lets a change win over what it names).

The result is the set union of the events of the files that pass, so it is the same for any order
of files and any repetition; a file refused because it leans on another refused file is judged
again until nothing changes. Files are opened one at a time and only their new events are kept, so
memory grows with the largest file and what is new, not with the whole folder. No I/O here.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from .. import model, rules
from ..events import KINDS, MAX_AHEAD_MS, sorts_after
from ..jsonbytes import Many
from .envelope import FORMAT_V2, V2_UNTIL, Opened, canonical, event_spans, unseal

WORKER_KINDS = rules.WORKER_KINDS
FUTURE_MS = MAX_AHEAD_MS  # a day ahead: more than any time-zone mistake, less than a wrong date
PAST_MS = 400 * 86_400_000


@dataclass(frozen=True)
class WorkerInfo:
    id: str
    key: str
    grid: str
    enabled: bool = True
    retired: tuple[str, ...] = ()  # keys replaced by ``office rekey``: what a lost laptop still has


@dataclass
class Incoming:
    name: str  # path below to-office/, e.g. "W01/a1b2c3d4.json"
    folder_worker: str  # the <worker> folder it was found in
    opened: Opened
    digest: str = ""


@dataclass
class Skipped:
    name: str
    reason: str  # i18n key
    args: dict = field(default_factory=dict)
    retry: bool = False


@dataclass
class Flag:
    file: str
    event: dict
    reason: str  # i18n key: sync.flag_future / sync.flag_past / sync.forged_id


@dataclass
class MergeResult:
    taken: list[str] = field(default_factory=list)
    new_events: list[dict] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # of taken files, to skip them next time
    received: dict[str, list[str]] = field(default_factory=dict)  # file → ids of events new from it
    device_keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # new bindings: device → (worker, key)
    # The new events' JSON, each the very text it was parsed from (None: some file was not written
    # as the app writes it, and the store encodes them itself).
    encoded: Many | None = None


@dataclass
class Office:
    """What the merge needs to know of the office's ledger."""

    known: Mapping[str, dict]  # every event held, by id
    records: Mapping[str, Mapping[str, dict]]  # current records by kind and id (State.entities)
    grid_households: Mapping[str, set[str]]  # household ids per grid
    box_private: bytes | None = None  # the office's X25519 key: what opens /3 files
    device_keys: Mapping[str, str] = field(default_factory=dict)  # device → its signing key (base64), bound on first sight
    v2_until_ms: int = 0  # /2 files from devices are taken until then

    def __post_init__(self) -> None:
        # Which worker a device belongs to: the author of the events taken from it (roster history
        # included). Kept nowhere else, so it cannot be rolled back apart from the events.
        owner: dict[str, str | None] = {}
        for e in self.known.values():
            by = e["by"]
            if by != "office":
                owner[e["dev"]] = by if owner.get(e["dev"], by) == by else None  # None: claimed twice
        self.device_owner = owner


@dataclass
class _Candidate:
    """A file whose envelope, key and events passed, reduced to the events the office lacks."""

    name: str
    digest: str
    worker: str
    device: str
    fresh: list[dict]
    device_key: str | None = None  # a /3 file's signing key, bound to the device once taken
    spans: tuple[array, array] | None = None  # where in _Texts the fresh events' JSON is: starts, ends


class _Texts:
    """The fresh events' JSON as their files hold it (see :func:`envelope.event_spans`), gathered in
    one buffer as the files are read: what the office writes, rather than encode 200,000 events again.
    One growing buffer, given back whole, not one per file: those would stay behind, scattered,
    under the fold that comes after. ``whole`` turns False at the first file written otherwise."""

    def __init__(self) -> None:
        self.buf, self.whole = bytearray(), True

    def take(self, plain: bytes, spans: list[tuple[int, int]] | None) -> tuple[array, array] | None:
        if spans is None or not self.whole:
            self.whole, self.buf = False, bytearray()
            return None
        buf, view, starts, ends = self.buf, memoryview(plain), array("Q"), array("Q")  # (not 200,000 tuples)
        for lo, hi in spans:
            starts.append(len(buf))
            buf += view[lo:hi]
            ends.append(len(buf))
        return starts, ends


def _open_file(inc: Incoming, workers: Mapping[str, WorkerInfo], office: Office,
               consume: bool, now_ms: int) -> tuple[dict | None, Skipped | None]:
    """The file's whole content (events in clear) if its envelope can be trusted, else why not."""
    op = inc.opened
    if op.obj is None:
        return None, Skipped(inc.name, op.reason or "sync.not_json", op.args or {}, op.retry)
    obj = op.obj
    who, device = obj["worker"], obj["device"]
    if not rules.is_id(who):
        return None, Skipped(inc.name, "sync.bad_envelope", {"field": "worker"})
    if who != inc.folder_worker:
        return None, Skipped(inc.name, "sync.wrong_folder", {"worker": who, "folder": inc.folder_worker})
    if device == rules.OFFICE_DEVICE:
        return None, Skipped(inc.name, "sync.wrong_direction")
    if not rules.is_device(device):
        return None, Skipped(inc.name, "sync.bad_envelope", {"field": "device"})
    info = workers.get(who)
    if info is None:
        return None, Skipped(inc.name, "sync.unknown_worker", {"worker": who})
    if not info.enabled:
        return None, Skipped(inc.name, "sync.disabled_worker", {"worker": who})
    if consume:
        inc.opened = Opened()  # let go of the file's sealed text once it is opened
    if obj["format"] == FORMAT_V2:
        # Sealed under the worker's key alone: only from a laptop the office already knows and that
        # has not moved on to /3 (else a stolen key could write as that laptop), and only for a while.
        if device in office.device_keys:
            return None, Skipped(inc.name, "sync.downgrade", {"worker": who, "device": device})
        if device not in office.device_owner:
            return None, Skipped(inc.name, "sync.v2_new_device", {"worker": who, "device": device})
        if now_ms > office.v2_until_ms:
            return None, Skipped(inc.name, "sync.v2_expired", {"worker": who, "until": V2_UNTIL})
    elif "sig" not in obj:
        return None, Skipped(inc.name, "sync.wrong_direction")
    else:
        bound = office.device_keys.get(device)
        if bound is not None and bound != obj["device_key"]:
            return None, Skipped(inc.name, "sync.device_key_changed", {"worker": who, "device": device})
    retired = info.retired and any(_opens(obj, old, office) for old in info.retired)
    whole, problem = unseal(obj, info.key, consume=consume, office_private=office.box_private, keep_plain=True)
    if whole is None:
        if retired:  # sealed with a key the office replaced: that laptop was not set up again
            return None, Skipped(inc.name, "sync.retired_key", {"worker": who, "device": device})
        return None, Skipped(inc.name, problem or "sync.bad_signature", {"worker": who})
    owner = office.device_owner.get(device, who)
    if owner != who:
        return None, Skipped(inc.name, "sync.device_of_other", {"worker": who, "device": device,
                                                               "owner": owner or "?"})
    return whole, None


def _opens(obj: dict, key: str, office: Office) -> bool:
    """Whether the envelope authenticates under ``key`` (without keeping what it holds)."""
    return unseal(obj, key, office_private=office.box_private)[0] is not None


def event_problem(e: object, worker: str, device: str) -> str | None:
    """Why one event may not come from ``worker``'s ``device`` at all (an i18n key), or None."""
    if type(e) is dict and e.get("kind") in KINDS and (
            e["kind"] not in WORKER_KINDS or (e["kind"] in rules.WORKER_CREATE_ONLY and e.get("op") != "create")):
        return "sync.forbidden_kind"
    if rules.problem(e) is not None:
        return "sync.bad_event"
    if e.get("train"):  # type: ignore[union-attr]
        return "sync.training"
    if e["by"] != worker or e["dev"] != device:  # type: ignore[index]
        return "sync.wrong_author"
    if e["op"] == "set" and not rules.OFFICE_FIELDS.isdisjoint(e["data"]):  # type: ignore[index]
        return "sync.office_field"
    if e["kind"] in rules.WORKER_CREATE_ONLY and (e["data"].get("proposed") is not True  # type: ignore[index]
                                                  or e["data"].get("moved_out")):  # type: ignore[index]
        return "sync.forbidden_kind"  # a worker's household is a proposal, nothing more
    return None


def _home(e: dict, records: Mapping[str, Mapping[str, dict]], default: object = None) -> object:
    """The household an event is about: its own id for a household, else the one it links to."""
    if e["kind"] == "household":
        return e["eid"]
    if e["op"] == "create":
        return e["data"]["household"]
    return records.get(e["kind"], {}).get(e["eid"], {}).get("household", default)


def _in_grid(households: Mapping[str, set[str]], grid: str, proposed: Iterable[tuple[str, dict]],
             buildings: Mapping[str, dict]) -> set[str]:
    """The grid's households, with those proposed (id, data) in buildings of the grid: doors a
    worker found are part of the grid from then on. The office's own set is not copied when
    nothing is proposed (the common case, and the one a 200-file merge meets 200 times)."""
    mine = households.get(grid, set())
    new = {hid for hid, data in proposed if buildings.get(data.get("building"), {}).get("grid") == grid}
    return mine | new if new else mine


def _first_pass(inc: Incoming, workers: Mapping[str, WorkerInfo], office: Office,
                flags: list[Flag], consume: bool, now_ms: int, texts: _Texts) -> _Candidate | Skipped:
    whole, skipped = _open_file(inc, workers, office, consume, now_ms)
    if whole is None:
        return skipped  # type: ignore[return-value]
    who, device = whole["worker"], whole["device"]
    grid = workers[who].grid
    for e in whole["events"]:
        bad = event_problem(e, who, device)
        if bad:
            eid = e.get("eid") if isinstance(e, dict) else None
            why = (rules.problem(e) or "").partition(":")
            return Skipped(inc.name, bad, {"worker": who, "id": eid[:64] if isinstance(eid, str) else "?",
                                           "why": why[2] or why[0]})
    mine = _in_grid(office.grid_households, grid, ((e["eid"], e["data"]) for e in whole["events"]
                                                   if e["kind"] == "household" and e["op"] == "create"),
                    office.records.get("building", {}))
    fresh, outside, fresh_at = [], [], []
    for i, e in enumerate(whole["events"]):
        held = office.known.get(e["id"])
        if held is None:
            # Outside the grid by the office's own records: known now, so such a file is not kept
            # in memory until the judging (a 96 MB file of foreign households costs its parse only).
            home = _home(e, office.records, mine)
            # A door another file of this merge may propose is left to the judging, which sees them all.
            if home is not mine and home not in mine and not (
                    rules.device_made("household", home) and home not in office.records.get("household", {})):
                outside.append(e["eid"])
            elif not outside:
                fresh.append(e)
                fresh_at.append(i)
        elif held != e:
            flags.append(Flag(inc.name, e, "sync.forged_id"))
    if outside:
        return Skipped(inc.name, "sync.outside_grid", {"worker": who, "n": len(outside), "id": outside[0]})
    plain = whole.pop("plain", b"")
    spans = event_spans(plain, len(whole["events"]))  # (every event is checked by now)
    in_texts = texts.take(plain, [spans[i] for i in fresh_at] if spans is not None else None)
    return _Candidate(inc.name, inc.digest, who, device, fresh, whole.get("device_key"), in_texts)


class _Batch:
    """The records the candidate files create, so a change in one file to a record created in
    another (the same worker's second laptop) is judged the same in any order."""

    def __init__(self, files: list[_Candidate]) -> None:
        # Each record's create, and the records two different creates claim. (A set of ids per
        # record was 40 MB of a 200-file merge, to tell one from more than one.)
        self.creates: dict[tuple[str, str], str] = {}
        self.created_twice: set[tuple[str, str]] = set()
        self.data: dict[tuple[str, str], dict] = {}
        self.proposed: list[tuple[str, dict]] = []  # households workers found at doors: (id, data)
        self._files = files
        self._ids: dict[str, tuple[str, str]] | None = None
        for c in files:
            for e in c.fresh:
                if e["op"] == "create":
                    key = (e["kind"], e["eid"])
                    if self.creates.setdefault(key, e["id"]) != e["id"]:
                        self.created_twice.add(key)
                    self.data[key] = e["data"]
                    if e["kind"] == "household":
                        self.proposed.append((e["eid"], e["data"]))

    def record_of(self, event_id: str) -> tuple[str, str] | None:
        """The record an event of these files is about. Asked only for a change that names an event
        the office does not hold, so the table is made the first time it is asked for, if ever."""
        if self._ids is None:
            self._ids = {e["id"]: (e["kind"], e["eid"]) for c in self._files for e in c.fresh}
        return self._ids.get(event_id)


def _judge(c: _Candidate, office: Office, batch: _Batch, workers: Mapping[str, WorkerInfo]) -> Skipped | None:
    grid = workers[c.worker].grid
    records = office.records
    mine = _in_grid(office.grid_households, grid, batch.proposed, records.get("building", {}))

    def record(kind: str, eid: str) -> dict | None:
        return records.get(kind, {}).get(eid) or batch.data.get((kind, eid))

    outside: list[str] = []
    for e in c.fresh:
        kind, eid, data = e["kind"], e["eid"], e["data"]
        why = None
        if e["op"] == "create":
            home = _home(e, records)
            if not rules.own_id(kind, c.device, eid):
                why = "sync.foreign_id"
            elif eid in records.get(kind, {}) or (kind, eid) in batch.created_twice:
                why = "sync.record_exists"
            elif kind == "visit" and data["worker"] != c.worker:
                why = "sync.wrong_author"
            elif kind in ("finding", "wish"):
                link, link_id = ("visit", data["visit"]) if kind == "finding" else ("finding", data["finding"])
                linked = record(link, link_id)
                if linked is None or linked.get("household") != home:
                    why = "sync.bad_link"
        else:
            rec = record(kind, eid)
            if rec is None:
                why = "sync.unknown_record"
            else:
                home = rec.get("household")
                if kind == "visit" and rec.get("worker") != c.worker:
                    why = "sync.wrong_author"  # a visit is corrected or voided by whoever made it
                elif "category" in data and data["category"] not in model.CATEGORIES.get(rec.get("role"), ()):
                    why = "sync.bad_event"  # a correction keeps the finding's role: its category must fit it
                for writer in (e.get("prev") or {}).values():
                    seen = office.known.get(writer)
                    target = (seen["kind"], seen["eid"]) if seen is not None else batch.record_of(writer)
                    # Naming an event that is not held is harmless unless it sorts later: the fold
                    # would let this change win over it (an office decision not yet made, say).
                    if target is None and sorts_after(writer, e) or target not in (None, (kind, eid)):
                        why = "sync.bad_link"
        if why is None and home not in mine:
            outside.append(eid)
            continue
        if why is not None:
            return Skipped(c.name, why, {"worker": c.worker, "id": eid})
    if outside:
        return Skipped(c.name, "sync.outside_grid", {"worker": c.worker, "n": len(outside), "id": outside[0]})
    return None


def merge(office: Office, files: Iterable[Incoming], workers: Mapping[str, WorkerInfo], now_ms: int,
          consume: bool = False) -> MergeResult:
    """Decide which events of ``files`` the office takes.

    ``files`` may be a generator: each file is opened when reached and only its new events kept.
    With ``consume`` each Incoming lets go of its sealed text as it is opened (the caller is done
    with them), so a merge holds one file's bytes at a time.
    """
    result = MergeResult()
    flags: list[Flag] = []
    candidates: list[_Candidate] = []
    texts = _Texts()
    for inc in files:
        got = _first_pass(inc, workers, office, flags, consume, now_ms, texts)
        if isinstance(got, Skipped):
            result.skipped.append(got)
        else:
            candidates.append(got)
    candidates.sort(key=lambda c: c.name)

    while True:  # until no file is refused for leaning on another refused one
        batch = _Batch(candidates)
        refused = {c.name: why for c in candidates if (why := _judge(c, office, batch, workers)) is not None}
        if not refused:
            break
        result.skipped.extend(refused.values())
        candidates = [c for c in candidates if c.name not in refused]

    seen: dict[str, dict] = {}
    result.flags = [f for f in flags if f.file in {c.name for c in candidates}]
    kept = array("Q"), array("Q")  # where the JSON of each event taken is in ``texts``
    for c in candidates:
        fresh = []
        for j, e in enumerate(c.fresh):
            first = seen.get(e["id"])
            if first is not None:
                if canonical(first) != canonical(e):
                    result.flags.append(Flag(c.name, e, "sync.forged_id"))
                continue
            seen[e["id"]] = e
            fresh.append(e)
            if c.spans is not None:
                kept[0].append(c.spans[0][j])
                kept[1].append(c.spans[1][j])
            if e["t"][0] - now_ms > FUTURE_MS:
                result.flags.append(Flag(c.name, e, "sync.flag_future"))
            elif now_ms - e["t"][0] > PAST_MS:
                result.flags.append(Flag(c.name, e, "sync.flag_past"))
        result.taken.append(c.name)
        if c.device_key is not None and c.device not in office.device_keys:
            result.device_keys[c.device] = (c.worker, c.device_key)
        result.digests[c.name] = c.digest
        result.received[c.name] = [e["id"] for e in fresh]
        result.new_events.extend(fresh)
    if texts.whole and len(kept[0]) == len(result.new_events):
        result.encoded = Many.over(texts.buf, *kept)
    result.skipped.sort(key=lambda s: s.name)
    return result
