"""What every command shares: the run's context (home, PIN source, language, the way to open the
app), the one sentence any failure becomes, and the helpers the worker's and the office's
commands both use."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Callable

import click

from .. import i18n
from ..errors import UserError
from ..home import home_dir, load_config, real_store
from ..i18n import t
from ..lock import StoreInUse
from ..storage import DamagedFile
from ..store import NotAStore, Store, UnknownRecord

EXIT_USAGE = 2

# What a command leaves to the end of the process. The console script (main.run) ends it without
# tearing anything down once the output is flushed: freeing a street office's year of records one
# object at a time is more than a second of a report. In-process callers (tests) never arm it.
_left_to_exit: list[object] | None = None


def arm_quick_exit() -> None:
    global _left_to_exit
    _left_to_exit = []


def leave_to_exit(obj: object) -> bool:
    """Keep ``obj`` until the process ends, if it ends without teardown; else False (free it now)."""
    if _left_to_exit is None:
        return False
    _left_to_exit.append(obj)
    return True


def left_to_exit() -> bool:
    """Whether the command left anything to the end of the process (only then is teardown skipped)."""
    return bool(_left_to_exit)


class CliError(click.ClickException):
    """One plain sentence to stderr and exit code 2 — never a traceback."""

    exit_code = EXIT_USAGE

    def show(self, file=None) -> None:  # noqa: ANN001 - click's signature
        click.echo(f"{t('cli.error')}{self.message}", err=True)


@contextlib.contextmanager
def friendly_errors():
    """Turn what can go wrong with data on disk into one sentence of what happened and what to do."""
    try:
        yield
    except UserError as exc:
        raise CliError(t(exc.key, **exc.args_)) from None
    except StoreInUse as exc:
        raise CliError(t("cli.in_use", pid=exc.pid or "?", host=exc.host or "?")) from None
    except DamagedFile as exc:
        raise CliError(t("cli.damaged", path=exc.path)) from None
    except NotAStore:
        raise CliError(t("cli.not_set_up")) from None
    except UnknownRecord as exc:
        raise CliError(t("cli.unknown_record", kind=i18n.name("kind", exc.kind), id=exc.eid)) from None
    except OSError as exc:
        raise CliError(i18n.os_error(exc)) from None


def warn_loss(store: Store) -> None:
    click.echo(i18n.loss_message(store.loss or {}, office=bool(store.meta.get("office"))), err=True)


# How the entry point opens the app on an open store: (store, cycle=, home=, lock_minutes=).
Launch = Callable[..., None]


class Ctx:
    def __init__(self, home: Path, demo: bool, worker: str | None, pin_file: Path | None = None,
                 launch: Launch | None = None) -> None:
        from .pin import PinSource

        self.launch = launch
        self.home = home
        self.demo = demo
        self.worker = worker
        self.config = load_config(home)
        self.pins = PinSource(pin_file)

    def use_home(self, home: Path) -> None:
        """--home given after the subcommand."""
        self.home = home_dir(home)
        self.config = load_config(self.home)

    def use_pin_file(self, pin_file: Path) -> None:
        from .pin import PinSource

        self.pins = PinSource(pin_file)

    def ready_office(self) -> None:
        """Before any office command: an office store an older gridtui left plain is encrypted."""
        from ..home import office_store

        with friendly_errors():
            self.pins.encrypt_legacy(office_store(self.home))

    def cycle(self) -> str:
        return self.config.get("cycle", DEFAULTS["cycle"])

    def open_store(self, readonly: bool = False) -> Store:
        if self.demo:
            from ..demo import DEFAULT_WORKER, open_training

            return open_training(self.home, self.worker or DEFAULT_WORKER, readonly=readonly)
        return self.open_real(readonly)

    def open_real(self, readonly: bool = False, hold_events: bool = True) -> Store:
        """The worker's own store, unlocked with the PIN (and encrypted first if an older gridtui wrote it)."""
        from ..sync.worker import adopt_config_key

        store = Store.open(real_store(self.home), unlock=self.pins.unlock, new_pin=self.pins.protect_legacy,
                           readonly=readonly, hold_events=hold_events)
        if store.readonly:
            return store
        try:
            adopt_config_key(store, self.home)
        except BaseException:
            store.close()
            raise
        return store


def apply_lang(config: dict, lang: str | None) -> None:
    i18n.set_lang(lang or i18n.lang_from_env() or config.get("lang") or "zh")


DEFAULTS = {"cycle": "month", "lang": "zh", "shared": "", "lock": "5"}


def quarantine_lines(events: list[dict]) -> list[str]:
    """What ``gridtui quarantine`` and ``gridtui office quarantine`` print: one line an event set aside."""
    from .. import rules
    from ..textfmt import clean

    if not events:
        return [t("quarantine.none")]
    lines = [t("quarantine.head", n=len(events))]
    for e in events:
        get = e.get if isinstance(e, dict) else {}.get
        stamp = get("t")
        when = dt.datetime.fromtimestamp(stamp[0] / 1000).isoformat(timespec="seconds") \
            if isinstance(stamp, list) and stamp and isinstance(stamp[0], int) and 0 < stamp[0] < 1 << 45 else "?"
        lines.append(t("quarantine.line", id=clean(str(get("id"))), kind=clean(str(get("kind"))),
                       eid=clean(str(get("eid"))), by=clean(str(get("by"))), at=when,
                       why=clean(rules.problem(e) or "")))
    return lines


def change_pin(obj: Ctx, folder: Path, office: bool = False) -> None:
    """Old PIN (or the given one), then the new one twice; the store is locked meanwhile."""
    from .. import vault
    from ..lock import StoreLock

    with friendly_errors():
        if not Store.exists(folder):
            raise NotAStore(str(folder))
        if not vault.is_protected(folder):
            raise UserError("pin.not_protected")
        with StoreLock(folder):
            cipher = obj.pins.unlock(folder, "pin.old")  # a wrong old PIN stops here
            new = obj.pins.ask_new_pin(office)
            vault.check_new_pin(new, office)
            vault.change_pin(folder, cipher, new)
    click.echo(t("pin.changed"))


# --format for every listing: a table for people, JSON for scripts.
fmt_option = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                          show_default=True)
