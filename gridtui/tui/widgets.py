"""Small widgets and helpers the screens share: the top bar, a one-line choice, table cells."""

from __future__ import annotations

import errno
from dataclasses import replace
from typing import Iterable, Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.content import Content
from textual.dom import DOMNode
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from .. import model, views
from ..i18n import name, t

NBSP = "\u00a0"
# Overdue and the like: a light red that stays readable when NO_COLOR turns colours to greys.
WARN = "bold #ff8a80"


def localize_bindings(node: DOMNode) -> None:
    """BINDINGS give i18n keys as descriptions (``ui.key.*``); show them in the current language.

    The language is chosen at run time, after the classes are defined, so each instance translates
    its own copy of the bindings.
    """
    table = node._bindings.key_to_bindings  # the instance's own copy (see DOMNode.__init__)
    for key, bindings in table.items():
        table[key] = [
            replace(b, description=t(b.description)) if b.description.startswith("ui.") else b for b in bindings
        ]


def error_text(exc: Exception) -> str:
    """One line for what went wrong with a save; what was typed stays in the form."""
    if isinstance(exc, model.ValidationError):
        return t(exc.key, **exc.args_)
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return t("cli.disk_full")
    return t("cli.os_error", reason=getattr(exc, "strerror", None) or exc)


def cell(text: object, style: str = "", justify: str | None = None) -> Text:
    """A DataTable cell as plain text: residents' words are never read as markup."""
    return Text("" if text is None else str(text), style=style, justify=justify)  # type: ignore[arg-type]


def num(n: int, style: str = "") -> Text:
    return cell(n, style=style, justify="right")


def fill_table(table: DataTable, columns: Sequence[tuple[str, str]], rows: list[list], keep: int | None = None,
               width: int | None = None, shrink: Sequence[tuple[str, int]] = ()) -> None:
    """Replace a table's columns and rows (rows in one call); put the cursor back on row ``keep``.

    ``columns`` are (key, label). With ``width``, the ``shrink`` columns — (key, narrowest), first
    shrunk first — give up cells until the table fits, so it does not scroll sideways at 80 columns.
    """
    table.clear(columns=True)
    widths: dict[str, int] = {}
    if width and columns:
        pad = 2 * table.cell_padding
        natural = {key: max([cell_len(label)] + [cell_len(str(r[i])) for r in rows])
                   for i, (key, label) in enumerate(columns)}
        over = sum(natural.values()) + pad * len(columns) + 2 - width  # 2: the vertical scrollbar
        for key, narrowest in shrink:
            if over <= 0:
                break
            current = widths.get(key, natural[key])
            give = max(0, min(over, current - narrowest))
            if give:
                widths[key] = current - give
                over -= give
    for key, label in columns:
        table.add_column(label, key=key, width=widths.get(key))
    table.add_rows(rows)
    if rows:
        table.move_cursor(row=min(max(keep or 0, 0), len(rows) - 1), animate=False, scroll=True)


def tags_text(tags: Iterable[str]) -> str:
    return t("ui.list_sep").join(name("tag", x) for x in tags)


def room_text(unit: object, room: object) -> str:
    return t("ui.unit_room", unit=unit if unit is not None else "-", room=room or "-")


def head_text(head: str, reveal: bool = False) -> str:
    return head if reveal else model.mask_name(head)


def field(placeholder: str = "", *, id: str | None = None, classes: str | None = None, value: str = "",
          restrict: str | None = None, max_length: int = 0) -> Input:
    """A one-line borderless input with a steady cursor (no blink timer redrawing over SSH)."""
    inp = Input(value=value, placeholder=placeholder, id=id, classes=classes, restrict=restrict,
                max_length=max_length, compact=True, select_on_focus=False)
    inp.cursor_blink = False
    return inp


class TopBar(Static):
    """Training banner (in training mode), then worker, grid and the count of unsynced changes."""

    def refresh_bar(self) -> None:
        store = self.app.store  # type: ignore[attr-defined]
        who = views.whoami(store.state, store.meta.get("worker"), store.meta.get("grid"))
        parts: list = []
        if store.training:
            parts += [(f" {t('ui.training_banner')} ", "bold reverse"), " "]
        parts.append(t("ui.header", worker=who["worker_name"], grid=who["grid_name"]))
        n = store.unsynced_count()
        parts += ["  ", (t("ui.unsynced", n=n), "bold" if n else "")]
        self.update(Content.assemble(*parts))


class ChoiceBar(Widget, can_focus=True):
    """Pick one of a few options on one line with ←/→: ◉ 上门  ○ 电话  ○ 其他.

    Works without colour: the chosen option is marked ◉, and reversed while the bar has focus.
    """

    BINDINGS = [
        Binding("left", "step(-1)", show=False),
        Binding("right", "step(1)", show=False),
        Binding("enter", "submit", show=False),
    ]

    index: reactive[int] = reactive(0)

    class Changed(Message):
        def __init__(self, bar: "ChoiceBar", value: object) -> None:
            super().__init__()
            self.bar = bar
            self.value = value

        @property
        def control(self) -> "ChoiceBar":
            return self.bar

    class Submitted(Message):
        """Enter on the bar: the screen moves on to the next field."""

        def __init__(self, bar: "ChoiceBar") -> None:
            super().__init__()
            self.bar = bar

        @property
        def control(self) -> "ChoiceBar":
            return self.bar

    def __init__(self, options: Sequence[tuple[object, str]], value: object = None, *,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.options = list(options)
        values = [v for v, _ in self.options]
        self.set_reactive(ChoiceBar.index, values.index(value) if value in values else 0)

    @property
    def value(self) -> object:
        return self.options[self.index][0]

    @value.setter
    def value(self, value: object) -> None:
        self.index = [v for v, _ in self.options].index(value)

    def action_step(self, delta: int) -> None:
        self.index = (self.index + delta) % len(self.options)

    def action_submit(self) -> None:
        self.post_message(self.Submitted(self))

    def watch_index(self) -> None:
        self.post_message(self.Changed(self, self.value))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def render(self) -> Content:
        parts: list = []
        for i, (_, label) in enumerate(self.options):
            if i:
                parts.append("  ")
            label = label.replace(" ", NBSP)
            if i == self.index:
                parts.append((f"◉{NBSP}{label}", "bold reverse" if self.has_focus else "bold underline"))
            else:
                parts.append(f"○{NBSP}{label}")
        return Content.assemble(*parts)
