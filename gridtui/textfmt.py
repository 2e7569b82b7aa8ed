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
    if text.isascii():
        return len(text)  # dates, ids, numbers: most cells of a ledger, at C speed
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cell_width(text))


WIDTH = 80  # what a table may take: the narrowest terminal, and a printed page


def table(headers: list[str], rows: list[list[str]], width: int = WIDTH, keep: tuple[int, ...] = (0,)) -> str:
    """Columns lined up in terminal cells. When the whole would be wider than ``width``, the widest
    column not in ``keep`` (ids: they are typed back) is cut with … until it fits."""
    widths = [cell_width(h) for h in headers]
    for row in rows:
        widths = [max(w, cell_width(c)) for w, c in zip(widths, row)]
    floor = [min(w, max(cell_width(h), 4)) for w, h in zip(widths, headers)]
    while sum(widths) + 2 * (len(widths) - 1) > width:
        shrinkable = [i for i, w in enumerate(widths) if i not in keep and w > floor[i]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
    rows = [[truncate(c, w) for c, w in zip(row, widths)] for row in rows]
    lines = ["  ".join(pad(truncate(h, w), w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(pad(c, w) for c, w in zip(row, widths)).rstrip() for row in rows)
    return "\n".join(lines)


_NO_BREAK_BEFORE = frozenset("。，、；：？！）」』】〉》”’")
_TOKENS = re.compile(r"\[[^\]\s]*\]|[\u2e80-\uffff]|[^\s\u2e80-\uffff]+|\s+")


def wrap(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "") -> list[str]:
    """Lines of at most ``width`` cells, broken between words or between any two Chinese
    characters (textwrap counts characters and breaks only at spaces); no line starts with a
    closing mark such as 。 or ）."""
    tokens: list[str] = []
    for tok in _TOKENS.findall(" ".join(text.split())):
        if tokens and tok in _NO_BREAK_BEFORE:
            tokens[-1] += tok
        else:
            tokens.append(tok)
    lines, cur, indent = [], "", initial_indent
    for tok in tokens:
        if cur.strip() and cell_width(indent + cur + tok.rstrip()) > width:
            lines.append(indent + cur.rstrip())
            cur, indent = tok.lstrip(), subsequent_indent
        else:
            cur += tok
    if cur.strip():
        lines.append(indent + cur.rstrip())
    return lines


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
