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

from .. import i18n, model, render, views, vocab
from .context import Ctx, change_pin, fmt_option, friendly_errors, leave_to_exit, quarantine_lines
from .language import GridGroup, Word
from ..i18n import t
from ..store import gc_paused

# --- the community office ------------------------------------------------------------------------


@click.group(cls=GridGroup)
@click.pass_obj
def office(obj: Ctx) -> None:
    """Community office: enroll workers, merge their files, publish each grid back.

    (An office store an older gridtui left plain is encrypted before each office command runs:
    see Ctx.ready_office, called once the command's own options, --home among them, are read.)"""


@office.command("init")
@click.option("--roster", type=click.Path(path_type=Path))
@click.option("--demo", "from_demo", is_flag=True)
@click.pass_obj
def office_init(obj: Ctx, roster: Path | None, from_demo: bool) -> None:
    """Create the office store from a roster (or, for training, from the demo data moved to today)."""
    from ..office.commands import init

    with friendly_errors():
        if (roster is None) == (not from_demo):
            raise model.ValidationError("office.init_roster_or_demo")
        counts = init(obj.home, roster, new_pin=obj.pins.new_office_pin, demo=from_demo)
    dupes = counts.pop("duplicates")
    click.echo(t("office.init_done", **counts))
    for line in render.duplicate_lines(dupes, {}):
        click.echo(line)




@office.group("roster", cls=GridGroup)
def office_roster() -> None:
    """Keep the household ledger true: a new roster each quarter."""


@office_roster.command("import")
@click.argument("roster", type=click.Path(path_type=Path))
@click.option("--apply", "apply_", is_flag=True)
@fmt_option
@click.pass_obj
def office_roster_import(obj: Ctx, roster: Path, apply_: bool, fmt: str) -> None:
    """Show what a new roster changes (new, changed, moved out); with --apply, apply it."""
    from ..office.commands import roster_import

    with friendly_errors():
        imp = roster_import(obj.home, roster, apply_, unlock=obj.pins.unlock)
    click.echo(render.roster_import_json(imp) if fmt == "json" else render.roster_import_table(imp))


@office.command("duplicates")
@fmt_option
@click.pass_obj
def office_duplicates(obj: Ctx, fmt: str) -> None:
    """Households that look like the same people twice: a shared ID number, a phone in two buildings, one door twice."""
    from ..office.commands import ledger_duplicates

    with friendly_errors():
        groups, households, buildings = ledger_duplicates(obj.home, unlock=obj.pins.unlock)
    click.echo(render.duplicates_json(groups) if fmt == "json" else render.duplicates_table(groups, households, buildings))


def _written_to_folder(f):  # noqa: ANN001, ANN202 - a click decorator
    """--to FOLDER and --include-sensitive, for the commands that write residents' files (export, ledger)."""
    f = click.option("--include-sensitive", is_flag=True)(f)
    return click.option("--to", "folder", required=True, type=click.Path(path_type=Path))(f)


@office.command("export")
@_written_to_folder
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.pass_obj
def office_export(obj: Ctx, folder: Path, fmt: str, include_sensitive: bool) -> None:
    """Write households, visits, findings and wishes to files, personal data masked unless asked."""
    from ..office.export import export

    with friendly_errors():
        written = export(obj.home, folder, fmt, include_sensitive, unlock=obj.pins.unlock)
    _echo_written(written, include_sensitive)


def _echo_written(written: list[tuple[str, int]], sensitive: bool) -> None:
    for name, n in written:
        click.echo(t("export.file_line", file=name, n=n))
    click.echo(t("export.sensitive_recorded" if sensitive else "export.masked"))


@office.command("ledger")
@click.option("--quarter", required=True, metavar="2026Q4")
@_written_to_folder
@click.pass_obj
def office_ledger(obj: Ctx, quarter: str, folder: Path, include_sensitive: bool) -> None:
    """Write the quarter's ledgers as Excel workbooks: 走访台账 by duty role, each worker's 民情日记, 网格员考核."""
    from ..office.workbook import write_ledger

    with friendly_errors():
        written = write_ledger(obj.home, quarter, folder, include_sensitive, unlock=obj.pins.unlock)
    _echo_written(written, include_sensitive)


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
        key = enroll(obj.home, worker_id, name, grid, unlock=obj.pins.unlock, note=lambda line: click.echo(line, err=True))
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
        click.echo(render.conflict_line(c))
    if report.skipped:
        sys.exit(1)


@office.command("quarantine")
@click.pass_obj
def office_quarantine(obj: Ctx) -> None:
    """List records set aside because they break today's rules (kept on disk, left out of every report)."""
    from ..office.commands import open_office

    with friendly_errors():
        with open_office(obj.home, obj.pins.unlock, readonly=True) as store:
            lines = quarantine_lines(store.quarantined)
    click.echo("\n".join(lines))


@office.command("findings")
@click.option("--status", type=Word(vocab.status, "status"))
@click.option("--role", type=Word(vocab.role, "role"))
@click.option("--grid")
@click.option("--overdue", is_flag=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def office_findings(obj: Ctx, status: str | None, role: str | None, grid: str | None, overdue: bool, fmt: str) -> None:
    """List findings across the community."""
    from ..office.commands import findings

    with friendly_errors():
        rows = findings(obj.home, status, role, grid, overdue, unlock=obj.pins.unlock)
    click.echo(render.findings_json(rows) if fmt == "json" else render.findings_table(rows))


@office.command("resolve")
@click.argument("finding_id")
@click.option("--note", required=True)
@click.pass_obj
def office_resolve(obj: Ctx, finding_id: str, note: str) -> None:
    """Mark a finding resolved; it reaches the worker with the next publish."""
    _move_finding(obj, finding_id, "resolved", note)


def _move_finding(obj: Ctx, finding_id: str, status: str, note: str, **kw) -> None:  # noqa: ANN003
    from ..office.commands import change_finding

    with friendly_errors():
        shown, changed = change_finding(obj.home, finding_id, status, note, unlock=obj.pins.unlock, **kw)
    click.echo(t("office.status_changed" if changed else "office.status_same", id=shown,
                 status=i18n.name("status", status)))


@office.command("close")
@click.argument("finding_id")
@click.option("--satisfaction", type=Word(vocab.satisfaction, "satisfaction"))
@click.option("--note", default="")
@click.pass_obj
def office_close(obj: Ctx, finding_id: str, satisfaction: str | None, note: str) -> None:
    """Close a finding after the return visit, with the resident's satisfaction; it reaches the worker with the next publish."""
    _move_finding(obj, finding_id, "closed", note, satisfaction=satisfaction)


@office.command("refer")
@click.argument("finding_id")
@click.option("--to", "unit", required=True)
@click.option("--note", default="")
@click.option("--reopen", is_flag=True)
@click.option("--add-unit", is_flag=True)
@click.pass_obj
def office_refer(obj: Ctx, finding_id: str, unit: str, note: str, reopen: bool, add_unit: bool) -> None:
    """Refer a finding to a unit of the office's list (office units); it reaches the worker with the next publish."""
    def new_unit(name: str) -> bool:
        # A person at the terminal is asked (a typo would start a unit of its own on the scorecard);
        # a script goes on as it always did, and the unit is on the list from then on.
        return add_unit or not sys.stdin.isatty() or click.confirm(t("units.ask_new", unit=name), default=False)

    _move_finding(obj, finding_id, "referred", note, to=unit, reopen=reopen, new_unit=new_unit)


@office.group("projects", cls=GridGroup)
def office_projects() -> None:
    """一社区一年10件实事: candidates from what residents ask, then the ones chosen, their progress, done."""


@office_projects.command("propose")
@click.option("--from-needs", "from_needs", is_flag=True, required=True)
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=1, max=50))
@click.option("--since", metavar="YYYY-MM-DD")
@click.option("--until", metavar="YYYY-MM-DD")
@click.pass_obj
def office_projects_propose(obj: Ctx, from_needs: bool, top: int, since: str | None, until: str | None) -> None:
    """Turn the ranked needs (office needs) into candidate projects, one per need not proposed yet."""
    from ..office.commands import propose_projects

    with friendly_errors():
        start, end = _report_period(since, until)
        made = propose_projects(obj.home, start, end, top, unlock=obj.pins.unlock)
    click.echo(render.projects_table(made) if made else t("projects.none_new"))


@office_projects.command("list")
@click.option("--chosen", is_flag=True)
@fmt_option
@click.pass_obj
def office_projects_list(obj: Ctx, chosen: bool, fmt: str) -> None:
    """List the projects: state, progress, how many households asked, the last note."""
    from ..office.commands import list_projects

    with friendly_errors():
        rows = list_projects(obj.home, everything=not chosen, unlock=obj.pins.unlock)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        click.echo(render.projects_table(rows) if rows else t("projects.none"))


def _project_command(verb: str, state: str, help_text: str, note_required: bool):  # noqa: ANN202 - a click command
    """One of the commands that move a project on; named office_projects_<verb> for its help texts."""
    @click.argument("project_id")
    @click.option("--note", required=note_required, default="")
    @click.pass_obj
    def command(obj: Ctx, project_id: str, note: str, **kw) -> None:  # noqa: ANN003
        from ..office.commands import change_project

        with friendly_errors():
            shown, followups = change_project(obj.home, project_id, state, note, kw.get("percent"),
                                              unlock=obj.pins.unlock)
        click.echo(t("projects.moved", id=shown, state=i18n.name("project_state", state)))
        if followups:
            click.echo(t("projects.followups", n=len(followups)))

    command.__doc__ = help_text
    command.__name__ = f"office_projects_{verb}"
    return command


office_projects.command("adopt")(_project_command("adopt", "adopted", "Mark a project chosen by the residents' council.",
                                                  False))
office_projects.command("progress")(click.option("--percent", type=click.IntRange(0, 100))(
    _project_command("progress", "in_progress", "Note a project's progress.", True)))
office_projects.command("done")(_project_command(
    "done", "done", "Mark a project done: every household that asked for it gets a follow-up, so its worker asks back.",
    True))
office_projects.command("drop")(_project_command("drop", "dropped", "Drop a project (it stays on record).", True))


@office.group("units", cls=GridGroup)
def office_units() -> None:
    """The units findings are referred to (街道劳动保障所, 物业公司 …): the scorecard is kept per unit."""


@office_units.command("add")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def office_units_add(obj: Ctx, names: tuple[str, ...]) -> None:
    """Put units on the list."""
    from ..office.commands import add_units

    with friendly_errors():
        added = add_units(obj.home, list(names), unlock=obj.pins.unlock)
    click.echo(t("units.added", n=len(added), names=t("ui.list_sep").join(added)) if added else t("units.none_new"))


@office_units.command("list")
@fmt_option
@click.pass_obj
def office_units_list(obj: Ctx, fmt: str) -> None:
    """List the units."""
    from ..office.commands import units

    with friendly_errors():
        names = units(obj.home, unlock=obj.pins.unlock)
    if fmt == "json":
        click.echo(json.dumps(names, ensure_ascii=False, indent=1))
    else:
        click.echo("\n".join(names) if names else t("units.empty"))


@office.command("referrals")
@click.option("--since", metavar="YYYY-MM-DD")
@click.option("--until", metavar="YYYY-MM-DD")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def office_referrals(obj: Ctx, since: str | None, until: str | None, fmt: str, output: Path | None) -> None:
    """How each unit handled what was referred to it (吹哨报到): referred, closed, days to close, open past due, 满意率.

    \b
    A referral is a change to 已转办 in the period. Closed: resolved or closed after it, by --until;
      days from the referral to that. Open past due: still with the unit at --until, its
      follow-up date before it. 满意率: 满意 or 基本满意, of the return visits that closed them.
    """
    from ..office.commands import referrals

    with friendly_errors():
        start, end = _report_period(since, until)
        rows = referrals(obj.home, start, end, unlock=obj.pins.unlock)
    if fmt == "json":
        text = json.dumps({"since": start.isoformat(), "until": end.isoformat(), "units": rows}, ensure_ascii=False,
                          indent=1)
    elif fmt == "csv":
        text = render.referrals_csv(rows)
    else:
        text = render.referrals_table(rows, start.isoformat(), end.isoformat())
    _report_emit(text, output, csv=fmt == "csv")


@office.group("wish", cls=GridGroup)
def office_wish() -> None:
    """Micro-wishes (微心愿): list them, claim one for a giver, mark it fulfilled."""


@office_wish.command("list")
@fmt_option
@click.pass_obj
def office_wish_list(obj: Ctx, fmt: str) -> None:
    """List every micro-wish with the short ids claim and fulfil take."""
    from ..office.commands import wishes

    with friendly_errors():
        rows = wishes(obj.home, unlock=obj.pins.unlock)
    click.echo(render.wishes_json(rows) if fmt == "json" else render.wishes_table(rows))


def _move_wish(obj: Ctx, wish_id: str, state: str, **kw) -> None:  # noqa: ANN003
    from ..office.commands import change_wish

    with friendly_errors():
        shown, changed = change_wish(obj.home, wish_id, state, unlock=obj.pins.unlock, **kw)
    click.echo(t("office.wish_changed" if changed else "office.wish_same", id=shown, state=i18n.name("wish", state)))


@office_wish.command("claim")
@click.argument("wish_id")
@click.option("--by", "claimed_by", required=True)
@click.option("--note", default="")
@click.pass_obj
def office_wish_claim(obj: Ctx, wish_id: str, claimed_by: str, note: str) -> None:
    """Record who took on a micro-wish."""
    _move_wish(obj, wish_id, "claimed", claimed_by=claimed_by, note=note)


@office_wish.command("fulfil")
@click.argument("wish_id")
@click.option("--note", default="")
@click.pass_obj
def office_wish_fulfil(obj: Ctx, wish_id: str, note: str) -> None:
    """Mark a micro-wish fulfilled; its service finding is resolved with it."""
    _move_wish(obj, wish_id, "fulfilled", note=note)


# --- what the office learns: report and needs (computation in report.py) -------------------

def _report_options(f=None, *, formats: tuple[str, ...] = ("table", "csv", "json")):  # noqa: ANN001, ANN202
    """--since/--until/--grid/--format/--output, shared by `office report` and `office needs`."""
    if f is None:
        return lambda g: _report_options(g, formats=formats)
    opts = [
        click.option("--since", metavar="YYYY-MM-DD"),
        click.option("--until", metavar="YYYY-MM-DD"),
        click.option("--grid"),
        click.option("--format", "fmt", type=click.Choice(list(formats)), default="table", show_default=True),
        click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path)),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _office_compute(obj: Ctx, compute):  # noqa: ANN001, ANN202 - compute(state) -> result
    """Open the office store, run ``compute`` on its state, close it and let go of all it loaded."""
    from ..office.commands import open_office

    with gc_paused():
        with open_office(obj.home, obj.pins.unlock, readonly=True) as store:
            result = compute(store.state)
        if not leave_to_exit(store.state):
            del store
            views.drop_index()  # freeing the index now is far quicker than at interpreter exit
    return result


def _scope_name(state, grid: str | None) -> str:  # noqa: ANN001 - a folded State
    if grid:
        return state.entities["grid"].get(grid, {}).get("name") or grid
    return next(iter(state.entities["community"].values()), {}).get("name", "")


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


@office.command("report")
@_report_options(formats=("table", "csv", "json", "html"))
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
    Satisfied: the share of return visits rated in the period that were satisfied or basically satisfied.
    Care due: care households not visited within their tag's interval by --until.

    CSV has one table: the rows, or with --never-visited / --vulnerable that list.
    """
    from .. import report

    with friendly_errors():
        start, end = _report_period(since, until)
        parsed = report.parse_intervals(intervals)
        if fmt == "csv" and never and vulnerable:
            raise model.ValidationError("report.csv_one_list")
        if fmt == "html" and (never or vulnerable):
            raise model.ValidationError("report.html_no_lists")
        if fmt == "html":
            from ..htmlreport import page

            text = _office_compute(obj, lambda state: page(
                report.summary(state, start, end, grid=grid, intervals=parsed),
                report.referrals(state, start, end) if not grid else [], _scope_name(state, grid)))
            _report_emit(text, output, csv=False)
            return
        res = _office_compute(obj, lambda state: report.summary(state, start, end, grid=grid, intervals=parsed))
        text = {"json": render.report_json, "csv": render.report_csv}.get(fmt, render.report_table)(
            res, never, vulnerable)
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

    with friendly_errors():
        start, end = _report_period(since, until)
        rows, scope = _office_compute(obj, lambda state: (
            report.needs(state, start, end, grid=grid, by=by, top=top), _scope_name(state, grid)))
        rows = render.name_needs(rows)
        if fmt == "json":
            text = json.dumps(rows, ensure_ascii=False, indent=1)
        elif fmt == "csv":
            text = render.needs_csv(rows, by)
        else:
            text = render.needs_table(rows, by, start.isoformat(), end.isoformat(), scope)
        _report_emit(text, output, csv=fmt == "csv")


# --- the 数据员's proposals -------------------------------------------------------------------------


@office.group("proposals", cls=GridGroup, invoke_without_command=True)
@click.option("--grid")
@click.option("--all", "everything", is_flag=True)
@fmt_option
@click.pass_context
def office_proposals(ctx: click.Context, grid: str | None, everything: bool, fmt: str) -> None:
    """List what workers proposed to change in the ledger (a phone, how many live there, moved out); accept or reject each."""
    if ctx.invoked_subcommand is not None:
        return
    from ..office.commands import proposals

    obj: Ctx = ctx.obj
    with friendly_errors():
        rows = proposals(obj.home, grid, pending_only=not everything, unlock=obj.pins.unlock)
    click.echo(render.proposals_json(rows) if fmt == "json" else render.proposals_table(rows))


def _decide(obj: Ctx, proposal_id: str, accept: bool, note: str) -> None:
    from ..office.commands import decide_proposal

    with friendly_errors():
        shown = decide_proposal(obj.home, proposal_id, accept, note, unlock=obj.pins.unlock)
    click.echo(t("office.proposal_accepted" if accept else "office.proposal_rejected", id=shown))


@office_proposals.command("accept")
@click.argument("proposal_id")
@click.option("--note", default="")
@click.pass_obj
def office_proposals_accept(obj: Ctx, proposal_id: str, note: str) -> None:
    """Apply a proposal to the household (an office record); the worker sees it after the next publish."""
    _decide(obj, proposal_id, True, note)


@office_proposals.command("reject")
@click.argument("proposal_id")
@click.option("--note", required=True)
@click.pass_obj
def office_proposals_reject(obj: Ctx, proposal_id: str, note: str) -> None:
    """Decline a proposal, saying why; nothing in the ledger changes."""
    _decide(obj, proposal_id, False, note)
