"""My grid at a glance: the office's figures (coverage, findings, closure, wishes) for this cycle."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from .. import model, views
from ..i18n import name, t
from .. import render, report
from .base import GridScreen
from .widgets import GridTable, cell, fill_table, num


class SummaryScreen(GridScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "ui.key.back")]

    def compose_body(self) -> ComposeResult:
        yield Static(id="figures")
        yield GridTable(id="roles", cursor_type="row")

    def refresh_data(self) -> None:
        today = self.store.today()
        since = views.cycle_start(today, self.app.cycle)  # type: ignore[attr-defined]
        figures = report.summary(self.store.state, since, today, grid=self.store.meta.get("grid"))
        total = figures["total"]
        self.set_title((t("ui.title.summary"), "bold"), "  ", t("ui.summary.period", since=since, until=today))
        self.query_one("#figures", Static).update("\n".join(render.summary_lines(total)))
        columns = [(k, t(f"ui.col.s.{k}")) for k in ("role", "opened", "closed", "rate", "overdue")]
        rows = [[cell(name("role", r)), num(v["opened"]), num(v["closed"]), cell(render.pct(v["closure_rate"]),
                 justify="right"), num(v["overdue"], "bold" if v["overdue"] else "")]
                for r, v in ((r, total["by_role"][r]) for r in model.ROLES)]
        table = self.query_one("#roles", DataTable)
        fill_table(table, columns, rows, table.cursor_row)
