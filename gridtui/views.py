"""What the screens and commands show, computed from folded state. Pure: no I/O, no Textual.

Every function returns fresh plain dicts and lists, so callers may keep or change them freely.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
import weakref
from dataclasses import dataclass, field

from . import model, search
from .events import State

CYCLES = ("week", "month", "quarter")


def cycle_start(today: dt.date, cycle: str) -> dt.date:
    """First day of the visiting cycle containing ``today``: week, month, quarter, or 'Nd' days."""
    if cycle == "week":
        return today - dt.timedelta(days=today.weekday())
    if cycle == "month":
        return today.replace(day=1)
    if cycle == "quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    if cycle.endswith("d") and cycle[:-1].isdigit() and int(cycle[:-1]) > 0:
        return today - dt.timedelta(days=int(cycle[:-1]) - 1)
    raise model.ValidationError("err.bad_cycle", value=cycle)


def _date(iso: str | None) -> dt.date | None:
    return dt.date.fromisoformat(iso[:10]) if iso else None


@dataclass
class Index:
    """One pass over state that every view shares: who was visited when, what is still open."""

    visits_by_household: dict[str, list[dict]] = field(default_factory=dict)
    findings_by_household: dict[str, list[dict]] = field(default_factory=dict)
    households_by_building: dict[str, list[dict]] = field(default_factory=dict)
    void_by_household: dict[str, list[dict]] = field(default_factory=dict)  # visits recorded by mistake
    indexed: dict[str, int] = field(default_factory=dict)  # records of each kind taken in so far

    def take(self, state: State) -> None:
        """Take in the records created since the last call. The fold only ever appends new records
        to its tables and never changes a record's links, so what was taken in stays right (a visit
        voided since is the exception: :func:`index` starts again when a visit changes)."""
        ents = state.entities
        for kind, add in (("visit", self._add_visit), ("finding", self._add_finding)):
            table = ents[kind]
            for rec in itertools.islice(table.values(), self.indexed.get(kind, 0), None):
                add(rec, ents["visit"])
            self.indexed[kind] = len(table)
        self.indexed["visit_events"] = state.changes.get("visit", 0)

    def _add_visit(self, v: dict, visits: dict) -> None:  # noqa: ARG002 - the same shape as _add_finding
        if v.get("void"):
            self.void_by_household.setdefault(v["household"], []).append(v)
            return
        lst = self.visits_by_household.setdefault(v["household"], [])
        lst.append(v)
        if len(lst) > 1 and lst[-2]["at"] < v["at"]:
            lst.sort(key=lambda x: x["at"], reverse=True)

    def _add_finding(self, f: dict, visits: dict) -> None:
        if not counts(f, visits):
            return
        self.findings_by_household.setdefault(f["household"], []).append(f)


def counts(f: dict, visits: dict) -> bool:
    """Whether a finding counts: not one of a visit voided as recorded by mistake."""
    return not visits.get(f.get("visit") or "", {}).get("void")


# Per live state: its index, kept beside a weak reference to the state, so that a new state that
# happens to get a dead one's id() never gets the dead one's index, and a dead state's entry (with
# the records its index holds) goes when the state does.
_index_cache: dict[int, tuple[weakref.ref, int, Index]] = {}


def _ref(state: State, cache: dict) -> weakref.ref:
    key = id(state)

    def gone(ref: weakref.ref) -> None:
        if cache.get(key, (None,))[0] is ref:
            del cache[key]

    return weakref.ref(state, gone)


def index(state: State) -> Index:
    """One pass over the state that every view shares; after a save only the new records are taken in."""
    got = _index_cache.get(id(state))
    if got and got[0]() is state:
        ix = got[2]
        if got[1] == state.count:
            return ix
        new_visits = len(state.entities["visit"]) - ix.indexed.get("visit", 0)
        if ix.indexed.get("household") == len(state.entities["household"]) and \
                state.changes.get("visit", 0) - ix.indexed.get("visit_events", 0) == new_visits:
            ix.take(state)  # a visit or a finding more: no need to go over every household again
            _index_cache[id(state)] = (got[0], state.count, ix)
            return ix
    ix = Index()
    ents = state.entities
    for h in ents["household"].values():
        ix.households_by_building.setdefault(h.get("building"), []).append(h)
    ix.indexed["household"] = len(ents["household"])
    visits = ents["visit"]
    for v in visits.values():
        lists = ix.void_by_household if v.get("void") else ix.visits_by_household
        lists.setdefault(v["household"], []).append(v)
    at = operator.itemgetter("at")
    for lst in ix.visits_by_household.values():
        lst.sort(key=at, reverse=True)
    by_household, void = ix.findings_by_household, ix.void_by_household
    for f in ents["finding"].values():
        if not void or counts(f, visits):  # no visit voided, none to ask about (a year: 500,000 findings)
            by_household.setdefault(f["household"], []).append(f)
    ix.indexed.update(visit=len(visits), finding=len(ents["finding"]), visit_events=state.changes.get("visit", 0))
    _index_cache.clear()  # one live state per process; keep memory flat
    _index_cache[id(state)] = (_ref(state, _index_cache), state.count, ix)
    return ix


def drop_index() -> None:
    """Forget the cached :func:`index`. A one-shot command that is done with its state calls it, so
    the index (and the entities it holds) is freed now rather than torn down slowly at exit."""
    _index_cache.clear()
    _search_cache.clear()


def _is_open(f: dict) -> bool:
    return f.get("status", "open") in model.OPEN_STATUSES


def _is_overdue(f: dict, today: dt.date) -> bool:
    due = _date(f.get("due"))
    return _is_open(f) and due is not None and due < today


def _last_visit(ix: Index, hid: str) -> dict | None:
    visits = ix.visits_by_household.get(hid)
    return visits[0] if visits else None


def met(v: dict) -> bool:
    """A visit where the resident was met (at the door, by phone): the only kind that counts as
    having seen them. An unanswered knock is recorded, but the household stays due."""
    return v.get("outcome") == "met"


def _last_met(ix: Index, hid: str) -> dict | None:
    return next((v for v in ix.visits_by_household.get(hid, ()) if met(v)), None)


def _knocks_since_met(ix: Index, hid: str) -> int:
    """Unanswered (or refused, or vacant) knocks since the resident was last met."""
    n = 0
    for v in ix.visits_by_household.get(hid, ()):
        if met(v):
            break
        n += 1
    return n


def _visited_since(ix: Index, hid: str, start: dt.date) -> bool:
    last = _last_met(ix, hid)
    return last is not None and _date(last["at"]) >= start


def building_label(state: State, bid: str | None) -> str:
    b = state.entities["building"].get(bid or "", {})
    compound = state.entities["compound"].get(b.get("compound", ""), {})
    return f"{compound.get('name', '')}{b.get('name', bid or '')}"


def _sort_room(h: dict) -> tuple:
    return (h.get("unit") or 0, h.get("floor") or 0, str(h.get("room", "")))


def buildings_overview(state: State, today: dt.date, cycle: str = "month", grid: str | None = None) -> list[dict]:
    ix = index(state)
    start = cycle_start(today, cycle)
    rows = []
    for b in state.entities["building"].values():
        if grid and b.get("grid") != grid:
            continue
        hs = [h for h in ix.households_by_building.get(b["id"], []) if not h.get("moved_out")]
        findings = [f for h in hs for f in ix.findings_by_household.get(h["id"], [])]
        rows.append(
            {
                "id": b["id"],
                "name": building_label(state, b["id"]),
                "households": len(hs),
                "visited": sum(1 for h in hs if _visited_since(ix, h["id"], start)),
                "open": sum(1 for f in findings if _is_open(f)),
                "overdue": sum(1 for f in findings if _is_overdue(f, today)),
            }
        )
    rows.sort(key=lambda r: (len(r["name"]), r["name"]))
    return rows


def building_households(state: State, bid: str, today: dt.date, cycle: str = "month") -> list[dict]:
    ix = index(state)
    start = cycle_start(today, cycle)
    return [_household_row(ix, h, start) for h in sorted(ix.households_by_building.get(bid, []), key=_sort_room)]


def _household_row(ix: Index, h: dict, start: dt.date) -> dict:
    last = _last_visit(ix, h["id"])
    findings = ix.findings_by_household.get(h["id"], [])
    return {
        "id": h["id"],
        "unit": h.get("unit"),
        "floor": h.get("floor"),
        "room": h.get("room"),
        "head": h.get("head", ""),
        "tags": list(h.get("tags") or ()),
        "moved_out": bool(h.get("moved_out")),
        "proposed": bool(h.get("proposed")),  # found at a door, waiting for the office
        "last_visit": last["at"][:10] if last else None,
        "last_outcome": last["outcome"] if last else None,
        "visited": _visited_since(ix, h["id"], start),
        "knocks": _knocks_since_met(ix, h["id"]),
        "open": sum(1 for f in findings if _is_open(f)),
    }


def _finding_row(state: State, f: dict, today: dt.date) -> dict:
    h = state.entities["household"].get(f["household"], {})
    due = _date(f.get("due"))
    return {
        "id": f["id"],
        "household": f["household"],
        "building": building_label(state, h.get("building")),
        "room": h.get("room", ""),
        "unit": h.get("unit"),
        "head": h.get("head", ""),
        "role": f["role"],
        "category": f.get("category", "other"),
        "asked": f.get("asked", ""),
        "action": f.get("action", ""),
        "triage": f.get("triage", "routine"),
        "due": f.get("due"),
        "at": f.get("at"),
        "status": f.get("status", "open"),
        "overdue": _is_overdue(f, today),
        "days_overdue": (today - due).days if due and _is_overdue(f, today) else 0,
        "proposed": dict(f.get("proposed") or {}),
        "proposal": f.get("proposal"),
        "satisfaction": f.get("satisfaction"),
        "history": [dict(x) for x in f.get("history", ())],
    }


def household_detail(state: State, hid: str, today: dt.date) -> dict:
    ix = index(state)
    h = dict(state.entities["household"][hid])
    h["tags"] = list(h.get("tags") or ())
    h["building_name"] = building_label(state, h.get("building"))
    findings = sorted(ix.findings_by_household.get(hid, []), key=lambda f: f.get("at", ""), reverse=True)
    by_visit: dict[str, list[dict]] = {}
    for f in findings:
        by_visit.setdefault(f.get("visit", ""), []).append(_finding_row(state, f, today))
    # Voided visits too, marked: the household's history is where a mistake and its undoing show.
    shown = sorted([*ix.visits_by_household.get(hid, []), *ix.void_by_household.get(hid, [])],
                   key=lambda v: v["at"], reverse=True)
    h["visits"] = [
        {**{k: v[k] for k in ("id", "at", "mode", "outcome", "note", "worker") if k in v},
         "void": bool(v.get("void")), "history": [dict(x) for x in v.get("history", ())],
         "findings": by_visit.get(v["id"], [])}
        for v in shown
    ]
    h["findings"] = [_finding_row(state, f, today) for f in findings]
    h["interval_days"] = model.visit_interval(h["tags"])
    return h


def all_findings(state: State, today: dt.date, role: str | None = None, grid: str | None = None,
                 open_only: bool = False) -> list[dict]:
    """Findings, overdue first (most overdue on top), then open before done, then by due date."""
    rows = []
    visits = state.entities["visit"]
    for f in state.entities["finding"].values():
        if (open_only and not _is_open(f)) or (role and f["role"] != role) or not counts(f, visits):
            continue
        if grid and grid_of(state, f["household"]) != grid:
            continue
        rows.append(_finding_row(state, f, today))
    far = dt.date.max.isoformat()
    rows.sort(key=lambda r: (not r["overdue"], r["status"] not in model.OPEN_STATUSES, r["due"] or far,
                             r["at"] or ""))
    return rows


def followups(state: State, today: dt.date, role: str | None = None, grid: str | None = None,
              building: str | None = None) -> list[dict]:
    """Open findings of the grid (or of one building), overdue first, then by due date, undated last."""
    rows = all_findings(state, today, role, grid, open_only=True)
    if building:
        homes = {h["id"] for h in index(state).households_by_building.get(building, ())}
        rows = [r for r in rows if r["household"] in homes]
    return rows


def matching(rows: list[dict], text: str, fields: tuple[str, ...]) -> list[dict]:
    """Rows any of whose ``fields`` contain ``text`` (full-width forms and case ignored)."""
    q = search.normalise(text)
    if not q:
        return rows
    return [r for r in rows if any(q in search.normalise(str(r.get(f) or "")) for f in fields)]


# Which grid a household is in: its building's. The one place this is spelled out.
def grid_of(state: State, hid: str) -> str | None:
    h = state.entities["household"].get(hid, {})
    return state.entities["building"].get(h.get("building") or "", {}).get("grid")


def household_grids(state: State) -> dict[str, str | None]:
    """Household id → the grid of its building, for all households at once."""
    building_grid = {bid: b.get("grid") for bid, b in state.entities["building"].items()}
    return {hid: building_grid.get(h.get("building") or "") for hid, h in state.entities["household"].items()}


def grid_households(state: State) -> dict[str | None, set[str]]:
    """Grid → the ids of its households."""
    out: dict[str | None, set[str]] = {}
    for hid, grid in household_grids(state).items():
        out.setdefault(grid, set()).add(hid)
    return out


def due_households(state: State, today: dt.date, grid: str | None = None) -> list[dict]:
    """Tagged households whose visit interval has lapsed (e.g. elderly living alone: 7 days).

    Only meeting the resident resets the interval. Most urgent first: households whose door went
    unanswered (an elder who does not open is the one to worry about), then never met, then by days late.
    """
    ix = index(state)
    rows = []
    for h in state.entities["household"].values():
        tags = [t for t in h.get("tags") or () if t in model.TAGS and model.TAGS[t].interval_days]
        if not tags or h.get("moved_out") or (grid and grid_of(state, h["id"]) != grid):
            continue
        interval = model.visit_interval(tags)
        last = _last_met(ix, h["id"])
        since = (today - _date(last["at"])).days if last else None
        if since is None or since > interval:
            rows.append(
                {
                    "id": h["id"],
                    "building": building_label(state, h.get("building")),
                    "unit": h.get("unit"),
                    "room": h.get("room", ""),
                    "head": h.get("head", ""),
                    "tags": tags,
                    "interval_days": interval,
                    "last_visit": last["at"][:10] if last else None,
                    "days_since": since,
                    "days_late": None if since is None else since - interval,
                    "knocks": _knocks_since_met(ix, h["id"]),
                }
            )
    rows.sort(key=lambda r: (r["knocks"] == 0, r["days_since"] is not None, -(r["days_late"] or 0), r["id"]))
    return rows


def wishes(state: State) -> list[dict]:
    order = {s: i for i, s in enumerate(model.WISH_STATES)}
    rows = []
    findings, visits = state.entities["finding"], state.entities["visit"]
    for w in state.entities["wish"].values():
        if not counts(findings.get(w.get("finding") or "", {}), visits):
            continue
        h = state.entities["household"].get(w.get("household", ""), {})
        rows.append(
            {
                "id": w["id"],
                "household": w.get("household"),
                "building": building_label(state, h.get("building")),
                "unit": h.get("unit"),
                "room": h.get("room", ""),
                "head": h.get("head", ""),
                "title": w.get("title", ""),
                "state": w.get("state", "wish"),
                "claimed_by": w.get("claimed_by"),
                "at": w.get("at"),
                "history": [dict(x) for x in w.get("history", ())],
            }
        )
    rows.sort(key=lambda r: (order.get(r["state"], 9), r["at"] or ""))
    return rows


def households_list(
    state: State, today: dt.date, cycle: str = "month", unvisited: bool = False, grid: str | None = None
) -> list[dict]:
    """Every household of the grid with building and visit status, for the command line."""
    rows = []
    for b in buildings_overview(state, today, cycle, grid):
        for h in building_households(state, b["id"], today, cycle):
            if unvisited and (h["visited"] or h["moved_out"]):
                continue
            rows.append({**h, "building": b["name"], "building_id": b["id"]})
    return rows


def whoami(state: State, worker: str | None, grid: str | None) -> dict:
    """Names of this store's worker and grid, for the app's header (ids when the roster has no name)."""
    w = state.entities["worker"].get(worker or "", {})
    g = state.entities["grid"].get(grid or "", {})
    return {
        "worker": worker,
        "worker_name": w.get("name") or worker or "",
        "grid": grid,
        "grid_name": g.get("name") or grid or "",
    }


# --- finding a household, and what is due today ---------------------------------------------------

_search_cache: dict[int, tuple[weakref.ref, int, list]] = {}


def _search_keys(state: State) -> list[tuple[dict, search.Keys, str | None]]:
    # What a household is found by changes with the roster only, not with every visit recorded.
    version = tuple(state.changes.get(k, 0) for k in ("household", "building", "compound"))
    got = _search_cache.get(id(state))
    if got and got[0]() is state and got[1] == version:
        return got[2]
    names = search.tag_names()
    out = [(h, search.keys_of(h, building_label(state, h.get("building")), names), grid_of(state, h["id"]))
           for h in state.entities["household"].values()]
    _search_cache.clear()
    _search_cache[id(state)] = (_ref(state, _search_cache), version, out)
    return out


def search_households(state: State, query: str, today: dt.date, cycle: str = "month",
                      grid: str | None = None, limit: int = 100) -> list[dict]:
    """Households of the grid that ``query`` finds (see gridtui.search), best match first, then in
    walk order; rows as :func:`households_list` gives them, with the way each was found. Pinyin
    initials match once :func:`search.warm` has worked them out."""
    q = search.normalise(query)
    if not q:
        return []
    ix = index(state)
    start = cycle_start(today, cycle)
    hits = []
    rank = search.rank
    for h, keys, home_grid in _search_keys(state):
        if grid and home_grid != grid:
            continue
        r = rank(q, keys)
        if r is not None:
            hits.append((r, keys.building, _sort_room(h), h))
    hits.sort(key=lambda x: x[:3])
    return [{**_household_row(ix, h, start), "building": building_label(state, h.get("building")),
             "building_id": h.get("building"), "found_by": search.RANKS[r]} for r, _, _, h in hits[:limit]]


def due_today(state: State, today: dt.date, grid: str | None = None) -> list[dict]:
    """What cannot wait: care households past their interval and follow-ups past their date, most
    urgent first — unanswered doors, then the most days late."""
    items = [{"kind": "household", "id": h["id"], "household": h["id"], "late": h["days_late"],
              "knocks": h["knocks"], "row": h} for h in due_households(state, today, grid)]
    for f in all_findings(state, today, grid=grid, open_only=True):
        if f["overdue"]:
            items.append({"kind": "finding", "id": f["id"], "household": f["household"], "late": f["days_overdue"],
                          "knocks": 0, "row": f})
    items.sort(key=lambda i: (i["knocks"] == 0, i["late"] is not None, -(i["late"] or 0),
                              i["kind"] != "household", i["id"]))
    return items


def walk_order(state: State, hids) -> list[str]:  # noqa: ANN001 - any iterable of household ids
    """Households in the order a worker walks them: building, then unit, floor, room; once each."""
    ents = state.entities["household"]
    seen = list(dict.fromkeys(h for h in hids if h in ents))
    return sorted(seen, key=lambda h: (building_label(state, ents[h].get("building")), _sort_room(ents[h])))


def proposal_pending(f: dict) -> bool:
    """A data finding's proposal the office has not decided yet (and the worker has not closed)."""
    return bool(f.get("proposed")) and not f.get("proposal") and f.get("status") in model.OPEN_STATUSES


def proposals(state: State, grid: str | None = None, pending_only: bool = True) -> list[dict]:
    """What workers proposed to change in the ledger, oldest first: who, when, the household's
    facts as they are now and as proposed, and the office's decision if made."""
    rows = []
    visits = state.entities["visit"]
    for f in state.entities["finding"].values():
        if not f.get("proposed") or (pending_only and not proposal_pending(f)) or not counts(f, visits):
            continue
        if grid and grid_of(state, f["household"]) != grid:
            continue
        h = state.entities["household"].get(f["household"], {})
        rows.append({
            "id": f["id"],
            "household": f["household"],
            "building": building_label(state, h.get("building")),
            "unit": h.get("unit"),
            "room": h.get("room", ""),
            "head": h.get("head", ""),
            "by": f.get("_by"),
            "at": f.get("at"),
            "asked": f.get("asked", ""),
            "proposed": dict(f["proposed"]),
            "now": {k: h.get(k) for k in f["proposed"]},
            "status": f.get("status"),
            "outcome": f.get("proposal"),
        })
    rows.sort(key=lambda r: (r["at"] or "", r["id"]))
    return rows


def stairwell(state: State, bid: str, unit: int | None = None) -> list[str]:
    """The households of a building (or of one unit of it) that live there, in walk order: the
    doors a notice is left at."""
    homes = index(state).households_by_building.get(bid, [])
    return [h["id"] for h in sorted(homes, key=_sort_room)
            if not h.get("moved_out") and (unit is None or h.get("unit") == unit)]
