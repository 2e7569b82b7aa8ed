"""What is due today: care households past their interval and follow-ups past their date,
unanswered doors and the longest overdue first."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable

from .. import views
from ..i18n import cat_name, name, t
from .base import GridScreen
from .widgets import GridTable, WARN, cell, head_text, room_text, tags_text

COLUMNS = ("kind", "where", "head", "what", "late")


def late_text(item: dict) -> str:
    """How late, in words: 逾期 12 天 / 从未见到, and 敲门未应 ×2."""
    late = t("ui.today.never_met") if item["late"] is None else t("ui.today.late", n=item["late"])
    return late + (f" · {t('ui.knocks', n=item['knocks'])}" if item["knocks"] else "")


class TodayScreen(GridScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "ui.key.back")]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []

    def compose_body(self) -> ComposeResult:
        yield GridTable(id="today", cursor_type="row")

    def refresh_data(self) -> None:
        state = self.store.state
        self.rows = views.due_today(state, self.store.today(), self.store.meta.get("grid"))
        cells = []
        for item in self.rows:
            r = item["row"]
            if item["kind"] == "household":
                what = tags_text(r["tags"])
            else:
                what = f"{name('role', r['role'])} · {cat_name(r['role'], r['category'])} · {r['asked']}"
            cells.append([cell(t(f"ui.today.{item['kind']}"), "bold"),
                          cell(f"{r['building']} {room_text(r['unit'], r['room'])}"), cell(head_text(r["head"])),
                          cell(what), cell(late_text(item), WARN if item["knocks"] or item["late"] is None else "bold")])
        self.show_records("today", self.rows, [(k, t(f"ui.col.t.{k}")) for k in COLUMNS], cells,
                          [("what", 8), ("where", 16), ("head", 4)])
        care = sum(1 for i in self.rows if i["kind"] == "household")
        self.set_title((t("ui.title.today"), "bold"), "  ",
                       t("ui.today.count", care=care, findings=len(self.rows) - care))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self.row_under_cursor("today", self.rows)
        if row:
            self.open_household(row["household"], views.walk_order(self.store.state, [i["household"] for i in self.rows]))
