"""Plain-text tables whose columns line up with Chinese text (CJK characters are two cells wide)."""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 control characters, DEL, and the bidi overrides that make a terminal show text reordered.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def clean(text: str, limit: int = 120) -> str:
    """Text from a file, safe to print: control characters shown as ?, cut to ``limit`` characters."""
    out = _CONTROL_RE.sub("?", text)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def cell_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cell_width(text))


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [cell_width(h) for h in headers]
    for row in rows:
        widths = [max(w, cell_width(c)) for w, c in zip(widths, row)]
    lines = ["  ".join(pad(h, w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(pad(c, w) for c, w in zip(row, widths)).rstrip() for row in rows)
    return "\n".join(lines)


def truncate(text: str, width: int) -> str:
    """Cut text to ``width`` cells, marking the cut with …."""
    if cell_width(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        w = cell_width(ch)
        if used + w > width - 1:
            break
        out += ch
        used += w
    return out + "…"
