"""One building: its households by unit, floor and room, with the last visit and what is open."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable

from .. import views
from ..i18n import name, t
from .base import GridScreen
from .widgets import GridTable, cell, head_text, num, tags_text

COLUMNS = ("unit", "floor", "room", "head", "last", "outcome", "open", "tags")


class BuildingScreen(GridScreen):
    BINDINGS = [
        Binding("v", "visit", "ui.key.visit"),
        Binding("space", "mark", "ui.key.mark"),
        Binding("a", "mark_unit", "ui.key.mark_unit"),
        Binding("N", "new_household", "ui.key.new_household"),
        Binding("m", "moved_out", "ui.key.moved_out"),
        Binding("u", "toggle_unvisited", "ui.key.unvisited"),
        Binding("f", "followups", "ui.key.building_followups"),
        Binding("escape", "app.pop_screen", "ui.key.back"),
    ]

    def __init__(self, bid: str, label: str) -> None:
        super().__init__()
        self.bid = bid
        self.label = label
        self.unvisited = False
        self.rows: list[dict] = []
        self.shown: list[dict] = []
        self.marked: set[str] = set()  # households chosen for one visit each, the same (a stairwell's notice)

    def compose_body(self) -> ComposeResult:
        yield GridTable(id="households", cursor_type="row")

    def refresh_data(self) -> None:
        self.rows = views.building_households(self.store.state, self.bid, self.store.today(), self.app.cycle)
        self.show_rows()

    def show_rows(self) -> None:
        self.shown = [r for r in self.rows if not (r["visited"] or r["moved_out"])] if self.unvisited else self.rows
        rows = []
        for r in self.shown:
            dim = "dim" if r["moved_out"] else ""
            tags = t("ui.list_sep").join(filter(None, [name("fact", "moved_out") if r["moved_out"] else "",
                                                        t("ui.pending") if r.get("proposed") else "",
                                                        tags_text(r["tags"])]))
            room = f"✔{r['room']}" if r["id"] in self.marked else r["room"]
            rows.append([
                cell(r["unit"], dim), cell(r["floor"], dim), cell(room, "bold reverse" if r["id"] in self.marked else dim),
                cell(head_text(r["head"]), dim),
                cell(r["last_visit"] or t("ui.never"), dim if r["visited"] else "bold"),
                cell(name("outcome", r["last_outcome"]), dim),
                num(r["open"], "bold" if r["open"] else dim), cell(tags, dim),
            ])
        self.show_records("households", self.shown, [(k, t(f"ui.col.h.{k}")) for k in COLUMNS], rows,
                          [("tags", 8), ("outcome", 6), ("head", 4)])
        living = [r for r in self.rows if not r["moved_out"]]
        visited = sum(1 for r in living if r["visited"])
        title: list = [(self.label, "bold"), "  ", t("ui.building.count", visited=visited, total=len(living))]
        if self.unvisited:
            title += ["  ", (t("ui.building.only_unvisited", n=len(self.shown)), "reverse")]
        if self.marked:
            title += ["  ", (t("ui.building.marked", n=len(self.marked)), "bold reverse")]
        self.set_title(*title)

    def action_mark(self) -> None:
        row = self.current()
        if row is None or row["moved_out"]:
            return
        self.marked ^= {row["id"]}
        self.show_rows()
        self.query_one("#households", DataTable).action_cursor_down()  # on to the next door, as file managers do

    def action_mark_unit(self) -> None:
        """Mark every lived-in household of the cursor's unit, or unmark them all if they are marked."""
        row = self.current()
        if row is None:
            return
        unit = {r["id"] for r in self.rows if r["unit"] == row["unit"] and not r["moved_out"]}
        self.marked = self.marked - unit if unit <= self.marked else self.marked | unit
        self.show_rows()

    def action_new_household(self) -> None:
        """A door the roster lacks: propose it to the office, and it is on the round at once."""
        from .base import FormModal

        fields = [("unit", t("ui.col.h.unit"), "text"), ("room", t("ui.col.h.room"), "text"),
                  ("head", t("ui.f.head"), "text"), ("phone", t("ui.f.phone"), "text"),
                  ("people", t("ui.f.people"), "text")]
        row = self.current()
        made: list[str] = []

        def done(saved: bool | None) -> None:
            if saved:
                self.aim("households", made[-1])
                self.data_changed()
                self.notify(t("ui.new_household.saved"))

        self.app.push_screen(FormModal(t("ui.new_household.title", building=self.label), fields,
                                       lambda data: made.append(self.store.propose_household(self.bid, data)),
                                       {"unit": row["unit"] if row else 1}), done)

    def action_moved_out(self) -> None:
        from .base import ConfirmModal

        row = self.current()
        if row is None or row["moved_out"]:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.store.propose_moved_out(row["id"])
                self.data_changed()
                self.notify(t("ui.moved_out.saved"))

        self.app.push_screen(ConfirmModal(t("ui.moved_out.ask", room=f"{row['unit'] or ''}-{row['room']}",
                                            head=head_text(row["head"]))), answered)

    def action_visit(self) -> None:
        """A visit of the household under the cursor, or one each for all the marked ones."""
        from .visit import VisitScreen

        group = [r["id"] for r in self.rows if r["id"] in self.marked]
        row = self.current()
        hid = group[0] if group else (row["id"] if row else None)
        if hid is None:
            return
        detail = views.household_detail(self.store.state, hid, self.store.today())

        def done(outcome: str | None) -> None:
            if outcome and group:
                self.marked = set()
                self.data_changed()

        self.app.push_screen(VisitScreen(hid, detail, group=group if len(group) > 1 else None), done)

    def current(self) -> dict | None:
        return self.row_under_cursor("households", self.shown)

    def action_followups(self) -> None:
        from .followups import FollowupsScreen

        self.app.push_screen(FollowupsScreen(self.bid, self.label))

    def action_toggle_unvisited(self) -> None:
        self.unvisited = not self.unvisited
        self.show_rows()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self.current()
        if row:
            self.open_household(row["id"], [r["id"] for r in self.shown], "households")
