"""Home: the buildings of my grid, with coverage of this cycle and what is still open."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label

from .. import views
from ..i18n import t
from .base import GridScreen
from .widgets import GridTable, WARN, cell, field, num

# Sort columns, cycled with `s`: the view's own order first, then the numbers, largest first.
SORTS = ("name", "households", "visited", "open", "overdue")


def narrow(rows: list[dict], text: str, sort: str) -> list[dict]:
    """Rows whose name contains ``text`` (any case), in ``sort`` order."""
    text = text.strip().casefold()
    out = [r for r in rows if text in r["name"].casefold()] if text else list(rows)
    if sort != "name":
        out.sort(key=lambda r: -r[sort])  # stable: ties keep the view's order
    return out


class BuildingsScreen(GridScreen):
    BINDINGS = [
        Binding("slash", "filter", "ui.key.filter", key_display="/"),
        Binding("o", "sort", "ui.key.sort"),
        Binding("escape", "clear_filter", "ui.key.clear_filter"),
        Binding("q", "app.quit", "ui.key.quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self.due: tuple[str, str] | None = None  # the line under the title: what cannot wait
        self.shown: list[dict] = []
        self.sort = "name"

    def compose_body(self) -> ComposeResult:
        yield GridTable(id="buildings", cursor_type="row")
        with Horizontal(id="filter-row"):
            yield Label(t("ui.filter.label"), classes="label")
            yield field(t("ui.filter.placeholder"), id="filter")

    def on_mount(self) -> None:
        self.query_one("#filter-row").display = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return self.query_one("#filter-row").display  # Esc shows in the footer while filtering
        return True

    def columns(self) -> list[tuple[str, str]]:
        return [(key, t(f"ui.col.b.{key}") + (" ▼" if key == self.sort and key != "name" else "")) for key in SORTS]

    def refresh_data(self) -> None:
        self.rows = views.buildings_overview(self.store.state, self.store.today(), self.app.cycle,
                                             self.store.meta.get("grid"))
        self.due = self._due_line()
        self.show_rows()

    def show_rows(self) -> None:
        text = self.query_one("#filter", Input).value
        self.shown = narrow(self.rows, text, self.sort)
        self.show_records("buildings", self.shown, self.columns(), [
            [cell(r["name"]), num(r["households"]), num(r["visited"]), num(r["open"]),
             num(r["overdue"], WARN if r["overdue"] else "")]
            for r in self.shown
        ], [("name", 12)])
        title: list = [(t("ui.title.buildings"), "bold"), "  ",
                       t("ui.buildings.count", n=len(self.shown), total=len(self.rows)), "  ",
                       t("ui.sorted_by", col=t(f"ui.col.b.{self.sort}"))]
        if text.strip():
            title += ["  ", t("ui.filtered_by", text=text.strip())]
        if self.due:
            title += ["\n", self.due]
        self.set_title(*title)

    def _due_line(self) -> tuple[str, str] | None:
        """The first thing a worker sees in the morning, under the title: who cannot wait."""
        due = views.due_today(self.store.state, self.store.today(), self.store.meta.get("grid"))
        if not due:
            return None
        care = [i for i in due if i["kind"] == "household"]
        return (t("ui.today.summary", care=len(care), knocked=sum(1 for i in care if i["knocks"]),
                  findings=len(due) - len(care)), WARN)

    def current(self) -> dict | None:
        return self.row_under_cursor("buildings", self.shown)

    # --- keys -----------------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self.current()
        if row:
            from .building import BuildingScreen

            self.app.push_screen(BuildingScreen(row["id"], row["name"]))

    def action_filter(self) -> None:
        self.query_one("#filter-row").display = True
        self.query_one("#filter", Input).focus()
        self.refresh_bindings()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.query_one("#filter-row").display = False
        self.query_one("#buildings").focus()
        self.refresh_bindings()
        self.show_rows()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.show_rows()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#buildings").focus()

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.show_rows()
