"""What makes a PIN too easy to guess: too short, or one of the PINs people pick most. Pure.

A thief with a copy of the disk tries PINs offline, most likely first; scrypt makes each try cost a
quarter second, so refusing the thousand or so PINs everybody tries first is what buys time. The
list is built from the patterns behind most chosen PINs (a digit repeated, runs up and down, a
short group repeated, keyboard walks) and the famous ones (5201314, 147258, password …).
"""

from __future__ import annotations

import functools
import itertools
import secrets

MIN_WORKER = 6  # the worker's laptop: typed many times a day at the door
MIN_OFFICE = 8  # the office: the whole community's ledger behind it

_FAMOUS = """
5201314 1314520 520520 521521 5211314 147258 258369 369258 147369 147258369 159357 159753 357159 951753
789456 456789 456123 741852 852963 963852 987654 654321 321654 100200 102030 123321 112233 111222 121314
666888 888666 168168 518518 168888 888168 110110 119119 120120 778899 998877 131313 147852 258456 369369
123qwe qwe123 qwerty qwertyui asdfgh asdfghjk zxcvbn 1qaz2wsx qazwsx 1q2w3e4r 1q2w3e abc123 abcdef abcd1234
a123456 a12345678 aa123456 password password1 passw0rd iloveyou woaini woaini1314 admin admin123 root123
gridtui gridtui123 123456abc 12345qwert 1234abcd 0123456789 1234567890 9876543210 888888888
""".split()


@functools.lru_cache(maxsize=1)
def common() -> frozenset[str]:
    out = set(_FAMOUS)
    for n in range(6, 13):
        out.update(d * n for d in "0123456789")
        for start in range(10):  # runs up and down, wrapping: 123456, 890123, 654321
            out.add("".join(str((start + i) % 10) for i in range(n)))
            out.add("".join(str((start - i) % 10) for i in range(n)))
    for k in (2, 3, 4):  # a group repeated: 121212, 123123, 12341234
        for group in itertools.product("0123456789", repeat=k) if k < 4 else ():
            g = "".join(group)
            for n in (6, 8, 9, 12):
                if n % k == 0:
                    out.add(g * (n // k))
    for start in range(10):  # a run of four, twice or three times: 12341234
        for step in (1, -1):
            g = "".join(str((start + step * i) % 10) for i in range(4))
            out.update({g * 2, g * 3})
    for a, b in itertools.product("0123456789", repeat=2):  # aabbcc-like pairs: 112233, 001122
        out.add(a * 2 + b * 2 + a * 2)
    for year in range(1940, 2031):  # a year twice, or with 0000 / 1234
        y = str(year)
        out.update({y + y, y + "0000", y + "1234", "1234" + y})
    return frozenset(out)


def problem(pin: str, office: bool = False) -> tuple[str, dict] | None:
    """Why ``pin`` may not be used (an i18n key and its arguments), or None."""
    least = MIN_OFFICE if office else MIN_WORKER
    if len(pin) < least:
        return "pin.too_short", {"n": least}
    if pin.strip().casefold() in common() or len(set(pin)) == 1:
        return "pin.common", {}
    return None


def suggestion() -> str:
    """A random passphrase to offer: four groups of four digits (53 bits), easy to read out and type."""
    return "-".join(f"{secrets.randbelow(10_000):04d}" for _ in range(4))
