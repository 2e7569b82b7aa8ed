"""Asking for the PIN that unlocks a store: at the terminal, or for scripts from a file or variable.

Where the PIN comes from, first found wins:

1. ``--pin-file PATH`` or ``$GRIDTUI_PIN_FILE``: the first line of that file (scheduled merges);
2. ``$GRIDTUI_PIN``: the variable itself (for scripts and tests; other local users may see it);
3. a hidden prompt at the terminal, with :data:`TRIES_PER_RUN` tries.

The risks of 1 and 2 are written up in docs/security.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .. import crypto, i18n, vault
from ..errors import UserError
from ..i18n import t

ENV_PIN = "GRIDTUI_PIN"
ENV_PIN_FILE = "GRIDTUI_PIN_FILE"
TRIES_PER_RUN = 3


class PinSource:
    def __init__(self, pin_file: Path | None = None) -> None:
        self.pin_file = pin_file or (Path(os.environ[ENV_PIN_FILE]) if os.environ.get(ENV_PIN_FILE) else None)
        self._unlocked: dict[Path, crypto.Cipher] = {}  # one command asks for a store's PIN once

    def given(self) -> str | None:
        """The PIN from a file or the environment, if one was given that way."""
        if self.pin_file is not None:
            try:
                if os.name == "posix" and os.stat(self.pin_file).st_mode & 0o077:
                    # Anyone else who can read it has the PIN: refuse, and say how to fix it.
                    raise UserError("pin.file_open", path=self.pin_file)
                lines = self.pin_file.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise UserError("pin.file_unreadable", path=self.pin_file,
                                reason=i18n.os_reason(exc, with_path=False)) from None
            return lines[0] if lines else ""
        return os.environ.get(ENV_PIN) or None

    def unlock(self, folder: Path, question: str = "pin.ask") -> crypto.Cipher:
        """The cipher of the store in ``folder``; asks up to three times at the terminal."""
        if Path(folder) not in self._unlocked:
            self._unlocked[Path(folder)] = self._ask(folder, question)
        return self._unlocked[Path(folder)]

    def _ask(self, folder: Path, question: str) -> crypto.Cipher:
        given = self.given()
        if given is not None:
            return vault.unlock(folder, given)
        for attempt in range(TRIES_PER_RUN):
            try:
                return vault.unlock(folder, prompt(t(question)))
            except vault.WrongPin as exc:
                if attempt == TRIES_PER_RUN - 1 or not exc.args_["left"]:
                    raise
                click.echo(t("pin.wrong", **exc.args_), err=True)
        raise AssertionError("unreachable")

    def new_pin(self, office: bool = False) -> str:
        """A new PIN: the given one, or typed twice at the terminal. The office's is held to more."""
        given = self.given()
        if given is not None:
            vault.check_new_pin(given, office)
            return given
        return self.ask_new_pin(office)

    def new_office_pin(self) -> str:
        return self.new_pin(office=True)

    def ask_new_pin(self, office: bool = False) -> str:
        from ..pinrules import MIN_OFFICE, MIN_WORKER, suggestion

        click.echo(t("pin.choose", n=MIN_OFFICE if office else MIN_WORKER), err=True)
        if office:  # the whole community's ledger: offer something long that nobody would guess
            click.echo(t("pin.suggest", phrase=suggestion()), err=True)
        for attempt in range(TRIES_PER_RUN):
            pin = prompt(t("pin.new"))
            try:
                vault.check_new_pin(pin, office)
            except UserError as exc:
                problem = exc
            else:
                if prompt(t("pin.repeat")) == pin:
                    return pin
                problem = UserError("pin.mismatch")
            if attempt == TRIES_PER_RUN - 1:
                raise problem
            click.echo(t(problem.key, **problem.args_), err=True)
        raise AssertionError("unreachable")

    def encrypt_legacy(self, folder: Path) -> None:
        """Encrypt an office store an older gridtui left plain, if ``folder`` holds one (asks for a new PIN)."""
        from ..store import Store

        if Store.exists(folder) and not vault.is_protected(folder):
            with Store.open(folder, load=False, new_pin=lambda: self.protect_legacy(office=True)) as store:
                if store.cipher is not None:
                    self._unlocked[Path(folder)] = store.cipher

    def protect_legacy(self, office: bool = False) -> str:
        """A PIN for a store written before encryption, which is about to be encrypted."""
        click.echo(t("pin.legacy"), err=True)
        return self.new_pin(office)


def prompt(text: str) -> str:
    answer = ask_hidden(text)
    if answer is None:
        # No terminal to ask at (a scheduled job) or Ctrl+C / Ctrl+D at the prompt.
        raise UserError("pin.needed", env=ENV_PIN_FILE)
    return answer


def ask_hidden(text: str) -> str | None:
    """A line typed without being shown, or None when there is none to be had. From a pipe it is
    the pipe's next line: getpass would warn, in English with its source path, and echo it anyway."""
    if not sys.stdin or not sys.stdin.isatty():
        line = sys.stdin.readline() if sys.stdin else ""
        return line.rstrip("\r\n") if line else None
    try:
        return click.prompt(text, hide_input=True, err=True, show_default=False, default=None,
                            prompt_suffix="：" if i18n.get_lang() == "zh" else ": ")
    except click.Abort:
        return None
