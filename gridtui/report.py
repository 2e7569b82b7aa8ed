"""What the office learns from the merged log: visit coverage, how findings are handled, what
residents ask for. Pure functions over a folded :class:`State` and dates: no I/O, no click, no
i18n (rows carry codes and ids; the CLI and the app name them).

Definitions (the CLI's help and the README say the same):

- **period**: ``since``…``until``, whole days, both included. A timestamp counts on the date written
  in it (its own UTC offset), as everywhere else in gridtui.
- **households**: households not moved out (as the roster stands now).
- **visited / coverage (走访覆盖率)**: households with at least one visit dated in the period (any mode,
  any outcome) ÷ households.
- **opened**: findings recorded in the period. **closed**: findings whose *first* change to
  resolved or closed falls in the period.
- **closure rate (办结率)**: of the findings opened in the period, the share whose status at the end
  of ``until`` is resolved or closed (a finding reopened before then does not count).
- **median days**: over the findings closed in the period, calendar days from being recorded to that
  first resolved/closed change (0 = the same day).
- **overdue**: findings recorded on or before ``until``, still open or referred at its end, whose due
  date is before ``until`` (the same rule as ``office findings --overdue`` on that day).
- **wishes claimed / fulfilled**: micro-wishes with a change to that state in the period.
- **satisfaction rate (满意率)**: of the findings given a satisfaction at the return visit in the
  period (its last one in the period counts), the share 满意 or 基本满意; ``None`` when none was.
- **vulnerable (关爱对象超期未访)**: households with a care tag (``model.TAGS`` with ``care`` and an
  interval), or any tag given in ``intervals``, whose last visit on or before ``until`` is more than
  the tightest of their tags' intervals before ``until``, or that were never visited — the rule of
  :func:`gridtui.views.due_households`, evaluated at the end of the period.

Per-worker rows count what the worker did: their visits, the households of *their* grid they
visited, and the findings (and wishes) raised on their visits. ``households`` and ``vulnerable`` on
a worker row are those of the worker's grid: who is responsible, not who visited.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Iterable

from . import model, views, vocab
from .events import State

DONE_STATUSES = frozenset({"resolved", "closed"})
NEEDS_BY = ("building", "compound", "grid")


# --- inputs -------------------------------------------------------------------------------------


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """From the first day of ``today``'s month to ``today``."""
    return views.cycle_start(today, "month"), today


def check_period(since: dt.date, until: dt.date) -> None:
    if since > until:
        raise model.ValidationError("report.bad_period", since=since.isoformat(), until=until.isoformat())


def parse_intervals(specs: Iterable[str]) -> dict[str, int]:
    """``["elderly_alone=3", "出租户=60"]`` → ``{"elderly_alone": 3, "rental": 60}`` (tags by code,
    number or name)."""
    out: dict[str, int] = {}
    for spec in specs:
        tag, sep, days = spec.partition("=")
        tag, days = tag.strip(), days.strip()
        if not sep or not days.isdigit() or int(days) < 1:
            raise model.ValidationError("report.bad_interval", value=spec)
        out[vocab.tag(tag)] = int(days)
    return out


def watched_intervals(intervals: dict[str, int] | None = None) -> dict[str, int]:
    """Tag → days for the vulnerable check: the care tags' defaults, overridden or extended."""
    out = {code: tag.interval_days for code, tag in model.TAGS.items() if tag.care and tag.interval_days}
    out.update(intervals or {})
    return out


# --- helpers over records -----------------------------------------------------------------------


def _day(iso: str | None) -> str:
    """The date part of an ISO date or timestamp, as text ('' if missing): compares as dates do."""
    return iso[:10] if iso else ""


def change_day(h: dict) -> str:
    changed = h.get("changed")
    if changed:
        return changed[:10]
    return dt.datetime.fromtimestamp(h["t"][0] / 1000).date().isoformat()  # old events without `changed`


def first_done_day(f: dict) -> str | None:
    for h in f.get("history", ()):
        if h.get("status") in DONE_STATUSES:
            return change_day(h)
    return None


def status_at(f: dict, day: str) -> str:
    """A finding's status at the end of ``day`` (YYYY-MM-DD): its last status change by then."""
    status = "open"
    for h in f.get("history", ()):
        s = h.get("status")
        if s and change_day(h) <= day:
            status = s
    return status


def history_facts(f: dict, lo: str, hi: str) -> tuple[str, str | None, str | None]:
    """A finding's status at the end of ``hi`` (as :func:`status_at`), the day it was first done (as
    :func:`first_done_day`) and the satisfaction last given within ``lo``–``hi``: one pass over its
    history (a street office's year has 500,000 findings to count)."""
    status, done, rated = "open", None, None
    for h in f.get("history", ()):
        day = change_day(h)
        s = h.get("status")
        if s:
            if day <= hi:
                status = s
            if done is None and s in DONE_STATUSES:
                done = day
        if h.get("satisfaction") and lo <= day <= hi:
            rated = h["satisfaction"]
    return status, done, rated


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _median(days: list[int]) -> float | None:
    return float(statistics.median(days)) if days else None


class _Acc:
    """Running counts for one scope (the community, a grid, a worker) or one role within it."""

    __slots__ = ("households", "visited", "visits", "opened", "done_of_opened", "closed", "days", "overdue",
                 "wishes_claimed", "wishes_fulfilled", "vulnerable", "roles", "rated", "satisfied")

    def __init__(self, roles: bool = True) -> None:
        self.households = self.visited = self.visits = 0
        self.opened = self.done_of_opened = self.closed = self.overdue = 0
        self.wishes_claimed = self.wishes_fulfilled = self.vulnerable = 0
        self.rated = self.satisfied = 0
        self.days: list[int] = []
        self.roles = {r: _Acc(roles=False) for r in model.ROLES} if roles else None

    def finding_figures(self) -> dict:
        return {
            "opened": self.opened,
            "closed": self.closed,
            "closure_rate": rate(self.done_of_opened, self.opened),
            "median_days": _median(self.days),
            "overdue": self.overdue,
            "rated": self.rated,
            "satisfaction_rate": rate(self.satisfied, self.rated),
        }

    def row(self, level: str, id_: str | None, name: str, grid: str | None) -> dict:
        return {
            "level": level,
            "id": id_,
            "name": name,
            "grid": grid,
            "households": self.households,
            "visits": self.visits,
            "visited": self.visited,
            "coverage": rate(self.visited, self.households),
            "vulnerable": self.vulnerable,
            **self.finding_figures(),
            "wishes_claimed": self.wishes_claimed,
            "wishes_fulfilled": self.wishes_fulfilled,
            "by_role": {r: acc.finding_figures() for r, acc in (self.roles or {}).items()},
        }


def _scope_households(state: State, grid: str | None) -> list[dict]:
    """Every household, or only those of one grid's buildings (cheap: no pass over the rest)."""
    if grid is None:
        return list(state.entities["household"].values())
    ix = views.index(state)
    return [h for bid, b in state.entities["building"].items() if b.get("grid") == grid
            for h in ix.households_by_building.get(bid, ())]


def _check_grid(state: State, grid: str | None) -> None:
    if grid is not None and grid not in state.entities["grid"]:
        raise model.ValidationError("office.unknown_grid", grid=grid, known=" ".join(sorted(state.entities["grid"])))


def _household_row(state: State, h: dict, grid: str | None) -> dict:
    return {
        "id": h["id"],
        "grid": grid,
        "building": h.get("building"),
        "building_name": views.building_label(state, h.get("building")),
        "unit": h.get("unit"),
        "floor": h.get("floor"),
        "room": h.get("room", ""),
        "head": model.mask_name(h.get("head", "")),  # masked here so no caller can leak it
    }


def _household_order(h: dict) -> tuple:
    return (str(h["grid"] or ""), str(h["building"] or ""), h["unit"] or 0, h["floor"] or 0, str(h["room"]))


# --- the report ---------------------------------------------------------------------------------


def summary(state: State, since: dt.date, until: dt.date, grid: str | None = None,
            intervals: dict[str, int] | None = None) -> dict:
    """Coverage and handling figures for the community (or one grid), per grid and per worker.

    Returns ``{"since", "until", "grid", "intervals", "total", "grids", "workers", "never_visited",
    "vulnerable"}``: ``total`` and each row of ``grids``/``workers`` carry ``level, id, name, grid,
    households, visits, visited, coverage, vulnerable, opened, closed, closure_rate, median_days,
    overdue, wishes_claimed, wishes_fulfilled, by_role`` (role → opened, closed, closure_rate,
    median_days, overdue). Rates are 0–1 rounded to 4 places, ``None`` when nothing to divide.
    ``never_visited`` and ``vulnerable`` list households (heads masked). With ``grid`` only that
    grid's households are read, so the worker app can ask for its own grid cheaply.
    """
    check_period(since, until)
    _check_grid(state, grid)
    ents = state.entities
    ix = views.index(state)
    lo, hi = since.isoformat(), until.isoformat()
    watched = watched_intervals(intervals)

    building_grid = {bid: b.get("grid") for bid, b in ents["building"].items()}
    grid_ids = [grid] if grid else sorted(ents["grid"])
    worker_grid = {wid: w.get("grid") for wid, w in ents["worker"].items() if not grid or w.get("grid") == grid}
    total = _Acc()
    grids = {g: _Acc() for g in grid_ids}
    workers = {w: _Acc() for w in sorted(worker_grid)}
    visits = ents["visit"]

    def worker_acc(wid: str | None) -> _Acc | None:
        if not wid:
            return None
        acc = workers.get(wid)
        if acc is None and wid not in ents["worker"] and wid != "office":
            acc = workers[wid] = _Acc()  # visits by someone the roster does not list: still shown
            worker_grid[wid] = None
        return acc

    never, vulnerable, household_grid = [], [], {}
    tally = _FindingTally(lo, hi)
    for h in _scope_households(state, grid):
        hid = h["id"]
        g = building_grid.get(h.get("building"))
        household_grid[hid] = g
        gacc = grids.get(g)
        scopes = (total, gacc) if gacc is not None else (total,)
        hvisits = ix.visits_by_household.get(hid, ())  # newest first
        visitors: set[str] = set()
        last_by_end = None
        for v in hvisits:
            d = _day(v.get("at"))
            if d > hi:
                continue
            if last_by_end is None:
                last_by_end = d
            if d < lo:
                break  # the rest are older still
            for acc in scopes:
                acc.visits += 1
            if (wacc := worker_acc(v.get("worker"))) is not None:
                wacc.visits += 1
            visitors.add(v.get("worker"))
        # Findings of every household, moved out or not: what was asked still counts.
        for f in ix.findings_by_household.get(hid, ()):
            tally.add(f, scopes, worker_acc(finding_worker(f, visits)))
        if h.get("moved_out"):
            continue
        for acc in scopes:
            acc.households += 1
        if visitors:
            for acc in scopes:
                acc.visited += 1
            for w in visitors:
                if w in workers and worker_grid.get(w) == g:
                    workers[w].visited += 1
        else:
            never.append({**_household_row(state, h, g), "last_visit": last_by_end})
        tags = [t for t in h.get("tags") or () if t in watched]
        if tags:
            interval = min(watched[t] for t in tags)
            since_last = (until - dt.date.fromisoformat(last_by_end)).days if last_by_end else None
            if since_last is None or since_last > interval:
                for acc in scopes:
                    acc.vulnerable += 1
                vulnerable.append({**_household_row(state, h, g), "tags": tags, "interval_days": interval,
                                   "last_visit": last_by_end, "days_since": since_last})

    tally.spread()
    for w in ents["wish"].values():
        hid = w.get("household")
        if hid not in household_grid:
            continue
        gacc = grids.get(household_grid[hid])
        finding = ents["finding"].get(w.get("finding") or "", {})
        wacc = worker_acc(finding_worker(finding, visits)) if finding else None
        states = {h.get("state") for h in w.get("history", ()) if lo <= change_day(h) <= hi}
        for acc in (total, gacc, wacc):
            if acc is not None:
                acc.wishes_claimed += "claimed" in states
                acc.wishes_fulfilled += "fulfilled" in states

    # A worker's households and vulnerable count are those of the grid they answer for.
    for w, acc in workers.items():
        gacc = grids.get(worker_grid.get(w))
        if gacc is not None:
            acc.households, acc.vulnerable = gacc.households, gacc.vulnerable

    community = next(iter(ents["community"].values()), {})
    if grid:
        g = ents["grid"][grid]
        total_row = total.row("grid", grid, g.get("name") or grid, grid)
    else:
        total_row = total.row("community", community.get("id"), community.get("name") or "", None)
    vulnerable.sort(key=lambda r: (str(r["grid"] or ""), r["days_since"] is not None,
                                   r["interval_days"] - (r["days_since"] or 0), _household_order(r)))
    never.sort(key=_household_order)
    return {
        "since": lo,
        "until": hi,
        "grid": grid,
        "intervals": watched,
        "total": total_row,
        "grids": [acc.row("grid", g, ents["grid"].get(g, {}).get("name") or g, g) for g, acc in grids.items()],
        "workers": [acc.row("worker", w, ents["worker"].get(w, {}).get("name") or w, worker_grid.get(w))
                    for w, acc in workers.items()],
        "never_visited": never,
        "vulnerable": vulnerable,
        "projects": [] if grid else projects(state, until, everything=False),
    }


def finding_worker(f: dict, visits: dict) -> str | None:
    return visits.get(f.get("visit") or "", {}).get("worker") or f.get("_by")


class _FindingTally:
    """Findings counted by what they add and where: one count per finding, spread over its scopes
    (the community, its grid, its worker, and the role within each) once all are counted. A street
    office's year has 500,000 findings; adding each to six sets of counters was a third of a report."""

    def __init__(self, lo: str, hi: str) -> None:
        self.lo, self.hi = lo, hi
        self.counts: dict[tuple, int] = {}
        self.days: dict[tuple, list[int]] = {}

    def add(self, f: dict, scopes: tuple, wacc: _Acc | None) -> None:
        lo, hi = self.lo, self.hi
        opened = _day(f.get("at"))
        if opened > hi:
            return
        role = f.get("role")
        status, done_day, rated = history_facts(f, lo, hi)
        overdue = status in model.OPEN_STATUSES and bool(f.get("due")) and f["due"][:10] < hi
        in_period = opened >= lo
        closed_in_period = done_day is not None and lo <= done_day <= hi
        key = (scopes, wacc, role, in_period, in_period and status in DONE_STATUSES, closed_in_period, overdue,
               bool(rated), rated in SATISFIED)
        self.counts[key] = self.counts.get(key, 0) + 1
        if closed_in_period:
            days = (dt.date.fromisoformat(done_day) - dt.date.fromisoformat(opened)).days
            self.days.setdefault((scopes, wacc, role), []).append(days)

    def spread(self) -> None:
        def each(scopes: tuple, wacc: _Acc | None, role: object):
            for acc in scopes if wacc is None else (*scopes, wacc):
                yield acc
                if (by_role := acc.roles.get(role)) is not None:
                    yield by_role

        for (scopes, wacc, role, opened, done, closed, overdue, rated, satisfied), n in self.counts.items():
            for a in each(scopes, wacc, role):
                a.opened += n * opened
                a.done_of_opened += n * done
                a.closed += n * closed
                a.overdue += n * overdue
                a.rated += n * rated
                a.satisfied += n * (rated and satisfied)
        for (scopes, wacc, role), days in self.days.items():
            for a in each(scopes, wacc, role):
                a.days.extend(days)


SATISFIED = frozenset({"satisfied", "basically"})  # 满意 and 基本满意 count toward 满意率


# --- what residents ask for ---------------------------------------------------------------------


def _place(state: State, h: dict, by: str) -> tuple[str | None, str]:
    b = state.entities["building"].get(h.get("building") or "", {})
    if by == "building":
        return h.get("building"), views.building_label(state, h.get("building"))
    if by == "compound":
        c = b.get("compound")
        return c, state.entities["compound"].get(c or "", {}).get("name") or c or ""
    g = b.get("grid")
    return g, state.entities["grid"].get(g or "", {}).get("name") or g or ""


def needs(state: State, since: dt.date, until: dt.date, grid: str | None = None, by: str | None = None,
          top: int = 10, examples: int = 2) -> list[dict]:
    """What residents asked for in the period, grouped by role and category (and place with ``by``:
    building, compound or grid), ranked by how many DISTINCT households asked — a household asking
    twice counts once. Each row: ``rank, role, category, place, place_name, households, findings,
    open`` (households with one still open or referred at the end of the period) and ``examples``
    (up to ``examples`` ``asked`` texts, those asked by the most households first). ``top`` rows at
    most (``None`` or 0: all)."""
    check_period(since, until)
    _check_grid(state, grid)
    if by is not None and by not in NEEDS_BY:
        raise model.ValidationError("report.bad_by", value=by)
    ix = views.index(state)
    lo, hi = since.isoformat(), until.isoformat()
    households = _scope_households(state, grid)
    groups: dict[tuple, dict] = {}
    for h in households:
        hid = h["id"]
        place = _place(state, h, by) if by else (None, "")
        for f in ix.findings_by_household.get(hid, ()):
            if not lo <= _day(f.get("at")) <= hi:
                continue
            key = (f.get("role"), f.get("category") or "other", place[0])
            g = groups.get(key)
            if g is None:
                g = groups[key] = {"place_name": place[1], "households": set(), "findings": 0, "open": set(),
                                   "asked": {}}
            g["households"].add(hid)
            g["findings"] += 1
            if status_at(f, hi) in model.OPEN_STATUSES:
                g["open"].add(hid)
            text = (f.get("asked") or "").strip()
            if text:
                g["asked"].setdefault(text, set()).add(hid)
    role_order = {r: i for i, r in enumerate(model.ROLES)}

    def cat_order(role: str, cat: str) -> int:
        cats = model.CATEGORIES.get(role, ())
        return cats.index(cat) if cat in cats else len(cats)

    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]["households"]), -kv[1]["findings"],
                                                    role_order.get(kv[0][0], 99), cat_order(kv[0][0], kv[0][1]),
                                                    str(kv[0][2] or "")))
    rows = []
    for i, ((role, category, place), g) in enumerate(ranked[:top or None], 1):
        texts = sorted(g["asked"].items(), key=lambda kv: (-len(kv[1]), kv[0]))
        rows.append({
            "rank": i,
            "role": role,
            "category": category,
            "place": place,
            "place_name": g["place_name"],
            "households": len(g["households"]),
            "findings": g["findings"],
            "open": len(g["open"]),
            "examples": [text for text, _ in texts[:examples]],
        })
    return rows


def need_households(state: State, since: dt.date, until: dt.date, role: str, category: str) -> list[str]:
    """The households that asked for this need (role, category) in the period, by id."""
    lo, hi = since.isoformat(), until.isoformat()
    ix = views.index(state)
    return sorted(hid for hid, found in ix.findings_by_household.items()
                  if any(f.get("role") == role and (f.get("category") or "other") == category
                         and lo <= _day(f.get("at")) <= hi for f in found))


# --- 一社区一年10件实事 ----------------------------------------------------------------------------


def projects(state: State, until: dt.date | None = None, everything: bool = True) -> list[dict]:
    """The year's projects as they stood at the end of ``until`` (all of them by default; without
    ``everything``, not the candidates nor the dropped): ``id, title, role, category, households,
    state, progress, adopted, done, note, changed``, adopted ones first, newest change first."""
    hi = until.isoformat() if until else "9999-12-31"
    out = []
    for p in state.entities["project"].values():
        if _day(p.get("at")) > hi:
            continue
        seen = [h for h in p.get("history", ()) if change_day(h) <= hi]
        st = seen[-1]["state"] if seen else "candidate"
        if not everything and st in ("candidate", "dropped"):
            continue
        progress = next((h["progress"] for h in reversed(seen) if "progress" in h), 100 if st == "done" else 0)
        out.append({"id": p["id"], "title": p.get("title"), "role": p.get("role"), "category": p.get("category"),
                    "households": len(p.get("households") or ()), "state": st, "progress": progress,
                    "adopted": next((change_day(h) for h in seen if h.get("state") == "adopted"), None),
                    "done": next((change_day(h) for h in seen if h.get("state") == "done"), None),
                    "note": next((h.get("note") for h in reversed(seen) if h.get("note")), ""),
                    "changed": change_day(seen[-1]) if seen else _day(p.get("at"))})
    order = {s: i for i, s in enumerate(("in_progress", "adopted", "done", "candidate", "dropped"))}
    out.sort(key=lambda r: r["id"])
    out.sort(key=lambda r: r["changed"], reverse=True)  # newest change first within a state
    out.sort(key=lambda r: order[r["state"]])
    return out


# --- flat forms for CSV -------------------------------------------------------------------------

ROW_KEYS = ("level", "id", "name", "grid", "households", "visits", "visited", "coverage", "vulnerable", "opened",
            "closed", "closure_rate", "median_days", "overdue", "rated", "satisfaction_rate", "wishes_claimed",
            "wishes_fulfilled")


def summary_rows(result: dict) -> list[dict]:
    """The summary's rows (total, grids, workers) flattened for a spreadsheet: :data:`ROW_KEYS`, then
    ``opened.<role>`` and ``closed.<role>`` for each of the seven roles, in :data:`model.ROLES` order."""
    rows = [result["total"]]
    if not result.get("grid"):
        rows += result["grids"]
    rows += result["workers"]
    out = []
    for r in rows:
        flat = {k: r[k] for k in ROW_KEYS}
        for role in model.ROLES:
            flat[f"opened.{role}"] = r["by_role"][role]["opened"]
        for role in model.ROLES:
            flat[f"closed.{role}"] = r["by_role"][role]["closed"]
        out.append(flat)
    return out


# --- referral units: the community "whistles", departments report (吹哨报到) ----------------------


def referrals(state: State, since: dt.date, until: dt.date, units: Iterable[str] = ()) -> list[dict]:
    """How each unit findings were referred to (转办) handled them: one row per unit, the office's
    list of ``units`` first met with nothing (a unit referred nothing is still scored).

    A **referral** is a change to ``referred`` dated in the period, naming the unit. It is
    **closed** when a change to resolved or closed follows it by ``until``; **days** run from the
    referral's date to that change. **Open past due**: not closed by ``until``, the finding still
    with that unit then, and its follow-up date before ``until``. **Satisfaction**: what the
    resident said at the return visit that closed it (满意率 as in :func:`summary`).

    Rows: ``unit, referred, closed, median_days, worst_days, open_overdue, rated, satisfied,
    basically, dissatisfied, satisfaction_rate``; most referred first.
    """
    check_period(since, until)
    lo, hi = since.isoformat(), until.isoformat()
    rows: dict[str, dict] = {}

    def row(unit: str) -> dict:
        if unit not in rows:
            rows[unit] = {"unit": unit, "referred": 0, "closed": 0, "days": [], "open_overdue": 0,
                          **{s: 0 for s in model.SATISFACTION}}
        return rows[unit]

    for unit in units:
        row(unit)
    visits = state.entities["visit"]
    for f in state.entities["finding"].values():
        if not views.counts(f, visits):
            continue
        history = f.get("history", ())
        for i, h in enumerate(history):
            if h.get("status") != "referred" or not h.get("to") or not lo <= change_day(h) <= hi:
                continue
            r = row(h["to"])
            r["referred"] += 1
            start = change_day(h)
            end = next((later for later in history[i + 1:] if later.get("status") in DONE_STATUSES
                        and change_day(later) <= hi), None)
            if end is not None:
                r["closed"] += 1
                r["days"].append((dt.date.fromisoformat(change_day(end)) - dt.date.fromisoformat(start)).days)
                if end.get("satisfaction") in r:
                    r[end["satisfaction"]] += 1
            else:
                still = [x for x in history[i + 1:] if x.get("status") and change_day(x) <= hi]
                if not still and f.get("due") and f["due"][:10] < hi:
                    r["open_overdue"] += 1
    out = []
    for r in rows.values():
        days = r.pop("days")
        rated = sum(r[s] for s in model.SATISFACTION)
        out.append({**r, "median_days": _median(days), "worst_days": max(days) if days else None, "rated": rated,
                    "satisfaction_rate": rate(sum(r[s] for s in SATISFIED), rated)})
    out.sort(key=lambda r: (-r["referred"], r["unit"]))
    return out
