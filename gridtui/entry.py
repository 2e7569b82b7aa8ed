"""The `gridtui` console script: the command line, given the way to open the app.

The one module that knows both the command line and the TUI, so that neither imports the other
(import-linter checks it). Textual is loaded only when the app opens: `--help` and scripts start fast.
"""

from __future__ import annotations

from pathlib import Path

from .store import Store
from .terminal import on_a_terminal


def run() -> None:
    from .cli import run as cli_run

    cli_run(launch=open_app)


def open_app(store: Store, *, cycle: str, home: Path, lock_minutes: int) -> None:
    if not on_a_terminal():
        from .cli.context import CliError
        from .i18n import t

        raise CliError(t("cli.no_terminal"))
    from .tui.app import GridApp

    GridApp(store, cycle=cycle, home=home, lock_minutes=lock_minutes, settle_memory=True).run()

