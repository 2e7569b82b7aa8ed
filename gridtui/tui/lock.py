"""The app locked: after some idle minutes, or before names are shown again after a lock.

A laptop left open in a stairwell or on a community-centre table shows residents to whoever comes
by. After :attr:`GridApp.lock_minutes` without a key, the app covers everything with this screen
until the PIN is typed again; the PIN goes through the same counted, slowed-down check as at start.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..errors import UserError
from ..i18n import t
from .widgets import KeyBar


class PinScreen(ModalScreen[bool]):
    """Ask for the store's PIN; dismissed True once it is right. ``can_cancel``: Esc gives up (for
    revealing names); a lock cannot be cancelled, only quit."""

    DEFAULT_CSS = ""
    BINDINGS = [Binding("escape", "cancel", "ui.key.cancel")]

    def __init__(self, message: str, can_cancel: bool) -> None:
        super().__init__()
        self.message = message
        self.can_cancel = can_cancel

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="lock"):
            yield Static(Content(self.message), classes="dialog-title")
            pin = Input(password=True, id="pin", compact=True, placeholder=t("pin.ask"))
            pin.cursor_blink = False
            yield pin
            yield Static("", id="error", classes="error")
        yield KeyBar(id="keybar")

    def on_mount(self) -> None:
        self.query_one("#pin", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.can_cancel if action == "cancel" else True

    def action_cancel(self) -> None:
        self.dismiss(False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        from .. import vault

        try:
            vault.unlock(self.app.store.folder, event.value)  # type: ignore[attr-defined]
        except UserError as err:  # wrong, or wait: said here, the screen stays
            event.input.value = ""
            self.query_one("#error", Static).update(Content(t(err.key, **err.args_)))
            return
        self.dismiss(True)
