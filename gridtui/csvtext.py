"""Text for spreadsheets: CSV that Excel opens right, and residents' words kept from running as
formulas there (CSV injection). Pure: strings in, strings out; the export, the report and the CLI
share it."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Iterable

LIST_SEP = "、"  # how a list of words (tags) is joined in one CSV cell


def cell(value: object) -> str:
    """One value as CSV text: words of a list joined with 、, anything nested as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return defuse(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return LIST_SEP.join(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?[0-9][0-9 .-]*$")


def defuse(text: str) -> str:
    """Keep a resident's words from running as a spreadsheet formula (CSV injection).

    Text that Excel would read as a formula gets a leading apostrophe, which Excel hides; plain
    numbers such as +8613812345678 are left alone, since Excel cannot run them.
    """
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def csv_text(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """CSV that Excel opens right: a BOM first (so it reads UTF-8), every field quoted as needed,
    CRLF line ends, empty cells for ``None``."""
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf)
    w.writerow(header)
    for row in rows:
        w.writerow(["" if v is None else defuse(v) if isinstance(v, str) else v for v in row])
    return buf.getvalue()
