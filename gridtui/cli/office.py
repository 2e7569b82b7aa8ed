"""The `gridtui office …` commands: the community office's side of the CLI.

Thin like the rest of the CLI: the work is in gridtui/office/ (commands, report, export); this
module parses options and renders results as text, CSV or JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from .. import i18n, model, views
from .context import Ctx, change_pin, friendly_errors, quarantine_lines
from .language import GridGroup
from ..i18n import t
from ..csvtext import csv_text
from ..store import gc_paused

# --- the community office ------------------------------------------------------------------------


@click.group(cls=GridGroup)
@click.pass_obj
def office(obj: Ctx) -> None:
    """Community office: enroll workers, merge their files, publish each grid back.

    (An office store an older gridtui left plain is encrypted before each office command runs:
    see Ctx.ready_office, called once the command's own options, --home among them, are read.)"""


@office.command("init")
@click.option("--roster", required=True, type=click.Path(path_type=Path))
@click.pass_obj
def office_init(obj: Ctx, roster: Path) -> None:
    """Create the office store from a roster."""
    from ..office.commands import init

    with friendly_errors():
        counts = init(obj.home, roster, new_pin=obj.pins.new_office_pin)
    click.echo(t("office.init_done", **counts))


@office.command("export")
@click.option("--to", "folder", required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--include-sensitive", is_flag=True)
@click.pass_obj
def office_export(obj: Ctx, folder: Path, fmt: str, include_sensitive: bool) -> None:
    """Write households, visits, findings and wishes to files, personal data masked unless asked."""
    from ..office.export import export

    with friendly_errors():
        written = export(obj.home, folder, fmt, include_sensitive, unlock=obj.pins.unlock)
    for name, n in written:
        click.echo(t("export.file_line", file=name, n=n))
    click.echo(t("export.sensitive_recorded" if include_sensitive else "export.masked"))


@office.command("exports")
@click.pass_obj
def office_exports(obj: Ctx) -> None:
    """List every export that carried unmasked personal data: when, where to, by whom."""
    from ..office.commands import sensitive_exports

    with friendly_errors():
        entries = sensitive_exports(obj.home, unlock=obj.pins.unlock)
    if not entries:
        click.echo(t("export.none_sensitive"))
    for e in entries:
        click.echo(t("export.sensitive_line", at=e["at"], to=e["to"], user=e["user"], host=e["host"],
                     format=e["format"]))


@office.command("enroll")
@click.argument("worker_id")
@click.option("--name", required=True)
@click.option("--grid", required=True)
@click.pass_obj
def office_enroll(obj: Ctx, worker_id: str, name: str, grid: str) -> None:
    """Register a worker; prints their key once, alone on the last line."""
    from ..office.commands import enroll

    from ..keys import show

    with friendly_errors():
        key = enroll(obj.home, worker_id, name, grid, unlock=obj.pins.unlock)
    if key is None:
        click.echo(t("office.moved", worker=worker_id, grid=grid))
        return
    click.echo(t("office.enrolled", worker=worker_id, name=name, grid=grid))
    click.echo(show(key))


PROGRESS_FROM = 20  # files: below this a merge is over before a bar could help

@office.command("disable")
@click.argument("worker_id")
@click.option("--shared", type=click.Path(path_type=Path))
@click.pass_obj
def office_disable(obj: Ctx, worker_id: str, shared: Path | None) -> None:
    """A worker who left: refuse their files from now on and issue them nothing more; enroll again to restore."""
    from ..office.commands import disable

    with friendly_errors():
        withdrawn = disable(obj.home, worker_id, shared, unlock=obj.pins.unlock)
    click.echo(t("office.disabled", worker=worker_id))
    if withdrawn:
        click.echo(t("office.withdrawn", worker=worker_id))


@office.command("rekey")
@click.argument("worker_id")
@click.pass_obj
def office_rekey(obj: Ctx, worker_id: str) -> None:
    """A new key for a worker (a lost laptop): prints it alone on the last line; the old key stops working."""
    from ..office.commands import rekey

    with friendly_errors():
        key, enabled = rekey(obj.home, worker_id, unlock=obj.pins.unlock)
    from ..keys import show

    click.echo(t("office.rekeyed", worker=worker_id))
    if not enabled:
        click.echo(t("office.rekeyed_disabled", worker=worker_id))
    click.echo(show(key))


@office.command("passwd")
@click.pass_obj
def office_passwd(obj: Ctx) -> None:
    """Change the office store's PIN (the data is not re-encrypted: only its key is)."""
    from ..home import office_store

    change_pin(obj, office_store(obj.home), office=True)


shared_option = click.option("--shared", required=True, type=click.Path(path_type=Path))


@office.command("publish")
@shared_option
@click.pass_obj
def office_publish(obj: Ctx, shared: Path) -> None:
    """Write each worker's grid to SHARED/to-worker/<worker>.json."""
    from ..office.commands import publish

    with friendly_errors():
        for worker, n in publish(obj.home, shared, unlock=obj.pins.unlock):
            click.echo(t("office.published", worker=worker, n=n))


def _value(v: object) -> str:
    return json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v


@office.command("merge")
@shared_option
@click.pass_obj
def office_merge(obj: Ctx, shared: Path) -> None:
    """Merge every worker's file in SHARED/to-office. Exit 0: all taken; 1: some skipped; 2: usage error."""
    from ..office.commands import merge_folder
    from ..sync import folder
    from ..textfmt import clean

    with friendly_errors():
        found = folder.scan(folder.require(shared)).files
        if len(found) < PROGRESS_FROM:
            report = merge_folder(obj.home, shared, unlock=obj.pins.unlock)
        else:
            with click.progressbar(length=len(found), label=t("office.merging"), file=sys.stderr,
                                   show_pos=True) as bar:
                report = merge_folder(obj.home, shared, progress=bar.update, unlock=obj.pins.unlock)
    click.echo(t("office.merge_summary", taken=len(report.taken), new=report.new_events, unchanged=report.unchanged,
                 skipped=len(report.skipped), conflicts=len(report.conflicts)))
    if report.recovered:
        click.echo(t("office.merge_recovered"))
    # Names and values below come from files anybody could have written: never raw to the terminal.
    for s in report.skipped:
        args = {k: clean(str(v)) for k, v in s.args.items()}
        click.echo(t("office.skipped_line", file=clean(s.name), reason=t(s.reason, **args)))
    for f in report.flags:
        click.echo(t("office.flag_line", file=clean(f.file), id=clean(str(f.event.get("eid", f.event.get("id")))),
                     reason=t(f.reason)))
    for c in report.conflicts:
        fields = c.field.split(", ")
        click.echo(t("office.conflict_line", kind=c.kind, id=clean(c.eid), field=c.field,
                     kept=clean(" / ".join(_value(c.kept["data"][f]) for f in fields)), kept_by=c.kept["by"],
                     other=clean(" / ".join(_value(c.other["data"][f]) for f in fields)), other_by=c.other["by"]))
    if report.skipped:
        sys.exit(1)


@office.command("quarantine")
@click.pass_obj
def office_quarantine(obj: Ctx) -> None:
    """List records set aside because they break today's rules (kept on disk, left out of every report)."""
    from ..office.commands import _open

    with friendly_errors():
        with _open(obj.home, obj.pins.unlock, readonly=True) as store:
            lines = quarantine_lines(store.quarantined)
    click.echo("\n".join(lines))


@office.command("findings")
@click.option("--status", type=click.Choice(model.STATUSES))
@click.option("--role", type=click.Choice(model.ROLES))
@click.option("--grid")
@click.option("--overdue", is_flag=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def office_findings(obj: Ctx, status: str | None, role: str | None, grid: str | None, overdue: bool, fmt: str) -> None:
    """List findings across the community."""
    from ..office.commands import findings
    from ..textfmt import table, truncate

    with friendly_errors():
        rows = findings(obj.home, status, role, grid, overdue, unlock=obj.pins.unlock)
    if fmt == "json":
        click.echo(json.dumps([{k: v for k, v in r.items() if k != "head"} for r in rows], ensure_ascii=False, indent=1))
        return
    headers = [t(f"cli.col.{c}") for c in ("id", "room", "role", "asked", "due", "status")]
    body = [[r["id"], f"{r['building']} {r['unit'] or ''}-{r['room']}", i18n.name("role", r["role"]),
             truncate(r["asked"], 16), r["due"] or "", i18n.name("status", r["status"])] for r in rows]
    click.echo(table(headers, body))


@office.command("resolve")
@click.argument("finding_id")
@click.option("--note", required=True)
@click.pass_obj
def office_resolve(obj: Ctx, finding_id: str, note: str) -> None:
    """Mark a finding resolved; it reaches the worker with the next publish."""
    from ..office.commands import change_finding

    with friendly_errors():
        change_finding(obj.home, finding_id, "resolved", note, unlock=obj.pins.unlock)
    click.echo(t("office.status_changed", id=finding_id, status=i18n.name("status", "resolved")))


@office.command("refer")
@click.argument("finding_id")
@click.option("--to", "unit", required=True)
@click.option("--note", default="")
@click.pass_obj
def office_refer(obj: Ctx, finding_id: str, unit: str, note: str) -> None:
    """Refer a finding to a unit; it reaches the worker with the next publish."""
    from ..office.commands import change_finding

    with friendly_errors():
        change_finding(obj.home, finding_id, "referred", note, to=unit, unlock=obj.pins.unlock)
    click.echo(t("office.status_changed", id=finding_id, status=i18n.name("status", "referred")))


# --- what the office learns: report and needs (computation in report.py) -------------------

_REPORT_WIDTH = 80


def _report_options(f):  # noqa: ANN001, ANN202 - a click decorator
    """--since/--until/--grid/--format/--output, shared by `office report` and `office needs`."""
    opts = [
        click.option("--since", metavar="YYYY-MM-DD"),
        click.option("--until", metavar="YYYY-MM-DD"),
        click.option("--grid"),
        click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
                     show_default=True),
        click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path)),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _office_compute(obj: Ctx, compute):  # noqa: ANN001, ANN202 - compute(state) -> result
    """Open the office store, run ``compute`` on its state, close it and let go of all it loaded."""
    from ..office.commands import _open

    with gc_paused():
        with _open(obj.home, obj.pins.unlock, readonly=True) as store:
            result = compute(store.state)
        del store
        views.drop_index()  # freeing the index now is far quicker than at interpreter exit
    return result


def _report_period(since: str | None, until: str | None) -> tuple[dt.date, dt.date]:
    from ..report import check_period, default_period
    from ..store import local_now

    end = model.parse_date(until) if until else local_now().date()
    start = model.parse_date(since) if since else default_period(end)[0]
    check_period(start, end)
    return start, end


def _report_emit(text: str, output: Path | None, csv: bool) -> None:
    """CSV goes out as UTF-8 bytes whatever the console's encoding, so the BOM survives; a file is
    written whole or not at all, readable by its owner only."""
    from ..atomic import write_atomic

    if output is not None:
        write_atomic(output, (text if csv else text + "\n").encode("utf-8"))
        click.echo(t("report.written", path=output), err=True)
    elif csv and hasattr(sys.stdout, "buffer"):
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
    else:
        click.echo(text, nl=not csv)


def _report_wrap(text: str, width: int = _REPORT_WIDTH - 2) -> list[str]:
    """Wrap a note to ``width`` cells: between words, or between any two Chinese characters."""
    import re

    from ..textfmt import cell_width

    lines, cur = [], ""
    for tok in re.findall(r"[\u2e80-\uffff]|[^\s\u2e80-\uffff]+\s*|\s+", text):
        if cur.strip() and cell_width(cur + tok.rstrip()) > width:
            lines.append(cur.rstrip())
            cur = tok.lstrip()
        else:
            cur += tok
    return lines + [cur.rstrip()] if cur.strip() else lines


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def _days(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}".rstrip("0").rstrip(".")


def _scope_label(row: dict) -> str:
    from ..textfmt import truncate

    if row["level"] == "community":
        return truncate(row["name"] or t("report.level.community"), 16)
    return truncate(row["id"] if row["name"] in ("", row["id"]) else f"{row['id']} {row['name']}", 16)


def _report_table(res: dict, never: bool, vulnerable: bool) -> str:
    from ..textfmt import table, truncate

    total = res["total"]
    levels = [[total]] + ([res["grids"]] if not res["grid"] else []) + [res["workers"]]
    out = [t("report.title", scope=_scope_label(total), since=res["since"], until=res["until"]), ""]

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
                     sections(lambda r: [_scope_label(r), str(r["households"]), str(r["visits"]), str(r["visited"]),
                                         _pct(r["coverage"]), str(r["vulnerable"])])))
    out += ["", t("report.findings_heading")]
    out.append(table([t(f"report.col.{c}") for c in ("scope", "opened", "closed", "closure_rate", "median_days",
                                                      "overdue", "wishes_claimed", "wishes_fulfilled")],
                     sections(lambda r: [_scope_label(r), str(r["opened"]), str(r["closed"]), _pct(r["closure_rate"]),
                                         _days(r["median_days"]), str(r["overdue"]), str(r["wishes_claimed"]),
                                         str(r["wishes_fulfilled"])])))
    out += ["", t("report.roles_heading", scope=_scope_label(total))]
    out.append(table([t(f"report.col.{c}") for c in ("role", "opened", "closed", "closure_rate", "median_days",
                                                      "overdue")],
                     [[i18n.name("role", role), str(f["opened"]), str(f["closed"]), _pct(f["closure_rate"]),
                       _days(f["median_days"]), str(f["overdue"])] for role, f in total["by_role"].items()]))
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
    notes = [t(f"report.note.{k}") for k in ("coverage", "closure", "median", "overdue")]
    intervals = t("ui.list_sep").join(t("report.note.interval", tag=i18n.name("tag", tag), days=d)
                                      for tag, d in res["intervals"].items())
    notes += [t("report.note.vulnerable", intervals=intervals), t("report.note.worker")]
    out.append("")
    out += [line for note in notes for line in _report_wrap(note)]
    return "\n".join(out)


@office.command("report")
@_report_options
@click.option("--interval", "intervals", multiple=True, metavar="cli.metavar.interval")
@click.option("--never-visited", "never", is_flag=True)
@click.option("--vulnerable", is_flag=True)
@click.pass_obj
def office_report(obj: Ctx, since: str | None, until: str | None, grid: str | None, fmt: str, output: Path | None,
                  intervals: tuple[str, ...], never: bool, vulnerable: bool) -> None:
    """走访覆盖率 and how findings are handled: the community, each grid, each worker.

    \b
    Coverage: households with any visit in the period / households not moved out.
    Opened: findings recorded in the period. Closed: first resolved/closed in it.
    Closure rate (办结率): of the findings opened in the period, the share that is
      resolved or closed at the end of --until.
    Median days: recorded → first resolved/closed, over the findings closed in it.
    Overdue: open or referred at the end of the period with a due date before it.
    Care due: care households not visited within their tag's interval by --until.

    CSV has one table: the rows, or with --never-visited / --vulnerable that list.
    """
    from .. import report

    with friendly_errors():
        start, end = _report_period(since, until)
        parsed = report.parse_intervals(intervals)
        if fmt == "csv" and never and vulnerable:
            raise model.ValidationError("report.csv_one_list")
        res = _office_compute(obj, lambda state: report.summary(state, start, end, grid=grid, intervals=parsed))
        if fmt == "json":
            data = {k: v for k, v in res.items() if (k != "never_visited" or never) and (k != "vulnerable" or vulnerable)}
            text = json.dumps(data, ensure_ascii=False, indent=1)
        elif fmt == "csv" and (never or vulnerable):
            lst, keys = (res["never_visited"], ("id", "grid", "building_name", "unit", "room", "head", "last_visit")) \
                if never else (res["vulnerable"], ("id", "grid", "building_name", "unit", "room", "head", "tags",
                                                   "interval_days", "last_visit", "days_since"))
            header = [t("report.col.building" if k == "building_name" else f"report.col.{k}") for k in keys]
            text = csv_text(header, [[t("ui.list_sep").join(i18n.name("tag", x) for x in h[k]) if k == "tags"
                                             else h[k] for k in keys] for h in lst])
        elif fmt == "csv":
            flat = report.summary_rows(res)
            keys = list(flat[0])
            header = [t(f"report.col.{k}") if "." not in k else
                      t(f"report.col.role_{k.split('.')[0]}", role=i18n.name("role", k.split(".")[1])) for k in keys]
            text = csv_text(header, [[t(f"report.level.{v}") if k == "level" else v for k, v in r.items()]
                                            for r in flat])
        else:
            text = _report_table(res, never, vulnerable)
        if output is not None and (never or vulnerable):  # a file that names households: on record first
            from ..office.export import record_sensitive_output

            record_sensitive_output(obj.home, output, "report --vulnerable" if vulnerable else "report --never-visited",
                                    fmt, unlock=obj.pins.unlock)
        _report_emit(text, output, csv=fmt == "csv")


@office.command("needs")
@_report_options
@click.option("--by", type=click.Choice(["building", "compound", "grid"]))
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=1))
@click.pass_obj
def office_needs(obj: Ctx, since: str | None, until: str | None, grid: str | None, fmt: str, output: Path | None,
                 by: str | None, top: int) -> None:
    """What residents ask for, by role and category: candidates for 一社区一年10件实事.

    Findings recorded in the period, counted by DISTINCT households (a household
    asking twice counts once), most households first, with example requests.
    """
    from .. import report
    from ..textfmt import cell_width, table, truncate

    with friendly_errors():
        start, end = _report_period(since, until)
        rows, scope = _office_compute(obj, lambda state: (
            report.needs(state, start, end, grid=grid, by=by, top=top),
            state.entities["grid"].get(grid, {}).get("name") or grid if grid else
            next(iter(state.entities["community"].values()), {}).get("name", "")))
        for r in rows:
            r["role_name"] = i18n.name("role", r["role"])
            r["category_name"] = i18n.cat_name(r["role"], r["category"])
        if fmt == "json":
            text = json.dumps(rows, ensure_ascii=False, indent=1)
        elif fmt == "csv":
            keys = ["rank", "role_name", "category_name"] + (["place", "place_name"] if by else []) + \
                   ["households", "findings", "open"]
            header = [t(f"report.col.{k}") for k in keys] + [t("report.col.example", n=i) for i in (1, 2)]
            text = csv_text(header, [[r[k] for k in keys] + (r["examples"] + ["", ""])[:2] for r in rows])
        else:
            header = [t(f"report.col.{k}") for k in ("rank", "role", "category")] + \
                     ([t("report.col.place_name")] if by else []) + \
                     [t(f"report.col.{k}") for k in ("needs_households", "findings", "open")]
            body = [[str(r["rank"]), r["role_name"], truncate(r["category_name"], 18)] +
                    ([truncate(r["place_name"], 16)] if by else []) +
                    [str(r["households"]), str(r["findings"]), str(r["open"])] for r in rows]
            lines = [*_report_wrap(t("report.needs_title", since=start.isoformat(), until=end.isoformat())),
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
                        lines.append(indent + truncate(example, _REPORT_WIDTH - len(indent)))
            lines.append("")
            text = "\n".join(lines + _report_wrap(t("report.needs_hint")))
        _report_emit(text, output, csv=fmt == "csv")
