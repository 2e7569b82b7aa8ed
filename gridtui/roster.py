"""Turning a roster file (the shape of demo_data.json, see docs/demo-data.md) into events.

The roster is the friendly, documented form; the event log is what the app stores and syncs.
History in the roster (visits, findings' status changes, wishes) becomes the events that would
have been written at the time, so the app cannot tell a loaded history from a lived one.
"""

from __future__ import annotations

import datetime as dt

from . import rules
from .events import State, make_event

OFFICE_DEVICE = "office"

# Roster fields copied into each entity's create event.
_FIELDS = {
    "compound": ("name", "address"),
    "grid": ("name", "worker"),
    "worker": ("name", "grid"),
    "building": ("compound", "name", "grid", "units", "floors"),
    "household": ("building", "unit", "floor", "room", "head", "phone", "id_number", "people", "tags", "moved_out"),
}


class RosterError(ValueError):
    pass


# --- what a roster must hold before anything is built from it -------------------------------------

_PARTS = ("compounds", "grids", "workers", "buildings", "households", "visits", "wishes")
_KIND = {"compounds": "compound", "grids": "grid", "workers": "worker", "buildings": "building",
         "households": "household"}
# Record → (field, the part its value must name).
_LINKS = {"buildings": (("compound", "compounds"), ("grid", "grids")), "households": (("building", "buildings"),),
          "workers": (("grid", "grids"),)}

Problem = tuple[str, dict]  # an i18n key (roster.*) and its arguments


def problem(data: dict) -> Problem | None:
    """The first thing that stops ``data`` from being a roster, or None. A file is handed in by a
    person and may hold anything: every part a list of records, ids valid and unique, links to
    records that exist, each field as the app would write it (:func:`gridtui.rules.data_problem`),
    and the history in the shape :func:`roster_events` reads."""
    ids: dict[str, set[str]] = {}
    for part in _PARTS:
        records = data.get(part, [])
        if type(records) is not list or not all(type(r) is dict for r in records):
            return "roster.bad_part", {"part": part}
        seen = ids[part] = set()
        for r in records:
            rid = r.get("id")
            if not rules.is_id(rid):
                return "roster.bad_record", {"what": part, "id": str(rid)[:20] if rid is not None else "?", "field": "id"}
            if rid in seen:
                return "roster.repeated_id", {"what": part, "id": rid}
            seen.add(rid)
    for part, kind in _KIND.items():
        for r in data.get(part, []):
            for field, target in _LINKS.get(part, ()):
                if r.get(field) not in ids[target]:
                    return "roster.bad_link", {"what": part, "id": r["id"], "target": target,
                                               "ref": str(r.get(field))[:20]}
            why = rules.data_problem(kind, "create", {f: r[f] for f in _FIELDS[kind] if f in r} or {"name": ""})
            if why is not None:
                return "roster.bad_record", {"what": part, "id": r["id"], "field": why.partition(":")[2] or why}
    return _history_problem(data, ids)


def _history_problem(data: dict, ids: dict[str, set[str]]) -> Problem | None:
    """Visits with their findings and status history, and wishes: what :func:`_drafts` reads."""
    def bad(part: str, rid: object, field: str) -> Problem:
        return "roster.bad_record", {"what": part, "id": str(rid)[:20], "field": field}

    findings: set[str] = set()
    for v in data.get("visits", []):
        if v.get("household") not in ids["households"]:
            return "roster.bad_link", {"what": "visits", "id": v["id"], "target": "households",
                                       "ref": str(v.get("household"))[:20]}
        for field, ok in (("at", rules.is_stamp(v.get("at"))), ("worker", rules.is_id(v.get("worker"))),
                          ("findings", type(v.get("findings", [])) is list)):
            if not ok:
                return bad("visits", v["id"], field)
        for f in v.get("findings", []):
            if type(f) is not dict or not rules.is_id(f.get("id")) or f["id"] in findings:
                return bad("visits", v["id"], "findings")
            findings.add(f["id"])
            if f.get("due") is not None and not rules.is_date(f.get("due")):
                return bad("findings", f["id"], "due")
            if not _history_ok(f.get("history", [])):
                return bad("findings", f["id"], "history")
    for w in data.get("wishes", []):
        if w.get("household") not in ids["households"] or w.get("finding") not in findings:
            return "roster.bad_link", {"what": "wishes", "id": w["id"], "target": "findings",
                                       "ref": str(w.get("finding"))[:20]}
        if not _history_ok(w.get("history", []), by_required=False):
            return bad("wishes", w["id"], "history")
    return None


def _history_ok(history: object, by_required: bool = True) -> bool:
    return type(history) is list and all(
        type(h) is dict and rules.is_stamp(h.get("at")) and (rules.is_id(h.get("by")) or
                                                            (not by_required and "by" not in h))
        for h in history)


def _shift(iso: str | None, days: int) -> str | None:
    if not iso or not days:
        return iso
    if len(iso) == 10:
        return (dt.date.fromisoformat(iso) + dt.timedelta(days=days)).isoformat()
    return (dt.datetime.fromisoformat(iso) + dt.timedelta(days=days)).isoformat(timespec="seconds")


def _ms(iso: str) -> int:
    return int(dt.datetime.fromisoformat(iso).timestamp() * 1000)


def select_grid(data: dict, grid: str | None) -> dict:
    """The part of a roster one worker may see: their grid's buildings and residents only."""
    if grid is None:
        return data
    if grid not in {g["id"] for g in data.get("grids", ())}:
        raise RosterError(f"unknown grid {grid}")
    buildings = [b for b in data["buildings"] if b["grid"] == grid]
    bids = {b["id"] for b in buildings}
    households = [h for h in data["households"] if h["building"] in bids]
    hids = {h["id"] for h in households}
    return {
        **data,
        "compounds": [c for c in data.get("compounds", ()) if c["id"] in {b["compound"] for b in buildings}],
        "grids": [g for g in data["grids"] if g["id"] == grid],
        "workers": [w for w in data.get("workers", ()) if w["grid"] == grid],
        "buildings": buildings,
        "households": households,
        "visits": [v for v in data.get("visits", ()) if v["household"] in hids],
        "wishes": [w for w in data.get("wishes", ()) if w["household"] in hids],
    }


def _drafts(data: dict, shift: int) -> list[tuple]:
    """(time, device, author, kind, id, op, fields) for every change the roster records."""
    visits = data.get("visits", ())
    first = min((v["at"] for v in visits), default=None) or f"{data['as_of']}T08:00:00+08:00"
    base = _shift((dt.datetime.fromisoformat(first) - dt.timedelta(days=1)).isoformat(), shift)
    out: list[tuple] = []
    community = data.get("community")
    if community:
        fields = {k: v for k, v in community.items() if k != "id"}
        out.append((base, OFFICE_DEVICE, "office", "community", community["id"], "create", fields))
    for kind, key in (("compound", "compounds"), ("grid", "grids"), ("worker", "workers"),
                      ("building", "buildings"), ("household", "households")):
        for rec in data.get(key, ()):
            fields = {f: rec[f] for f in _FIELDS[kind] if f in rec}
            out.append((base, OFFICE_DEVICE, "office", kind, rec["id"], "create", fields))
    for v in visits:
        at = _shift(v["at"], shift)
        dev, by = f"demo-{v['worker']}", v["worker"]
        fields = {k: v[k] for k in ("household", "mode", "outcome", "note") if k in v}
        out.append((at, dev, by, "visit", v["id"], "create", {**fields, "at": at, "worker": by}))
        for f in v.get("findings", ()):
            fields = {k: f[k] for k in ("role", "category", "asked", "action", "triage", "proposed") if k in f}
            fields.update(due=_shift(f.get("due"), shift), visit=v["id"], household=v["household"], at=at,
                          status="open")
            out.append((at, dev, by, "finding", f["id"], "create", fields))
            for h in f.get("history", ()):
                hdev = OFFICE_DEVICE if h["by"] == "office" else f"demo-{h['by']}"
                change = {k: h[k] for k in ("status", "note", "satisfaction", "to") if k in h}
                hat = _shift(h["at"], shift)
                out.append((hat, hdev, h["by"], "finding", f["id"], "set", {**change, "changed": hat}))
    for w in data.get("wishes", ()):
        fields = {k: w[k] for k in ("household", "finding", "title") if k in w}
        at = _wish_created(data, w, shift) or base
        out.append((at, OFFICE_DEVICE, "office", "wish", w["id"], "create", {**fields, "state": "wish", "at": at}))
        for h in w.get("history", ()):
            hdev = OFFICE_DEVICE if h.get("by", "office") == "office" else f"demo-{h['by']}"
            change = {k: h[k] for k in ("state", "claimed_by", "note") if k in h}
            hat = _shift(h["at"], shift)
            out.append((hat, hdev, h.get("by", "office"), "wish", w["id"], "set", {**change, "changed": hat}))
    return out


def _wish_created(data: dict, wish: dict, shift: int) -> str | None:
    for v in data.get("visits", ()):
        for f in v.get("findings", ()):
            if f["id"] == wish.get("finding"):
                return _shift(v["at"], shift)
    return None


def roster_events(data: dict, *, grid: str | None = None, shift_days: int = 0, training: bool = False) -> list[dict]:
    """Events that rebuild the roster (optionally one grid of it), dates moved by ``shift_days``."""
    if data.get("format") != "gridtui-roster/1":
        raise RosterError("not a gridtui roster (format gridtui-roster/1)")
    drafts = sorted(_drafts(select_grid(data, grid), shift_days), key=lambda d: (d[0], d[5] != "create"))
    # Fold as we go so each change names the writers it saw (prev), exactly as a live device would.
    state = State()
    last: dict[str, tuple[int, int]] = {}
    events = []
    for at, dev, by, kind, eid, op, fields in drafts:
        ms = _ms(at)
        pm, pc = last.get(dev, (0, -1))
        stamp = (ms, 0) if ms > pm else (pm, pc + 1)
        last[dev] = stamp
        prev = state.writer_ids(kind, eid, fields) if op == "set" else None
        e = make_event(list(stamp), dev, by, kind, eid, op, fields, prev=prev, training=training)
        state.apply(e)
        events.append(e)
    return events
