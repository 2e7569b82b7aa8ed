"""The quarterly ledgers a community office hands upward (台账), as rows. Pure: state and dates in,
rows out; no I/O, no openpyxl (gridtui.office.workbook writes them), no i18n (codes and ids).

- **走访台账**, one list per duty role: the findings of that role recorded in the quarter — date,
  place, household, 诉求, 措施, 结果 (what the last change by the quarter's end said), status at the
  quarter's end, worker.
- **民情日记**, one per worker: their visits in the quarter, each with what was found.
- **网格员考核**, one row per worker: 巡查覆盖率 (households of their grid they visited ÷ households),
  findings raised, closed on time (done by the follow-up date, or within the quarter when it had
  none), and 满意率 — the figures of :func:`gridtui.report.summary` for the same period.

Households are masked unless ``sensitive`` (as ``office export``); voided visits count nowhere.
"""

from __future__ import annotations

import datetime as dt
import re

from . import model, privacy, report, views
from .events import State

_QUARTER_RE = re.compile(r"(\d{4})\s*[Qq]([1-4])")


def quarter(text: str) -> tuple[dt.date, dt.date]:
    """``2026Q4`` → (2026-10-01, 2026-12-31)."""
    m = _QUARTER_RE.fullmatch((text or "").strip())
    if m is None:
        raise model.ValidationError("ledger.bad_quarter", value=text)
    year, q = int(m.group(1)), int(m.group(2))
    start = dt.date(year, 3 * q - 2, 1)
    end = dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - dt.timedelta(days=1)
    return start, end


class _Doors:
    """Each household's place and (masked) resident, worked out once: a quarter's diary names the
    same doors thousands of times."""

    def __init__(self, state: State, sensitive: bool) -> None:
        self.state, self.sensitive = state, sensitive
        self._seen: dict[str | None, tuple[str, str]] = {}

    def __call__(self, hid: str | None) -> tuple[str, str]:
        got = self._seen.get(hid)
        if got is None:
            got = self._seen[hid] = (_place(self.state, hid), _resident(self.state, hid, self.sensitive))
        return got


def _place(state: State, hid: str | None) -> str:
    h = state.entities["household"].get(hid or "", {})
    b = state.entities["building"].get(h.get("building") or "", {})
    room = f"{h.get('unit')}-{h.get('room')}" if h.get("unit") is not None else str(h.get("room") or "")
    return f"{b.get('name') or h.get('building') or ''} {room}".strip()


def _resident(state: State, hid: str | None, sensitive: bool) -> str:
    h = state.entities["household"].get(hid or "", {})
    if not sensitive:
        h = privacy.masked_record("household", h)
    return h.get("head") or ""


def _last_change(f: dict, hi: str) -> dict:
    """The finding's last status change by the end of day ``hi`` (an empty dict if none)."""
    last: dict = {}
    for h in f.get("history", ()):
        if h.get("status") and report.change_day(h) <= hi:
            last = h
    return last


def role_rows(state: State, since: dt.date, until: dt.date, sensitive: bool = False) -> dict[str, list[dict]]:
    """走访台账: role → its findings recorded in the period, oldest first."""
    lo, hi = since.isoformat(), until.isoformat()
    visits, workers = state.entities["visit"], state.entities["worker"]
    door = _Doors(state, sensitive)
    out: dict[str, list[dict]] = {r: [] for r in model.ROLES}
    for f in state.entities["finding"].values():
        day = (f.get("at") or "")[:10]
        if not lo <= day <= hi or not views.counts(f, visits) or f.get("role") not in out:
            continue
        last = _last_change(f, hi)
        wid = report.finding_worker(f, visits)
        place, resident = door(f.get("household"))
        out[f["role"]].append({
            "id": f["id"], "date": day, "place": place, "household": resident, "category": f.get("category"),
            "asked": f.get("asked") or "", "action": f.get("action") or "",
            "result": last.get("note") or "", "to": last.get("to") or "", "status": report.status_at(f, hi),
            "satisfaction": last.get("satisfaction"), "due": f.get("due"),
            "worker": workers.get(wid or "", {}).get("name") or wid or "",
        })
    for rows in out.values():
        rows.sort(key=lambda r: (r["date"], r["id"]))
    return out


def diary_rows(state: State, since: dt.date, until: dt.date, sensitive: bool = False) -> dict[str, list[dict]]:
    """民情日记: worker id → their visits in the period, oldest first, with what each found."""
    lo, hi = since.isoformat(), until.isoformat()
    found: dict[str, list[dict]] = {}
    for f in state.entities["finding"].values():
        found.setdefault(f.get("visit") or "", []).append(f)
    out: dict[str, list[dict]] = {}
    door = _Doors(state, sensitive)
    for v in state.entities["visit"].values():
        day = (v.get("at") or "")[:10]
        if v.get("void") or not lo <= day <= hi or not v.get("worker"):
            continue
        place, resident = door(v.get("household"))
        out.setdefault(v["worker"], []).append({
            "id": v["id"], "at": (v.get("at") or "")[:16].replace("T", " "), "date": day,
            "place": place, "household": resident,
            "mode": v.get("mode"), "outcome": v.get("outcome"), "note": v.get("note") or "",
            "findings": [(f.get("role"), f.get("category"), f.get("asked") or "")
                         for f in sorted(found.get(v["id"], ()), key=lambda f: f["id"])],
        })
    for rows in out.values():
        rows.sort(key=lambda r: (r["at"], r["id"]))
    return out


def on_time(f: dict, hi: str) -> bool:
    """Done by its follow-up date (or, with none, by the end of the period)."""
    done = report.first_done_day(f)
    return done is not None and done <= min((f.get("due") or hi)[:10], hi)


def assessment_rows(state: State, since: dt.date, until: dt.date) -> list[dict]:
    """网格员考核: one row per worker, with the report's figures for the period."""
    res = report.summary(state, since, until)
    lo, hi = since.isoformat(), until.isoformat()
    visits = state.entities["visit"]
    timely: dict[str, int] = {}
    for f in state.entities["finding"].values():
        if lo <= (f.get("at") or "")[:10] <= hi and views.counts(f, visits) and on_time(f, hi):
            wid = report.finding_worker(f, visits)
            timely[wid or ""] = timely.get(wid or "", 0) + 1
    grids = state.entities["grid"]
    return [{"worker": r["id"], "name": r["name"], "grid": r["grid"],
             "grid_name": grids.get(r["grid"] or "", {}).get("name") or r["grid"] or "",
             "households": r["households"], "visited": r["visited"], "coverage": r["coverage"],
             "visits": r["visits"], "raised": r["opened"], "closed_on_time": timely.get(r["id"], 0),
             "on_time_rate": report.rate(timely.get(r["id"], 0), r["opened"]),
             "rated": r["rated"], "satisfaction_rate": r["satisfaction_rate"]}
            for r in res["workers"]]
