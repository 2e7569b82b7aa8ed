"""The `gridtui` command and the worker's commands: thin — each parses, asks the store or the
views, prints. The app is opened through ``Ctx.open_app``, which the entry point (gridtui.entry)
provides: the command line never imports the TUI, nor the TUI the command line."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from .. import i18n, ids, model, render, views, vocab
from ..errors import UserError
from ..home import home_dir, real_store
from ..i18n import t
from ..store import Store, settle_loads
from .context import (DEFAULTS, EXIT_USAGE, CliError, Ctx, Launch, apply_lang, arm_quick_exit, change_pin, fmt_option,
                      friendly_errors, left_to_exit, quarantine_lines, warn_loss)
from .language import GridGroup, Word, speak
from .office import office


speak()  # click's own texts in the user's language

lang_option = click.option("--lang", type=click.Choice(i18n.LANGS), help="help.opt.lang")


@click.group(cls=GridGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), help="help.opt.home")
@click.option("--demo", "use_demo", is_flag=True, help="help.opt.use_demo")
@click.option("--worker", help="help.opt.main.worker")
@click.option("--pin-file", type=click.Path(dir_okay=False, path_type=Path), help="help.opt.pin_file")
@lang_option
@click.pass_context
def main(ctx: click.Context, home: Path | None, use_demo: bool, worker: str | None, pin_file: Path | None,
         lang: str | None) -> None:
    """gridtui — 敲门问需送关怀: door-knock visits and follow-ups for grid workers.

    Run `gridtui demo` to try it on the training data.
    """
    obj = Ctx(home_dir(home), use_demo, worker, pin_file, launch=ctx.obj if callable(ctx.obj) else None)
    apply_lang(obj.config, lang)
    ctx.obj = obj
    Store.on_loss = warn_loss
    Store.on_warning = lambda store, key: click.echo(t(key), err=True)
    if ctx.invoked_subcommand is None:
        if use_demo:
            ctx.invoke(demo, worker=worker or "W01")
            return
        if not Store.exists(real_store(obj.home)):
            click.echo(t("cli.first_run"))
            ctx.exit(1)
        _run_tui(obj, obj.open_real)


def _run_tui(obj: Ctx, opener) -> None:  # noqa: ANN001 - opener() -> Store
    with friendly_errors():
        store = opener(hold_events=False)  # the app reads the log again when it needs the events
    settle_loads(False)  # a long-lived process: the app freezes what stays itself (GridApp.settle)
    try:
        if obj.launch is None:
            raise CliError(t("cli.no_app"))  # main() called without the entry point's launcher
        lock = obj.config.get("lock", DEFAULTS["lock"])
        obj.launch(store, cycle=obj.cycle(), home=obj.home, lock_minutes=int(lock) if str(lock).isdigit() else 5)
    finally:
        store.close()


@main.command()
@click.option("--reset", is_flag=True)
@click.option("--worker", default=None)
@lang_option
@click.pass_obj
def demo(obj: Ctx, reset: bool, worker: str | None, lang: str | None) -> None:
    """Open the app in training mode on the demo data (never the real store)."""
    from ..demo import DEFAULT_WORKER, UnknownWorker, open_training

    if lang:
        i18n.set_lang(lang)
    worker = worker or obj.worker or DEFAULT_WORKER
    try:
        opener = lambda **kw: open_training(obj.home, worker, reset=reset, **kw)  # noqa: E731
        _run_tui(obj, opener)
    except UnknownWorker as exc:
        raise CliError(t("cli.unknown_worker", worker=exc.worker, known=" ".join(exc.known))) from None


@main.command()
@click.option("--unvisited", is_flag=True)
@click.option("--search", "query")
@click.option("--due", is_flag=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--reveal", is_flag=True)
@click.pass_obj
def households(obj: Ctx, unvisited: bool, query: str | None, due: bool, fmt: str, reveal: bool) -> None:
    """List the households of my grid with their ids."""
    with friendly_errors():
        store = obj.open_store(readonly=True)
        try:
            state, today, grid = store.state, store.today(), store.meta.get("grid")
            if due:
                items = views.due_today(state, today, grid)
            elif query is not None:
                from .. import search

                search.warm(h.get("head") or "" for h in state.entities["household"].values())
                rows = views.search_households(state, query, today, obj.cycle(), grid)
            else:
                rows = views.households_list(state, today, obj.cycle(), unvisited=unvisited, grid=grid)
        finally:
            store.close()
    if due:
        click.echo(render.due_json(items, reveal) if fmt == "json" else render.due_table(items, reveal))
        return
    if unvisited:
        rows = [r for r in rows if not (r["visited"] or r["moved_out"])]
    click.echo(render.households_json(rows, reveal) if fmt == "json" else render.households_table(rows, reveal))


@main.group()
def visit() -> None:
    """Record door-knock visits from the command line."""


def parse_finding(spec: str, due: str | None) -> dict:
    """'ROLE:TEXT' or 'ROLE/CATEGORY:TEXT' → a finding dict for model.validate_finding."""
    head, sep, text = spec.partition(":")
    if not sep:
        raise model.ValidationError("cli.bad_finding_spec", value=spec)
    role_text, _, category = head.partition("/")
    role = vocab.role(role_text)
    return {"role": role, "category": vocab.category(role, category), "asked": text, "due": due}


def add_proposal(findings: list[dict], specs: tuple[str, ...], due: str | None) -> None:
    """--propose FACT=VALUE (people=4, phone=…, tags=独居老人、低保, moved_out=yes) on the visit's data
    finding, or on a new one when it has none."""
    proposed: dict = {}
    for spec in specs:
        fact, sep, value = spec.partition("=")
        fact = fact.strip()
        if not sep or fact not in model.PROPOSABLE_FACTS:
            raise model.ValidationError("cli.bad_propose", value=spec,
                                        valid="、".join(f"{f}（{i18n.name('fact', f)}）" for f in model.PROPOSABLE_FACTS))
        if fact == "tags":
            proposed[fact] = vocab.tags(value)
        elif fact == "moved_out":
            proposed[fact] = value.strip().lower() in ("yes", "y", "true", "1", "是")
        else:
            proposed[fact] = value.strip()
    data = next((f for f in findings if f["role"] == "data"), None)
    if data is None:
        data = {"role": "data", "category": "other", "asked": t("proposal.asked_cli"), "due": due}
        findings.append(data)
    data["proposed"] = proposed


@visit.command("add")
@click.option("--household")
@click.option("--building")
@click.option("--unit", type=int)
@click.option("--outcome", required=True, type=Word(vocab.outcome, "outcome"))
@click.option("--mode", default="door", show_default=True, type=Word(vocab.mode, "mode"))
@click.option("--finding", "findings", multiple=True, metavar="cli.metavar.finding")
@click.option("--due")
@click.option("--note", default="")
@click.option("--propose", "proposals", multiple=True, metavar="cli.metavar.propose")
@click.pass_obj
def visit_add(obj: Ctx, household: str | None, building: str | None, unit: int | None, outcome: str, mode: str,
              findings: tuple[str, ...], due: str | None, note: str, proposals: tuple[str, ...]) -> None:
    """Record one visit, or one for every household of a building (or of one unit of it), with the
    same checks as the form in the app."""
    with friendly_errors():
        if (household is None) == (building is None):
            raise model.ValidationError("cli.household_or_building")
        if unit is not None and building is None:
            raise model.ValidationError("cli.unit_needs_building")
        if due:
            model.parse_date(due)
        parsed = [parse_finding(s, due) for s in findings]
        if proposals:
            add_proposal(parsed, proposals, due)
        store = obj.open_store()
        try:
            state = store.state
            if household is not None:
                homes = [ids.resolve(household, state.entities["household"], t("kind.household"),
                                     t("ids.hint.households"))]
            else:
                bid = _building(state, building)
                homes = views.stairwell(state, bid, unit)
                if not homes:
                    raise model.ValidationError("cli.no_households_there")
            vids = store.record_visits([{"household": hid, "outcome": outcome, "mode": mode, "note": note,
                                         "findings": parsed} for hid in homes])
            shown = ids.short_ids(store.state.entities["visit"])  # a save may fold anew: a new state
        finally:
            store.close()
    if len(vids) == 1:
        click.echo(t("cli.visit_saved", id=shown[vids[0]], n=len(parsed)))
    else:
        click.echo(t("cli.visits_saved", n=len(vids), findings=len(parsed) * len(vids),
                     first=shown[vids[0]], last=shown[vids[-1]]))


def _building(state, text: str) -> str:  # noqa: ANN001 - events.State
    """A building by the name the households list shows (幸福里小区1栋), its own name if unique, or its id."""
    named = [bid for bid, b in state.entities["building"].items()
             if text.strip() in (views.building_label(state, bid), b.get("name"))]
    if len(named) == 1:
        return named[0]
    return ids.resolve(text, state.entities["building"], t("kind.building"), t("ids.hint.buildings"))


@visit.command("edit")
@click.argument("visit_id")
@click.option("--mode", type=Word(vocab.mode, "mode"))
@click.option("--outcome", type=Word(vocab.outcome, "outcome"))
@click.option("--note")
@click.option("--void", is_flag=True)
@click.pass_obj
def visit_edit(obj: Ctx, visit_id: str, mode: str | None, outcome: str | None, note: str | None, void: bool) -> None:
    """Correct a saved visit, or void one recorded by mistake; the history keeps the original."""
    with friendly_errors():
        store = obj.open_store()
        try:
            visits = store.state.entities["visit"]
            vid, shown = ids.resolve_shown(visit_id, visits, t("kind.visit"), t("ids.hint.history"))
            if void:
                store.void_visit(vid)
            else:
                store.correct_visit(vid, {"mode": mode, "outcome": outcome, "note": note})
        finally:
            store.close()
    click.echo(t("cli.visit_voided" if void else "cli.corrected", id=shown))


@main.group()
def finding() -> None:
    """Correct what a saved finding says."""


@finding.command("edit")
@click.argument("finding_id")
@click.option("--category")
@click.option("--asked")
@click.option("--action")
@click.option("--triage", type=Word(vocab.triage, "triage"))
@click.option("--due")
@click.pass_obj
def finding_edit(obj: Ctx, finding_id: str, category: str | None, asked: str | None, action: str | None,
                 triage: str | None, due: str | None) -> None:
    """Correct a saved finding (its role stays); the history keeps the original."""
    with friendly_errors():
        store = obj.open_store()
        try:
            findings = store.state.entities["finding"]
            fid, shown = ids.resolve_shown(finding_id, findings, t("kind.finding"), t("ids.hint.history"))
            role = findings[fid]["role"]
            changes = {"category": vocab.category(role, category) if category else None, "asked": asked,
                       "action": action, "triage": triage, "due": due}
            store.correct_finding(fid, changes)
        finally:
            store.close()
    click.echo(t("cli.corrected", id=shown))


@main.command()
@click.argument("household")
@fmt_option
@click.pass_obj
def history(obj: Ctx, household: str, fmt: str) -> None:
    """A household's visits and findings, newest first, with the short ids edit takes."""
    with friendly_errors():
        store = obj.open_store(readonly=True)
        try:
            state = store.state
            hid = ids.resolve(household, state.entities["household"], t("kind.household"), t("ids.hint.households"))
            detail = views.household_detail(state, hid, store.today())
            short = {**ids.short_ids(state.entities["visit"]), **ids.short_ids(state.entities["finding"])}
        finally:
            store.close()
    click.echo(render.history_json(detail, short) if fmt == "json" else render.history_lines(detail, short))


@main.command()
@click.pass_obj
def quarantine(obj: Ctx) -> None:
    """List records set aside because they break today's rules (kept on disk, shown nowhere else)."""
    with friendly_errors():
        store = obj.open_store(readonly=True)
        try:
            lines = quarantine_lines(store.quarantined)
        finally:
            store.close()
    click.echo("\n".join(lines))


# --- settings ----------------------------------------------------------------------------------

SETTINGS = {"cycle": "cycle", "lang": "lang", "shared": "shared", "lock": "lock"}


@main.command("config")
@click.argument("name", required=False, type=click.Choice(sorted(SETTINGS)))
@click.argument("value", required=False)
@click.pass_obj
def config_cmd(obj: Ctx, name: str | None, value: str | None) -> None:
    """Show or change a setting: cycle (week, month, quarter or days like 14d), lang (zh or en),
    shared (the shared folder: a USB stick with a new drive letter needs no key), lock (minutes idle
    before the app locks; 0 never)."""
    from ..home import save_config

    if name is None:
        for key in sorted(SETTINGS):
            click.echo(f"{key} = {obj.config.get(key, DEFAULTS[key])}")
        return
    if value is None:
        click.echo(obj.config.get(name, DEFAULTS[name]))
        return
    with friendly_errors():
        if name == "cycle":
            views.cycle_start(dt.date.today(), value)  # raises a clear error for a bad value
        elif name == "shared":
            from ..sync import folder

            value = str(folder.require(Path(value)).absolute())
        elif name == "lock":
            if not value.isdigit() or int(value) > 24 * 60:
                raise model.ValidationError("cli.bad_lock", value=value)
        elif value not in i18n.LANGS:
            raise model.ValidationError("cli.bad_lang", value=value)
        save_config(obj.home, {**obj.config, name: value})
    click.echo(t("cli.setting_saved", name=name, value=value))


# --- joining the office and syncing ------------------------------------------------------------


@main.command()
@click.option("--shared", required=True, type=click.Path(path_type=Path))
@click.option("--worker", "worker_id", required=True)
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", "key_on_command_line", hidden=True)  # only to say why not
@click.pass_obj
def setup(obj: Ctx, shared: Path, worker_id: str, key_file: Path | None, key_on_command_line: str | None) -> None:
    """Join this laptop to the community office and pull my grid.

    The key is asked for at a prompt that does not show it, read from --key-file, or read from
    standard input when that is not a terminal — never taken from the command line, where other
    users of the computer could read it.
    """
    from ..keys import parse
    from ..sync.worker import setup as do_setup

    with friendly_errors():
        if key_on_command_line is not None:
            raise UserError("key.on_command_line")
        key = parse(_read_key(key_file))
        info = do_setup(obj.home, shared, worker_id, key, new_pin=obj.pins.new_pin, unlock=obj.pins.unlock)
    click.echo(t("sync.setup_done", **info))


def _read_key(key_file: Path | None) -> str:
    if key_file is not None:
        try:
            return key_file.read_text(encoding="utf-8-sig").splitlines()[0] if key_file.stat().st_size else ""
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError("key.file_unreadable", path=key_file, reason=i18n.os_reason(exc, with_path=False)) from None
    from .pin import ask_hidden

    return ask_hidden(t("key.prompt")) or ""


@main.command()
@click.pass_obj
def sync(obj: Ctx) -> None:
    """Send my changes to the shared folder and take the office's."""
    from ..sync.worker import message, sync as do_sync

    with friendly_errors():
        store = obj.open_store()
        try:
            result = do_sync(store, obj.home)
        finally:
            store.close()
    click.echo(message(result))


@main.command()
@click.pass_obj
def passwd(obj: Ctx) -> None:
    """Change the PIN of this laptop's data (the data is not re-encrypted: only its key is)."""
    change_pin(obj, real_store(obj.home))


main.add_command(office)


def run(launch: Launch | None = None) -> None:
    """The `gridtui` command: click's main, and for a bug one sentence and a report, no traceback.
    ``launch`` opens the app (gridtui.entry gives it); without it, commands that would open the app say so."""
    from .. import crash

    settle_loads()
    arm_quick_exit()
    try:
        main(obj=launch)
    except SystemExit as exc:
        _exit_now(exc.code)
        raise
    except KeyboardInterrupt:
        click.echo(t("cli.interrupted"), err=True)
        sys.exit(130)
    except OSError as exc:  # the disk or the folder, met before a command's own handling (its config)
        click.echo(f"{t('cli.error')}{i18n.os_error(exc)}", err=True)
        sys.exit(EXIT_USAGE)
    except Exception as exc:  # noqa: BLE001 - anything click did not turn into a message is a bug
        path = crash.record(exc, _crash_home())
        click.echo(t("crash.cli", path=path or "-"), err=True)
        sys.exit(70)


def _exit_now(code: object) -> None:
    """End the process with ``code`` once what it wrote is out, without tearing down what the
    command left (see context.leave_to_exit); returns only for a code ``os._exit`` cannot take."""
    if not left_to_exit() or (code is not None and type(code) is not int):
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe (| head): what was written is all it took
        pass
    os._exit(code or 0)


def _crash_home() -> Path | None:
    argv = sys.argv[1:]
    if "--home" in argv and argv.index("--home") + 1 < len(argv):
        return Path(argv[argv.index("--home") + 1])
    try:
        return home_dir(None)
    except Exception:  # noqa: BLE001 - a report goes to the temp folder then
        return None


if __name__ == "__main__":  # pragma: no cover
    run()
