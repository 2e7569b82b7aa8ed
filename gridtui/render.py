"""What a command prints, made from what the views and the report computed: tables that fit 80
columns, CSV for Excel, the lines of a merge. Pure — results in, text out — so the command line
stays thin and the TUI's summary says the same as the office's report."""

from __future__ import annotations

import json

from . import i18n, model
from .csvtext import csv_text
from .events import Conflict
from .i18n import t
from .textfmt import WIDTH, cell_width, clean, table, truncate, wrap


def tag_names(tags: list[str]) -> str:
    return t("ui.list_sep").join(i18n.name("tag", x) for x in tags)


def room(row: dict) -> str:
    return f"{row['unit'] or ''}-{row['room']}"


# --- the office's report and needs ----------------------------------------------------------------


def pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def days(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}".rstrip("0").rstrip(".")


def scope_label(row: dict) -> str:
    if row["level"] == "community":
        return truncate(row["name"] or t("report.level.community"), 16)
    return truncate(row["id"] if row["name"] in ("", row["id"]) else f"{row['id']} {row['name']}", 16)


def report_table(res: dict, never: bool, vulnerable: bool) -> str:
    total = res["total"]
    levels = [[total]] + ([res["grids"]] if not res["grid"] else []) + [res["workers"]]
    out = [t("report.title", scope=scope_label(total), since=res["since"], until=res["until"]), ""]

    def sections(cells) -> list[list[str]]:  # noqa: ANN001
        body: list[list[str]] = []
        for level in levels:
            if not level:
                continue
            if body:
                body.append([""] * len(body[0]))
            body += [cells(r) for r in level]
        return body

    out.append(t("report.visits_heading"))
    out.append(table([t(f"report.col.{c}") for c in ("scope", "households", "visits", "visited", "coverage",
                                                      "vulnerable")],
                     sections(lambda r: [scope_label(r), str(r["households"]), str(r["visits"]), str(r["visited"]),
                                         pct(r["coverage"]), str(r["vulnerable"])])))
    out += ["", t("report.findings_heading")]
    out.append(table([t(f"report.col.{c}") for c in ("scope", "opened", "closed", "closure_rate", "median_days",
                                                      "overdue", "satisfaction_rate", "wishes_claimed",
                                                      "wishes_fulfilled")],
                     sections(lambda r: [scope_label(r), str(r["opened"]), str(r["closed"]), pct(r["closure_rate"]),
                                         days(r["median_days"]), str(r["overdue"]), pct(r["satisfaction_rate"]),
                                         str(r["wishes_claimed"]), str(r["wishes_fulfilled"])])))
    out += ["", t("report.roles_heading", scope=scope_label(total))]
    out.append(table([t(f"report.col.{c}") for c in ("role", "opened", "closed", "closure_rate", "median_days",
                                                      "overdue", "satisfaction_rate")],
                     [[i18n.name("role", role), str(f["opened"]), str(f["closed"]), pct(f["closure_rate"]),
                       days(f["median_days"]), str(f["overdue"]), pct(f["satisfaction_rate"])]
                      for role, f in total["by_role"].items()]))
    if res.get("projects"):
        out += ["", t("report.projects_heading"), projects_table(res["projects"])]
    if never:
        out += ["", t("report.never_heading", n=len(res["never_visited"]))]
        out.append(table([t(f"report.col.{c}") for c in ("id", "grid", "building", "unit_room", "head", "last_visit")],
                         [[h["id"], h["grid"] or "", truncate(h["building_name"], 16), f"{h['unit'] or ''}-{h['room']}",
                           h["head"], h["last_visit"] or t("report.never_visited_yet")]
                          for h in res["never_visited"]]) if res["never_visited"] else t("report.none"))
    if vulnerable:
        out += ["", t("report.vulnerable_heading", n=len(res["vulnerable"]))]
        out.append(table([t(f"report.col.{c}") for c in ("id", "grid", "building", "unit_room", "head", "tags",
                                                          "since_interval")],
                         [[h["id"], h["grid"] or "", truncate(h["building_name"], 14), f"{h['unit'] or ''}-{h['room']}",
                           h["head"], truncate(t("ui.list_sep").join(i18n.name("tag", x) for x in h["tags"]), 10),
                           f"{'-' if h['days_since'] is None else h['days_since']}/{h['interval_days']}"]
                          for h in res["vulnerable"]]) if res["vulnerable"] else t("report.none"))
    notes = [t(f"report.note.{k}") for k in ("coverage", "closure", "median", "overdue", "satisfaction")]
    intervals = t("ui.list_sep").join(t("report.note.interval", tag=i18n.name("tag", tag), days=d)
                                      for tag, d in res["intervals"].items())
    notes += [t("report.note.vulnerable", intervals=intervals), t("report.note.worker")]
    out.append("")
    out += [line for note in notes for line in wrap(note, WIDTH - 2)]
    return "\n".join(out)


def report_csv(res: dict, never: bool, vulnerable: bool) -> str:
    """One table: the summary rows, or with ``never`` / ``vulnerable`` that list of households."""
    if never or vulnerable:
        lst, keys = (res["never_visited"], ("id", "grid", "building_name", "unit", "room", "head", "last_visit")) \
            if never else (res["vulnerable"], ("id", "grid", "building_name", "unit", "room", "head", "tags",
                                               "interval_days", "last_visit", "days_since"))
        header = [t("report.col.building" if k == "building_name" else f"report.col.{k}") for k in keys]
        return csv_text(header, [[tag_names(h[k]) if k == "tags" else h[k] for k in keys] for h in lst])
    from .report import summary_rows

    flat = summary_rows(res)
    keys = list(flat[0])
    header = [t(f"report.col.{k}") if "." not in k else
              t(f"report.col.role_{k.split('.')[0]}", role=i18n.name("role", k.split(".")[1])) for k in keys]
    return csv_text(header, [[t(f"report.level.{v}") if k == "level" else v for k, v in r.items()] for r in flat])


def report_json(res: dict, never: bool, vulnerable: bool) -> str:
    data = {k: v for k, v in res.items() if (k != "never_visited" or never) and (k != "vulnerable" or vulnerable)}
    return json.dumps(data, ensure_ascii=False, indent=1)


def name_needs(rows: list[dict]) -> list[dict]:
    """The rows of report.needs with their role's and category's names."""
    return [{**r, "role_name": i18n.name("role", r["role"]), "category_name": i18n.cat_name(r["role"], r["category"])}
            for r in rows]


def needs_csv(rows: list[dict], by: str | None) -> str:
    keys = ["rank", "role_name", "category_name"] + (["place", "place_name"] if by else []) + \
           ["households", "findings", "open"]
    header = [t(f"report.col.{k}") for k in keys] + [t("report.col.example", n=i) for i in (1, 2)]
    return csv_text(header, [[r[k] for k in keys] + (r["examples"] + ["", ""])[:2] for r in rows])


def needs_table(rows: list[dict], by: str | None, since: str, until: str, scope: str) -> str:
    header = [t(f"report.col.{k}") for k in ("rank", "role", "category")] + \
             ([t("report.col.place_name")] if by else []) + \
             [t(f"report.col.{k}") for k in ("needs_households", "findings", "open")]
    body = [[str(r["rank"]), r["role_name"], r["category_name"]] + ([r["place_name"]] if by else []) +
            [str(r["households"]), str(r["findings"]), str(r["open"])] for r in rows]
    lines = [*wrap(t("report.needs_title", since=since, until=until), WIDTH - 2),
             t("report.needs_scope", scope=scope), ""]
    if not rows:
        lines.append(t("report.none"))
    else:
        rendered = table(header, body).split("\n")
        lines += rendered[:2]
        indent = " " * (cell_width(rendered[1].split(" ")[0]) + 2)
        for line, r in zip(rendered[2:], rows):
            lines.append(line)
            if r["examples"]:
                example = t("report.examples_line", examples=t("report.examples_sep").join(r["examples"]))
                lines.append(indent + truncate(example, WIDTH - len(indent)))
    lines.append("")
    return "\n".join(lines + wrap(t("report.needs_hint"), WIDTH - 2))


def summary_lines(total: dict) -> list[str]:
    """The three lines of figures the TUI's summary shows for the worker's grid."""
    return [
        t("ui.summary.coverage", visited=total["visited"], households=total["households"],
          pct=pct(total["coverage"]), visits=total["visits"]),
        t("ui.summary.findings", opened=total["opened"], closed=total["closed"], rate=pct(total["closure_rate"]),
          days=days(total["median_days"]), overdue=total["overdue"]),
        t("ui.summary.care", n=total["vulnerable"], claimed=total["wishes_claimed"],
          fulfilled=total["wishes_fulfilled"]),
    ]


# --- lists of records -------------------------------------------------------------------------------


def findings_table(rows: list[dict]) -> str:
    """The office's findings, with the short ids a secretary types back into resolve and refer."""
    headers = [t(f"cli.col.{c}") for c in ("id", "building", "room", "role", "asked", "due", "status")]
    body = [[r.get("short") or r["id"], r["building"], room(r), i18n.name("role", r["role"]), r["asked"],
             r["due"] or "", i18n.name("status", r["status"])] for r in rows]
    return table(headers, body, keep=(0, 2, 5))  # what is typed back, and where to knock


def findings_json(rows: list[dict]) -> str:
    return json.dumps([{k: v for k, v in r.items() if k != "head"} for r in rows], ensure_ascii=False, indent=1)


def households_table(rows: list[dict], reveal: bool) -> str:
    headers = [t(f"cli.col.{c}") for c in ("id", "building", "room", "head", "tags", "last", "outcome", "open")]
    body = [[r["id"], r["building"], room(r), r["head"] if reveal else model.mask_name(r["head"]),
             t("ui.list_sep").join(filter(None, [i18n.name("fact", "moved_out") if r.get("moved_out") else "",
                                                 tag_names(r["tags"])])),
             r["last_visit"] or "-", i18n.name("outcome", r["last_outcome"]) if r["last_outcome"] else "",
             str(r["open"])] for r in rows]
    return table(headers, body, keep=(0, 2))


def households_json(rows: list[dict], reveal: bool) -> str:
    if not reveal:
        rows = [{**r, "head": model.mask_name(r["head"])} for r in rows]
    return json.dumps(rows, ensure_ascii=False, indent=1)


def due_table(items: list[dict], reveal: bool) -> str:
    body = []
    for i in items:
        r = i["row"]
        what = tag_names(r["tags"]) if i["kind"] == "household" else f"{i18n.name('role', r['role'])}·{r['asked']}"
        late = t("ui.today.never_met") if i["late"] is None else t("ui.today.late", n=i["late"])
        if i["knocks"]:
            late += "·" + t("cli.knocks", n=i["knocks"])
        body.append([i["id"], t(f"ui.today.{i['kind']}"), r["building"], room(r),
                     r["head"] if reveal else model.mask_name(r["head"]), what, late])
    headers = [t(f"cli.col.{c}") for c in ("id", "kind", "building", "room", "head", "what", "late")]
    return table(headers, body, keep=(0, 3)) if body else t("cli.nothing_due")


def due_json(items: list[dict], reveal: bool) -> str:
    out = []
    for i in items:
        row = dict(i["row"])
        row["head"] = row["head"] if reveal else model.mask_name(row.get("head", ""))
        out.append({"kind": i["kind"], "id": i["id"], "household": i["household"], "days_late": i["late"],
                    "unanswered": i["knocks"], **{k: v for k, v in row.items() if k not in ("history", "id")}})
    return json.dumps(out, ensure_ascii=False, indent=1)


# --- the merge's lines --------------------------------------------------------------------------------

# Fields whose values are codes of a vocabulary, and the i18n group naming them.
_VALUE_NAMES = {"status": "status", "state": "wish", "satisfaction": "satisfaction", "role": "role",
                "outcome": "outcome", "mode": "mode", "triage": "triage"}


def _field_value(field: str, value: object) -> str:
    if field in _VALUE_NAMES and isinstance(value, str):
        return i18n.name(_VALUE_NAMES[field], value)
    if field == "tags" and isinstance(value, list):
        return tag_names([str(v) for v in value])
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _field_name(field: str) -> str:
    return i18n.name("ui.f", field)


def conflict_line(c: Conflict) -> str:
    """Two changes that did not see each other: which record, which fields, whose value was kept.
    Values come from files anybody could have written: never raw to the terminal."""
    fields = c.field.split(", ")
    return t("office.conflict_line", kind=i18n.name("kind", c.kind), id=clean(c.eid),
             field=t("ui.list_sep").join(_field_name(f) for f in fields),
             kept=clean(" / ".join(_field_value(f, c.kept["data"][f]) for f in fields)), kept_by=clean(str(c.kept["by"])),
             other=clean(" / ".join(_field_value(f, c.other["data"][f]) for f in fields)),
             other_by=clean(str(c.other["by"])))


# --- the roster kept true: imports and duplicates ------------------------------------------------------


def _place(h: dict, buildings: dict[str, dict]) -> tuple[str, str]:
    return buildings.get(h.get("building"), {}).get("name", h.get("building", "")), room(
        {"unit": h.get("unit"), "room": h.get("room", "")})


def roster_import_table(imp) -> str:  # noqa: ANN001 - office.commands.RosterImport
    """What a roster import changes: one line a household, personal data masked, flags beside."""
    d, buildings = imp.diff, imp.buildings
    out = [t("roster.diff_summary", new=len(d.new), changed=len(d.changed), moved_out=len(d.moved_out),
             moved_in=len(d.moved_in), buildings=len(d.buildings))]
    rows = []
    what = {h["id"]: t("roster.diff.new") for h in d.new}
    what.update({c["id"]: t("ui.list_sep").join(_field_name(f) for f in c["fields"]) for c in d.changed})
    what.update({hid: t("roster.diff.moved_in") for hid in d.moved_in if hid not in what})
    what.update({hid: t("roster.diff.moved_out") for hid in d.moved_out})
    kinds = {**{h["id"]: "new" for h in d.new}, **{c["id"]: "changed" for c in d.changed},
             **{hid: "moved_in" for hid in d.moved_in}, **{hid: "moved_out" for hid in d.moved_out}}
    for hid, kind in kinds.items():
        h = imp.names.get(hid, {})
        building, where = _place(h, buildings)
        flags = t("ui.list_sep").join(t(f"roster.flag.{f}") for f in d.flags.get(hid, ()))
        rows.append([hid, t(f"roster.kind.{kind}"), building, where, model.mask_name(h.get("head", "")),
                     what[hid], flags])
    if rows:
        out.append(table([t(f"cli.col.{c}") for c in ("id", "kind", "building", "room", "head", "what", "flag")],
                         rows, keep=(0, 3)))
    for b in d.buildings:
        out.append(t("roster.diff.building", id=b["id"], name=b["name"], grid=b["grid"]))
    for bid in d.regridded:
        out.append(t("roster.diff.regridded", id=bid, name=buildings.get(bid, {}).get("name", bid)))
    if d.flags:
        out.append(t("roster.flags_note", n=len(d.flags)))
    out += duplicate_lines(imp.duplicates, imp.names)
    if imp.applied:
        out.append(t("roster.applied"))
    elif not d.empty:
        out.append(t("roster.dry_run"))
    else:
        out.append(t("roster.nothing"))
    return "\n".join(_fit(out))


def _fit(lines: list[str]) -> list[str]:
    """Sentences wrapped to the width; tables, whose lines fit already, left as they are."""
    out: list[str] = []
    for block in lines:
        for line in block.split("\n"):
            out += [line] if cell_width(line) <= WIDTH else wrap(line, WIDTH, subsequent_indent="  ")
    return out


def roster_import_json(imp) -> str:  # noqa: ANN001 - office.commands.RosterImport
    """Ids and field names only: no resident's name or number leaves in a script's output."""
    d = imp.diff
    return json.dumps({
        "new": [h["id"] for h in d.new],
        "changed": [{"id": c["id"], "fields": c["fields"]} for c in d.changed],
        "moved_out": d.moved_out,
        "moved_in": d.moved_in,
        "buildings": [{"id": b["id"], "name": b["name"], "grid": b["grid"]} for b in d.buildings],
        "regridded": d.regridded,
        "flagged": [{"id": hid, "reasons": reasons} for hid, reasons in sorted(d.flags.items())],
        "duplicates": [{k: g[k] for k in ("id", "kind", "households")} for g in imp.duplicates],
        "applied": imp.applied,
    }, ensure_ascii=False, indent=1)


def _duplicate_value(g: dict) -> str:
    masks = {"id_number": model.mask_id_number, "phone": model.mask_phone}
    return masks[g["kind"]](g["value"]) if g["kind"] in masks else g["value"]


def duplicate_lines(groups: list[dict], households: dict[str, dict]) -> list[str]:
    """A warning line per group (as init and roster import print them)."""
    if not groups:
        return []
    return _fit([t("dupes.warning", n=len(groups))] + [
        t("dupes.line", id=g["id"], kind=t(f"dupes.kind.{g['kind']}"), value=_duplicate_value(g),
          households=t("ui.list_sep").join(g["households"])) for g in groups])


def duplicates_table(groups: list[dict], households: dict[str, dict], buildings: dict[str, dict]) -> str:
    if not groups:
        return t("dupes.none")
    rows = []
    for g in groups:
        for hid in g["households"]:
            h = households.get(hid, {})
            building, where = _place(h, buildings)
            rows.append([g["id"], t(f"dupes.kind.{g['kind']}"), _duplicate_value(g), hid, building, where,
                         model.mask_name(h.get("head", ""))])
    return table([t(f"cli.col.{c}") for c in ("group", "kind", "value", "id", "building", "room", "head")],
                 rows, keep=(0, 3, 5))


def duplicates_json(groups: list[dict]) -> str:
    """Ids and the kind of sign: the shared value itself is personal data, left out."""
    return json.dumps([{k: g[k] for k in ("id", "kind", "households")} for g in groups], ensure_ascii=False, indent=1)


def wishes_table(rows: list[dict]) -> str:
    """The community's micro-wishes, with the short ids claim and fulfil take back."""
    if not rows:
        return t("cli.no_wishes")
    headers = [t(f"cli.col.{c}") for c in ("id", "building", "room", "head", "wish", "state", "claimed_by")]
    body = [[r.get("short") or r["id"], r["building"], room(r), model.mask_name(r["head"]), r["title"],
             i18n.name("wish", r["state"]), r.get("claimed_by") or ""] for r in rows]
    return table(headers, body, keep=(0, 2))


def wishes_json(rows: list[dict]) -> str:
    return json.dumps([{k: v for k, v in r.items() if k not in ("head", "history")} for r in rows],
                      ensure_ascii=False, indent=1)


# --- proposals ----------------------------------------------------------------------------------------


def _fact(field: str, value: object) -> str:
    if field == "phone" and isinstance(value, str):
        return model.mask_phone(value)
    if field == "moved_out":
        return t("ui.yes") if value else t("ui.no")
    if field == "tags" and isinstance(value, list):
        return tag_names(value) or "-"
    return "-" if value in (None, "") else str(value)


def proposal_changes(r: dict) -> str:
    """人数 3→4 · 电话 139****1111→138****0000: what would change, phones masked."""
    if r["proposed"].get("new"):
        return t("proposal.new_household")
    return " · ".join(f"{i18n.name('fact', k)} {_fact(k, r['now'].get(k))}→{_fact(k, v)}"
                      for k, v in r["proposed"].items())


def proposals_table(rows: list[dict]) -> str:
    if not rows:
        return t("cli.no_proposals")
    headers = [t(f"cli.col.{c}") for c in ("id", "building", "room", "head", "change", "by", "at", "state")]
    body = [[r["id"], r["building"], room(r), model.mask_name(r["head"]), proposal_changes(r), r["by"] or "",
             (r["at"] or "")[:10], i18n.name("proposal", r["outcome"]) if r["outcome"] else t("proposal.pending")]
            for r in rows]
    return table(headers, body, keep=(0, 2, 4))


def proposals_json(rows: list[dict]) -> str:
    """With the proposed values (the office needs them to decide) but no resident's name."""
    return json.dumps([{k: v for k, v in r.items() if k != "head"} for r in rows], ensure_ascii=False, indent=1)


# --- a household's history, for correcting it -----------------------------------------------------------


def corrections(entry: dict, role: str | None = None) -> str:
    """结果 无人应门→见到 — what a correction replaced, and by what (a category named in its role)."""
    was = entry.get("was") or {}

    def value(k: str, v: object) -> str:
        if v in (None, ""):
            return "-"
        return i18n.cat_name(role, str(v)) if k == "category" and role else _field_value(k, v)

    return t("ui.list_sep").join(f"{_field_name(k)} {value(k, was.get(k))}→{value(k, v)}" for k, v in entry.items()
                                 if k not in ("t", "by", "was", "corrected", "changed"))


def history_lines(detail: dict, short: dict[str, str]) -> str:
    out = [t("cli.history_title", id=detail["id"], building=detail["building_name"],
             room=room({"unit": detail.get("unit"), "room": detail.get("room", "")}))]
    if not detail["visits"]:
        out.append(t("ui.household.no_visits"))
    for v in detail["visits"]:
        mark = t("cli.void_mark") if v["void"] else ""
        out.append(f"{short.get(v['id'], v['id'])}  {(v.get('at') or '')[:16].replace('T', ' ')}  "
                   f"{i18n.name('mode', v.get('mode'))} · {i18n.name('outcome', v.get('outcome'))}  "
                   f"{v.get('worker', '')}{mark}")
        if v.get("note"):
            out.append(f"    {v['note']}")
        for e in v["history"]:
            if e.get("corrected"):
                out.append("    " + t("cli.correction", at=(e.get("changed") or "")[:10], by=e.get("by", ""),
                                      what=corrections(e)))
        for f in v["findings"]:
            out.append(f"  {short.get(f['id'], f['id'])}  {i18n.name('role', f['role'])} · "
                       f"{i18n.cat_name(f['role'], f['category'])} · {f['asked']}  [{i18n.name('status', f['status'])}]")
            for e in f["history"]:
                if e.get("corrected"):
                    out.append("      " + t("cli.correction", at=(e.get("changed") or "")[:10], by=e.get("by", ""),
                                            what=corrections(e, f["role"])))
    return "\n".join(_fit(out))


def history_json(detail: dict, short: dict[str, str]) -> str:
    """Visits and findings with their short ids and histories; the household's personal data left out."""
    visits = [{**v, "short": short.get(v["id"], v["id"]),
               "findings": [{**f, "short": short.get(f["id"], f["id"])} for f in v["findings"]]}
              for v in detail["visits"]]
    return json.dumps({"household": detail["id"], "visits": visits}, ensure_ascii=False, indent=1)


REFERRAL_KEYS = ("unit", "referred", "closed", "median_days", "worst_days", "open_overdue", "rated",
                 "satisfaction_rate")


def referrals_table(rows: list[dict], since: str, until: str) -> str:
    out = [t("referrals.title", since=since, until=until), ""]
    if not rows:
        return "\n".join(out + [t("referrals.none")])
    out.append(table([t(f"referrals.col.{k}") for k in REFERRAL_KEYS],
                     [[truncate(r["unit"], 20), str(r["referred"]), str(r["closed"]), days(r["median_days"]),
                       days(r["worst_days"]), str(r["open_overdue"]), str(r["rated"]), pct(r["satisfaction_rate"])]
                      for r in rows]))
    out += ["", t("referrals.legend")]
    return "\n".join(out)


def referrals_csv(rows: list[dict]) -> str:
    keys = [*REFERRAL_KEYS, "satisfied", "basically", "dissatisfied"]
    return csv_text([t(f"referrals.col.{k}") for k in keys], [[r[k] for k in keys] for r in rows])


def projects_table(rows: list[dict]) -> str:
    head = [t(f"projects.col.{k}") for k in ("id", "title", "state", "progress", "households", "note")]
    return table(head, [[r.get("short") or r["id"], truncate(r["title"] or "", 30),
                         i18n.name("project_state", r["state"]), f"{r['progress']}%", str(r["households"]),
                         truncate(r["note"] or "", 16)] for r in rows])
