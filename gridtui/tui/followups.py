"""Follow-ups: every open finding of my grid (overdue first), and the households due a visit."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import DataTable, Input, Static

from .. import model, views
from ..i18n import cat_name, name, t
from .base import FilteredList, FormModal, filter_row
from .widgets import GridTable, WARN, cell, head_text, num, room_text, tags_text

FINDING_COLUMNS = ("where", "role", "category", "due", "status", "asked")
DUE_COLUMNS = ("where", "head", "last", "since", "interval", "tags")


class FollowupsScreen(FilteredList):
    BINDINGS = [
        Binding("0", "role(0)", "ui.key.role_filter", key_display="0-7"),
        *(Binding(str(n), f"role({n})", show=False) for n in range(1, len(model.ROLES) + 1)),
        Binding("r", "status('referred')", "ui.key.refer"),
        Binding("d", "status('resolved')", "ui.key.resolve"),
        Binding("c", "status('closed')", "ui.key.close_finding"),
        Binding("h", "toggle_due", "ui.key.due_households"),
        Binding("slash", "filter", "ui.key.filter", key_display="/", show=False),
        Binding("escape", "back", "ui.key.back", show=False),  # footer room for the rest
    ]

    def __init__(self, building: str | None = None, label: str = "") -> None:
        super().__init__()
        self.role: str | None = None
        self.due_mode = False
        self.building = building  # only this building's follow-ups (opened from the building screen)
        self.label = label
        self.rows: list[dict] = []

    def compose_body(self) -> ComposeResult:
        yield GridTable(id="followups", cursor_type="row")
        yield Static(id="detail")
        yield from filter_row()

    def refresh_data(self) -> None:
        state, today, grid = self.store.state, self.store.today(), self.store.meta.get("grid")
        text = self.query_one("#filter", Input).value
        if self.due_mode:
            self.rows = views.matching(views.due_households(state, today, grid=grid), text,
                                       ("building", "room", "head"))
            self.show_records("followups", self.rows, [(k, t(f"ui.col.d.{k}")) for k in DUE_COLUMNS],
                              [self._due_row(r) for r in self.rows], [("tags", 6), ("where", 18)])
            self.set_title((t("ui.title.due"), "bold"), "  ", t("ui.due.count", n=len(self.rows)))
        else:
            self.rows = views.matching(views.followups(state, today, role=self.role, grid=grid, building=self.building),
                                       text, ("asked", "action", "building", "room", "head"))
            self.show_records("followups", self.rows, [(k, t(f"ui.col.f.{k}")) for k in FINDING_COLUMNS],
                              [self._finding_row(r, today.year) for r in self.rows],
                              [("asked", 8), ("category", 6), ("where", 18), ("status", 4)])
            overdue = sum(1 for r in self.rows if r["overdue"])
            role = name("role", self.role) if self.role else t("ui.all_roles")
            where = [(self.label, "bold"), "  "] if self.building else []
            self.set_title((t("ui.title.followups"), "bold"), "  ", *where, t("ui.role_is", role=role), "  ",
                           t("ui.followups.count", n=len(self.rows)), "  ",
                           (t("ui.followups.overdue", n=overdue), WARN if overdue else ""),
                           *(["  ", t("ui.filtered_by", text=text.strip())] if text.strip() else []))
        self.show_detail()
        self.refresh_bindings()

    @staticmethod
    def _finding_row(r: dict, year: int) -> list:
        due = r["due"] or "-"
        if due.startswith(f"{year}-"):
            due = due[5:]  # this year's dates as MM-DD; the line under the table has the full date
        if r["overdue"]:
            due_cell = cell(f"{due} {t('ui.overdue_days', n=r['days_overdue'])}", WARN)
        else:
            due_cell = cell(due)
        return [cell(f"{r['building']} {room_text(r['unit'], r['room'])}"), cell(name("role", r["role"])),
                cell(cat_name(r["role"], r["category"])), due_cell,
                cell(name("status", r["status"]), "bold" if r["status"] == "open" else ""), cell(r["asked"])]

    @staticmethod
    def _due_row(r: dict) -> list:
        since = t("ui.never") if r["days_since"] is None else t("ui.days", n=r["days_since"])
        if r["knocks"]:
            since += " " + t("ui.knocks", n=r["knocks"])
        return [cell(f"{r['building']} {room_text(r['unit'], r['room'])}"), cell(head_text(r["head"])),
                cell(r["last_visit"] or "-"), cell(since, WARN if r["knocks"] else "bold"), num(r["interval_days"]),
                cell(tags_text(r["tags"]))]

    def show_detail(self) -> None:
        """The highlighted finding in full, under the table: 诉求 → 措施, triage, due date, referral."""
        row = self.current()
        detail = self.query_one("#detail", Static)
        detail.display = bool(row) and not self.due_mode
        if not detail.display:
            return
        parts: list = [(f"{name('role', row['role'])} · {cat_name(row['role'], row['category'])}", "bold"), "  ",
                       (t("ui.f.asked"), "dim"), " ", row["asked"]]
        if row["action"]:
            parts += ["  ", (t("ui.f.action"), "dim"), " ", row["action"]]
        parts += ["  ", (name("triage", row["triage"]), "bold" if row["triage"] == "urgent" else "")]
        if row["due"]:
            parts += ["  ", t("ui.due_on", date=row["due"])]
        referred = [e["to"] for e in row["history"] if e.get("to")]
        if referred:
            parts += ["  → ", referred[-1]]
        detail.update(Content.assemble(*parts))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.show_detail()

    def current(self) -> dict | None:
        return self.row_under_cursor("followups", self.rows)

    # --- keys -----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("status", "role") and self.due_mode:
            return False
        return True

    def action_role(self, number: int) -> None:
        self.role = model.role_by_number(number) if number else None
        self.refresh_data()

    def action_toggle_due(self) -> None:
        self.due_mode = not self.due_mode
        self.query_one("#followups", DataTable).move_cursor(row=0, animate=False)
        self.refresh_data()

    def action_status(self, status: str) -> None:
        row = self.current()
        if row is None:
            return
        if status == "referred":
            fields = [("to", t("ui.f.to"), "text"), ("note", t("ui.f.note"), "text")]
        else:
            choices = [(None, t("ui.sat.none"))] + [(s, name("satisfaction", s)) for s in model.SATISFACTION]
            fields = [("satisfaction", t("ui.f.satisfaction"), choices), ("note", t("ui.f.note"), "text")]
        title = t(f"ui.status.{status}", what=f"{name('role', row['role'])} · "
                                              f"{cat_name(row['role'], row['category'])} · {row['asked']}")

        made: list[list[dict]] = []

        def apply(data: dict) -> None:
            made.append(self.store.set_finding_status(row["id"], status, data.get("note", ""),
                                                      data.get("satisfaction"), data.get("to")))

        def done(saved: bool | None) -> None:
            if saved:
                self.data_changed()
                self.app.offer_undo(made[-1], t("ui.changed.finding", status=name("status", status),
                                                what=row["asked"], where=room_text(row["unit"], row["room"])))

        self.app.push_screen(FormModal(title, fields, apply), done)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self.current()
        if row:
            homes = [r["household"] if not self.due_mode else r["id"] for r in self.rows]
            self.open_household(homes[self.rows.index(row)], views.walk_order(self.store.state, homes))
