"""Reading the office's roster: the JSON shape of demo_data.json, or a CSV with one household a row.

CSV columns (header in Chinese or English, any order; see docs/roster.md):

    网格 grid | 小区 compound | 楼栋 building | 单元 unit | 楼层 floor | 房号 room | 户主 head |
    电话 phone | 身份证号 id_number | 人数 people | 标签 tags | 编号 id (optional) | 地址 address (optional)

Tags are codes or Chinese names, separated by 、 , ; or spaces. Compounds, buildings and grids
get ids from the order they first appear (X01, B01 …; grids keep their own codes).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

from ..errors import UserError
from .. import i18n, model

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
    path = Path(path)
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
        return data
    if suffix == ".csv":
        # utf-8-sig: Excel saves CSV with a byte-order mark.
        return roster_from_rows(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))), path)
    raise RosterFileError("roster.bad_suffix", path=path)


def _column_map(fieldnames: list[str] | None, path: Path) -> dict[str, str]:
    names = {alias: key for key, aliases in HEADERS.items() for alias in aliases}
    cols = {names[f.strip()]: f for f in fieldnames or () if f and f.strip() in names}
    missing = [HEADERS[k][0] for k in REQUIRED if k not in cols]
    if missing:
        raise RosterFileError("roster.missing_columns", path=path, columns="、".join(missing))
    return cols


def _tags(text: str, line: int) -> list[str]:
    by_name = {i18n.STRINGS[f"tag.{code}"][0]: code for code in model.TAGS}
    out = []
    for word in filter(None, re.split(r"[、,;，；\s]+", text or "")):
        code = word if word in model.TAGS else by_name.get(word)
        if code is None:
            raise RosterFileError("roster.bad_tag", line=line, tag=word)
        out.append(code)
    return out


def _int(text: str, line: int, column: str, default: int | None = None) -> int | None:
    text = (text or "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise RosterFileError("roster.bad_number", line=line, column=column, value=text) from None


def roster_from_rows(rows, path: Path) -> dict:
    cols = _column_map(rows.fieldnames, path)
    compounds: dict[str, dict] = {}
    buildings: dict[tuple[str, str], dict] = {}
    grids: dict[str, dict] = {}
    households = []
    for line, row in enumerate(rows, start=2):
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
        room = get("room")
        floor = _int(get("floor"), line, HEADERS["floor"][0]) or _int(room[:-2] or "0", line, HEADERS["room"][0], 0)
        households.append({
            "id": get("id") or f"H{len(households) + 1:04d}",
            "building": buildings[bkey]["id"],
            "unit": _int(get("unit"), line, HEADERS["unit"][0], 1),
            "floor": floor,
            "room": room,
            "head": get("head"),
            "phone": get("phone"),
            "id_number": get("id_number"),
            "people": _int(get("people"), line, HEADERS["people"][0], 1),
            "tags": _tags(get("tags"), line),
            "moved_out": False,
        })
    ids = [h["id"] for h in households]
    if len(set(ids)) != len(ids):
        raise RosterFileError("roster.duplicate_id", path=path)
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
