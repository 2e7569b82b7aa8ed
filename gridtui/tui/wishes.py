"""Micro-wishes (微心愿): wished → claimed (by whom) → fulfilled 😊."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input

from .. import views
from ..i18n import name, t
from .base import FilteredList, FormModal, filter_row
from .widgets import GridTable, cell, head_text, room_text

COLUMNS = ("where", "head", "title", "state", "claimed_by")


class WishesScreen(FilteredList):
    BINDINGS = [
        Binding("c", "claim", "ui.key.claim"),
        Binding("d", "fulfil", "ui.key.fulfil"),
        Binding("slash", "filter", "ui.key.filter", key_display="/"),
        Binding("escape", "back", "ui.key.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []

    def compose_body(self) -> ComposeResult:
        yield GridTable(id="wishes", cursor_type="row")
        yield from filter_row()

    def refresh_data(self) -> None:
        text = self.query_one("#filter", Input).value
        self.rows = views.matching(views.wishes(self.store.state), text, ("title", "claimed_by", "building", "room"))
        self.show_records("wishes", self.rows, [(k, t(f"ui.col.w.{k}")) for k in COLUMNS], [
            [cell(f"{r['building']} {room_text(r['unit'], r['room'])}"), cell(head_text(r["head"])), cell(r["title"]),
             cell(name("wish", r["state"]), "bold" if r["state"] == "wish" else ""), cell(r["claimed_by"] or "")]
            for r in self.rows
        ], [("claimed_by", 6), ("title", 10), ("where", 18)])
        counts = {s: sum(1 for r in self.rows if r["state"] == s) for s in ("wish", "claimed", "fulfilled")}
        self.set_title((t("ui.title.wishes"), "bold"), "  ", t("ui.wishes.count", **counts))

    def current(self) -> dict | None:
        return self.row_under_cursor("wishes", self.rows)

    def action_claim(self) -> None:
        row = self.current()
        if row is None:
            return
        if row["state"] != "wish":
            self.notify(t("ui.wishes.not_open"))
            return

        def apply(data: dict) -> None:
            return self.store.set_wish_state(row["id"], "claimed", claimed_by=data["who"], note=data.get("note", ""))

        fields = [("who", t("ui.f.claimed_by"), "text"), ("note", t("ui.f.note"), "text")]
        self._change(t("ui.wishes.claim_title", title=row["title"]), fields, apply, row, "claimed")

    def action_fulfil(self) -> None:
        row = self.current()
        if row is None:
            return
        if row["state"] != "claimed":
            self.notify(t("ui.wishes.not_claimed"))
            return

        def apply(data: dict) -> None:
            return self.store.set_wish_state(row["id"], "fulfilled", note=data.get("note", ""))

        self._change(t("ui.wishes.fulfil_title", title=row["title"]), [("note", t("ui.f.note"), "text")], apply,
                     row, "fulfilled")

    def _change(self, title: str, fields: list, apply, row: dict, state: str) -> None:  # noqa: ANN001
        """A form that changes the wish; once saved, say so (naming the wish) with the chance to undo."""
        made: list[list[dict]] = []

        def done(saved: bool | None) -> None:
            if saved:
                self.data_changed()
                self.app.offer_undo(made[-1], t("ui.changed.wish", state=name("wish", state), what=row["title"],
                                                where=room_text(row["unit"], row["room"])))

        self.app.push_screen(FormModal(title, fields, lambda data: made.append(apply(data))), done)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self.current()
        if row and row.get("household"):
            self.open_household(row["household"], views.walk_order(self.store.state, [r["household"] for r in self.rows]))
