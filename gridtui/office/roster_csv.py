"""Reading the office's roster: the JSON shape of demo_data.json, or a table with one household a
row — a CSV file, or the first sheet of an Excel workbook (.xlsx), header in the first row.

Columns (header in Chinese or English, any order; see docs/roster.md):

    网格 grid | 小区 compound | 楼栋 building | 单元 unit | 楼层 floor | 房号 room | 户主 head |
    电话 phone | 身份证号 id_number | 人数 people | 标签 tags | 编号 id (optional) | 地址 address (optional)

Tags are codes or Chinese names, separated by 、 , ; or spaces. Compounds, buildings and grids
get ids from the order they first appear (X01, B01 …; grids keep their own codes).

Both table readers turn the file into the same thing — the header and ``(line, {header: text})``
rows, every cell as text — and :func:`roster_from_rows` does the rest, so a CSV
and a workbook with the same cells give the same roster.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

from ..errors import UserError
from .. import i18n, model, vocab
from ..i18n import t
from ..roster import problem as roster_problem
from ..rosterdiff import plain

HEADERS = {
    "grid": ("网格", "grid"),
    "compound": ("小区", "compound"),
    "building": ("楼栋", "building"),
    "unit": ("单元", "unit"),
    "floor": ("楼层", "floor"),
    "room": ("房号", "room"),
    "head": ("户主", "head"),
    "phone": ("电话", "phone"),
    "id_number": ("身份证号", "id_number"),
    "people": ("人数", "people"),
    "tags": ("标签", "tags"),
    "id": ("编号", "id"),
    "address": ("地址", "address"),
}
REQUIRED = ("grid", "compound", "building", "room", "head")


class RosterFileError(UserError):
    """What is wrong with the roster file, and where."""


def load_roster(path: Path) -> dict:
    """The roster in a file a person hands in (JSON, CSV or Excel), checked whole before anything is
    built from it: a broken or hostile file is one sentence, never a half-made store."""
    data = _load(Path(path))
    found = roster_problem(data)
    if found is not None:
        key, args = found
        named = {k: i18n.name("roster.part", v) if k in ("what", "target", "part") else
                 i18n.name("ui.f", v) if k == "field" else v for k, v in args.items()}
        raise RosterFileError(key, path=path, **named)
    return data


def _load(path: Path) -> dict:
    if not path.is_file():
        raise RosterFileError("roster.missing", path=path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RosterFileError("roster.bad_json", path=path, reason=str(exc)) from None
        if not isinstance(data, dict) or data.get("format") != "gridtui-roster/1":
            raise RosterFileError("roster.bad_format", path=path)
        masked = [str(h.get("id")) for h in data.get("households", ()) if isinstance(h, dict) and _masked(h)]
        if masked:
            raise RosterFileError("roster.masked", path=path, rows=_some(masked, "roster.ids"))
        return data
    if suffix == ".csv":
        return roster_from_rows(*_read_csv(path), path)
    if suffix == ".xlsx":
        return roster_from_rows(*_read_xlsx(path), path)
    raise RosterFileError("roster.unsupported_suffix", path=path)


Rows = list[tuple[int, dict[str, str]]]  # (line in the file, {header: cell text}), blank rows left out


def _read_csv(path: Path) -> tuple[list[str], Rows]:
    try:
        # utf-8-sig: Excel's "CSV UTF-8" starts with a byte-order mark. Decoded from bytes, not
        # read_text, so a line break inside a quoted cell reaches the csv module untranslated.
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's plain "CSV" on a Chinese Windows is GBK: say how to save it rather than guess.
        raise RosterFileError("roster.not_utf8", path=path) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        rows = [(reader.line_num, dict(zip(header, cells))) for cells in reader if any(c.strip() for c in cells)]
    except csv.Error as exc:
        raise RosterFileError("roster.bad_csv", path=path, line=reader.line_num, reason=str(exc)) from None
    return header, rows


# Excel keeps 15 significant digits of a number: an ID number typed as a number has lost its last ones.
_EXACT_DIGITS = 10**15
# ...and a CSV saved from such a sheet holds what Excel showed: 4.20106E+17, 1.38123E+10.
_SCIENTIFIC_RE = re.compile(r"[0-9]+(?:\.[0-9]*)?[eE][+-]?[0-9]+")
# What an export's masks look like (范*国, 138****5678): a file holding them is not a roster.
_MASK_RE = re.compile(r"[*＊]")
_PERSONAL = ("head", "phone", "id_number")


def _masked(h: dict) -> bool:
    return any(isinstance(h.get(k), str) and _MASK_RE.search(h[k]) for k in _PERSONAL)


def _some(items: list[str], key: str) -> str:
    """The first few of a list, joined, with how many more: a sentence, not a screenful."""
    shown = t(key, items="、".join(items[:5]))
    return shown + t("roster.more", n=len(items) - 5) if len(items) > 5 else shown


def _cell(value: object, line: int, column: str) -> str:
    """A spreadsheet cell as the text a CSV would hold: 302, 302.0 → "302"; empty → ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if abs(value) >= _EXACT_DIGITS:
            raise RosterFileError("roster.imprecise_number", line=line, column=column)
        if value.is_integer():
            value = int(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def _read_xlsx(path: Path) -> tuple[list[str], Rows]:
    try:
        import openpyxl  # only here: a second of start-up that no other command should pay
    except ImportError:
        raise RosterFileError("roster.no_openpyxl") from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - a damaged zip or XML shows as any of a dozen types
        raise RosterFileError("roster.bad_xlsx", path=path, reason=str(exc) or type(exc).__name__) from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # some writers record a wrong used range; read what is there
        values = sheet.iter_rows(values_only=True)
        header = [_cell(v, 1, "") for v in next(values, ())]
        rows: Rows = []
        for line, row in enumerate(values, start=2):  # openpyxl yields empty rows for gaps
            cells = [_cell(v, line, header[i] if i < len(header) else "") for i, v in enumerate(row)]
            if any(cells):
                rows.append((line, dict(zip(header, cells))))
    except RosterFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - as above, for damage found while reading the sheet
        raise RosterFileError("roster.bad_xlsx", path=path, reason=str(exc) or type(exc).__name__) from None
    finally:
        book.close()
    return header, rows


def _column_map(fieldnames: list[str] | None, path: Path) -> dict[str, str]:
    names = {alias.lower(): key for key, aliases in HEADERS.items() for alias in aliases}
    cols = {names[f.strip().lower()]: f for f in fieldnames or () if f and f.strip().lower() in names}
    missing = [HEADERS[k][0] for k in REQUIRED if k not in cols]
    if missing:
        raise RosterFileError("roster.missing_columns", path=path, columns="、".join(missing))
    return cols


def _tags(text: str, line: int) -> list[str]:
    try:
        return vocab.tags(text)
    except model.ValidationError as exc:
        raise RosterFileError("roster.bad_tag", line=line, tag=exc.args_["value"], valid=exc.args_["valid"]) from None


def _int(text: str, line: int, column: str, default: int | None = None) -> int | None:
    text = (text or "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise RosterFileError("roster.bad_number", line=line, column=column, value=text) from None


def roster_from_rows(fieldnames: list[str], rows: Rows, path: Path) -> dict:
    """The roster of a table: its header and its ``(line, {header: text})`` rows."""
    cols = _column_map(fieldnames, path)
    compounds: dict[str, dict] = {}
    buildings: dict[tuple[str, str], dict] = {}
    grids: dict[str, dict] = {}
    households = []
    first_line: dict[str, int] = {}  # household id → the line that gave it
    masked: list[str] = []
    for line, row in rows:
        get = lambda k: (row.get(cols[k]) or "").strip() if k in cols else ""  # noqa: E731
        if not any(get(k) for k in REQUIRED):
            continue  # blank line, common at the end of spreadsheets
        for k in REQUIRED:
            if not get(k):
                raise RosterFileError("roster.empty_cell", line=line, column=HEADERS[k][0])
        grid = grids.setdefault(get("grid"), {"id": get("grid"), "name": get("grid")})
        comp = compounds.setdefault(get("compound"), {"id": f"X{len(compounds) + 1:02d}", "name": get("compound"),
                                                      "address": get("address")})
        bkey = (comp["id"], get("building"))
        if bkey not in buildings:
            buildings[bkey] = {"id": f"B{len(buildings) + 1:02d}", "compound": comp["id"], "name": get("building"),
                               "grid": grid["id"]}
        hid = get("id") or f"H{len(households) + 1:04d}"
        if hid in first_line:
            raise RosterFileError("roster.duplicate_id_at", line=line, id=hid, first=first_line[hid])
        first_line[hid] = line
        room = plain(get("room"))
        floor = _int(get("floor"), line, HEADERS["floor"][0]) or _int(room[:-2] or "0", line, HEADERS["room"][0], 0)
        for k in ("phone", "id_number"):
            if _SCIENTIFIC_RE.fullmatch(plain(get(k))):
                raise RosterFileError("roster.imprecise_number", line=line, column=HEADERS[k][0])
        household = {
            "id": hid,
            "building": buildings[bkey]["id"],
            "unit": _int(get("unit"), line, HEADERS["unit"][0], 1),
            "floor": floor,
            "room": room,
            "head": get("head"),
            "phone": plain(get("phone")),
            "id_number": plain(get("id_number")).upper(),
            "people": _int(get("people"), line, HEADERS["people"][0], 1),
            "tags": _tags(get("tags"), line),
            "moved_out": False,
        }
        if _masked(household):
            masked.append(str(line))
        households.append(household)
    if masked:
        raise RosterFileError("roster.masked", path=path, rows=_some(masked, "roster.lines"))
    return {
        "format": "gridtui-roster/1",
        "as_of": dt.date.today().isoformat(),  # roster history starts the day it is imported
        "community": {"id": "C01", "name": Path(path).stem},
        "compounds": list(compounds.values()),
        "grids": list(grids.values()),
        "workers": [],
        "buildings": list(buildings.values()),
        "households": households,
        "visits": [],
        "wishes": [],
    }
