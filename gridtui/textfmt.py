"""Plain-text tables whose columns line up with Chinese text (CJK characters are two cells wide)."""

from __future__ import annotations

import unicodedata


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
