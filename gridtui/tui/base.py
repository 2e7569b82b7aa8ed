"""The frame every screen shares (top bar, title line, footer) and the small modal dialogs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.css.scalar import Scalar
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Label, Static

from .. import model
from ..i18n import t
from .widgets import ChoiceBar, KeyBar, TopBar, error_text, field, fill_table, follow_cursor, show

if TYPE_CHECKING:
    from ..store import Store


class GridScreen(Screen):
    """A full screen: top bar, one title line, the body, and the footer with this screen's keys."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: tuple[int, int] | None = None
        self._width = 0
        self._shown_ids: dict[str, list[str]] = {}  # per table: the records its rows show, in order
        self._aims: dict[str, str] = {}  # per table: the record the cursor must land on at the next fill

    @property
    def store(self) -> Store:
        return self.app.store  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield TopBar(id="topbar")
        yield Static(id="title")
        yield from self.compose_body()
        yield KeyBar(id="keybar")

    def compose_body(self) -> ComposeResult:
        return iter(())

    def set_title(self, *parts: str | tuple[str, str]) -> None:
        title = self.query_one("#title", Static)
        content = Content.assemble(*parts)
        # A new layout of the whole screen costs more than the search that changed the title (it
        # is retitled on every key): only when the title now takes another number of lines.
        # The height is set, not left to "auto": a second retitle before the first was laid out
        # would keep the first one's height (Textual caches it until the next layout).
        width = title.size.width or self.app.size.width - 2
        lines = min(2, sum(1 + (part.cell_length > width) for part in content.split("\n")))
        show(title, content)
        if title.styles.height != Scalar.from_number(lines):
            title.styles.height = lines

    def on_screen_resume(self) -> None:
        self.query_one(TopBar).refresh_bar()
        state = self.store.state
        seen = (id(state), state.count)
        if seen != self._seen:  # something changed (or first showing): ask the views again
            self._seen = seen
            self.refresh_data()

    def refresh_data(self) -> None:
        """Read the views and fill the widgets."""

    def _hidden(self) -> bool:
        """Under an opaque screen: nothing of this one can be seen until it resumes (and is then
        laid out again if the size changed, and drawn whole)."""
        stack = self.app.screen_stack
        return bool(stack) and stack[-1] is not self and stack[-1].styles.background.a == 1

    # Textual lays out and redraws the screen underneath too, since it might show through: when a
    # screen opens (its first layout counts as a resize), and when the one below is suspended. For
    # an opaque screen on top, that made Textual draw the whole terminal a second time: twice the
    # bytes over a slow SSH link, for nothing anyone could see.
    def _screen_resized(self, size) -> None:  # noqa: ANN001 - Textual's own signature
        if not self._hidden():
            super()._screen_resized(size)

    def _compositor_refresh(self) -> None:
        if self._hidden():
            self._compositor._dirty_regions.clear()
            self._dirty_widgets.clear()
            return
        super()._compositor_refresh()

    def on_mount(self) -> None:
        self.app.hold_frames_until_idle()  # type: ignore[attr-defined] - the first screen too: one frame

    def on_resize(self, event: events.Resize) -> None:
        self.app.hold_frames_until_idle()  # type: ignore[attr-defined] - laid out and refitted: one frame
        if self._seen is not None and self.is_current and self._width and event.size.width != self._width:
            self.refresh_data()  # a real change of width (not the first layout): tables fit it again
        self._width = event.size.width
        if self.is_mounted:
            self.query_one(TopBar).refresh_bar()  # says so when the terminal is too small

    def row_under_cursor(self, table_id: str, rows: list[dict]) -> dict | None:
        """The record behind the table row the cursor is on (None on an empty table)."""
        table = self.query_one(f"#{table_id}", DataTable)
        return rows[table.cursor_row] if 0 <= table.cursor_row < len(rows) else None

    def show_records(self, table_id: str, records: list[dict], columns: Sequence[tuple[str, str]], cells: list[list],
                     shrink: Sequence[tuple[str, int]] = ()) -> None:
        """Fill a table with ``records`` (one row each, by their ``id``), the cursor following its record.

        Screens act on records, never on row numbers: after any change the cursor stays on the same
        record, or, when that one left the list, moves to the one that followed it.
        """
        table = self.query_one(f"#{table_id}", DataTable)
        ids = [r["id"] for r in records]
        aim = self._aims.pop(table_id, None)
        keep = ids.index(aim) if aim in ids else follow_cursor(self._shown_ids.get(table_id, ()), table.cursor_row, ids)
        fill_table(table, columns, cells, keep, self.size.width or self.app.size.width, shrink)
        self._shown_ids[table_id] = ids

    def aim(self, table_id: str, rid: str) -> None:
        """Put the cursor on record ``rid`` (a screen above moved on to it): now, and after a refresh."""
        ids = self._shown_ids.get(table_id, [])
        if rid in ids:
            self.query_one(f"#{table_id}", DataTable).move_cursor(row=ids.index(rid), animate=False)
        self._aims[table_id] = rid

    def open_household(self, hid: str, walk: Sequence[str], table_id: str | None = None) -> None:
        """Open a household; ``n``/``p`` there walk on through ``walk`` (in walk order), and this
        screen's cursor follows to wherever the worker ends up."""
        from .household import HouseholdScreen

        follow = (lambda rid: self.aim(table_id, rid)) if table_id else None
        self.app.push_screen(HouseholdScreen(hid, list(walk), follow))

    def data_changed(self) -> None:
        """After this screen wrote to the store: redraw now, and the header's unsynced count."""
        self._seen = None
        self.on_screen_resume()


def filter_row() -> ComposeResult:
    """The ``/`` filter line at the bottom of a list screen, hidden until asked for."""
    row = Horizontal(Label(t("ui.filter.label"), classes="label"), field(t("ui.filter.text_placeholder"), id="filter"),
                     id="filter-row")
    row.display = False
    yield row


def open_filter(screen: Screen) -> None:
    screen.query_one("#filter-row").display = True
    screen.query_one("#filter", Input).focus()


def close_filter(screen: Screen) -> bool:
    """Esc on a filtered list clears the filter first; whether there was one to clear."""
    row = screen.query_one("#filter-row")
    if not row.display:
        return False
    screen.query_one("#filter", Input).value = ""
    row.display = False
    screen.query_one(DataTable).focus()
    return True


class FilteredList(GridScreen):
    """A list screen with the ``/`` text filter (follow-ups, wishes): typing refilters, Enter goes
    to the list, Esc clears the filter before it leaves the screen."""

    def action_filter(self) -> None:
        open_filter(self)

    def action_back(self) -> None:
        if not close_filter(self):
            self.app.pop_screen()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.refresh_data()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(DataTable).focus()


class ConfirmModal(ModalScreen[bool]):
    """A yes/no question; y answers yes, n or Esc answers no."""

    BINDINGS = [
        Binding("y", "answer(True)", "ui.key.yes"),
        Binding("n,escape", "answer(False)", "ui.key.no"),
    ]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.message), id="question")
            yield Static(t("ui.confirm.hint"), classes="hint")
        yield KeyBar(id="keybar")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


# A form field: (key, label, spec); spec "text" for a line of text, or options for a ChoiceBar.
FieldSpec = tuple[str, str, "str | Sequence[tuple[object, str]]"]


class FormModal(ModalScreen[bool]):
    """A few fields and a save key; ``apply`` writes them, and a ValidationError stays on screen."""

    BINDINGS = [
        Binding("ctrl+s", "save", "ui.key.save"),
        Binding("escape", "cancel", "ui.key.cancel"),
        Binding("down", "app.focus_next", show=False),
        Binding("up", "app.focus_previous", show=False),
    ]

    def __init__(self, title: str, fields: Sequence[FieldSpec], apply: Callable[[dict], None],
                 values: dict | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.fields = list(fields)
        self.apply = apply
        self.initial = values or {}  # what the fields show at first (a correction starts from the saved values)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.title_text), classes="dialog-title")  # residents' words: never markup
            for key, label, spec in self.fields:
                with Horizontal(classes="row"):
                    yield Label(label, classes="label")
                    if spec == "text":
                        yield field(id=f"f-{key}", value=str(self.initial.get(key) or ""))
                    else:
                        yield ChoiceBar(spec, self.initial.get(key), id=f"f-{key}")  # type: ignore[arg-type]
            yield Static("", id="error", classes="error")
            yield Static(t("ui.form.hint"), classes="hint")
        yield KeyBar(id="keybar")

    def values(self) -> dict:
        out = {}
        for key, _, _ in self.fields:
            w = self.query_one(f"#f-{key}")
            out[key] = w.value
        return out

    def _next_or_save(self, widget: object) -> None:
        ids = [f"f-{k}" for k, _, _ in self.fields]
        if getattr(widget, "id", None) == ids[-1]:
            self.action_save()
        else:
            self.focus_next()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._next_or_save(event.input)

    def on_choice_bar_submitted(self, event: ChoiceBar.Submitted) -> None:
        event.stop()
        self._next_or_save(event.bar)

    def action_save(self) -> None:
        try:
            self.apply(self.values())
        except (model.ValidationError, OSError) as err:
            self.query_one("#error", Static).update(Content(error_text(err)))
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        typed = any(isinstance(v, str) and v.strip() for v in self.values().values())
        if not typed:
            self.dismiss(False)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(False)

        self.app.push_screen(ConfirmModal(t("ui.form.discard_q")), answered)


class HelpScreen(ModalScreen[None]):
    """Every key of the screen underneath and of the app, with what it does."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "ui.key.close")]

    def __init__(self, sections: Iterable[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__()
        self.sections = list(sections)

    def compose(self) -> ComposeResult:
        lines: list = []
        for title, keys in self.sections:
            if lines:
                lines.append("\n")
            lines.append((title, "bold underline"))
            width = max((len(k) for k, _ in keys), default=0)
            for key, desc in keys:
                lines += ["\n  ", (key.ljust(width), "bold"), "  ", desc]
        with VerticalScroll(classes="dialog", id="help"):
            yield Static(Content.assemble(*lines))
        yield KeyBar(id="keybar")

    def action_close(self) -> None:
        self.dismiss(None)


class PickModal(ModalScreen[str | None]):
    """Choose one of a few records with ↑/↓ and Enter; dismissed with its id (None on Esc)."""

    BINDINGS = [Binding("escape", "cancel", "ui.key.cancel")]
    AUTO_FOCUS = "#pick"

    def __init__(self, title: str, choices: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)

    def compose(self) -> ComposeResult:
        from textual.widgets import OptionList
        from textual.widgets.option_list import Option

        with Vertical(classes="dialog"):
            yield Static(Content(self.title_text), classes="dialog-title")
            yield OptionList(*[Option(Content(label), id=key) for key, label in self.choices], id="pick",
                             compact=True, markup=False)
        yield KeyBar(id="keybar")

    def on_option_list_option_selected(self, event) -> None:  # noqa: ANN001 - OptionList.OptionSelected
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
