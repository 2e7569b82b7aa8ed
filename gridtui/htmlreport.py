"""The monthly report as one printable page for the 社区书记 (``office report --format html``). Pure:
the figures in (what ``--format json`` prints, and the referral scorecard), HTML out.

One self-contained file: no script, no font, no stylesheet or image from anywhere (a Content
Security Policy says so to the browser too), so it opens the same on the office PC offline and
prints on A4. The charts are plain SVG drawn here: a handful of bars need no library, and the
chart libraries that render SVG in Python (pygal and the like) link their own JavaScript from the
web by default. Every figure also stands in a table beside its chart, marked ``data-figure`` with
the JSON path it comes from, so a test can check the page against the JSON.
"""

from __future__ import annotations

from html import escape

from . import model
from .i18n import name, t
from .render import days as _num, pct as _pct

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 20px 0 8px; border-bottom: 2px solid #446; }
.period { color: #555; margin-bottom: 12px; }
.row { display: flex; gap: 16px; align-items: flex-start; flex-wrap: wrap; }
table { border-collapse: collapse; font-size: 13px; } th, td { border: 1px solid #bbb; padding: 3px 8px; }
th { background: #eef; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
svg text { font-size: 11px; } .note { color: #555; font-size: 12px; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { margin: 0; } h2 { break-after: avoid; } .row, table, svg { break-inside: avoid; }
}
"""


def _cell(value: str, path: str, numeric: bool = True) -> str:
    return f'<td class="{"n" if numeric else ""}" data-figure="{escape(path)}">{escape(value)}</td>'


def bars(items: list[tuple[str, float | None]], scale: float, unit: str = "", width: int = 360) -> str:
    """A horizontal bar chart: one labelled bar per (label, value); ``scale`` is the full bar's value."""
    row, left = 22, 110
    height = row * len(items) + 8
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        length = 0 if not value or not scale else max(1, round((width - left - 60) * min(value / scale, 1)))
        out.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{escape(label[:10])}</text>')
        out.append(f'<rect x="{left}" y="{y + 3}" width="{length}" height="{row - 8}" fill="#4a6fa5"/>')
        shown = "-" if value is None else (f"{value * 100:.0f}%" if unit == "%" else f"{value:g}{unit}")
        out.append(f'<text x="{left + length + 4}" y="{y + 14}">{escape(shown)}</text>')
    out.append("</svg>")
    return "".join(out)


def pairs(items: list[tuple[str, int, int]], legend: tuple[str, str], width: int = 420) -> str:
    """Two bars per label (opened, closed), one colour each."""
    row, left = 30, 70
    height = row * len(items) + 28
    top = max([max(a, b) for _, a, b in items] + [1])
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
           f'<rect x="{left}" y="4" width="10" height="10" fill="#4a6fa5"/><text x="{left + 14}" y="13">'
           f'{escape(legend[0])}</text>',
           f'<rect x="{left + 90}" y="4" width="10" height="10" fill="#e08a3c"/><text x="{left + 104}" y="13">'
           f'{escape(legend[1])}</text>']
    for i, (label, a, b) in enumerate(items):
        y = 22 + i * row
        out.append(f'<text x="{left - 6}" y="{y + 16}" text-anchor="end">{escape(label)}</text>')
        for j, (value, colour) in enumerate(((a, "#4a6fa5"), (b, "#e08a3c"))):
            length = round((width - left - 40) * value / top)
            out.append(f'<rect x="{left}" y="{y + 2 + j * 12}" width="{length}" height="10" fill="{colour}"/>')
            out.append(f'<text x="{left + length + 4}" y="{y + 11 + j * 12}">{value}</text>')
    out.append("</svg>")
    return "".join(out)


def _table(head: list[str], rows: list[str]) -> str:
    return "<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>" + "".join(rows) + "</table>"


def page(res: dict, referrals: list[dict], title_scope: str) -> str:
    """The whole page: ``res`` as :func:`gridtui.report.summary` gives it (``--format json``)."""
    total, grids = res["total"], res["grids"]
    parts = [f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
             f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
             f"<title>{escape(t('html.title', scope=title_scope))}</title><style>{STYLE}</style></head><body>",
             f"<h1>{escape(t('html.title', scope=title_scope))}</h1>",
             f'<div class="period">{escape(t("html.period", since=res["since"], until=res["until"]))}</div>']

    # Coverage by grid.
    parts.append(f"<h2>{escape(t('report.visits_heading'))}</h2><div class='row'>")
    parts.append(bars([(g["name"], g["coverage"]) for g in grids] or [(total["name"], total["coverage"])], 1.0, "%"))
    scopes = [("total", total)] + [(f"grids.{i}", g) for i, g in enumerate(grids)]
    parts.append(_table([t(f"report.col.{c}") for c in ("scope", "households", "visits", "visited", "coverage",
                                                         "vulnerable")],
                        [f"<tr><td>{escape(r['name'] or r['id'] or '')}</td>" + _cell(str(r["households"]), f"{p}.households")
                         + _cell(str(r["visits"]), f"{p}.visits") + _cell(str(r["visited"]), f"{p}.visited")
                         + _cell(_pct(r["coverage"]), f"{p}.coverage") + _cell(str(r["vulnerable"]), f"{p}.vulnerable")
                         + "</tr>" for p, r in scopes]))
    parts.append("</div>")

    # Findings opened and closed by role, with 办结率 and 满意率.
    roles = total["by_role"]
    parts.append(f"<h2>{escape(t('html.roles_heading'))}</h2><div class='row'>")
    parts.append(pairs([(name("role", r), f["opened"], f["closed"]) for r, f in roles.items()],
                       (t("report.col.opened"), t("report.col.closed"))))
    parts.append(_table([t(f"report.col.{c}") for c in ("role", "opened", "closed", "closure_rate", "median_days",
                                                         "overdue", "satisfaction_rate")],
                        [f"<tr><td>{escape(name('role', r))}</td>"
                         + _cell(str(f["opened"]), f"total.by_role.{r}.opened")
                         + _cell(str(f["closed"]), f"total.by_role.{r}.closed")
                         + _cell(_pct(f["closure_rate"]), f"total.by_role.{r}.closure_rate")
                         + _cell(_num(f["median_days"]), f"total.by_role.{r}.median_days")
                         + _cell(str(f["overdue"]), f"total.by_role.{r}.overdue")
                         + _cell(_pct(f["satisfaction_rate"]), f"total.by_role.{r}.satisfaction_rate") + "</tr>"
                         for r, f in roles.items()]
                        + [f"<tr><th>{escape(t('html.all_roles'))}</th>" + _cell(str(total["opened"]), "total.opened")
                           + _cell(str(total["closed"]), "total.closed")
                           + _cell(_pct(total["closure_rate"]), "total.closure_rate")
                           + _cell(_num(total["median_days"]), "total.median_days")
                           + _cell(str(total["overdue"]), "total.overdue")
                           + _cell(_pct(total["satisfaction_rate"]), "total.satisfaction_rate") + "</tr>"]))
    parts.append("</div>")

    # Satisfaction by role (only the roles with a return visit rated).
    rated = [(name("role", r), f["satisfaction_rate"]) for r, f in roles.items() if f["rated"]]
    if rated:
        parts.append(f"<h2>{escape(t('html.satisfaction_heading'))}</h2><div class='row'>")
        parts.append(bars(rated, 1.0, "%"))
        parts.append(f"<p class='note'>{escape(t('report.note.satisfaction'))}</p></div>")

    # Referral units: days to close.
    if referrals:
        parts.append(f"<h2>{escape(t('html.referrals_heading'))}</h2><div class='row'>")
        worst = max([r["worst_days"] or 0 for r in referrals] + [1])
        parts.append(bars([(r["unit"], r["median_days"]) for r in referrals], worst, t("html.days")))
        parts.append(_table([t(f"referrals.col.{k}") for k in ("unit", "referred", "closed", "median_days",
                                                                "worst_days", "open_overdue", "satisfaction_rate")],
                            [f"<tr><td>{escape(r['unit'])}</td>" + _cell(str(r["referred"]), f"referrals.{i}.referred")
                             + _cell(str(r["closed"]), f"referrals.{i}.closed")
                             + _cell(_num(r["median_days"]), f"referrals.{i}.median_days")
                             + _cell(_num(r["worst_days"]), f"referrals.{i}.worst_days")
                             + _cell(str(r["open_overdue"]), f"referrals.{i}.open_overdue")
                             + _cell(_pct(r["satisfaction_rate"]), f"referrals.{i}.satisfaction_rate") + "</tr>"
                             for i, r in enumerate(referrals)]))
        parts.append("</div>")

    # The year's projects.
    if res.get("projects"):
        parts.append(f"<h2>{escape(t('report.projects_heading'))}</h2>")
        parts.append(_table([t(f"projects.col.{k}") for k in ("title", "state", "progress", "households", "note")],
                            [f"<tr><td>{escape(p['title'] or '')}</td><td>{escape(name('project_state', p['state']))}</td>"
                             + _cell(f"{p['progress']}%", f"projects.{i}.progress")
                             + _cell(str(p["households"]), f"projects.{i}.households")
                             + f"<td>{escape(p['note'] or '')}</td></tr>" for i, p in enumerate(res["projects"])]))

    notes = [t(f"report.note.{k}") for k in ("coverage", "closure", "median", "overdue")]
    parts.append("<h2></h2>" + "".join(f"<p class='note'>{escape(n)}</p>" for n in notes))
    parts.append(f"<p class='note'>{escape(t('html.roles_note', n=len(model.ROLES)))}</p></body></html>")
    return "\n".join(parts)
