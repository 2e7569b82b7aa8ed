"""Households that look like the same people twice. Pure: no I/O.

Three signs, over households not moved out, digits compared in their plain form (３０２ is 302):

- ``id_number``: two households share a resident ID number — one person, two records;
- ``phone``: the same phone in different buildings (one family in one building often shares a phone;
  across buildings it is a household recorded twice, or a typing mistake);
- ``room``: the same door (compound, building, unit, room) recorded twice, in two grids or in one.

Each group gets an id (``D1`` …) in a stable order, so a secretary can read one out.
"""

from __future__ import annotations

from .events import State
from .rosterdiff import plain

KINDS = ("id_number", "phone", "room")


def find(households: list[dict], buildings: dict[str, dict], compounds: dict[str, dict]) -> list[dict]:
    """Groups of ``{"id", "kind", "value", "households": [ids]}`` among roster-shaped records."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for h in households:
        if h.get("moved_out"):
            continue
        b = buildings.get(h.get("building"), {})
        door = "/".join(plain(x) for x in (compounds.get(b.get("compound"), {}).get("name", ""), b.get("name", ""),
                                            h.get("unit") if h.get("unit") is not None else 1, h.get("room")))
        for kind, value in (("id_number", plain(h.get("id_number")).upper()), ("phone", plain(h.get("phone"))),
                            ("room", door)):
            if value:
                groups.setdefault((kind, value), []).append(h)
    out = []
    for (kind, value), hs in groups.items():
        if len(hs) < 2:
            continue
        if kind == "phone" and len({h.get("building") for h in hs}) < 2:
            continue
        out.append({"kind": kind, "value": value, "households": sorted(h["id"] for h in hs)})
    out.sort(key=lambda g: (KINDS.index(g["kind"]), g["households"]))
    for n, g in enumerate(out, start=1):
        g["id"] = f"D{n}"
    return out


def in_roster(roster: dict) -> list[dict]:
    return find(roster.get("households", []), {b["id"]: b for b in roster.get("buildings", ())},
                {c["id"]: c for c in roster.get("compounds", ())})


def in_ledger(state: State) -> list[dict]:
    ents = state.entities
    return find(list(ents["household"].values()), ents["building"], ents["compound"])
