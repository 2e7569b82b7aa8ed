"""Find any household of the grid: by room, name, phone tail, tag or pinyin initials, as you type."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label

from .. import views
from ..i18n import t
from .base import GridScreen
from .widgets import GridTable, cell, field, head_text, room_text, tags_text

COLUMNS = ("where", "head", "tags", "last", "found_by")


class SearchScreen(GridScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "ui.key.back"),
        Binding("down", "results", show=False),
    ]

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.query_text = query
        self.rows: list[dict] = []

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="search-row"):
            yield Label(t("ui.search.label"), classes="label")
            yield field(t("ui.search.placeholder"), id="query", value=self.query_text)
        yield GridTable(id="results", cursor_type="row")

    def on_mount(self) -> None:
        self.query_one("#query", Input).focus()
        self.app.warm_search()  # type: ignore[attr-defined]

    def refresh_data(self) -> None:
        text = self.query_one("#query", Input).value
        self.rows = views.search_households(self.store.state, text, self.store.today(), self.app.cycle,
                                            self.store.meta.get("grid"))
        self.show_records("results", self.rows, [(k, t(f"ui.col.s.{k}")) for k in COLUMNS], [
            [cell(f"{r['building']} {room_text(r['unit'], r['room'])}"), cell(head_text(r["head"])),
             cell(tags_text(r["tags"])), cell(r["last_visit"] or t("ui.never"), "" if r["visited"] else "bold"),
             cell(t(f"ui.found.{r['found_by']}"), "dim")]
            for r in self.rows
        ], [("tags", 6), ("where", 16), ("found_by", 4)])
        if text.strip():
            self.set_title((t("ui.title.search"), "bold"), "  ", t("ui.search.count", n=len(self.rows), text=text.strip()))
        else:
            self.set_title((t("ui.title.search"), "bold"), "  ", (t("ui.search.hint"), "dim"))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.app.hold_frames_until_laid_out()  # type: ignore[attr-defined]  # the rows and the title: one frame
        self.refresh_data()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_results()

    def action_results(self) -> None:
        if self.rows:
            self.query_one("#results", DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self.row_under_cursor("results", self.rows)
        if row:
            self.open_household(row["id"], views.walk_order(self.store.state, [r["id"] for r in self.rows]),
                                "results")
