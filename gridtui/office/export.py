"""Exporting the office's merged records as files, for archiving or for other tools.

    households.csv  visits.csv  findings.csv  wishes.csv          --format csv (the default)
    households.jsonl  visits.jsonl  findings.jsonl  wishes.jsonl  --format jsonl

CSV is for people with a spreadsheet: UTF-8 with a byte-order mark (so Excel reads the Chinese
right), fixed English column names (docs/export.md), every row with the grid it belongs to.
JSON Lines is for programs: each record whole, as the app holds it, one per line.

Residents' personal data is masked by default — names, phones and ID numbers — and care tags
(独居老人, 低保 …) are left out (gridtui.privacy). ``--include-sensitive`` writes everything, and the
office ledger records when, where and by whom such an export was made.

The first half of this module is pure — folded state in, rows and bytes out — and the second
writes the files. Both formats sort rows by id, so exporting the same state twice gives the same
bytes, and two exports can be compared with diff.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import socket
import sys
from pathlib import Path

from .. import i18n, privacy, views
from ..atomic import write_atomic
from ..errors import UserError
from ..csvtext import cell
from ..events import HISTORIED, State
from ..vault import Unlock
from .commands import open_office
from .ledger import Ledger

FORMATS = ("csv", "jsonl")
KINDS = ("household", "visit", "finding", "wish")
FILE_STEMS = {"household": "households", "visit": "visits", "finding": "findings", "wish": "wishes"}

# CSV columns, in order. households.csv names its compound and building (ids in *_id), which also
# makes it a roster that `gridtui office init --roster households.csv` reads back.
COLUMNS: dict[str, tuple[str, ...]] = {
    "household": ("id", "grid", "compound_id", "compound", "building_id", "building", "unit", "floor", "room",
                  "head", "phone", "id_number", "people", "tags", "moved_out"),
    "visit": ("id", "grid", "household", "worker", "at", "mode", "outcome", "note", "void", "changed", "history"),
    "finding": ("id", "grid", "household", "visit", "at", "role", "category", "asked", "action", "triage", "due",
                "status", "to", "satisfaction", "note", "changed", "proposed", "proposal", "history"),
    "wish": ("id", "grid", "household", "finding", "at", "title", "state", "claimed_by", "note", "changed",
             "history"),
}


class ExportError(UserError):
    """The target folder cannot take the export."""


# --- pure: rows from state ------------------------------------------------------------------------


def records(state: State, kind: str, sensitive: bool = False) -> list[dict]:
    """Every record of ``kind`` without internal (``_``) keys, sorted by id; personal data masked
    unless ``sensitive``.

    The dicts are new; the values inside them (lists, history) are the state's own: read them only.
    """
    table = state.entities.get(kind, {})
    rows = [{k: v for k, v in table[eid].items() if not k.startswith("_")} for eid in sorted(table)]
    if kind in HISTORIED:  # the state keeps no empty history; the export always has one
        for r in rows:
            r.setdefault("history", [])
    return rows if sensitive else [privacy.masked_record(kind, r) for r in rows]


def table_rows(state: State, kind: str, sensitive: bool = False) -> list[dict]:
    """The records of ``kind`` with the columns a spreadsheet needs to filter them (grid, names)."""
    ents = state.entities
    rows = records(state, kind, sensitive)
    if kind == "household":
        for r in rows:
            b = ents["building"].get(r.get("building") or "", {})
            c = ents["compound"].get(b.get("compound") or "", {})
            r.update(grid=b.get("grid"), compound_id=b.get("compound"), compound=c.get("name"),
                     building_id=r.get("building"), building=b.get("name"))
    else:
        grids = views.household_grids(state)
        for r in rows:
            r["grid"] = grids.get(r.get("household") or "")
    return rows


def to_csv(kind: str, rows: list[dict]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)  # quotes cells holding commas, quotes or line breaks; \r\n as Excel expects
    cols = COLUMNS[kind]
    writer.writerow(cols)
    writer.writerows([cell(r.get(c)) for c in cols] for r in rows)
    return buf.getvalue().encode("utf-8-sig")


def to_jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows).encode("utf-8")


def export_files(state: State, fmt: str = "csv", sensitive: bool = False) -> list[tuple[str, bytes, int]]:
    """(file name, contents, rows) for each exported file, in the order of :data:`KINDS`."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    out = []
    for kind in KINDS:
        if fmt == "csv":
            rows = table_rows(state, kind, sensitive)
            data = to_csv(kind, rows)
        else:
            rows = records(state, kind, sensitive)
            data = to_jsonl(rows)
        out.append((f"{FILE_STEMS[kind]}.{fmt}", data, len(rows)))
    return out


# --- writing the files ------------------------------------------------------------------------------


def _prepare(folder: Path) -> None:
    """Make sure ``folder`` is a folder, creating it (owner-only) if its parent exists."""
    if folder.is_dir():
        return
    if folder.exists():
        raise ExportError("export.not_dir", path=folder)
    if not folder.parent.is_dir():
        # Not parents=True: a USB stick that is not mounted must not turn into a local folder.
        raise ExportError("export.no_parent", path=folder)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        if not folder.is_dir():
            raise ExportError("export.not_dir", path=folder) from None
    except OSError as exc:
        raise ExportError("export.cannot_write", path=folder, reason=i18n.os_reason(exc, with_path=False)) from None


def write_files(folder: Path, files: list[tuple[str, bytes, int]]) -> None:
    """Each file written atomically and readable by its owner only: they hold residents' data."""
    folder = Path(folder)
    _prepare(folder)
    for name, data, _ in files:
        try:
            write_atomic(folder / name, data)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise  # the CLI says the disk is full
            raise ExportError("export.cannot_write", path=folder / name, reason=i18n.os_reason(exc, with_path=False)) from None


def export(home: Path, folder: Path, fmt: str = "csv", sensitive: bool = False,
           unlock: Unlock | None = None) -> list[tuple[str, int]]:
    """Export the office store under ``home`` into ``folder``; returns (file name, rows) per file.

    An export with ``sensitive`` data is recorded in the ledger before a byte of it is written, so
    one that fails half-way is on record too.
    """
    with open_office(home, unlock) as store:
        files = export_files(store.state, fmt, sensitive)
        if sensitive:
            with Ledger.open(store) as ledger:
                ledger.record_export({"at": store.now_iso(), "to": str(Path(folder).absolute()), "format": fmt,
                                      "files": [name for name, _, _ in files], "user": os_user(),
                                      "host": socket.gethostname()})
    write_files(folder, files)
    return [(name, n) for name, _, n in files]


def record_sensitive_output(home: Path, to: Path, what: str, fmt: str, unlock: Unlock | None = None) -> None:
    """Put on record, before it is written, a file that names households with personal or care data
    (``office report --vulnerable -o FILE``): the same record an ``--include-sensitive`` export gets."""
    with open_office(home, unlock, load=False) as store, Ledger.open(store) as ledger:
        ledger.record_export({"at": store.now_iso(), "to": str(Path(to).absolute()), "format": fmt,
                              "files": [what], "user": os_user(), "host": socket.gethostname()})


def os_user() -> str:
    """The account this process runs as, asked of the OS (not $USER/$LOGNAME, which anyone can set)."""
    try:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import ctypes

            size = ctypes.c_ulong(257)
            buf = ctypes.create_unicode_buffer(size.value)
            if ctypes.windll.advapi32.GetUserNameW(buf, ctypes.byref(size)):
                return buf.value
            return "?"
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (OSError, KeyError, ImportError, AttributeError):  # an account with no name (some containers)
        return f"uid {os.geteuid()}" if hasattr(os, "geteuid") else "?"
