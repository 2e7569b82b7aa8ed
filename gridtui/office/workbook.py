"""The quarterly ledgers as Excel workbooks (``gridtui office ledger``), printable on A4 landscape.

    走访台账-2026Q4.xlsx           one sheet per duty role
    民情日记-W01-李秀英-2026Q4.xlsx  one per worker with visits in the quarter
    网格员考核-2026Q4.xlsx          one row per worker

Headers in Chinese (the UI language's words), the header row frozen and repeated on every printed
page, columns as wide as their text (CJK counted as two), long text wrapped. openpyxl writes them;
each file is written atomically, readable by its owner only. Households are masked as in ``office
export``; ``--include-sensitive`` writes them whole and is recorded in the ledger first.
"""

from __future__ import annotations

import datetime as dt
import io
import socket
from pathlib import Path

from .. import ledgers
from ..events import State
from ..i18n import cat_name, name, t
from ..render import pct as _pct
from ..textfmt import cell_width
from ..vault import Unlock
from ..store import gc_paused
from .commands import open_office
from .export import os_user, write_files
from .ledger import Ledger

MAX_WIDTH = 60  # characters of a column before it wraps
WRAPPED = frozenset({"asked", "action", "result", "note", "findings"})

ROLE_COLUMNS = ("date", "place", "household", "category", "asked", "action", "result", "status", "worker")
DIARY_COLUMNS = ("at", "place", "household", "mode", "outcome", "note", "findings")
ASSESS_COLUMNS = ("name", "grid_name", "households", "visited", "coverage", "visits", "raised", "closed_on_time",
                  "on_time_rate", "rated", "satisfaction_rate")


def _role_cells(role: str, r: dict) -> list:
    status = name("status", r["status"]) + (f"（{r['to']}）" if r["status"] == "referred" and r["to"] else "")
    result = r["result"] + (f"（{name('satisfaction', r['satisfaction'])}）" if r["satisfaction"] else "")
    return [r["date"], r["place"], r["household"], cat_name(role, r["category"]), r["asked"], r["action"], result,
            status, r["worker"]]


def _diary_cells(r: dict) -> list:
    found = t("ui.list_sep").join(f"{name('role', role)}·{cat_name(role, cat)}：{asked}" for role, cat, asked in
                                  r["findings"])
    return [r["at"], r["place"], r["household"], name("mode", r["mode"]), name("outcome", r["outcome"]), r["note"],
            found]


def _assess_cells(r: dict) -> list:
    return [r["name"], r["grid_name"], r["households"], r["visited"], _pct(r["coverage"]), r["visits"], r["raised"],
            r["closed_on_time"], _pct(r["on_time_rate"]), r["rated"], _pct(r["satisfaction_rate"])]


def _widths(head: list[str], rows: list[list]) -> list[int]:
    widths = [cell_width(h) for h in head]
    for row in rows:
        for i, v in enumerate(row):
            if isinstance(v, str):
                if widths[i] < MAX_WIDTH and len(v) * 2 > widths[i]:  # two columns a character at most
                    widths[i] = max(widths[i], cell_width(v))
            elif v is not None:
                widths[i] = max(widths[i], len(str(v)))
    return [min(max(w, 4), MAX_WIDTH) + 2 for w in widths]


def _sheet(wb, title: str, columns: tuple[str, ...], head: list[str], rows: list[list]) -> None:  # noqa: ANN001
    """One sheet, written row by row (openpyxl's write-only mode: a quarter's diaries are 10⁵ rows)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    ws = wb.create_sheet(title[:31])  # Excel's limit
    for i, width in enumerate(_widths(head, rows), 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    # Only text too long for its column is wrapped: a style per cell is most of what a cell costs.
    wrapped = {i for i, c in enumerate(columns) if c in WRAPPED}
    limit = MAX_WIDTH // 2

    def cell(value: object, font: Font | None = None, wrapping: bool = False) -> WriteOnlyCell:
        c = WriteOnlyCell(ws, value=value)
        if c.data_type == "f":  # text starting "=": a resident's words must never run as a formula
            c.data_type = "s"
        if font is not None:
            c.font = font
        if wrapping:
            c.alignment = wrap
        return c

    def plain(i: int, v: object) -> object:
        if not isinstance(v, str):
            return v
        if not v:
            return None  # no cell at all rather than an empty one: most visits found nothing
        if v.startswith("=") or (i in wrapped and len(v) > limit):
            return cell(v, wrapping=i in wrapped and len(v) > limit)
        return v

    ws.append([cell(h, font=bold) for h in head])
    for row in rows:
        ws.append([plain(i, v) for i, v in enumerate(row)])


Sheet = tuple[str, tuple[str, ...], list[str], list[list]]  # title, columns, their headers, rows
PARALLEL_ROWS = 20_000  # visits in the store above which the workbooks are written by several processes


def _book(sheets: list[Sheet], when: dt.datetime) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for title, columns, head, rows in sheets:
        _sheet(wb, title, columns, head, rows)
    # Created on the quarter's last day, not today (openpyxl stamps "modified" with the time of
    # saving, and the zip entries carry it too).
    wb.properties.created = when
    wb.properties.creator = "gridtui"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _safe(text: str) -> str:
    return "".join("_" if ch in '<>:"/\\|?*' or ord(ch) < 32 else ch for ch in text).strip() or "_"


def _heads(columns: tuple[str, ...]) -> list[str]:
    return [t(f"ledger.col.{c}") for c in columns]


def ledger_books(state: State, label: str, since: dt.date, until: dt.date, sensitive: bool = False) -> "_Books":
    """The quarter's workbooks, under way: :meth:`_Books.results` gives (file name, bytes, rows) of each."""
    when = dt.datetime.combine(until, dt.time(0, 0))
    books = _Books(when, parallel=len(state.entities["visit"]) >= PARALLEL_ROWS)
    try:
        by_role = ledgers.role_rows(state, since, until, sensitive)
        books.add(f"{_safe(t('ledger.file.roles'))}-{label}.xlsx",
                  [(name("role", role), ROLE_COLUMNS, _heads(ROLE_COLUMNS), [_role_cells(role, r) for r in rows])
                   for role, rows in by_role.items()], sum(len(rows) for rows in by_role.values()))
        workers = state.entities["worker"]
        for wid, rows in sorted(ledgers.diary_rows(state, since, until, sensitive).items()):
            who = workers.get(wid, {}).get("name") or wid
            books.add(f"{_safe(t('ledger.file.diary'))}-{_safe(wid)}-{_safe(who)}-{label}.xlsx",
                      [(t("ledger.file.diary"), DIARY_COLUMNS, _heads(DIARY_COLUMNS),
                        [_diary_cells(r) for r in rows])], len(rows))
        assess = ledgers.assessment_rows(state, since, until)
        books.add(f"{_safe(t('ledger.file.assessment'))}-{label}.xlsx",
                  [(t("ledger.file.assessment"), ASSESS_COLUMNS, _heads(ASSESS_COLUMNS),
                    [_assess_cells(r) for r in assess])], len(assess))
    except BaseException:
        books.close()
        raise
    return books


def ledger_files(state: State, label: str, since: dt.date, until: dt.date,
                 sensitive: bool = False) -> list[tuple[str, bytes, int]]:
    """(file name, workbook bytes, rows) for each workbook of the quarter."""
    books = ledger_books(state, label, since, until, sensitive)
    try:
        return books.results()
    finally:
        books.close()


class _Books:
    """Workbooks made as their rows are ready. A big quarter's go to a process per core while the
    next one's rows are worked out: openpyxl is pure Python (a cell costs it tens of microseconds)
    and the books are independent. Where no pool can be had (a locked-down PC), one after another."""

    def __init__(self, when: dt.datetime, parallel: bool) -> None:
        import os

        self.when = when
        self.pending: list[tuple[str, list[Sheet], int, object]] = []
        self.pool = None
        cores = os.cpu_count() or 1
        if parallel and cores > 1:
            from concurrent.futures import ProcessPoolExecutor

            try:
                self.pool = ProcessPoolExecutor(max_workers=min(cores, 4))
            except (OSError, NotImplementedError):
                self.pool = None

    def add(self, file: str, sheets: list[Sheet], rows: int) -> None:
        job = None
        if self.pool is not None:
            try:
                job = self.pool.submit(_book, sheets, self.when)
            except RuntimeError:  # a pool that broke (BrokenProcessPool is one): made here instead
                job = None
        self.pending.append((file, sheets, rows, job))

    def files(self) -> list[str]:
        return [file for file, _, _, _ in self.pending]

    def results(self) -> list[tuple[str, bytes, int]]:
        out = []
        for file, sheets, rows, job in self.pending:
            data = None
            if job is not None:
                try:
                    data = job.result()  # type: ignore[attr-defined]
                except (OSError, RuntimeError, EOFError):  # the worker died (BrokenProcessPool is one)
                    data = None
            out.append((file, data if data is not None else _book(sheets, self.when), rows))
        return out

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def write_ledger(home: Path, quarter: str, folder: Path, sensitive: bool = False,
                 unlock: Unlock | None = None) -> list[tuple[str, int]]:
    """Write the quarter's workbooks into ``folder``; returns (file name, rows) per file."""
    since, until = ledgers.quarter(quarter)
    label = f"{since.year}Q{(since.month + 2) // 3}"
    # The collector would rescan the loaded ledger for every batch of cells openpyxl makes.
    with gc_paused():
        # Its books keep every core busy: a snapshot of the state, if one is due, is left to the next report.
        with open_office(home, unlock, readonly=not sensitive, leave_snapshot=False) as store:
            books = ledger_books(store.state, label, since, until, sensitive)
            if sensitive:
                with Ledger.open(store) as ledger:
                    ledger.record_export({"at": store.now_iso(), "to": str(Path(folder).absolute()),
                                          "format": "xlsx", "files": books.files(), "user": os_user(),
                                          "host": socket.gethostname()})
        # The store is let go while the workbooks are still being made: freeing a big store's
        # hundreds of thousands of records takes a second that the wait for them then hides.
        del store
        try:
            files = books.results()
        finally:
            books.close()
    write_files(folder, files)
    return [(n, rows) for n, _, rows in files]

