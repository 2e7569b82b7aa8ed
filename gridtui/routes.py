"""Which grids' workers an event goes to: what publish sends each laptop.

An event goes to the grid of what it is about: a household's (and its visits', findings' and
wishes') to the grid of the household's building, a building's and a worker's to theirs, a
compound's to every grid with a building in it, the community's to every grid. So where an event
goes depends on the state, and a few events change it for others: a household moved to another
building, a building to another grid, a new grid (which gets the community's events).
:func:`reroutes` tells those apart, so the office's outbox can take the rest as they come.
"""

from __future__ import annotations

from typing import Iterable

from .events import State, sort_key
from .views import household_grids

# The fields that decide where other records' events go.
_ROUTING = {"building": ("grid", "compound"), "household": ("building",), "worker": ("grid",)}
_OWN = frozenset({"community", "compound", "grid"})  # where their events go does not depend on them
_BY_HOUSEHOLD = frozenset({"visit", "finding", "wish"})
_NONE: dict = {}


class Routes:
    """The state's routing, worked out once: :meth:`grids_of` is called for every event held."""

    def __init__(self, state: State) -> None:
        ents = self._ents = state.entities
        self.grids = frozenset(ents["grid"])
        self._building_grid = {b: rec.get("grid") for b, rec in ents["building"].items()}
        self._household_grid = household_grids(state)
        self._compound_grids: dict[object, set] = {}
        for rec in ents["building"].values():
            self._compound_grids.setdefault(rec.get("compound"), set()).add(rec.get("grid"))
        # Records created in a batch the state has not folded: kind → id → their household.
        self._born: dict[str, dict[str, object]] = {}

    def grids_of(self, e: dict) -> Iterable[str]:
        """The grids (of this state's) whose worker gets ``e``."""
        kind, eid = e["kind"], e["eid"]
        if kind in _BY_HOUSEHOLD:  # most events: a visit, a finding, a wish
            rec = self._ents[kind].get(eid)
            g = self._household_grid.get(rec.get("household") if rec is not None
                                         else self._born.get(kind, _NONE).get(eid))
        elif kind == "household":
            g = self._household_grid.get(eid)
        elif kind == "community":
            return self.grids
        elif kind == "compound":
            return [g for g in self._compound_grids.get(eid, ()) if g in self.grids]
        elif kind == "grid":
            g = eid
        elif kind == "building":
            g = self._building_grid.get(eid)
        else:
            rec = self._ents.get(kind, {}).get(eid)
            g = rec.get("grid" if kind == "worker" else "household") if rec is not None else None
            if kind != "worker":
                g = self._household_grid.get(g)
        return (g,) if g in self.grids else ()

    def take_births(self, state: State, events: list[dict]) -> None:
        """Route ``events`` (not yet folded into ``state``, and not :func:`reroutes`) as if they were:
        the records they create are placed from their own fields."""
        ents = state.entities
        first: dict[str, dict[str, dict]] = {}  # kind → id → its create (no tuple per event: a merge has 200,000)
        for e in events:
            if e["op"] == "create":
                kind, eid = e["kind"], e["eid"]
                if eid in ents.get(kind, _NONE):
                    continue  # created already: a second create changes nothing
                of_kind = first.get(kind)
                if of_kind is None:
                    of_kind = first[kind] = {}
                had = of_kind.get(eid)
                if had is None or sort_key(e) < sort_key(had):  # the earliest create wins, as in the fold
                    of_kind[eid] = e
        for kind, creates in first.items():
            if kind == "household":
                for eid, e in creates.items():
                    self._household_grid[eid] = self._building_grid.get(e["data"].get("building") or "")
            else:
                born = self._born.setdefault(kind, {})
                for eid, e in creates.items():
                    born[eid] = e["data"].get("household")


def reroutes(state: State, events: list[dict]) -> bool:
    """Whether folding ``events`` into ``state`` could send an event already held elsewhere than
    :class:`Routes` of ``state`` sends it (or could send one, where it went nowhere)."""
    overrides, ents = state.overrides, state.entities
    for e in events:
        kind, op, key = e["kind"], e["op"], (e["kind"], e["eid"])
        if kind in _OWN and not (kind == "grid" and op == "create" and not state.created(*key)):
            continue
        if op == "create":
            held = state.creator(*key)
            if held is not None:
                if sort_key(e) > held.sort_key:
                    continue  # a second create changes nothing
                return True  # stamped before the first: the fold takes this one instead

            if key in overrides or kind in ("grid", "building", "worker"):
                return True  # changes held for a record not created yet, or a new place to send to
            if kind == "household" and ((e["data"].get("building") or "") not in ents["building"]
                                        or _adopts(ents, e["eid"])):
                return True
            continue
        fields = _ROUTING.get(kind, ("household",))
        if any(f in e["data"] for f in fields):
            return True
    return False


def _adopts(ents: dict[str, dict[str, dict]], hid: str) -> bool:
    """Whether a record already names this household (so far one that did not exist): a new
    household is rare (a roster update, a proposal taken), so looking through them all is cheap."""
    return any(rec.get("household") == hid for kind, table in ents.items()
               if kind not in _OWN and kind not in _ROUTING for rec in table.values())
