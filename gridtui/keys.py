"""Enrolment keys as people handle them: printed once at the office, carried on paper, typed on
a laptop. Pure: no I/O.

A key is 160 random bits written in Crockford's base32 (no I/L/O/U to misread), in groups of four,
with a check character at the end (Luhn mod 32), so a mistyped or swapped character is caught
before anything is written::

    7K2M-9QXA-4C1T-ZB8R-EW3N-P6HD-V5JF-Y0GS-K

Reading forgives what people do to a key on paper: lower case, spaces or no dashes, O for 0, I or
L for 1. Keys issued before this format (32 characters of URL-safe base64) are still read as they are.
"""

from __future__ import annotations

import re
import secrets

from .errors import UserError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_VALUE.update({"O": 0, "I": 1, "L": 1})
BODY = 32  # characters of key, 5 bits each: 160 bits
GROUP = 4
_LEGACY = re.compile(r"[A-Za-z0-9_-]{32}")


class BadKey(UserError):
    """What was typed is not a key, or has a typo."""


def _check(body: str) -> str:
    """Luhn mod 32: catches any one wrong character and any two neighbours swapped."""
    total, factor = 0, 2
    for ch in reversed(body):
        n = _VALUE[ch] * factor
        total += n // 32 + n % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def new_key() -> str:
    """A new key, canonical (upper case, no dashes): what is stored and what the sync keys derive from."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY))
    return body + _check(body)


def show(key: str) -> str:
    """A key as printed for a person: groups of four, the check character last; older keys as they are."""
    if len(key) != BODY + 1 or any(c not in ALPHABET for c in key):
        return key
    groups = [key[i:i + GROUP] for i in range(0, BODY, GROUP)]
    return "-".join(groups + [key[BODY:]])


def parse(text: str) -> str:
    """The canonical key in what a person typed; raises BadKey with what is wrong."""
    raw = (text or "").strip()
    if _LEGACY.fullmatch(raw):
        return raw  # issued before grouped keys: case and all, as printed then
    chars = re.sub(r"[\s-]", "", raw).upper()
    if not chars:
        raise BadKey("key.empty")
    wrong = sorted({c for c in chars if c not in _VALUE})
    if wrong:
        raise BadKey("key.bad_chars", chars=" ".join(wrong))
    canonical = "".join(ALPHABET[_VALUE[c]] for c in chars)
    if len(canonical) != BODY + 1:
        raise BadKey("key.bad_length", n=len(canonical), want=BODY + 1)
    if _check(canonical[:BODY]) != canonical[BODY]:
        raise BadKey("key.bad_check")
    return canonical
