"""Turning a roster file (the shape of demo_data.json, see docs/demo-data.md) into events.

The roster is the friendly, documented form; the event log is what the app stores and syncs.
History in the roster (visits, findings' status changes, wishes) becomes the events that would
have been written at the time, so the app cannot tell a loaded history from a lived one.
"""

from __future__ import annotations

import datetime as dt

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
