"""Small widgets and helpers the screens share: the top bar, a one-line choice, table cells."""

from __future__ import annotations

from typing import Iterable, Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scrollbar import ScrollBar
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from .. import i18n, model, views
from ..i18n import name, t
from ..textfmt import truncate

NBSP = "\u00a0"
_NULL = Style.null()
# Overdue and the like: a light red that stays readable when NO_COLOR turns colours to greys.
WARN = "bold #ff8a80"


def binding_label(binding: Binding) -> str:
    """What a key does, in the current language. BINDINGS give i18n keys (``ui.key.*``) because
    the language is chosen at run time, after the classes are defined; Textual's own palette key
    is named by the app."""
    if binding.action in ("command_palette", "app.command_palette"):
        return t("ui.key.palette")
    return t(binding.description) if binding.description.startswith("ui.") else binding.description


def error_text(exc: Exception) -> str:
    """One line for what went wrong with a save; what was typed stays in the form."""
    if isinstance(exc, model.ValidationError):
        return t(exc.key, **exc.args_)
    if isinstance(exc, OSError):
        return i18n.os_error(exc)
    return t("cli.os_error", reason=i18n.os_reason(exc))


def cell(text: object, style: str = "", justify: str | None = None) -> Text:
    """A DataTable cell as plain text: residents' words are never read as markup."""
    return Text("" if text is None else str(text), style=style, justify=justify)  # type: ignore[arg-type]


def num(n: int, style: str = "") -> Text:
    return cell(n, style=style, justify="right")


def follow_cursor(before: Sequence[str], cursor: int, after: Sequence[str]) -> int:
    """Where the cursor goes when a table's records change: onto the same record, or — if it left the
    list — onto the one that came after it (the next door), else the one before, else the top."""
    if not after:
        return 0
    where = {rid: i for i, rid in enumerate(after)}
    if 0 <= cursor < len(before):
        for rid in list(before[cursor:]) + list(reversed(before[:cursor])):
            if rid in where:
                return where[rid]
    return min(max(cursor, 0), len(after) - 1)


def fit_widths(natural: dict[str, int], width: int, shrink: Sequence[tuple[str, int]], spare: int) -> dict[str, int]:
    """Column widths that fit ``width`` cells: the shrinkable column with the most room above its
    narrowest gives a cell, again and again, so one long column cannot squeeze the others to nothing."""
    widths = dict(natural)
    over = sum(widths.values()) + spare - width
    floor = {key: min(n for k, n in shrink if k == key) for key, _ in shrink}
    while over > 0:
        key = max((k for k in floor if widths[k] > floor[k]), key=lambda k: widths[k] - floor[k], default=None)
        if key is None:
            break
        widths[key] -= 1
        over -= 1
    return widths


def fill_table(table: DataTable, columns: Sequence[tuple[str, str]], rows: list[list], keep: int | None = None,
               width: int | None = None, shrink: Sequence[tuple[str, int]] = ()) -> None:
    """Replace a table's columns and rows (rows in one call); put the cursor back on row ``keep``.

    ``columns`` are (key, label). Every column gets its width now, so the first frame is already
    laid out. With ``width``, the ``shrink`` columns — (key, narrowest) — give up cells until the
    table fits (no sideways scrolling at 80 columns), and text cut short ends in "…".
    """
    table.clear(columns=True)
    natural = {key: max([cell_len(label)] + [cell_len(str(r[i])) for r in rows]) for i, (key, label) in
               enumerate(columns)}
    widths = fit_widths(natural, width, shrink, 2 * table.cell_padding * len(columns) + 2) if width else natural
    for key, label in columns:
        table.add_column(label, key=key, width=widths[key])
    cut = [(i, widths[key]) for i, (key, _) in enumerate(columns) if widths[key] < natural[key]]
    if cut:
        rows = [_cut_row(r, cut) for r in rows]
    table.add_rows(rows)
    if isinstance(table, GridTable):
        table.settle()
    if rows:
        table.move_cursor(row=min(max(keep or 0, 0), len(rows) - 1), animate=False, scroll=True)


def _cut_row(row: list, cut: list[tuple[int, int]]) -> list:
    row = list(row)
    for i, w in cut:
        c = row[i]
        if isinstance(c, Text) and c.cell_len > w:
            # Cut between characters (a wide one that does not fit is left out whole), then "…".
            row[i] = Text(truncate(c.plain, w), style=c.style, justify=c.justify)
    return row


def show(widget: Static, content: Content) -> None:
    """Show ``content`` in ``widget`` unless it shows it already: the same text again would be
    drawn and sent to the terminal again. The caller sees to the widget's height."""
    if getattr(widget, "_shown", None) != content:
        widget._shown = content  # type: ignore[attr-defined]
        widget.update(content, layout=False)


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


class KeyBar(Static):
    """The footer: this screen's keys and the app's, as one line of text.

    Textual's Footer mounts a widget per key and recomposes them on every screen switch, which
    costs more than drawing the screen itself on a slow laptop; one line of text costs nothing, and
    is cut between characters (with "…") rather than through the middle of a Chinese one.
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._changed)
        self._changed()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _changed(self, *_: object) -> None:
        # Bindings are "updated" on every change of focus, mostly to the same keys: a footer drawn
        # again the same is a second frame for nothing.
        drawn = getattr(self, "_drawn", None)
        if not self.size.width or self.render() != drawn:
            self.refresh(layout=False)

    # Always at the right end, whatever else has to give way: where to find every other key.
    PINNED = ("help", "app.help", "command_palette", "app.command_palette")

    def render(self) -> Content:
        pinned, parts, seen = {}, [], set()
        for _node, binding, enabled, _tip in self.screen.active_bindings.values():
            entry = (self.app.get_key_display(binding), binding_label(binding), enabled)
            if binding.action in self.PINNED:
                pinned.setdefault(binding.action.removeprefix("app."), entry)
                continue
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            parts.append(entry)
        width = max(self.size.width, 1)
        tail = "".join(f"  {k} {d}" for k, d, _ in pinned.values())
        room = width - cell_len(tail)
        out: list = []
        used = 0
        for key, desc, enabled in parts:
            piece = f"{key} {desc}  "
            if used + cell_len(piece) > room:
                if room - used > 2:
                    out.append(truncate(piece, room - used))
                    used = room
                break
            out.append((key, "bold" if enabled else "dim"))
            out.append((f" {desc}  ", "" if enabled else "dim"))
            used += cell_len(piece)
        if pinned:
            out.append(" " * max(room - used, 0))
            for key, desc, _ in pinned.values():
                out += ["  ", (key, "bold"), f" {desc}"]
        self._drawn = Content.assemble(*out)
        return self._drawn


class _QuietScrollbars:
    """Scrollbars drawn in the frame of the layout that changed them, and only then.

    Textual repaints both scrollbars at every layout, changed or not, and a changed one a frame
    later, by a message of its own: the layout's frame had it already when the whole screen was
    drawn (see GridApp._hold_frames), so that is a second frame, and a wait for it."""

    def _scroll_update(self, virtual_size: Size) -> None:
        self._refresh_scrollbars()
        width, height = self.container_size
        if self.show_vertical_scrollbar and self.styles.scrollbar_size_vertical:
            self._set_bar(self.vertical_scrollbar, virtual_size.height, height - self.scrollbar_size_horizontal)
        if self.show_horizontal_scrollbar and self.styles.scrollbar_size_horizontal:
            self._set_bar(self.horizontal_scrollbar, virtual_size.width, width - self.scrollbar_size_vertical)
        self.scroll_x = self.validate_scroll_x(self.scroll_x)
        self.scroll_y = self.validate_scroll_y(self.scroll_y)

    def _set_bar(self, bar: ScrollBar, virtual: int, window: int) -> None:
        if (bar.window_virtual_size, bar.window_size) == (virtual, window):
            return
        bar.set_reactive(ScrollBar.window_virtual_size, virtual)
        bar.set_reactive(ScrollBar.window_size, window)
        bar.refresh()
        region = bar.region  # empty when not placed yet: the frame that places it draws it
        if region:  # this runs inside a layout: its frame, next, draws the bar's region
            self.screen._compositor._dirty_regions.add(region)  # type: ignore[attr-defined]
            bar._repaint_required = False


class GridTable(_QuietScrollbars, DataTable):
    """A table of records: Home/End go to the first and last row, PgUp/PgDn a page (DataTable's own)."""

    BINDINGS = [
        Binding("home", "first", show=False),
        Binding("end", "last", show=False),
    ]

    def action_first(self) -> None:
        self.move_cursor(row=0, animate=False)

    def action_last(self) -> None:
        self.move_cursor(row=max(self.row_count - 1, 0), animate=False)

    def _fixed(self) -> bool:
        return not any(c.auto_width for c in self.columns.values()) and not any(
            r.auto_height or r.label for r in self.rows.values())

    def _update_dimensions(self, new_rows) -> None:  # noqa: ANN001 - DataTable's own signature
        # fill_table gives every column its width, and no row grows in height, so DataTable's
        # measuring of every new cell (a third of a search keystroke) finds nothing to change.
        if not self._fixed():
            super()._update_dimensions(new_rows)
            return
        header = self.header_height if self.show_header else 0
        self.virtual_size = Size(sum(c.get_render_width(self) for c in self.columns.values())
                                 + self._row_label_column_width, self._total_row_height + header)

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        # DataTable draws every cell through Rich's general layout (padding, wrapping, cropping,
        # a console render per cell): two thirds of a search keystroke. Our cells are one line of
        # plain text already cut to fit, so they are drawn here directly, segment for segment what
        # DataTable would draw (tests/test_stairwell.py compares the two); anything else is DataTable's.
        if row_index < 0 or column_index < 0 or row_index < self.fixed_rows or column_index < self.fixed_columns:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        key = (row_key, self._column_locations.get_key(column_index), base_style, cursor, hover,
               self._show_hover_cursor, self._update_count, self._pseudo_class_state)
        cache = self._cell_render_cache
        lines = cache.get(key)
        if lines is None:
            lines = self._plain_cell(row_key, row_index, column_index, base_style, width, cursor, hover)
            if lines is None:
                return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            cache[key] = lines
        return lines

    def _plain_cell(self, row_key: object, row_index: int, column_index: int, base_style: Style, width: int,
                    cursor: bool, hover: bool) -> list[list[Segment]] | None:
        row = self.rows.get(row_key)  # type: ignore[call-overload]
        if row is None or row.height != 1 or row.auto_height:
            return None
        text = self._get_row_renderables(row_index).cells[column_index]
        pad = self.cell_padding
        inner = width - 2 * pad
        if (type(text) is not Text or text.spans or text.justify not in (None, "left", "default", "right")
                or text.overflow not in (None, "fold") or inner < 0):
            return None
        plain = text.plain
        used = cell_len(plain)
        if used > inner or not plain.isprintable():
            return None
        component, post = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        pre = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component
        own = self.app.console.get_style(text.style) if text.style else _NULL
        blank = pre + _NULL + post  # as Rich styles the padding: before, its own (none), after
        body = pre + own + post
        gap = " " * (inner - used)
        if text.justify == "right":
            middle = [Segment(gap, body), Segment(plain, body)] if gap else [Segment(plain, body)]
        elif text.justify == "left":
            middle = [Segment(plain + gap, body)]
        else:
            middle = [Segment(plain, body)] + ([Segment(gap, blank)] if gap else [])
        edge = [Segment(" " * pad, blank)] if pad else []
        return [edge + [s for s in middle if s.text] + edge]

    def settle(self) -> None:
        """Size the table now rather than when idle: DataTable would draw the first frame with
        no rows' height, then lay out and draw everything again (twice the bytes over SSH)."""
        if self._require_update_dimensions and not self._updated_cells and self._fixed():
            self._require_update_dimensions = False
            self._new_rows.clear()
            self._update_dimensions(())


MIN_SIZE = (60, 16)  # below this the footer and the forms no longer fit


class TopBar(Static):
    """Training banner (in training mode), then worker and grid; on a real store the visits not yet
    synced and when the last sync was."""

    def refresh_bar(self) -> None:
        store = self.app.store  # type: ignore[attr-defined]
        who = views.whoami(store.state, store.meta.get("worker"), store.meta.get("grid"))
        parts: list = []
        if store.training:
            parts += [(f" {t('ui.training_banner')} ", "bold reverse"), " "]
        width, height = self.app.size
        if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
            parts += [(t("ui.too_small", w=MIN_SIZE[0], h=MIN_SIZE[1]), "bold reverse"), " "]
        parts.append(t("ui.header", worker=who["worker_name"], grid=who["grid_name"]))
        if not store.training:  # training never syncs: nothing to count
            n = store.unsynced_visits()
            at = store.meta.get("last_sync")
            parts += ["  ", (t("ui.unsynced", n=n), "bold" if n else ""), " · ",
                      t("ui.synced_at", at=at[5:16].replace("T", " ")) if at else t("ui.never_synced")]
        show(self, Content.assemble(*parts))  # one line, always (the stylesheet's height)


class _Settled:
    """A widget whose new size needs no second layout: the layout that sized it has placed
    everything around it. Textual lays the screen out again whenever a widget's size changes
    (content grew by a line), a frame later, for nothing here. A scroll container must always show
    its scrollbar (``overflow-y: scroll``): one appearing would need that layout."""

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        return super()._size_updated(size, virtual_size, container_size, layout=False)  # type: ignore[misc]


class SettledStatic(_Settled, Static):
    pass


class SettledScroll(_Settled, _QuietScrollbars, VerticalScroll):
    pass


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
