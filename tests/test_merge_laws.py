"""The laws of the office merge, checked with hypothesis on the pure ``gridtui.sync.merge.merge``.

Honest devices of a few workers write random visits, findings and finding status changes; their
events are spread over random files (random subsets of a device's events, repeated at will), sealed
with ``envelope.seal`` (gridtui-sync/2, encrypted). Whatever the order, grouping or repetition of those files, the office must
end up with the same set of events — and folding that set must give the same state on every device.
Files altered on the way are skipped whole and change nothing.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import small_roster
from gridtui import crypto, jsonbytes
from gridtui.events import Folding, fold, fold_more, make_event
from gridtui.roster import roster_events
from gridtui.sync import envelope
from gridtui.sync.merge import Incoming, Office, WorkerInfo, merge

NOW = 1_795_000_000_000  # the office's clock during the merge
DAY = 86_400_000
LAWS = settings(max_examples=100, deadline=None, database=None)

BASE = roster_events(small_roster())  # the office's roster and history: H01, H02 in G01; H03 in G02; F1 on H01
KNOWN = {e["id"]: e for e in BASE}
WORKERS = {
    "W01": WorkerInfo("W01", "key-W01", "G01"),
    "W05": WorkerInfo("W05", "楼栋长-key", "G01"),  # a second worker on G01: touches the same findings
    "W02": WorkerInfo("W02", "key-W02", "G02"),
}
DEVICES = {"d1a": "W01", "d1b": "W01", "d5": "W05", "d2": "W02"}


def _grid_households(events) -> dict[str, set[str]]:
    ents = fold(events).entities
    out: dict[str, set[str]] = {}
    for hid, h in ents["household"].items():
        out.setdefault(ents["building"][h["building"]]["grid"], set()).add(hid)
    return out


GRID_HH = _grid_households(BASE)
BASE_FINDINGS = {g: sorted(f for f, rec in fold(BASE).entities["finding"].items() if rec["household"] in hh)
                 for g, hh in GRID_HH.items()}
assert GRID_HH == {"G01": {"H01", "H02"}, "G02": {"H03"}} and BASE_FINDINGS["G01"] == ["F1"]


BOX_PRIVATE, BOX_PUBLIC = crypto.new_box_key()  # the office's key pair: laptops seal to it
SIGNING = {dev: crypto.new_signing_key() for dev in ("d1a", "d1b", "d5", "d2")}  # each device's own
BASE_OFFICE = Office(KNOWN, fold(BASE).entities, GRID_HH, box_private=BOX_PRIVATE)


def run_merge(known: dict, files: list[Incoming]):
    # The grids' households as the office computes them from what it holds (doors workers proposed too).
    office = BASE_OFFICE if known is KNOWN else Office(known, fold(known.values()).entities,
                                                       _grid_households(known.values()), box_private=BOX_PRIVATE)
    return merge(office, files, WORKERS, NOW)


def ids(result) -> list[str]:
    return [e["id"] for e in result.new_events]


# --- honest devices --------------------------------------------------------------------------------

NOTES = ("", "已上门", "电话联系", "再访")
STATUS_CHANGES = (
    {"status": "resolved", "note": "已修好"},
    {"status": "closed", "note": "居民不需要了"},
    {"status": "referred", "note": "", "to": "街道城管中队"},
    {"status": "open", "note": "重新打开"},
)


@st.composite
def device_log(draw, dev: str) -> tuple[list[dict], list[set[int]]]:
    """One device's events in the order it wrote them, and for each the indexes of the events it
    depends on (a status change on a finding this device created needs that finding's create, and a
    finding its visit): a file holding an event holds those too, as every file the app writes does."""
    worker = DEVICES[dev]
    grid = WORKERS[worker].grid
    homes = sorted(GRID_HH[grid])
    # Devices start within a few seconds of each other and tick in small steps, so their stamps
    # collide often (same ms and counter on two devices) and the fold's tie-break matters.
    clock = [NOW - draw(st.integers(0, 3)) * 1000 - draw(st.integers(0, 5)) * DAY, -1]

    def tick() -> list[int]:
        step = draw(st.sampled_from((0, 1, 1000)))
        if step == 0:
            clock[1] += 1
        else:
            clock[0] += step
            clock[1] = 0
        return list(clock)

    events: list[dict] = []
    deps: list[set[int]] = []
    created: dict[str, int] = {}  # finding id → index of its create
    proposed: dict[str, int] = {}  # household found at a door → index of its create
    visits: dict[str, int] = {}  # this device's visits → index of their create
    building = {"G01": "B01", "G02": "B02"}[grid]
    for _ in range(draw(st.integers(0, 5))):
        action = draw(st.sampled_from(("visit", "visit+finding", "status", "household", "correct")))
        if action == "household":
            stamp = tick()
            hid = f"H{dev}-{stamp[0]:x}{stamp[1]:x}"
            events.append(make_event(stamp, dev, worker, "household", hid, "create",
                                     {"building": building, "room": f"9{len(events):02d}", "head": "新住户",
                                      "proposed": True}))
            deps.append(set())
            proposed[hid] = len(events) - 1
            continue
        if action == "correct":
            if not visits:
                continue
            vid = draw(st.sampled_from(sorted(visits)))
            data = {"corrected": True, "note": draw(st.sampled_from(NOTES[1:])), "changed": "2026-11-26T10:00:00+08:00"}
            prev = fold(BASE + events).writer_ids("visit", vid, data)
            events.append(make_event(tick(), dev, worker, "visit", vid, "set", data, prev=prev))
            deps.append({visits[vid]})
            continue
        if action == "status":
            targets = BASE_FINDINGS.get(grid, []) + sorted(created)
            if not targets:
                continue
            fid = draw(st.sampled_from(targets))
            data = dict(draw(st.sampled_from(STATUS_CHANGES)))
            seen = fold(BASE + events)  # this device has seen the roster and its own events
            prev = seen.writer_ids("finding", fid, data)
            events.append(make_event(tick(), dev, worker, "finding", fid, "set", data, prev=prev))
            deps.append({created[fid]} if fid in created else set())
            continue
        home = draw(st.sampled_from(homes + sorted(proposed)))
        stamp = tick()
        vid = f"V{dev}-{stamp[0]:x}{stamp[1]:x}"
        at = "2026-11-25T10:00:00+08:00"
        events.append(make_event(stamp, dev, worker, "visit", vid, "create",
                                 {"household": home, "mode": "door", "outcome": "met",
                                  "note": draw(st.sampled_from(NOTES)), "at": at, "worker": worker}))
        deps.append({proposed[home]} if home in proposed else set())  # a visit to a new door comes with it
        visits[vid] = len(events) - 1
        if action == "visit+finding":
            stamp = tick()
            fid = f"F{dev}-{stamp[0]:x}{stamp[1]:x}"
            events.append(make_event(stamp, dev, worker, "finding", fid, "create",
                                     {"role": "safety", "category": "other", "asked": "楼道堆物", "action": "",
                                      "triage": "routine", "due": None, "visit": vid, "household": home,
                                      "at": at, "status": "open"}))
            deps.append({len(events) - 2})  # a finding comes with its visit: the app saves them together
            created[fid] = len(events) - 1
    return events, deps


@st.composite
def world(draw) -> dict[str, tuple[list[dict], list[set[int]]]]:
    return {dev: draw(device_log(dev)) for dev in DEVICES}


CREATED = "2026-11-25T10:00:00+08:00"


@dataclass
class Sealed(Incoming):
    """A file as the merge sees it, plus what the test put in it (its events are sealed)."""

    events: list[dict] = field(default_factory=list)


def _incoming(name: str, worker: str, raw: bytes, events: list[dict]) -> Sealed:
    opened = envelope.parse(raw)
    assert opened.obj is not None, opened.reason
    return Sealed(name, worker, opened, hashlib.sha256(raw).hexdigest(), events=events)


def seal_file(dev: str, events: list[dict], name: str) -> Sealed:
    worker = DEVICES[dev]
    raw = envelope.seal_to_office(worker, dev, CREATED, events, WORKERS[worker].key, BOX_PUBLIC, *SIGNING[dev])
    return _incoming(name, worker, raw, events)


@st.composite
def files_of(draw, logs) -> list[Incoming]:
    """Random files: each a random subset of one device's events (with what it depends on), some
    files repeated; the list comes back in a random order."""
    distinct = []
    for k in range(draw(st.integers(1, 6))):
        dev = draw(st.sampled_from(sorted(DEVICES)))
        events, deps = logs[dev]
        shape = draw(st.sampled_from(("whole", "prefix", "subset")))  # a file now, an older one, any mix
        if not events:
            chosen: set[int] = set()
        elif shape == "whole":
            chosen = set(range(len(events)))
        elif shape == "prefix":
            chosen = set(range(draw(st.integers(1, len(events)))))
        else:
            chosen = draw(st.sets(st.sampled_from(range(len(events)))))
        while True:
            needed = set().union(chosen, *(deps[i] for i in chosen))
            if needed == chosen:
                break
            chosen = needed
        distinct.append(seal_file(dev, [events[i] for i in sorted(chosen)], f"{DEVICES[dev]}/{dev}-{k}.json"))
    repeats = draw(st.lists(st.sampled_from(distinct), max_size=3))
    return draw(st.permutations(distinct + repeats))


@st.composite
def scenario(draw):
    logs = draw(world())
    return logs, draw(files_of(logs))


def all_events(files: list[Sealed]) -> dict[str, dict]:
    return {e["id"]: e for f in files for e in f.events}


# --- the laws ------------------------------------------------------------------------------------------


@LAWS
@given(scenario(), st.randoms(use_true_random=False))
def test_merge_is_commutative_and_takes_every_honest_event_once(sc, rnd):
    _, files = sc
    shuffled = list(files)
    rnd.shuffle(shuffled)
    a, b = run_merge(KNOWN, files), run_merge(KNOWN, shuffled)
    assert a.skipped == [] and a.flags == []  # honest files: all trusted, nothing to flag
    assert sorted(a.taken) == sorted(f.name for f in files)
    assert len(ids(a)) == len(set(ids(a)))  # each event once, however often it came
    assert set(ids(a)) == set(all_events(files))
    assert {e["id"]: e for e in a.new_events} == {e["id"]: e for e in b.new_events}
    assert sorted(a.taken) == sorted(b.taken)
    for r in (a, b):  # the files' own text of each new event, in order, which parses to that event
        assert r.encoded is not None and [json.loads(bytes(r.encoded[i])) for i in range(len(r.encoded))] == r.new_events


@LAWS
@given(scenario(), st.data())
def test_merge_is_associative(sc, data):
    _, files = sc
    cut = data.draw(st.integers(0, len(files)))
    first, second = files[:cut], files[cut:]
    at_once = set(ids(run_merge(KNOWN, files)))
    for one, two in ((first, second), (second, first)):
        r1 = run_merge(KNOWN, one)
        known = {**KNOWN, **{e["id"]: e for e in r1.new_events}}
        r2 = run_merge(known, two)
        assert r1.skipped == [] and r2.skipped == [] and r2.flags == []
        assert not set(ids(r1)) & set(ids(r2))
        assert set(ids(r1)) | set(ids(r2)) == at_once


@LAWS
@given(scenario())
def test_merge_is_idempotent(sc):
    _, files = sc
    r1 = run_merge(KNOWN, files)
    known = {**KNOWN, **{e["id"]: e for e in r1.new_events}}
    r2 = run_merge(known, files)
    assert (r2.new_events, r2.flags, r2.skipped) == ([], [], [])
    assert sorted(r2.taken) == sorted(r1.taken)
    r3 = run_merge(known, list(reversed(files)) + files)
    assert (r3.new_events, r3.flags, r3.skipped) == ([], [], [])


def _conflicts(state):
    return sorted((c.kind, c.eid, c.field, c.kept["id"], c.other["id"]) for c in state.conflicts)


@LAWS
@given(world(), st.randoms(use_true_random=False), st.data())
def test_fold_gives_the_same_state_in_any_order_and_arrival(logs, rnd, data):
    events = BASE + [e for evs, _ in logs.values() for e in evs]
    reference = fold(events)
    shuffled = copy.deepcopy(events)
    rnd.shuffle(shuffled)
    again = fold(shuffled)
    assert again.entities == reference.entities
    assert _conflicts(again) == _conflicts(reference)
    # A device receives the same events in batches, in any order, and folds them incrementally.
    cuts = sorted(data.draw(st.lists(st.integers(0, len(shuffled)), max_size=3)))
    batches = [shuffled[i:j] for i, j in zip([0, *cuts], [*cuts, len(shuffled)])]
    held: list[dict] = []
    state = fold([])
    for batch in batches:
        held.extend(batch)
        state = fold_more(state, batch, lambda: list(held))
    assert state.entities == reference.entities
    assert _conflicts(state) == _conflicts(reference)
    # Only the records a late batch names are folded again: what the fold keeps beside them agrees.
    assert state.pending.keys() == reference.pending.keys() and state.count == reference.count
    assert {k: {f: w.id for f, w in v.items()} for k, v in state.overrides.items() if v} == \
        {k: {f: w.id for f, w in v.items()} for k, v in reference.overrides.items() if v}
    # The app's store folds its log a segment at a time, each let go after (its records made of the
    # events' own data): the same state, and what the fold keeps to go on agrees too.
    pieces = [copy.deepcopy(b) for b in batches]
    folding = Folding(consume=True)
    for i, piece in enumerate(pieces):
        folding.add(piece, i)
    streamed = folding.finish(lambda i: copy.deepcopy(batches[i]))
    assert streamed.entities == reference.entities
    assert _conflicts(streamed) == _conflicts(reference)
    assert sorted((c.kind, c.eid, c.field, json.dumps(c.other["data"], ensure_ascii=False)) for c in streamed.conflicts) \
        == sorted((c.kind, c.eid, c.field, json.dumps(c.other["data"], ensure_ascii=False)) for c in reference.conflicts)
    assert (streamed.count, streamed.changes, streamed.last_key, streamed.pending) == \
        (reference.count, reference.changes, reference.last_key, reference.pending)
    assert {(k, e): streamed.creator(k, e).id for k, t in streamed.entities.items() for e in t} == \
        {(k, e): reference.creator(k, e).id for k, t in reference.entities.items() for e in t}
    assert {k: {f: w.id for f, w in v.items()} for k, v in streamed.overrides.items() if v} == \
        {k: {f: w.id for f, w in v.items()} for k, v in reference.overrides.items() if v}
    assert streamed.superseded == reference.superseded
    # ...and a state that goes on from there takes the next change as the whole fold's would.
    for ent in streamed.entities["finding"].values():
        assert streamed.writer_ids("finding", ent["id"], ["status"]) == reference.writer_ids("finding", ent["id"], ["status"])


@LAWS
@given(world())
def test_changes_from_two_devices_that_did_not_see_each_other_are_a_conflict(logs):
    # Each device's own changes saw each other; changes from two devices never did.
    events = BASE + [e for evs, _ in logs.values() for e in evs]
    changers = {e["dev"] for e in events if e["kind"] == "finding" and e["eid"] == "F1" and e["op"] == "set"}
    status_conflicts = [c for c in fold(events).conflicts if c.eid == "F1" and c.field == "status"]
    if len(changers) < 2:
        assert status_conflicts == []
    else:
        assert status_conflicts
        assert all(c.kept["dev"] != c.other["dev"] for c in status_conflicts)
    assert _conflicts(fold(list(reversed(events)))) == _conflicts(fold(events))


@LAWS
@given(world(), st.data())
def test_a_forged_duplicate_id_gives_the_same_result_in_any_order(logs, data):
    dev = data.draw(st.sampled_from(sorted(DEVICES)))
    events, _ = logs[dev]
    if not events:
        events = [make_event([NOW, 0], dev, DEVICES[dev], "visit", f"V{dev}-1", "create",
                             {"household": sorted(GRID_HH[WORKERS[DEVICES[dev]].grid])[0], "mode": "door",
                              "outcome": "met", "note": "", "at": CREATED, "worker": DEVICES[dev]})]
    victim = data.draw(st.sampled_from(events))
    forged = copy.deepcopy(victim)
    text = ("asked" if victim["kind"] == "finding" and victim["op"] == "create" else
            "head" if victim["kind"] == "household" else "note")
    forged["data"][text] = "伪造" if victim["data"].get(text) != "伪造" else "另一个"
    honest = seal_file(dev, events, f"{DEVICES[dev]}/{dev}.json")
    evil = seal_file(dev, [forged], f"{DEVICES[dev]}/{dev}.sync-conflict-20261125-101010-ABCDEFG.json")
    results = [run_merge(KNOWN, order) for order in ([honest, evil], [evil, honest], [evil, honest, evil])]
    for r in results:
        assert r.skipped == []
        assert {(f.reason, f.event["id"]) for f in r.flags} == {("sync.forged_id", victim["id"])}
        assert all(f.event == forged for f in r.flags)  # the honest event is kept, the forgery reported
        assert {e["id"]: e for e in r.new_events} == {e["id"]: e for e in results[0].new_events}
    # Once the office holds the true event, the forgery is refused and reported, never taken.
    known = {**KNOWN, **{e["id"]: e for e in events}}
    later = run_merge(known, [evil])
    assert later.new_events == [] and [f.reason for f in later.flags] == ["sync.forged_id"]


# --- altered files ----------------------------------------------------------------------------------------


def _dump(obj: dict) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _flip(b64: str, at: int) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[at % len(raw)] ^= 0x01
    return base64.b64encode(bytes(raw)).decode("ascii")


def altered(f: Sealed, how: str, at: int) -> Sealed:
    """A copy of an honest file changed on the way (under a name of its own), or sealed under another key."""
    worker = f.folder_worker
    name = f.name.replace(".json", "-altered.json")
    obj = {k: bytes(v).decode() if isinstance(v, memoryview) else v for k, v in f.opened.obj.items()}
    if how == "other_key":
        other = "W02" if worker != "W02" else "W01"
        raw = envelope.seal_to_office(worker, obj["device"], CREATED, f.events, WORKERS[other].key, BOX_PUBLIC,
                                      *SIGNING[obj["device"]])
        return _incoming(name, worker, raw, f.events)
    if how == "sealed":
        obj["sealed"] = _flip(obj["sealed"], at)
    elif how == "nonce":
        obj["nonce"] = _flip(obj["nonce"], at)
    else:  # a header field, bound to the payload as associated data
        obj[how] = obj[how] + "x"
    return _incoming(name, worker, _dump(obj), f.events)


@LAWS
@given(scenario(), st.data())
def test_altered_files_are_skipped_whole_and_change_nothing(sc, data):
    _, files = sc
    distinct = list({f.name: f for f in files}.values())
    victims = data.draw(st.lists(st.sampled_from(distinct), min_size=1, max_size=3, unique_by=lambda f: f.name))
    bad = [altered(f, data.draw(st.sampled_from(("sealed", "nonce", "device", "created", "other_key"))),
                   data.draw(st.integers(0, 10_000))) for f in victims]
    mixed = data.draw(st.permutations(files + bad))
    honest, with_bad = run_merge(KNOWN, files), run_merge(KNOWN, mixed)
    assert sorted((s.name, s.reason) for s in with_bad.skipped) == sorted((f.name, "sync.bad_signature") for f in bad)
    assert sorted(with_bad.taken) == sorted(honest.taken)
    assert {e["id"]: e for e in with_bad.new_events} == {e["id"]: e for e in honest.new_events}
    assert with_bad.flags == honest.flags == []


# --- a hostile worker, holding only their own key --------------------------------------------------------

from gridtui import rules, views  # noqa: E402
from gridtui.events import KINDS  # noqa: E402
from gridtui import report  # noqa: E402

import datetime as dt  # noqa: E402

ATTACKER, ATTACKER_DEV = "W02", "d2"
IDS = ["H01", "H02", "H03", "F1", "V1", "B01", "B02", "G01", "W01", "X01", "C01", "Vd2-1", "Fd2-2", "Md2-3",
       "Vd1a-1", "Fd1a-2", "F1x", ""]
STAMPS = st.one_of(st.just([NOW, 0]), st.just([NOW + 365 * DAY, 0]), st.just([1, 0]),
                   st.lists(st.integers(-5, 2**64), min_size=2, max_size=2),
                   st.tuples(st.integers(0, 2**45), st.integers(0, 9)).map(list))
VALUES = st.one_of(
    st.sampled_from(IDS), st.sampled_from(["door", "met", "open", "resolved", "safety", "gas", "routine", "wish",
                                           "claimed", "other", "not-a-date", "2026-11-25", CREATED, "yesterday"]),
    st.none(), st.booleans(), st.integers(-3, 10**20), st.text(max_size=8), st.lists(st.sampled_from(IDS), max_size=2),
    st.dictionaries(st.sampled_from(["people", "phone", "$ne"]), st.integers(0, 60), max_size=2),
)
FIELDS = ["household", "visit", "finding", "worker", "mode", "outcome", "note", "at", "role", "category", "asked",
          "action", "triage", "due", "status", "to", "satisfaction", "changed", "state", "claimed_by", "title",
          "building", "grid", "head", "phone", "tags", "proposed", "id"]


@st.composite
def hostile_event(draw, known_ids: list[str]) -> dict:
    stamp = draw(STAMPS)
    dev = draw(st.sampled_from([ATTACKER_DEV, ATTACKER_DEV, ATTACKER_DEV, "d1a", "office"]))
    kind = draw(st.sampled_from(KINDS))
    eid = draw(st.one_of(st.sampled_from(IDS), st.just(f"{ {'visit': 'V', 'finding': 'F'}.get(kind, 'M')}{dev}-"
                                                         f"{abs(stamp[0]) % 99:x}")))
    data = draw(st.dictionaries(st.sampled_from(FIELDS), VALUES, min_size=1, max_size=8))
    e = {"id": f"{dev}.{stamp[0]}.{stamp[1]}", "t": stamp, "dev": dev,
         "by": draw(st.sampled_from([ATTACKER, ATTACKER, "W01", "office"])), "kind": kind, "eid": eid,
         "op": draw(st.sampled_from(["create", "set"])), "data": data}
    if draw(st.booleans()):
        e["prev"] = {f: draw(st.sampled_from(known_ids + [f"office.{NOW + 10}.0"])) for f in data}
    return e


@st.composite
def plausible_event(draw, known_ids: list[str]) -> dict:
    """An event that passes every field rule, aimed at what the attacker may not touch."""
    stamp = [NOW + draw(st.sampled_from([0, 1, 365 * DAY, -300 * DAY])), draw(st.integers(0, 3))]
    home = draw(st.sampled_from(["H01", "H02", "H03"]))
    own = lambda p: f"{p}{ATTACKER_DEV}-{draw(st.integers(0, 3)):x}"  # noqa: E731
    choice = draw(st.sampled_from(["visit", "finding", "wish", "status", "wish_state"]))
    if choice == "visit":
        return make_event(stamp, ATTACKER_DEV, ATTACKER, "visit", draw(st.sampled_from([own("V"), "V1", "Vd1a-1"])),
                          "create", {"household": home, "mode": "door", "outcome": "met", "note": "",
                                     "at": CREATED, "worker": draw(st.sampled_from([ATTACKER, "W01"]))})
    if choice == "finding":
        return make_event(stamp, ATTACKER_DEV, ATTACKER, "finding", draw(st.sampled_from([own("F"), "F1"])),
                          "create", {"role": "safety", "category": "gas", "asked": "燃气味", "action": "",
                                     "triage": "routine", "due": None, "at": CREATED, "status": "open",
                                     "visit": draw(st.sampled_from([own("V"), "V1"])), "household": home})
    if choice == "wish":
        return make_event(stamp, ATTACKER_DEV, ATTACKER, "wish", own("M"), "create",
                          {"household": home, "finding": draw(st.sampled_from([own("F"), "F1"])), "title": "心愿",
                           "state": "wish", "at": CREATED})
    target = draw(st.sampled_from([own("F"), "F1"] if choice == "status" else [own("M"), "M1"]))
    kind, data = ("finding", {"status": "closed", "note": "关了"}) if choice == "status" else \
        ("wish", {"state": "fulfilled", "note": ""})
    prev = {f: draw(st.sampled_from(known_ids + [f"office.{NOW + 10}.0", f"office.{NOW - 10}.0"])) for f in data}
    return make_event(stamp, ATTACKER_DEV, ATTACKER, kind, target, "set", data,
                      prev=prev if draw(st.booleans()) else None)


@st.composite
def hostile_files(draw) -> list[Incoming]:
    known_ids = sorted(KNOWN)[:20]
    files = []
    for k in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            # A coherent visit with a finding (what the app writes), plus attacks leaning on them.
            home, ms = draw(st.sampled_from(["H03", "H03", "H01"])), NOW + k
            vid, fid = f"V{ATTACKER_DEV}-{k:x}", f"F{ATTACKER_DEV}-{k:x}"
            events = [make_event([ms, 0], ATTACKER_DEV, ATTACKER, "visit", vid, "create",
                                 {"household": home, "mode": "door", "outcome": "met", "note": "", "at": CREATED,
                                  "worker": ATTACKER}),
                      make_event([ms, 1], ATTACKER_DEV, ATTACKER, "finding", fid, "create",
                                 {"role": "service", "category": "micro_wish", "asked": "轮椅", "action": "",
                                  "triage": "routine", "due": None, "visit": vid, "household": home, "at": CREATED,
                                  "status": "open"})]
            events += draw(st.lists(plausible_event(known_ids), max_size=2))
        else:
            events = draw(st.lists(hostile_event(known_ids), min_size=1, max_size=6))
        # Now and then, a well-formed visit and finding on the attacker's own household, to carry the rest.
        if draw(st.booleans()):
            events.insert(0, make_event([NOW, k], ATTACKER_DEV, ATTACKER, "visit", f"V{ATTACKER_DEV}-{k}", "create",
                                        {"household": "H03", "mode": "door", "outcome": "met", "note": "",
                                         "at": CREATED, "worker": ATTACKER}))
        files.append(seal_file(ATTACKER_DEV, events, f"{ATTACKER}/{ATTACKER_DEV}-{k}.json"))
    return files


def _grid_slice(state, grid: str) -> dict:
    """Everything of one grid: its households and every visit, finding and wish on them."""
    homes = GRID_HH[grid]
    ents = state.entities
    out = {"household": {h: ents["household"].get(h) for h in homes}}
    for kind in ("visit", "finding", "wish"):
        out[kind] = {i: r for i, r in ents[kind].items() if r.get("household") in homes}
    out["building"] = {b: r for b, r in ents["building"].items() if r.get("grid") == grid}
    return out


@settings(max_examples=150, deadline=None, database=None)
@given(scenario(), hostile_files())
def test_a_hostile_worker_changes_nothing_of_another_grid_and_breaks_no_view(sc, evil):
    _, honest = sc
    honest = [f for f in honest if f.folder_worker != ATTACKER]
    clean = run_merge(KNOWN, honest)
    attacked = run_merge(KNOWN, honest + evil)
    assert sorted(attacked.taken) == sorted(clean.taken + [f.name for f in evil if f.name in attacked.taken])
    assert all(rules.problem(e) is None and e["by"] == DEVICES[e["dev"]] for e in attacked.new_events)
    before = fold(BASE + clean.new_events)
    after = fold(BASE + attacked.new_events)
    assert _grid_slice(after, "G01") == _grid_slice(before, "G01")
    # Whatever was taken, every view and report reads it.
    today = dt.date.fromtimestamp(NOW / 1000)
    for grid in (None, "G01", "G02"):
        views.households_list(after, today, "month", grid=grid)
        views.all_findings(after, today, grid=grid)
        views.due_households(after, today, grid=grid)
        report.summary(after, today - dt.timedelta(days=400), today, grid=grid)
        report.needs(after, today - dt.timedelta(days=400), today, grid=grid)
    views.wishes(after)
    for b in after.entities["building"]:
        views.building_households(after, b, today)
    for h in after.entities["household"]:
        views.household_detail(after, h, today)
    views.drop_index()


# --- fuzzing the reader: nothing escapes, ever ---------------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=30)


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(st.binary(max_size=300), JSON.map(lambda j: json.dumps(j).encode()),
                 st.dictionaries(st.sampled_from(["format", "worker", "device", "created", "nonce", "sealed", "x"]),
                                 JSON, max_size=7).map(lambda d: json.dumps({"format": "gridtui-sync/2", **d}).encode())))
def test_the_file_reader_never_raises_on_any_bytes(raw):
    opened = envelope.parse(raw)
    assert (opened.obj is None) != (opened.reason is None)
    if opened.obj is not None:
        run_merge(KNOWN, [Incoming("W02/x.json", "W02", opened, "d")])


@settings(max_examples=300, deadline=None, database=None)
@given(JSON)
def test_any_payload_sealed_with_a_workers_key_is_judged_never_raises(payload):
    for body in (payload, {"events": payload}, {"events": [payload]}, {"events": [payload], "ack": payload}):
        raw = envelope.seal_payload_to_office(ATTACKER, ATTACKER_DEV, CREATED, json.dumps(body).encode(),
                                              WORKERS[ATTACKER].key, BOX_PUBLIC, *SIGNING[ATTACKER_DEV])
        result = run_merge(KNOWN, [_incoming(f"{ATTACKER}/x.json", ATTACKER, raw, [])])
        assert len(result.taken) + len(result.skipped) == 1


# --- the events' own text, kept for the office's log -----------------------------------------------------


def _app_events():
    hh = sorted(GRID_HH["G01"])[0]
    return [make_event([NOW, i], "d1a", "W01", "visit", f"Vd1a-{i}", "create",
                       {"household": hh, "mode": "door", "outcome": "met", "at": CREATED, "worker": "W01",
                        "note": note})
            for i, note in enumerate(["", '住户说 {"id":"x"} 是什么', "逗号,}{方括号]["])]


def test_each_events_own_text_is_found_in_a_payload_the_app_wrote():
    events = _app_events()
    plain = jsonbytes.dumps({"events": events})
    got = envelope.event_spans(plain, len(events))
    assert got is not None and [json.loads(plain[a:b]) for a, b in got] == events
    assert envelope.event_spans(b'{"events":[]}', 0) == []
    assert envelope.event_spans(plain, len(events) + 1) is None


@pytest.mark.parametrize("written", [
    lambda ev: json.dumps({"events": ev}, ensure_ascii=False),  # spaces after the colons
    lambda ev: jsonbytes.dumps({"events": [{k: e[k] for k in reversed(list(e))} for e in ev]}).decode(),  # id last
    lambda ev: jsonbytes.dumps({"events": ev, "ack": {"W01": {"id": "x"}}}).decode(),  # something after them
    lambda ev: '{"events":[],"events":' + jsonbytes.dumps(ev).decode() + "}",  # the key twice: the last counts
    lambda ev: jsonbytes.dumps({"events": ev}).decode().replace("},{", "}, {"),
])
def test_a_payload_written_otherwise_gives_no_texts_and_its_events_are_encoded_anew(written):
    events = _app_events()
    plain = written(events).encode()
    assert envelope.loads_payload(plain)["events"] == events  # the same events, parsed
    assert envelope.event_spans(plain, len(events)) is None
    raw = envelope.seal_payload_to_office("W01", "d1a", CREATED, plain, WORKERS["W01"].key, BOX_PUBLIC,
                                          *SIGNING["d1a"])
    r = run_merge(KNOWN, [_incoming("W01/d1a.json", "W01", raw, events)])
    assert r.skipped == [] and r.new_events == events and r.encoded is None


def test_the_texts_of_one_file_are_not_mixed_with_anothers():
    events = _app_events()
    app = seal_file("d1a", events[:2], "W01/d1a.json")
    other = envelope.seal_payload_to_office("W01", "d1b", CREATED, json.dumps({"events": []}).encode(),
                                            WORKERS["W01"].key, BOX_PUBLIC, *SIGNING["d1b"])
    r = run_merge(KNOWN, [app, seal_file("d1a", events, "W01/d1a-2.json")])
    assert r.encoded is not None and [json.loads(bytes(r.encoded[i])) for i in range(len(r.encoded))] == r.new_events
    assert len(r.new_events) == 3  # the second file's first two were the first's
    r = run_merge(KNOWN, [app, _incoming("W01/d1b.json", "W01", other, [])])
    assert r.encoded is None and len(r.new_events) == 2  # one file not written as the app writes: all encoded anew


@pytest.mark.parametrize("where", ["note", "prev"])
def test_half_a_character_in_a_workers_file_refuses_it_whole(where):
    """A lone surrogate (written as an escape) parses, but no store could write it back out."""
    (visit, *_) = _app_events()
    if where == "note":
        visit["data"]["note"] = "楼道\ud800"
        events = [visit]
    else:
        change = make_event([NOW, 9], "d1a", "W01", "visit", visit["eid"], "set",
                            {"note": "更正", "corrected": True, "changed": CREATED}, prev={"note": "d1a.1.\udc00"})
        events = [visit, change]
    raw = envelope.seal_payload_to_office("W01", "d1a", CREATED, json.dumps({"events": events}).encode(),
                                          WORKERS["W01"].key, BOX_PUBLIC, *SIGNING["d1a"])
    r = run_merge(KNOWN, [_incoming("W01/d1a.json", "W01", raw, events)])
    assert r.new_events == [] and [s.reason for s in r.skipped] == ["sync.bad_event"]


def test_an_event_twice_in_one_file_is_taken_once_and_one_forged_in_it_is_flagged():
    events = _app_events()
    forged = copy.deepcopy(events[1])
    forged["data"]["note"] = "伪造"
    for body, flagged in (([*events, events[1]], []), ([*events, forged], [forged["id"]])):
        raw = envelope.seal_payload_to_office("W01", "d1a", CREATED, jsonbytes.dumps({"events": body}),
                                              WORKERS["W01"].key, BOX_PUBLIC, *SIGNING["d1a"])
        r = run_merge(KNOWN, [_incoming("W01/d1a.json", "W01", raw, body)])
        assert r.skipped == [] and r.new_events == events
        assert [f.event["id"] for f in r.flags if f.reason == "sync.forged_id"] == flagged
        assert r.encoded is not None and [json.loads(bytes(r.encoded[i])) for i in range(len(r.encoded))] == events
