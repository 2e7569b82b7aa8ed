"""Record ids as people read them out and type them.

Roster ids are short already (``F000006``). Ids a laptop makes are long, because they carry the
device and its clock (``F3f3bd02a-19ad3f2c1a50``) so that two laptops never make the same one;
their starts are alike (same device, same month). Such an id has a short form: its kind and
digits derived from the whole id (``F48210…``), the same on every laptop and in the office, easy
to read out. On screen it is shown as the shortest start of that form, at least
:data:`MIN_SHORT` digits, that no other record's id or form shares (``F4821``). Wherever an id is
typed, the whole id, a start of it, or a start of the short form is taken when exactly one record
matches. Pure.
"""

from __future__ import annotations

import hashlib
from typing import Iterable

from .model import ValidationError

MIN_SHORT = 4  # digits: 10,000 values, so in a community's few thousand findings most need 4 or 5


def _made_on_a_laptop(eid: str) -> bool:
    head, sep, tail = eid.partition("-")
    return bool(sep and len(head) > 1 and tail)


def short_form(eid: str) -> str:
    """The kind and 12 digits from the id's hash, of which the display id is a start (roster ids: as is)."""
    if not _made_on_a_laptop(eid):
        return eid
    return eid[0] + str(int.from_bytes(hashlib.blake2b(eid.encode(), digest_size=8).digest(), "big"))[-12:].zfill(12)


def short_ids(ids: Iterable[str]) -> dict[str, str]:
    """id → what to show: the shortest start of its short form (at least :data:`MIN_SHORT` digits)
    that :func:`resolve` maps back to it alone, among ``ids``."""
    ids = list(ids)
    forms = sorted((short_form(i), i) for i in ids)
    out = {i: i for i in ids if not _made_on_a_laptop(i)}
    everything = sorted(set(ids) | {f for f, _ in forms})
    for form, eid in forms:
        if eid not in out:
            out[eid] = _shortest(form, lambda prefix, eid=eid: _clashes(prefix, eid, everything))
    return out


def _shortest(form: str, clashes) -> str:  # noqa: ANN001 - clashes(prefix) -> bool
    """The shortest start of ``form``, at least :data:`MIN_SHORT` digits, that nothing else shares."""
    n = 1 + MIN_SHORT
    while n < len(form) and clashes(form[:n]):
        n += 1
    return form[:n]


def short_id(eid: str, ids: Iterable[str]) -> str:
    """``short_ids(ids)[eid]`` for one record (a command that names the record it changed), without
    working out every other one's: a year's 500,000 findings took seconds."""
    return _short_id(eid, _forms(ids))


def _forms(ids: Iterable[str]) -> list[tuple[str, str]]:
    return [(i, short_form(i)) for i in ids]


def _short_id(eid: str, forms: list[tuple[str, str]]) -> str:
    if not _made_on_a_laptop(eid):
        return eid
    form = short_form(eid)
    start = form[:1 + MIN_SHORT]
    near = {x for pair in forms for x in pair if x.startswith(start)} - {eid, form}
    return _shortest(form, lambda prefix: any(x.startswith(prefix) for x in near))


def _clashes(prefix: str, eid: str, everything: list[str]) -> bool:
    import bisect

    i = bisect.bisect_left(everything, prefix)
    while i < len(everything) and everything[i].startswith(prefix):
        if everything[i] not in (eid, short_form(eid)):
            return True
        i += 1
    return False


def resolve(text: str, ids: Iterable[str], what: str, hint: str) -> str:
    """The one id that ``text`` names: the id itself, a start of it, or a start of its short form
    (case as typed, or upper-case kind). ``what`` names the kind in the error, ``hint`` the command
    that lists the ids."""
    ids = list(ids)
    typed = text.strip()
    if typed in ids:
        return typed
    return _resolve(text, ids, _forms(ids), what, hint)


def resolve_shown(text: str, ids: Iterable[str], what: str, hint: str) -> tuple[str, str]:
    """:func:`resolve`, and the id as :func:`short_id` shows it (a command that changes the record
    it names, and says which): each id's short form is worked out once for both."""
    ids = list(ids)
    forms = _forms(ids)
    typed = text.strip()
    eid = typed if typed in ids else _resolve(text, ids, forms, what, hint)
    return eid, _short_id(eid, forms)


def _resolve(text: str, ids: list[str], forms: list[tuple[str, str]], what: str, hint: str) -> str:
    typed = text.strip()
    if not typed:
        raise ValidationError("ids.unknown", id=text, what=what, hint=hint)
    wanted = {typed, typed[0].upper() + typed[1:]}
    found = [i for i, form in forms if any(i.startswith(w) or form.startswith(w) for w in wanted)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ValidationError("ids.unknown", id=typed, what=what, hint=hint)
    shown = short_ids(ids)
    raise ValidationError("ids.ambiguous", id=typed, what=what, n=len(found),
                          some="、".join(sorted(shown[i] for i in found)[:5]))
