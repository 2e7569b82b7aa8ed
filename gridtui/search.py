"""Finding a household by what a worker has in mind at a door. Pure: no I/O, no Textual.

A query matches a household by its room (``302``, or ``2-302`` with the unit), the resident's
name, the tail of a phone number (``5678``, four digits or more), a tag (``独居``), the building,
or the pinyin initials of the name (``fwg`` for 范卫国, via ``pypinyin``, which knows the readings
of the characters; a character with several readings matches by any of them). Full-width digits
and letters count as their plain forms. The best kind of match ranks first, then walk order.
"""

from __future__ import annotations

import itertools
import os
import unicodedata
from dataclasses import dataclass

from . import model

# What a query hit, best first: a room is what a worker reads off a door.
RANKS = ("room", "unit_room", "phone", "name", "initials", "tag", "building")


@dataclass(frozen=True)
class Keys:
    """What one household can be found by, normalised once."""

    room: str
    unit_room: str
    phone: str
    name: str
    head: str  # the name as written, for its pinyin initials
    tags: str  # codes and names in both languages, joined
    building: str


def normalise(text: str) -> str:
    """Full-width forms as plain ones (３０２ → 302), case folded, spaces trimmed."""
    return unicodedata.normalize("NFKC", text or "").strip().casefold()


_MAX_READINGS = 16  # a name of several many-reading characters: enough combinations, not all


_initials: dict[str, frozenset[str]] = {}  # name → its initials: names repeat across searches, not readings


def warm(names) -> None:  # noqa: ANN001 - any iterable of names
    """Work out the initials of these names, so that :func:`rank` can match them. pypinyin's
    dictionary costs a tenth of a second and 13 MB: the app does this in a thread when search
    opens (and matches the rest meanwhile), the command line before it searches."""
    for name in names:
        initials(name)


def known_initials(name: str) -> frozenset[str]:
    """The initials of a name if :func:`warm` has worked them out, else none yet (never blocks)."""
    return _initials.get(name, frozenset())


def initials(name: str) -> frozenset[str]:
    """Every string of pinyin initials the name can be read as: 单田芳 → {"dtf", "stf", "ctf"}."""
    if not name:
        return frozenset()
    got = _initials.get(name)
    if got is None:
        got = _initials[name] = _readings(name)
    return got


def _readings(name: str) -> frozenset[str]:
    # pypinyin's phrase dictionary (for reading words in context) costs 45 MB and a tenth of a second
    # to load; a name is read character by character, every reading counts, so it is not needed.
    # Both switches are pypinyin's own documented ways to use less memory; they act at import.
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
    from pypinyin import Style, pinyin  # a dictionary of its own: loaded only for search

    per_char = [sorted({r[0].lower() for r in readings if r}) or [ch.lower()]
                for ch, readings in zip(name, pinyin(name, style=Style.FIRST_LETTER, heteronym=True,
                                                     errors=lambda chars: [[c] for c in chars]))]
    return frozenset("".join(p) for p in itertools.islice(itertools.product(*per_char), _MAX_READINGS))


def keys_of(h: dict, building: str, tag_names: dict[str, str]) -> Keys:
    unit, room = h.get("unit"), str(h.get("room") or "")
    tags = " ".join(f"{code} {tag_names.get(code, '')}" for code in h.get("tags") or ())
    return Keys(
        room=normalise(room),
        unit_room=normalise(f"{unit}-{room}" if unit is not None else room),
        phone="".join(ch for ch in normalise(h.get("phone") or "") if ch.isdigit()),
        name=normalise(h.get("head") or ""),
        head=h.get("head") or "",
        tags=normalise(tags),
        building=normalise(building),
    )


def rank(query: str, k: Keys) -> int | None:
    """The best way ``query`` (normalised) matches, as an index into RANKS; None if it does not."""
    if not query:
        return None
    if k.room.startswith(query):
        return 0
    if "-" in query and k.unit_room.startswith(query):
        return 1
    if query.isdigit() and len(query) >= 4 and k.phone.endswith(query):
        return 2
    if k.name and query in k.name:
        return 3
    if query.isascii() and query.isalpha() and any(i.startswith(query) for i in known_initials(k.head)):
        return 4
    if query in k.tags:
        return 5
    if query in k.building:
        return 6
    return None


def tag_names() -> dict[str, str]:
    """Tag codes and their names in both languages, for matching (codes are what the CLI types)."""
    from .i18n import STRINGS

    return {code: " ".join(STRINGS[f"tag.{code}"]) for code in model.TAGS if f"tag.{code}" in STRINGS}
